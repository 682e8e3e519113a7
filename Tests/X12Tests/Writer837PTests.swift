import BillingCore
import Foundation
import Testing
import X12

/// The 837P writer's structure: envelopes, counts, HL tree, claim and line segments, and refusals.
@Suite struct Writer837PTests {
    /// The file split into segments, each split into elements.
    static func segments(_ file: String, delimiters: X12Delimiters = .standard) -> [[String]] {
        file.split(separator: delimiters.segment)
            .map { $0.trimmingCharacters(in: .newlines) }
            .filter { !$0.isEmpty }
            .map { $0.split(separator: delimiters.element, omittingEmptySubsequences: false).map(String.init) }
    }

    static func write(_ claims: [ClaimSnapshot], envelope: InterchangeEnvelope = ClaimFixtures.envelope()) throws -> [[String]] {
        segments(try Writer837P().write(claims, envelope: envelope))
    }

    @Test func envelopeCarriesControlNumbersAndVersion() throws {
        let segments = try Self.write([ClaimFixtures.simpleClaim()],
                                      envelope: ClaimFixtures.envelope(interchange: 907, group: 12, transaction: 34))
        let isa = segments[0]
        #expect(isa.count == 17)
        #expect(isa[6] == "LEDGERLINE01   " && isa[8] == "CLAIMMD        ")
        #expect(isa[9] == "261129" && isa[10] == "0905")
        #expect(isa[11] == "^" && isa[12] == "00501" && isa[13] == "000000907" && isa[15] == "T" && isa[16] == ":")
        #expect(segments[1] == ["GS", "HC", "LEDGERLINE01", "CLAIMMD", "20261129", "0905", "12", "X", "005010X222A1"])
        #expect(segments[2] == ["ST", "837", "0034", "005010X222A1"])
        #expect(segments[3] == ["BHT", "0019", "00", "0034", "20261129", "0905", "CH"])
        #expect(segments.suffix(2).first == ["GE", "1", "12"])
        #expect(segments.last == ["IEA", "1", "000000907"])
    }

    @Test func isaIsFixedWidth() throws {
        let file = try Writer837P().write([ClaimFixtures.simpleClaim()], envelope: ClaimFixtures.envelope())
        #expect(file.prefix(while: { $0 != "~" }).count == 105)
    }

    @Test func seCountsEverySegmentFromSTThroughSE() throws {
        let claims = (1...3).map { ClaimFixtures.simpleClaim(controlNumber: "C\($0)") }
        let segments = try Self.write(claims)
        let start = try #require(segments.firstIndex { $0[0] == "ST" })
        let end = try #require(segments.firstIndex { $0[0] == "SE" })
        #expect(segments[end] == ["SE", String(end - start + 1), "0001"])
    }

    @Test func submitterAndReceiverLoops() throws {
        let segments = try Self.write([ClaimFixtures.simpleClaim()])
        #expect(segments[4] == ["NM1", "41", "2", "RIVERBEND COUNSELING GROUP", "", "", "", "", "46", "SUB12345"])
        #expect(segments[5] == ["PER", "IC", "DANA WU", "TE", "5035550100", "EM", "BILLING@RIVERBEND.EXAMPLE"])
        #expect(segments[6] == ["NM1", "40", "2", "CLAIM.MD", "", "", "", "", "46", "CLAIMMD"])
    }

