import BillingCore
import Foundation
import Testing

@testable import X12

/// The 277CA reader against the fixtures in `shared/fixtures/x12/277ca` and small files built
/// for the cases they lack (line-level statuses, STC12 text, several claims).
@Suite struct Reader277CATests {
    @Test func everyFixtureIn277CAFolderParses() throws {
        let names = try ReaderFixtures.files("277ca")
        #expect(names.count == 3)
        for name in names {
            let acknowledgment = try Acknowledgment277CA.read(try ReaderFixtures.read("277ca", name))
            #expect(acknowledgment.transactions.count == 1, "\(name)")
            #expect(acknowledgment.claims.count == 1, "\(name)")
            #expect(acknowledgment.claims.allSatisfy { !$0.statuses.isEmpty }, "\(name)")
        }
    }

    @Test func acceptedFixtureGivesAnAcceptedClaimWithItsPayerClaimNumber() throws {
        let text = try ReaderFixtures.read("277ca", "ims-x12_277CA_accepted.txt")
        let acknowledgment = try Acknowledgment277CA.read(text)
        let transaction = try #require(acknowledgment.transactions.first)
        #expect(transaction.controlNumber == "000014420")
        #expect(transaction.implementationGuide == "005010X214")
        #expect(transaction.reference == "000000674")
        #expect(transaction.creationDate == CalendarDate(year: 2011, month: 3, day: 11))
        #expect(transaction.informationSource?.name?.lastName == "NYSDOH")
        #expect(transaction.informationSource?.receivedDate == CalendarDate(year: 2011, month: 3, day: 11))

        let receiver = try #require(transaction.receivers.first)
        #expect(receiver.name?.lastName == "A NY MD GROUP")
        #expect(receiver.traceNumber == "000000674")
        #expect(receiver.statuses.flatMap(\.statuses).map(\.summary)
            == ["A1 Acknowledged/Receipt: 20 Accepted for processing"])
        #expect(receiver.acceptedQuantity == Decimal(1))
        #expect(receiver.acceptedAmountCents == 12_500)
        #expect(transaction.providers.first?.name?.npi == "1234567890")