    @Test func hierarchyGroupsClaimsByProviderThenSubscriber() throws {
        var dependent = ClaimFixtures.simpleClaim(controlNumber: "C2")
        dependent.patient = ClaimFixtures.child
        var solo = ClaimFixtures.simpleClaim(controlNumber: "C3")
        solo.billingProvider = ClaimFixtures.soloClinician
        solo.renderingProvider = nil
        let sameSubscriber = ClaimFixtures.simpleClaim(controlNumber: "C4")
        let segments = try Self.write([ClaimFixtures.simpleClaim(controlNumber: "C1"), dependent, solo, sameSubscriber])
        let hierarchy = segments.filter { $0[0] == "HL" }
        #expect(hierarchy == [
            ["HL", "1", "", "20", "1"],
            ["HL", "2", "1", "22", "0"],  // Elena, claims C1 and C4
            ["HL", "3", "1", "22", "1"],  // Elena as subscriber for Mateo
            ["HL", "4", "3", "23", "0"],
            ["HL", "5", "", "20", "1"],  // the solo clinician
            ["HL", "6", "5", "22", "0"],
        ])
        let order = segments.compactMap { $0[0] == "CLM" ? $0[1] : nil }
        #expect(order == ["C1", "C4", "C2", "C3"])
    }

    @Test func subscriberWhoIsThePatientGetsSBR18AndDemographics() throws {
        let segments = try Self.write([ClaimFixtures.simpleClaim()])
        #expect(segments.contains(["SBR", "P", "18", "GRP-7781", "", "", "", "", "", "CI"]))
        #expect(segments.contains(["NM1", "IL", "1", "RIVERA", "ELENA", "", "", "", "MI", "XZ123456789"]))
        #expect(segments.contains(["DMG", "D8", "19840309", "F"]))
        #expect(!segments.contains { $0[0] == "PAT" })
        #expect(segments.contains(["NM1", "PR", "2", "CASCADE HEALTH PLAN", "", "", "", "", "PI", "CHP01"]))
    }

    @Test func dependentPatientGetsPatientLoopAndNoSubscriberDemographics() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.patient = ClaimFixtures.child
        let segments = try Self.write([claim])
        #expect(segments.contains(["SBR", "P", "", "GRP-7781", "", "", "", "", "", "CI"]))
        #expect(segments.contains(["PAT", "19"]))
        #expect(segments.contains(["NM1", "QC", "1", "RIVERA", "MATEO"]))
        #expect(segments.filter { $0[0] == "DMG" } == [["DMG", "D8", "20131102", "M"]])
    }

    @Test func billingProviderAsOrganizationOrIndividual() throws {
        let organization = try Self.write([ClaimFixtures.simpleClaim()])
        #expect(organization.contains(["PRV", "BI", "PXC", "261QM0801X"]))
        #expect(organization.contains(["NM1", "85", "2", "RIVERBEND COUNSELING GROUP LLC", "", "", "", "", "XX", "1987654328"]))
        #expect(organization.contains(["N4", "PORTLAND", "OR", "972011234"]))
        #expect(organization.contains(["REF", "EI", "123456789"]))
        #expect(organization.contains(["PER", "IC", "BILLING OFFICE", "TE", "5035550100"]))
        var claim = ClaimFixtures.simpleClaim()
        claim.billingProvider = ClaimFixtures.soloClinician
        let solo = try Self.write([claim])
        #expect(solo.contains(["NM1", "85", "1", "OKAFOR", "ADAEZE", "N", "", "", "XX", "1234567893"]))
        #expect(solo.contains(["REF", "SY", "123456789"]))
    }

    @Test func claimSegmentAndReferences() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.frequency = .replacement(payerClaimNumber: "2026123ABC")
        claim.priorAuthorizationNumber = "AUTH77"
        claim.placeOfService = "10"
        let segments = try Self.write([claim])
        #expect(segments.contains(["CLM", "C1000001", "180", "", "", "10:B:7", "Y", "A", "Y", "Y"]))
        let clm = try #require(segments.firstIndex { $0[0] == "CLM" })
        #expect(segments[clm + 1] == ["REF", "G1", "AUTH77"])
        #expect(segments[clm + 2] == ["REF", "F8", "2026123ABC"])
        #expect(segments[clm + 3] == ["HI", "ABK:F411", "ABF:F321"])
    }

    @Test func voidClaimsCarryFrequency8() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.frequency = .void(payerClaimNumber: "X1")
        let segments = try Self.write([claim])
        #expect(segments.contains { $0[0] == "CLM" && $0[5] == "11:B:8" })
        #expect(segments.contains(["REF", "F8", "X1"]))
    }

    @Test func renderingSupervisingAndFacilityLoopsInGuideOrder() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.supervisingProvider = ClaimFixtures.supervisor
        claim.serviceFacility = .init(name: "Eastside", address: ClaimFixtures.homeAddress)
        let names = try Self.write([claim]).filter { $0[0] == "NM1" }.map { $0[1] }
        #expect(names.suffix(3) == ["82", "77", "DQ"])
        let segments = try Self.write([claim])
        #expect(segments.contains(["NM1", "82", "1", "LINDQVIST", "MAJA", "", "", "", "XX", "1558598797"]))
        #expect(segments.contains(["PRV", "PE", "PXC", "101YP2500X"]))
        #expect(segments.contains(["NM1", "DQ", "1", "BRENNAN", "THOMAS", "J", "", "JR", "XX", "1122334455"]))
        #expect(segments.contains(["NM1", "77", "2", "EASTSIDE"]))
    }

    @Test func renderingProviderIsOmittedWhenItIsTheBillingProvider() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.billingProvider = ClaimFixtures.soloClinician
        claim.renderingProvider = .init(name: .init(last: "Okafor", first: "Adaeze"), npi: "1234567893", taxonomyCode: "101YM0800X")
        #expect(!(try Self.write([claim])).contains { $0[0] == "NM1" && $0[1] == "82" })
    }

    @Test func serviceLinesNumberFromOneWithModifiersPointersAndLineIds() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.placeOfService = "02"
        claim.lines = [
            .init(procedureCode: "90834", modifiers: ["95", "HO"], chargeCents: 15_050, units: 1,
                  diagnosisPointers: [1, 2], dateOfService: ClaimFixtures.dateOfService, lineControlNumber: "L1"),
            .init(procedureCode: "90785", modifiers: ["95"], chargeCents: 2_500, units: 2, placeOfService: "11",
                  diagnosisPointers: [2], dateOfService: ClaimFixtures.dateOfService, lineControlNumber: "L2"),
            .init(procedureCode: "90837", chargeCents: 18_000, placeOfService: "02",
                  diagnosisPointers: [1], dateOfService: ClaimFixtures.dateOfService),
        ]
        let segments = try Self.write([claim])
        #expect(segments.contains { $0[0] == "CLM" && $0[2] == "355.5" })
        #expect(segments.filter { $0[0] == "LX" }.map { $0[1] } == ["1", "2", "3"])
        #expect(segments.filter { $0[0] == "SV1" } == [
            ["SV1", "HC:90834:95:HO", "150.5", "UN", "1", "", "", "1:2"],
            ["SV1", "HC:90785:95", "25", "UN", "2", "11", "", "2"],
            ["SV1", "HC:90837", "180", "UN", "1", "", "", "1"],
        ])
        #expect(segments.filter { $0[0] == "DTP" }.allSatisfy { $0 == ["DTP", "472", "D8", "20261014"] })
        #expect(segments.filter { $0[0] == "REF" && $0[1] == "6R" }.map { $0[2] } == ["L1", "L2"])
    }

    @Test func twelveDiagnosesFitInOneHI() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.diagnosisCodes = ["F41.1", "F32.0", "F32.1", "F32.2", "F33.0", "F33.1", "F43.10", "F43.21",
                                "F90.0", "F90.2", "Z63.0", "Z62.820"]
        let hi = try #require(try Self.write([claim]).first { $0[0] == "HI" })
        #expect(hi.count == 13 && hi[1] == "ABK:F411" && hi[12] == "ABF:Z62820")
    }

    @Test func otherDelimitersAreUsedEverywhere() throws {
        let delimiters = X12Delimiters(element: "|", component: ">", repetition: "^", segment: "\u{1C}", segmentSuffix: "")
        let file = try Writer837P(delimiters: delimiters).write([ClaimFixtures.simpleClaim()], envelope: ClaimFixtures.envelope())
        let segments = Self.segments(file, delimiters: delimiters)
        #expect(segments[0][16] == ">")
        #expect(segments.contains { $0[0] == "CLM" && $0[5] == "11>B>1" })
        #expect(!file.contains("*") && !file.contains("~"))
    }

    @Test func dataIsUppercasedAndCleaned() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.subscriber.name = .init(last: "O'Brien~*", first: "Zoë")
        claim.subscriber.address.line1 = "12 Rue de l'Église:  Apt ^3"
        let segments = try Self.write([claim])
        #expect(segments.contains(["NM1", "IL", "1", "O'BRIEN", "ZOE", "", "", "", "MI", "XZ123456789"]))
        #expect(segments.contains(["N3", "12 RUE DE L'EGLISE APT 3"]))
    }

    @Test func longValuesAreCutToTheGuideLengths() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.subscriber.name = .init(last: String(repeating: "L", count: 80), first: String(repeating: "F", count: 50))
        claim.subscriber.address.line1 = String(repeating: "A", count: 70)
        claim.subscriber.address.city = String(repeating: "C", count: 40)
        let segments = try Self.write([claim])
        let name = try #require(segments.first { $0[0] == "NM1" && $0[1] == "IL" })
        #expect(name[3].count == 60 && name[4].count == 35)
        #expect(segments.contains { $0[0] == "N3" && $0[1].count == 55 })
        #expect(segments.contains { $0[0] == "N4" && $0[1].count == 30 })
    }

    // MARK: - Refusals

    @Test(arguments: ["", "ABC-123", "ABCDEFGHIJKLMNOPQRSTU", "C 1"])
    func patientControlNumbersMustBeOneToTwentyLettersAndDigits(_ number: String) {
        let claim = ClaimFixtures.simpleClaim(controlNumber: number)
        #expect(!ClaimSnapshot.isValidPatientControlNumber(number))
        #expect(claim.problems().contains { $0.pointer == "/patientControlNumber" })
    }

    @Test func aTwentyCharacterControlNumberIsAccepted() throws {
        let number = "ABCDEFGHIJ0123456789"
        #expect(ClaimSnapshot.isValidPatientControlNumber(number))
        #expect(try Self.write([ClaimFixtures.simpleClaim(controlNumber: number)]).contains { $0[0] == "CLM" && $0[1] == number })
    }

    @Test func theWriterListsEveryProblemWithItsPointer() {
        var bad = ClaimFixtures.simpleClaim(controlNumber: "BAD-1")
        bad.lines[0].diagnosisPointers = [3]
        bad.lines[0].modifiers = ["95", "HO", "U4", "GT", "59"]
        bad.billingProvider.npi = "1234567890"
        var envelope = ClaimFixtures.envelope()
        envelope.interchangeControlNumber = 1_000_000_000
        do {
            _ = try Writer837P().write([ClaimFixtures.simpleClaim(controlNumber: "OK1"), bad], envelope: envelope)
            Issue.record("invalid claims were written")
        } catch let error as DomainError {
            #expect(error.code == "claim.x12Invalid")
            let pointers = Set(error.problems.map(\.pointer))
            #expect(pointers == [
                "/envelope/interchangeControlNumber", "/claims/1/patientControlNumber", "/claims/1/billingProvider/npi",
                "/claims/1/lines/0/modifiers", "/claims/1/lines/0/diagnosisPointers",
            ])
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func duplicateControlNumbersInOneFileAreRefused() {
        #expect(throws: DomainError.self) {
            try Writer837P().write([ClaimFixtures.simpleClaim(controlNumber: "C1"), ClaimFixtures.simpleClaim(controlNumber: "C1")],
                                   envelope: ClaimFixtures.envelope())
        }
    }

    @Test func billingProviderNeedsAStreetAddressWithZipPlusFour() {
        var claim = ClaimFixtures.simpleClaim()
        claim.billingProvider.address = .init(line1: "P.O. Box 12", city: "Portland", state: "OR", postalCode: "97201")
        #expect(Set(claim.problems().map(\.pointer)) == ["/billingProvider/address/line1", "/billingProvider/address/postalCode"])
        claim.billingProvider.address = ClaimFixtures.officeAddress
        claim.payToAddress = .init(line1: "PO Box 12", city: "Portland", state: "OR", postalCode: "97201")
        #expect(claim.problems().isEmpty)
    }

    @Test(arguments: [("PO Box 12", true), ("P.O. Box 12", true), ("Post Office Box 9", true), ("POB 7", true),
                      ("12 Pobrecito Way", false), ("1200 Harbor Blvd", false)])
    func postOfficeBoxesAreRecognized(line: String, isBox: Bool) {
        #expect(ClaimSnapshot.isPostOfficeBox(line) == isBox)
    }

    @Test func frequencySevenNeedsAPayerClaimNumber() {
        var claim = ClaimFixtures.simpleClaim()
        claim.frequency = .replacement(payerClaimNumber: "")
        #expect(claim.problems().map(\.pointer) == ["/frequency/payerClaimNumber"])
    }

    @Test func outputIsDeterministic() throws {
        let claims = [ClaimFixtures.simpleClaim(controlNumber: "A1"), ClaimFixtures.simpleClaim(controlNumber: "A2")]
        #expect(try Writer837P().write(claims, envelope: ClaimFixtures.envelope())
                == (try Writer837P().write(claims, envelope: ClaimFixtures.envelope())))
    }
}