        let claim = try #require(acknowledgment.claims.first)
        #expect(claim.patientControlNumber == "5781")
        #expect(claim.isAccepted)
        #expect(!claim.isRejected)
        #expect(claim.isAcceptedIntoAdjudication)
        #expect(claim.categoryCodes == ["A2"])
        #expect(claim.statusCodes == ["20"])
        #expect(claim.entityCodes == [])
        #expect(claim.summaries == ["A2 Acknowledged/Accepted into adjudication: 20 Accepted for processing"])
        #expect(claim.payerClaimControlNumber == "1107000000014420")
        #expect(claim.patient?.lastName == "TPATIENT")
        #expect(claim.billingProvider?.npi == "1234567890")
        let report = try #require(claim.statuses.first)
        #expect(report.effectiveDate == CalendarDate(year: 2011, month: 3, day: 11))
        #expect(report.actionCode == "WQ")
        #expect(report.chargeAmountCents == 12_500)
        // DTP*472*D8*10010101: year 1001 is no service date.
        #expect(claim.serviceStartDate == nil)
        #expect(acknowledgment.warnings.map(\.description)
            == ["segment 24 (DTP03): \"10010101\" is not a date (D8); DTP*472 is left empty"])
    }

    @Test func rejectedFixtureGivesARejectedClaimWithTheNPIReason() throws {
        let text = try ReaderFixtures.read("277ca", "ims-x12_277CA_rejected.txt")
        let acknowledgment = try Acknowledgment277CA.read(text)
        #expect(acknowledgment.warnings.isEmpty, "\(acknowledgment.warnings)")
        let receiver = try #require(acknowledgment.transactions.first?.receivers.first)
        #expect(receiver.statuses.flatMap(\.statuses).map(\.category) == [.receipt])
        #expect(receiver.acceptedAmountCents == 19_914)

        let claim = try #require(acknowledgment.claims.first)
        #expect(claim.patientControlNumber == "3920394930203")
        #expect(claim.outcome == .rejected)
        #expect(claim.isRejected)
        #expect(!claim.isAccepted)
        #expect(claim.categoryCodes == ["A7"])
        #expect(claim.statusCodes == ["562"])
        #expect(claim.entityCodes == ["85"])
        #expect(claim.summaries == [
            "A7 Rejected for invalid information: 562 Entity's National Provider Identifier (NPI), "
                + "entity 85 Billing Provider",
        ])
        let status = try #require(claim.statuses.first?.statuses.first)
        #expect(status.category.meaning == "Rejected for invalid information")
        #expect(status.statusMeaning == "Entity's National Provider Identifier (NPI)")
        #expect(status.entityMeaning == "Billing Provider")
        #expect(claim.payerClaimControlNumber == "1107000000001120")
        #expect(claim.references == [X12Reference(qualifier: "BLT", value: "731")])
        #expect(claim.serviceStartDate == CalendarDate(year: 2009, month: 3, day: 11))
        #expect(claim.serviceEndDate == CalendarDate(year: 2009, month: 3, day: 11))
        #expect(claim.statuses.first?.chargeAmountCents == 19_914)
        #expect(claim.patient?.displayName == "CLIFNAME CLIMI CLILNAME")
        #expect(claim.billingProvider?.lastName == "PROVLNAME")
    }

    @Test func userPostedCopyWithBOMCRLFAndIndentationReadsLikeTheCleanOne() throws {
        // FromAlexbrodsky.txt holds the same 277CA as ims-x12_277CA_rejected.txt, indented and with CRLF.
        let messy = try ReaderFixtures.read("277ca", "oopfactory-FromAlexbrodsky.txt")
        #expect(messy.utf8.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(messy.contains("\r\n  "))
        let clean = try ReaderFixtures.read("277ca", "ims-x12_277CA_rejected.txt")
        #expect(try Acknowledgment277CA.read(messy) == Acknowledgment277CA.read(clean))
    }

    @Test func lineStatusesMessagesAndSeveralClaimsAreRead() throws {
        let text = Self.envelope([
            "BHT*0085*08*BATCH42*20240110*1015*TH",
            "HL*1**20*1", "NM1*PR*2*CLEARINGHOUSE*****46*CH01", "TRN*1*BATCH42", "DTP*050*D8*20240110",
            "DTP*009*D8*20240110",
            "HL*2*1*21*1", "NM1*41*2*PRACTICE*****46*SUB01", "TRN*2*FILE9", "STC*A1:19:PR*20240110*WQ*300",
            "QTY*90*1", "QTY*AA*1", "AMT*YU*150", "AMT*YY*150",
            "HL*3*2*19*1", "NM1*85*2*PRACTICE*****XX*1234567893", "TRN*1*PROV1", "QTY*QA*1", "QTY*QC*1",
            "HL*4*3*PT", "NM1*QC*1*DOE*JANE****MI*MEMBER1",
            "TRN*2*PCN-1", "STC*A2:20*20240110*WQ*150", "REF*1K*PAYER-1", "REF*D9*CH-TRACE-1",
            "DTP*472*RD8*20240102-20240103",
            "HL*5*3*PT", "NM1*QC*1*ROE*RICHARD****MI*MEMBER2",
            "TRN*2*PCN-2",
            "STC*A7:21*20240110*U*150******A7:562:82**Rendering provider NPI is not on file",
            "REF*D9*CH-TRACE-2", "DTP*472*D8*20240104",
            "SVC*HC:90837:95*150*****1", "STC*A7:454*20240110*U*150********CPT code not valid on this date",
            "REF*FJ*LINE-1", "DTP*472*D8*20240104",
        ])
        let acknowledgment = try Acknowledgment277CA.read(text)
        #expect(acknowledgment.warnings.isEmpty, "\(acknowledgment.warnings)")
        let transaction = try #require(acknowledgment.transactions.first)
        #expect(transaction.informationSource?.processedDate == CalendarDate(year: 2024, month: 1, day: 10))
        let receiver = try #require(transaction.receivers.first)
        #expect(receiver.acceptedQuantity == Decimal(1))
        #expect(receiver.rejectedQuantity == Decimal(1))
        #expect(receiver.rejectedAmountCents == 15_000)
        #expect(receiver.statuses.first?.statuses.first?.summary
            == "A1 Acknowledged/Receipt: 19 Entity acknowledges receipt of claim/encounter, entity PR Payer")
        #expect(transaction.providers.first?.rejectedQuantity == Decimal(1))

        let claims = acknowledgment.claims
        try #require(claims.count == 2)
        #expect(claims.map(\.patientControlNumber) == ["PCN-1", "PCN-2"])
        #expect(claims.map(\.outcome) == [.accepted, .rejected])
        #expect(claims[0].clearinghouseTraceNumber == "CH-TRACE-1")
        #expect(claims[0].serviceStartDate == CalendarDate(year: 2024, month: 1, day: 2))
        #expect(claims[0].serviceEndDate == CalendarDate(year: 2024, month: 1, day: 3))
        #expect(claims.map { $0.billingProvider?.npi } == ["1234567893", "1234567893"])
        #expect(claims[1].patient?.lastName == "ROE")

        let rejected = claims[1]
        #expect(rejected.categoryCodes == ["A7", "A7"])
        #expect(rejected.statusCodes == ["21", "562"])
        #expect(rejected.entityCodes == ["82"])
        #expect(rejected.summaries == [
            "A7 Rejected for invalid information: 21 Missing or invalid information",
            "A7 Rejected for invalid information: 562 Entity's National Provider Identifier (NPI), "
                + "entity 82 Rendering Provider",
        ])
        #expect(rejected.messages == ["Rendering provider NPI is not on file", "CPT code not valid on this date"])
        let line = try #require(rejected.lines.first)
        #expect(line.procedure == RemittanceProcedure(qualifier: "HC", code: "90837", modifiers: ["95"]))
        #expect(line.chargeCents == 15_000)
        #expect(line.units == Decimal(1))
        #expect(line.lineItemControlNumber == "LINE-1")
        #expect(line.serviceStartDate == CalendarDate(year: 2024, month: 1, day: 4))
        #expect(line.outcome == .rejected)
        // A code this reader does not describe is shown bare.
        #expect(line.statuses.first?.statuses.first?.summary == "A7 Rejected for invalid information: 454")
    }

    @Test func categoriesMapToOutcomes() {
        typealias Category = Acknowledgment277CA.Category
        #expect(["A0", "A1", "A2", "A5"].map { Category(rawValue: $0).outcome }.allSatisfy { $0 == .accepted })
        #expect(["A3", "A4", "A6", "A7", "A8"].map { Category(rawValue: $0).outcome }.allSatisfy { $0 == .rejected })
        #expect(Category(rawValue: "E0").outcome == .undetermined)
        #expect(Category.receipt.meaning == "Acknowledged/Receipt")
        #expect(Category.acceptedIntoAdjudication.meaning == "Acknowledged/Accepted into adjudication")
        #expect(Category.returnedAsUnprocessable.meaning == "Returned as unprocessable")
        #expect(Category.notFound.meaning == "Not found")
        #expect(Category.rejectedForMissingInformation.meaning == "Rejected for missing information")
        #expect(Category.rejectedForInvalidInformation.meaning == "Rejected for invalid information")
        #expect(Category.rejectedForRelationalField.meaning == "Rejected for relational field in error")
        #expect(Acknowledgment277CA.statusCodeMeaning("33") == "Subscriber and subscriber id not found")
        #expect(Acknowledgment277CA.statusCodeMeaning("9999") == nil)
    }

    @Test func aClaimWithOnlyAnE0StatusIsNeitherAcceptedNorRejected() throws {
        let text = Self.envelope([
            "BHT*0085*08*B1*20240110*1015*TH", "HL*1**20*1", "NM1*PR*2*PAYER*****PI*P1",
            "HL*2*1*21*1", "NM1*41*2*PRACTICE*****46*SUB01", "HL*3*2*19*1", "NM1*85*2*PRACTICE*****XX*1234567893",
            "HL*4*3*PT", "NM1*QC*1*DOE*JANE", "TRN*2*PCN-3", "STC*E0:0*20240110",
        ])
        let claim = try #require(try Acknowledgment277CA.read(text).claims.first)
        #expect(claim.outcome == .undetermined)
        #expect(!claim.isAccepted && !claim.isRejected)
    }

    @Test func an835IsRefusedByThe277CAReader() throws {
        let text = try ReaderFixtures.read("835", "medicare-part-a.835")
        let error = try #require(throws: X12ReadError.self) { try Acknowledgment277CA.read(text) }
        #expect(error.code == .wrongTransactionSet)
        #expect(error.description == "segment 3 (ST01): transaction set 835 is not a 277 claim acknowledgment")
    }

    @Test func truncated277CANamesTheOpenTransactionSet() throws {
        let original = try ReaderFixtures.read("277ca", "ims-x12_277CA_accepted.txt")
        let cut = String(original[..<original.range(of: "SE*23")!.lowerBound])
        let error = try #require(throws: X12ReadError.self) { try Acknowledgment277CA.read(cut) }
        #expect(error.code == .truncated)
        #expect(error.description
            == "segment 24: the text ends inside transaction set 277 000014420 begun at segment 3: no SE")
    }

    /// One interchange around a 277CA body, with correct counts; `|` as the component separator
    /// is not used, so `:` composites read as written.
    static func envelope(_ body: [String]) -> String {
        let segments = [
            "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*PRACTICE       *240110*1015*^*00501*000000077*0*P*:",
            "GS*HN*CLEARINGHOUSE*PRACTICE*20240110*1015*77*X*005010X214", "ST*277*0001*005010X214",
        ] + body + ["SE*\(body.count + 2)*0001", "GE*1*77", "IEA*1*000000077"]
        return segments.joined(separator: "~")
    }
}
