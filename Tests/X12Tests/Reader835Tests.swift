import BillingCore
import Foundation
import Testing

@testable import X12

/// The 835 reader against the public fixtures in `shared/fixtures/x12/835` (see SOURCES.md),
/// plus files derived from them: other line breaks and delimiters, reversals, cut-off and
/// garbage text.
@Suite struct Reader835Tests {
    // MARK: - Every fixture

    @Test func everyFixtureIn835FolderParsesAndOnlyNon835FilesAreSkipped() throws {
        var skipped: [String] = []
        for name in try ReaderFixtures.files("835") {
            let text = try ReaderFixtures.read("835", name)
            let setIdentifier = try X12Tokenizer.segments(in: text).first { $0.identifier == "ST" }?[1]
            guard setIdentifier == "835" else {
                // pyx12's acknowledgments of two fixtures (ST*999, cut short by its AK2 bug) sit in the folder.
                skipped.append(name)
                #expect(throws: X12ReadError.self, "\(name) is not an 835 and must not read as one") {
                    try Reader835.read(text)
                }
                continue
            }
            let file = try Reader835.read(text)
            #expect(!file.transactions.isEmpty, "\(name) has no transaction set")
            #expect(file.transactions.allSatisfy { !$0.claims.isEmpty }, "\(name) has a transaction set without claims")
        }
        #expect(skipped == ["managed-care.835.997", "pyx12-835_mult_loops.997"],
                "files skipped because their ST01 is not 835: \(skipped)")
    }

    /// Claim count, Σ CLP03 (charges), Σ CLP04 (paid) and Σ BPR02 per fixture, computed here with a
    /// naive split on the separators the ISA declares — independent of the reader — must equal the
    /// reader's figures.
    @Test func everyFixturesClaimCountAndTotalsMatchAnIndependentCount() throws {
        var checked = 0
        for name in try ReaderFixtures.files("835") {
            var text = try ReaderFixtures.read("835", name)
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            let characters = Array(text.drop(while: { $0.isWhitespace }))
            let element: Character
            let terminator: Character
            if characters.count > 106, String(characters[0..<3]) == "ISA" {
                element = characters[3]
                terminator = characters[105]
            } else if characters.count > 3, String(characters[0..<2]) == "ST" {
                // A bare ST…SE (no envelope): the element separator follows ST; segments end with `~`.
                element = characters[2]
                terminator = characters.contains("~") ? "~" : "\n"
            } else {
                continue
            }
            let segments = String(characters).split(separator: terminator).map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: element, omittingEmptySubsequences: false)
                    .map(String.init)
            }
            guard segments.contains(where: { $0.first == "ST" && $0.count > 1 && $0[1] == "835" }) else { continue }
            func cents(_ text: String) -> Int64 {
                let value = Decimal(string: text) ?? 0
                return NSDecimalNumber(decimal: value * 100).int64Value
            }
            let clps = segments.filter { $0.first == "CLP" }
            let charged = clps.reduce(Int64(0)) { $0 + cents($1.count > 3 ? $1[3] : "0") }
            let paid = clps.reduce(Int64(0)) { $0 + cents($1.count > 4 ? $1[4] : "0") }
            let bprTotal = segments.filter { $0.first == "BPR" }.reduce(Int64(0)) { $0 + cents($1.count > 2 ? $1[2] : "0") }

            let file = try Reader835.read(text)
            #expect(file.claims.count == clps.count, "\(name): \(file.claims.count) claims read, \(clps.count) CLP segments")
            #expect(file.claims.reduce(Int64(0)) { $0 + $1.chargeCents } == charged, "\(name): charges")
            #expect(file.claims.reduce(Int64(0)) { $0 + $1.paymentCents } == paid, "\(name): paid")
            #expect(file.transactions.reduce(Int64(0)) { $0 + $1.payment.amountCents } == bprTotal, "\(name): BPR02")
            checked += 1
        }
        #expect(checked == 10, "835 fixtures checked: \(checked)")
    }

    @Test func non835TransactionSetIsRefusedNamingTheSTSegment() throws {
        let text = try ReaderFixtures.read("835", "managed-care.835.997")
        let error = try #require(throws: X12ReadError.self) { try Reader835.read(text) }
        #expect(error.code == .wrongTransactionSet)
        #expect(error.segmentNumber == 3)
        #expect(error.description.hasPrefix("segment 3 (ST01): transaction set 999 is not an 835"))
    }

    @Test(arguments: [
        "cob-contractural-adjustment.835", "edi835parser-blue_cross_nc_sample.txt", "edi835parser-emedny_sample.txt",
        "edi835parser-united_healthcare_legacy_sample.txt", "managed-care.835", "medicare-part-a.835",
        "pyx12-835_mult_loops.txt", "secondary-payment.835",
    ])
    func balancedFixtureHasNoBalanceProblems(name: String) throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", name))
        #expect(file.balanceProblems().isEmpty, "\(file.balanceProblems())")
    }

    @Test func tertiaryPaymentFixtureDoesNotBalanceBecauseItsSVCIsMistranscribed() throws {
        // `SVC*HC*24599.00*1766.50*187.50**1`: the code sits in its own element, so SVC02 reads 24599.00.
        let file = try Reader835.read(try ReaderFixtures.read("835", "tertiary-payment.835"))
        let problems = file.balanceProblems()
        try #require(problems.count == 2, "\(problems)")
        #expect(problems[0].rule == .claimCharge)
        #expect(problems[0].patientControlNumber == "0001000054")
        #expect(problems[0].claimIndex == 0)
        #expect(problems[0].statedCents == 176_650)
        #expect(problems[0].computedCents == 2_459_900)
        #expect(problems[0].differenceCents == -2_283_250)
        #expect(problems[0].description.contains("CLP01 0001000054"))
        #expect(problems[0].description.contains("-2283250 cents"))
        #expect(problems[1].rule == .linePayment)
        #expect(problems[1].patientControlNumber == "0001000054")
        #expect(problems[1].lineIndex == 0)
        #expect(problems[1].differenceCents == -2_125_350)
        #expect(problems[1].description.contains("line 1"))
        // CLP04 = CLP03 − CAS still holds, and so does BPR02.
        #expect(!problems.contains { $0.rule == .claimPayment || $0.rule == .transactionPayment })
        #expect(file.warnings.map(\.description)
            .contains("segment 20 (SVC01): the procedure has a qualifier (HC) but no code"))
    }

    @Test func deidentifiedOopFactoryFileDoesNotBalanceAndEachProblemIsNamed() throws {
        // The de-identification replaced amounts with 999.99 / 99.99, so most claims are off.
        let file = try Reader835.read(try ReaderFixtures.read("835", "oopfactory-ExampleFromNth.txt"))
        let problems = file.balanceProblems()
        #expect(problems.count == 123)
        let totals = problems.filter { $0.rule == .transactionPayment }
        #expect(totals.map(\.transactionControlNumber) == ["8001", "9001", "10001"])
        #expect(totals.map(\.differenceCents) == [22_393, 688_890, -295_776])
        #expect(totals[0].description
            == "transaction set 8001 (segment 3): BPR02 is 999.99 but Σ CLP04 776.06 − Σ PLB 0.00 = 776.06; "
                + "off by 22393 cents")

        let claim15 = problems.filter { $0.transactionControlNumber == "8001" && $0.claimIndex == 14 }
        #expect(claim15.map(\.rule) == [.claimPayment, .claimCharge, .linePayment, .linePayment])
        #expect(claim15.map(\.differenceCents) == [-62_389, -99_999, 9_999, -80_001])
        #expect(claim15.allSatisfy { $0.patientControlNumber == "XXXXXX9999" })
        #expect(claim15[0].description == "claim 15 (CLP01 XXXXXX9999, segment 224): CLP04 is 176.12 but CLP03 999.99 "
            + "− adjustments 199.98 = 800.01; off by -62389 cents")
        #expect(claim15[3].lineIndex == 1)
        #expect(claim15[3].segmentNumber == 233)
    }

    // MARK: - Concrete values

    @Test func medicarePartAReadsPaymentPayerClaimsAndPLB() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "medicare-part-a.835"))
        #expect(file.senderID == "000000005")
        #expect(file.receiverID == "12345")
        #expect(file.interchangeControlNumber == "000000907")
        #expect(file.interchanges.first?.isTest == true)
        #expect(file.interchanges.first?.groups.first?.version == "005010X221A1")
        #expect(file.skippedSegmentCounts == ["TS3": 2, "TS2": 1, "QTY": 1])
        #expect(file.warnings.isEmpty, "\(file.warnings)")

        let remittance = try #require(file.transactions.first)
        #expect(remittance.controlNumber == "1234")
        #expect(remittance.payment.handlingCode == "C")
        #expect(remittance.payment.amountCents == 15_000_000)
        #expect(remittance.payment.method == .ach)
        #expect(remittance.payment.format == "CTX")
        #expect(remittance.payment.date == CalendarDate(year: 2002, month: 9, day: 13))
        #expect(remittance.checkOrTraceNumber == "12345")
        #expect(remittance.trace?.originatorIdentifier == "1512345678")
        #expect(remittance.productionDate == CalendarDate(year: 2002, month: 9, day: 16))
        #expect(remittance.payer?.name == "INSURANCE COMPANY OF TIMBUCKTU")
        #expect(remittance.payer?.addressLines == ["1 MAIN STREET"])
        #expect(remittance.payer?.city == "TIMBUCKTU")
        #expect(remittance.payer?.state == "AK")
        #expect(remittance.payer?.postalCode == "89111")
        #expect(remittance.payer?.payerIdentifier == "999")
        #expect(remittance.payee?.name == "REGIONAL HOPE HOSPITAL")
        #expect(remittance.payee?.npi == "6543210903")

        try #require(remittance.claims.count == 2)
        let first = remittance.claims[0]
        #expect(first.headerNumber == "110212")
        #expect(first.patientControlNumber == "666123")
        #expect(first.status == .processedAsPrimary)
        #expect(first.chargeCents == 21_136_697)
        #expect(first.paymentCents == 13_801_840)
        #expect(first.patientResponsibilityCents == nil)
        #expect(first.filingIndicator == "MA")
        #expect(first.payerClaimControlNumber == "1999999444444")
        #expect(first.facilityCode == "11")
        #expect(first.frequencyCode == "1")
        #expect(first.adjustments
            == [ClaimAdjustment(group: .contractualObligation, reasonCode: "45", amountCents: 7_334_857)])
        #expect(first.patient?.displayName == "SAM O JONES")
        #expect(first.patient?.identifier == "666666666A")
        #expect(first.statementStartDate == CalendarDate(year: 2002, month: 8, day: 16))
        #expect(first.statementEndDate == CalendarDate(year: 2002, month: 8, day: 24))
        #expect(first.serviceLines.isEmpty)
        #expect(remittance.claims[1].outpatientRemarkCodes == ["MA02"])
        #expect(remittance.claims[1].facilityCode == "13")

        #expect(remittance.providerAdjustments == [
            ProviderAdjustment(providerIdentifier: "6543210903",
                               fiscalPeriodDate: CalendarDate(year: 2002, month: 12, day: 31),
                               reasonCode: "CV", reference: "CP", amountCents: -127),
        ])
        // 150000.00 = 138018.40 + 11980.33 − (−1.27)
        #expect(remittance.claimPaymentsTotalCents == 14_999_873)
        #expect(Reader835.balanceProblems(remittance).isEmpty)
    }

    @Test func unitedHealthcareSampleReadsMultiReasonCASAndLineDetails() throws {
        let text = try ReaderFixtures.read("835", "edi835parser-united_healthcare_legacy_sample.txt")
        #expect(try X12Tokenizer.delimiters(of: text).component == ">")
        let file = try Reader835.read(text)
        #expect(file.senderID == "ENS_EDI")
        #expect(file.receiverID == "GATE0110")
        #expect(file.interchanges.first?.isTest == false)
        let remittance = try #require(file.transactions.first)
        #expect(remittance.payment.amountCents == 34_999)
        #expect(remittance.payment.date == CalendarDate(year: 2021, month: 2, day: 4))
        #expect(remittance.trace == Remittance835.Trace(typeCode: "1", referenceNumber: "1234567890",
                                                        originatorIdentifier: "1234567890",
                                                        originatorSupplementalCode: "000088888"))
        #expect(remittance.references == [X12Reference(qualifier: "EV", value: "B00099999800")])
        #expect(remittance.payer?.identifierQualifier == "XV")
        #expect(remittance.payer?.payerIdentifier == "87726")
        #expect(remittance.payer?.contacts.map(\.functionCode) == ["CX", "BL"])
        #expect(remittance.payer?.contacts.first?.communications.first?.value == "8778423210")
        #expect(remittance.payee?.npi == "1922164458")
        #expect(remittance.payee?.taxID == "333333333")

        try #require(remittance.claims.count == 2)
        let claim = remittance.claims[1]
        #expect(claim.patientControlNumber == "001-18604-358")
        #expect(claim.chargeCents == 81_624)
        #expect(claim.paymentCents == 26_107)
        #expect(claim.patientResponsibilityCents == 11_513)
        #expect(claim.filingIndicator == "16")
        #expect(claim.correctedPatient?.middleName == "D")
        #expect(claim.references.value(for: "1L") == "12345")
        #expect(claim.receivedDate == CalendarDate(year: 2021, month: 1, day: 14))
        #expect(claim.amount("AU") == 37_620)
        try #require(claim.serviceLines.count == 3)
        let line = claim.serviceLines[2]
        #expect(line.procedure == RemittanceProcedure(qualifier: "HC", code: "B4154"))
        #expect(line.chargeCents == 32_850)
        #expect(line.paymentCents == 2_905)
        #expect(line.units == Decimal(178))
        #expect(line.serviceDate == CalendarDate(year: 2021, month: 1, day: 1))
        // CAS*PR*2*5.13**1*110 holds two triplets; CAS*CO*45*184.32 a third.
        #expect(line.adjustments == [
            ClaimAdjustment(group: .patientResponsibility, reasonCode: "2", amountCents: 513),
            ClaimAdjustment(group: .patientResponsibility, reasonCode: "1", amountCents: 11_000),
            ClaimAdjustment(group: .contractualObligation, reasonCode: "45", amountCents: 18_432),
        ])
        #expect(line.lineControlNumber == "123456789014")
        #expect(line.allowedAmountCents == 14_418)
        // The N402 state "NP" is a de-identification artefact; the reader keeps it as sent.
        #expect(remittance.payee?.state == "NP")
    }

    @Test func emednySampleReadsDenialCorrectedNamesAndRemarkCodes() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "edi835parser-emedny_sample.txt"))
        let remittance = try #require(file.transactions.first)
        #expect(remittance.payment.amountCents == 4_575)
        #expect(remittance.payer?.addressLines
            == ["OFFICE OF HEALTH INSURANCE PROGRAMS", "CORNING TOWER, EMPIRE STATE PLAZA"])
        #expect(remittance.payer?.contacts.first?.communications.map(\.qualifier) == ["TE", "UR"])
        #expect(remittance.claims.map(\.patientControlNumber) == Array(repeating: "PATIENT ACCOUNT NUMBER", count: 3))
        #expect(remittance.claims.map(\.status) == [.processedAsPrimary, .processedAsSecondary, .processedAsSecondary])
        #expect(remittance.claims.map(\.paymentCents) == [3_425, 0, 1_150])
        #expect(remittance.claims.map { $0.serviceLines.count } == [4, 2, 4])

        let unpaid = remittance.claims[1]
        #expect(unpaid.allAdjustments.map(\.reasonCode) == ["29", "29"])
        #expect(unpaid.lineAdjustmentsTotalCents == 3_400)
        #expect(unpaid.correctedPatient?.lastName == "CORRECTED LAST")
        #expect(remittance.claims[0].serviceLines[0].procedure.modifiers == ["RB"])
        #expect(remittance.claims[0].serviceLines[3].units == Decimal(2))
        #expect(remittance.claims[2].remarkCodes == ["N206"])
        #expect(remittance.claims[2].serviceLines[1].serviceDate == CalendarDate(year: 2013, month: 9, day: 17))
    }

    @Test func pyx12DeniedClaimHasStatus4NothingPaidAndRemarkCodes() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "pyx12-835_mult_loops.txt"))
        let remittance = try #require(file.transactions.first)
        #expect(remittance.payment.handlingCode == "H")
        #expect(remittance.payment.method == .nonPayment)
        #expect(remittance.payment.amountCents == 0)
        let claim = try #require(remittance.claims.first)
        #expect(claim.status == .denied)
        #expect(claim.status.meaning == "Denied")
        #expect(claim.paymentCents == 0)
        #expect(claim.chargeCents == 91_539)
        #expect(claim.renderingProvider?.lastName == "PAYEE")
        #expect(claim.serviceLines.map(\.chargeCents) == [50_004, 12_780, 28_755])
        #expect(claim.serviceLines.map { $0.adjustments.map(\.group) }
            == [[.contractualObligation], [.otherAdjustment], [.otherAdjustment]])
        #expect(claim.serviceLines.map(\.remarkCodes) == [["N14"], ["N14"], ["N14"]])
        #expect(claim.serviceLines[0].serviceDate == CalendarDate(year: 2003, month: 11, day: 29))
        #expect(claim.serviceLines[0].serviceEndDate == CalendarDate(year: 2003, month: 11, day: 29))
    }

    @Test func secondaryPaymentReadsSVCWrittenWithTheWrongComponentSeparator() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "secondary-payment.835"))
        let remittance = try #require(file.transactions.first)
        #expect(remittance.payment.method == .check)
        #expect(remittance.payment.date == nil)  // the date sits in BPR15, BPR16 is absent
        #expect(remittance.payee?.taxID == "599944521")
        let claims = remittance.claims
        try #require(claims.count == 2)
        #expect(claims[0].status.payerPosition == 2)
        #expect(claims[0].adjustments
            == [ClaimAdjustment(group: .otherAdjustment, reasonCode: "23", amountCents: 941_164)])
        #expect(claims[0].amount("AU") == 91_200)
        #expect(claims[0].renderingProvider?.identifier == "987")
        let line = claims[1].serviceLines[1]
        #expect(line.procedure == RemittanceProcedure(qualifier: "HC", code: "66543", modifiers: ["26"]))
        #expect(line.revenueCode == "220")
        #expect(line.units == Decimal(1))
        #expect(line.adjustments == [
            ClaimAdjustment(group: .patientResponsibility, reasonCode: "1", amountCents: 15_000),
            ClaimAdjustment(group: .patientResponsibility, reasonCode: "2", amountCents: 7_000),
            ClaimAdjustment(group: .contractualObligation, reasonCode: "42", amountCents: 8_500),
        ])
        #expect(line.allowedAmountCents == 50_000)
        #expect(line.references == [X12Reference(qualifier: "1B", value: "43285")])
        #expect(file.warnings.map(\.description) == [
            "segment 29 (SVC01): the composite uses \">\" between components but ISA16 is \":\"; read with \">\"",
            "segment 34 (SVC01): the composite uses \">\" between components but ISA16 is \":\"; read with \">\"",
        ])
    }

    @Test func cobFixtureKeepsANegativeAdjustment() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "cob-contractural-adjustment.835"))
        let line = try #require(file.claims.first?.serviceLines.first)
        #expect(line.adjustments.map(\.amountCents) == [51_600, -900])
        #expect(line.paymentCents == 3_400)
        #expect(file.balanceProblems().isEmpty)
    }

    @Test func managedCareReadsServicePeriodsAndWarnsAboutItsImpossibleBPR16() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "managed-care.835"))
        let remittance = try #require(file.transactions.first)
        #expect(remittance.payment.date == nil)
        #expect(file.warnings.map(\.description)
            == ["segment 4 (BPR16): \"20002316\" is not a date (CCYYMMDD); the payment date is left empty"])
        let line = try #require(remittance.claims.first?.serviceLines.first)
        #expect(line.serviceDate == CalendarDate(year: 2002, month: 3, day: 1))
        #expect(line.serviceEndDate == CalendarDate(year: 2002, month: 3, day: 4))
        #expect(remittance.claims.map(\.patientResponsibilityCents) == [30_000, 60_000])
        #expect(remittance.claims[1].adjustments.map(\.reasonCode) == ["A2"])
        #expect(remittance.claims[1].serviceLines[0].adjustments.map(\.reasonCode) == ["1", "45"])
    }

    @Test func bareTransactionSetWithoutEnvelopeIsRead() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "edi835parser-blue_cross_nc_sample.txt"))
        #expect(file.interchanges.isEmpty)
        let remittance = try #require(file.transactions.first)
        #expect(remittance.interchangeControlNumber == nil)
        #expect(remittance.payment.amountCents == 192_286)
        #expect(remittance.payer?.contacts.first?.communications.first?.value == "8005554844")
        let claim = try #require(remittance.claims.first)
        #expect(claim.serviceLines.map { $0.originalProcedure?.code } == ["59410", "59410", nil])
        #expect(claim.serviceLines.map(\.lineControlNumber) == ["0001", "0002", "0003"])
        #expect(claim.patient?.identifier == "YPB123456789001")  // NM109 sent with a leading space
        // PER*CX*TE*8005554844 leaves out PER02; the third SVC leaves SVC02/SVC03 empty (its numbers
        // sit in SVC07/SVC08); SE01 counts one segment too many.
        #expect(file.warnings.map(\.description) == [
            "segment 9 (PER02): PER02 holds the qualifier TE and PER04 is empty, so the contact name was left out; "
                + "read TE 8005554844",
            "segment 28 (SVC02): the amount is empty; read as 0",
            "segment 28 (SVC03): the amount is empty; read as 0",
            "segment 32 (SE01): SE01 says 33 segments but the transaction set begun at segment 1 has 32",
        ])
    }

    @Test func threeInterchangesInOneFileAreAllRead() throws {
        let file = try Reader835.read(try ReaderFixtures.read("835", "oopfactory-ExampleFromNth.txt"))
        #expect(file.interchanges.map(\.controlNumber) == ["000000031", "000000032", "000000033"])
        #expect(file.interchanges.map { $0.groups.map(\.controlNumber) } == [["8"], ["9"], ["10"]])
        #expect(file.transactions.map(\.controlNumber) == ["8001", "9001", "10001"])
        #expect(file.transactions.map(\.interchangeControlNumber) == ["000000031", "000000032", "000000033"])
        #expect(file.transactions.map(\.payment.amountCents) == [99_999, 999_999, 48_213])
        #expect(file.claims.count == 56)
        #expect(file.claims.flatMap(\.serviceLines).count == 91)
        #expect(file.claims.flatMap(\.serviceLines).flatMap(\.remarkCodes).count == 98)
        let statuses = Dictionary(grouping: file.claims, by: \.status.rawValue).mapValues(\.count)
        #expect(statuses == ["1": 39, "2": 1, "4": 16])
        #expect(file.warnings.isEmpty, "\(file.warnings)")
    }

    @Test func severalGroupsAndTransactionSetsInOneInterchange() throws {
        let original = try ReaderFixtures.read("835", "medicare-part-a.835")
        let lines = original.split(separator: "\n").map(String.init)
        let transaction = lines.filter { !$0.hasPrefix("ISA") && !$0.hasPrefix("GS") && !$0.hasPrefix("GE")
            && !$0.hasPrefix("IEA") }
        let second = transaction.map { $0.replacingOccurrences(of: "ST*835*1234~", with: "ST*835*1235~")
            .replacingOccurrences(of: "SE*28*1234~", with: "SE*28*1235~") }
        let secondGroup = "GS*HP*000000005*54321*20131031*1147*2*X*005010X221A1~"
        let text = ([lines[0], lines[1]] + transaction + second + ["GE*2*1~", secondGroup] + transaction
            + ["GE*1*2~", "IEA*2*000000907~"]).joined(separator: "\n")
        let file = try Reader835.read(text)
        #expect(file.warnings.isEmpty, "\(file.warnings)")
        #expect(file.transactions.map(\.controlNumber) == ["1234", "1235", "1234"])
        #expect(file.transactions.map(\.groupControlNumber) == ["1", "1", "2"])
        #expect(file.interchanges.first?.groups.map(\.controlNumber) == ["1", "2"])
        #expect(file.claims.count == 6)
        #expect(file.balanceProblems().isEmpty)
    }

    // MARK: - Reversals

    @Test func reversalAndCorrectionBalanceWithNegativeAmounts() throws {
        let text = Self.envelope([
            "BPR*I*16*C*CHK************20240105", "TRN*1*REV001*1512345678", "N1*PR*PAYER",
            "N1*PE*PRACTICE*XX*1234567893", "LX*1",
            "CLP*PCN-7*22*-150*-120*-30*12*PAYERCLAIM1",
            "SVC*HC:90837:95*-150*-120**-1", "DTM*472*20231201", "CAS*PR*3*-30",
            "CLP*PCN-7*1*150*136*14*12*PAYERCLAIM2",
            "SVC*HC:90837:95*150*136**1", "DTM*472*20231201", "CAS*PR*3*14",
        ])
        let file = try Reader835.read(text)
        #expect(file.warnings.isEmpty, "\(file.warnings)")
        let claims = file.claims
        try #require(claims.count == 2)
        let reversal = claims[0]
        #expect(reversal.isReversal)
        #expect(reversal.status.meaning == "Reversal of previous payment")
        #expect(reversal.chargeCents == -15_000)
        #expect(reversal.paymentCents == -12_000)
        #expect(reversal.patientResponsibilityCents == -3_000)
        #expect(reversal.serviceLines[0].units == Decimal(-1))
        #expect(reversal.serviceLines[0].adjustments.map(\.amountCents) == [-3_000])
        #expect(!claims[1].isReversal)
        // 16.00 = −120.00 + 136.00
        #expect(file.balanceProblems().isEmpty, "\(file.balanceProblems())")
    }

    @Test func debitPaymentIsNegativeWhenBalancing() throws {
        let text = Self.envelope([
            "BPR*D*120*D*ACH*CCP*01*111*DA*22*1234567890**01*333*DA*44*20240105", "TRN*1*REV002*1512345678",
            "N1*PR*PAYER", "N1*PE*PRACTICE*XX*1234567893", "LX*1",
            "CLP*PCN-8*22*-150*-120**12*PAYERCLAIM1", "CAS*PR*3*-30",
        ])
        let remittance = try #require(try Reader835.read(text).transactions.first)
        #expect(remittance.payment.netAmountCents == -12_000)
        #expect(Reader835.balanceProblems(remittance).isEmpty)
    }

    @Test func unbalancedClaimAndTotalAreNamedWithTheirDifference() throws {
        let text = Self.envelope([
            "BPR*I*100*C*CHK************20240105", "TRN*1*CHK9*1512345678", "N1*PR*PAYER", "N1*PE*PRACTICE", "LX*1",
            "CLP*PCN-9*1*150*100.01**12*PAYERCLAIM", "CAS*CO*45*50", "PLB*1234567893*20241231*L6*-0.5",
        ])
        let problems = try Reader835.read(text).balanceProblems()
        #expect(problems.map(\.rule) == [.claimPayment, .transactionPayment])
        #expect(problems.map(\.differenceCents) == [1, -51])
        #expect(problems[0].description
            == "claim 1 (CLP01 PCN-9, segment 9): CLP04 is 100.01 but CLP03 150.00 − adjustments 50.00 = 100.00; "
                + "off by 1 cents")
        #expect(problems[1].description == "transaction set 0001 (segment 3): BPR02 is 100.00 but Σ CLP04 100.01 "
            + "− Σ PLB -0.50 = 100.51; off by -51 cents")
    }

    // MARK: - Tolerance

    @Test func byteOrderMarkCRLFAndIndentationReadTheSame() throws {
        for name in ["edi835parser-united_healthcare_legacy_sample.txt", "medicare-part-a.835"] {
            let original = try ReaderFixtures.read("835", name)
            let segments = try X12Tokenizer.segments(in: original)
            let delimiters = try X12Tokenizer.delimiters(of: original)
            let rewritten = "\u{FEFF}" + Self.write(segments, delimiters: delimiters, element: delimiters.element,
                                                    component: delimiters.component, repetition: delimiters.repetition,
                                                    terminator: "\(delimiters.segment)\r\n", indent: "    ")
            #expect(rewritten.utf8.starts(with: [0xEF, 0xBB, 0xBF]))
            #expect(rewritten.contains("\r\n    "))
            #expect(try Reader835.read(rewritten) == Reader835.read(original), "\(name)")
        }
    }

    @Test func otherDelimitersAndNewlineTerminatorsReadTheSame() throws {
        let names = ["edi835parser-united_healthcare_legacy_sample.txt", "medicare-part-a.835",
                     "edi835parser-emedny_sample.txt"]
        for name in names {
            let original = try ReaderFixtures.read("835", name)
            let segments = try X12Tokenizer.segments(in: original)
            let rewritten = Self.write(segments, delimiters: try X12Tokenizer.delimiters(of: original), element: "|",
                                       component: "^", repetition: "{", terminator: "\n")
            #expect(try X12Tokenizer.delimiters(of: rewritten)
                == X12Delimiters(element: "|", component: "^", repetition: "{", segment: "\n"))
            #expect(try Reader835.read(rewritten) == Reader835.read(original), "\(name)")
            let crlf = rewritten.replacingOccurrences(of: "\n", with: "\r\n")
            #expect(try Reader835.read(crlf) == Reader835.read(original), "\(name) with CRLF terminators")
        }
    }

    @Test func segmentsWrappedAcrossLinesAreJoined() throws {
        let original = try ReaderFixtures.read("835", "edi835parser-emedny_sample.txt")
        // Wrapped after the ISA, whose fixed layout gives the delimiters.
        let headerEnd = original.firstIndex(of: "~")!
        var wrapped = String(original[...headerEnd])
        for (offset, character) in original[original.index(after: headerEnd)...].enumerated() {
            if offset > 0 && offset % 80 == 0 { wrapped += "\r\n" }
            wrapped.append(character)
        }
        #expect(try Reader835.read(wrapped) == Reader835.read(original))
    }

    @Test func interchangeHeaderDelimitersComeFromTheISA() throws {
        let text = try ReaderFixtures.read("277ca", "ims-x12_277CA_rejected.txt")
        #expect(try X12Tokenizer.delimiters(of: text)
            == X12Delimiters(element: "*", component: "|", repetition: "^", segment: "~"))
        let segments = try X12Tokenizer.segments(in: text)
        #expect(segments.count == 28)
        #expect(segments[0].identifier == "ISA")
        #expect(segments[0].elements.count == 16)
        #expect(segments[0][6] == "EMEDNYBAT      ")
        #expect(segments[0][16] == "|")
        let status = try #require(segments.first { $0.identifier == "STC" && $0[1].hasPrefix("A7") })
        #expect(status.components(1) == ["A7", "562", "85"])
        #expect(status.number == 22)
    }

    // MARK: - Errors

    @Test func garbageIsNotX12() throws {
        let error = try #require(throws: X12ReadError.self) {
            try Reader835.read("Dear provider, your payment is enclosed.")
        }
        #expect(error.code == .notX12)
        #expect(error.segmentNumber == 1)
        #expect(error.description == "segment 1: the text does not start with an ISA interchange header "
            + "(it starts with \"Dear provider, your \")")
        #expect(throws: X12ReadError.self) { try Reader835.read("") }
        #expect(throws: X12ReadError.self) { try Reader835.read("\u{FEFF}  \r\n") }
    }

    @Test func aSegmentWithoutAnIdentifierIsNamed() throws {
        let text = try ReaderFixtures.read("835", "medicare-part-a.835")
            .replacingOccurrences(of: "CLP*777777", with: "C#P*777777")
        let error = try #require(throws: X12ReadError.self) { try Reader835.read(text) }
        #expect(error.code == .invalidSegment)
        #expect(error.segmentNumber == 24)
        #expect(error.description
            .hasPrefix("segment 24: \"C#P*777777*1*15000.0\" does not begin with a segment identifier"))
    }

    @Test func truncatedInterchangeHeaderIsNamed() throws {
        let text = String(try ReaderFixtures.read("835", "medicare-part-a.835").prefix(60))
        let error = try #require(throws: X12ReadError.self) { try Reader835.read(text) }
        #expect(error.code == .truncated)
        #expect(error.description == "segment 1 (ISA): the interchange header is cut short: 8 of 16 elements")
    }

    @Test func fileCutInsideAClaimNamesTheOpenTransactionSet() throws {
        let original = try ReaderFixtures.read("835", "medicare-part-a.835")
        let cut = String(original[..<original.range(of: "CAS*CO*45*3019")!.upperBound])
        let error = try #require(throws: X12ReadError.self) { try Reader835.read(cut) }
        #expect(error.code == .truncated)
        #expect(error.segmentNumber == 25)
        #expect(error.description
            == "segment 25: the text ends inside transaction set 835 1234 begun at segment 3: no SE")
    }

    @Test func fileMissingItsIEAIsTruncated() throws {
        let original = try ReaderFixtures.read("835", "medicare-part-a.835")
        let cut = String(original[..<original.range(of: "IEA*")!.lowerBound])
        let error = try #require(throws: X12ReadError.self) { try Reader835.read(cut) }
        #expect(error.code == .truncated)
        #expect(error.description == "segment 31: the text ends inside the interchange begun at segment 1: no IEA")
    }

    @Test func amountWithFractionsOfACentIsRefusedNamingTheElement() throws {
        let text = try ReaderFixtures.read("835", "medicare-part-a.835")
            .replacingOccurrences(of: "CAS*CO*45*3019.67", with: "CAS*CO*45*3019.675")
        let error = try #require(throws: X12ReadError.self) { try Reader835.read(text) }
        #expect(error.code == .invalidAmount)
        #expect(error.segmentNumber == 25)
        #expect(error.elementPosition == 3)
        #expect(error.description
            == "segment 25 (CAS03): \"3019.675\" has more than two decimal places (amounts are whole cents)")
    }

    @Test func claimSegmentsOutsideTheirPlaceAreRefused() throws {
        let orphanLine = Self.envelope(["BPR*I*0*C*NON", "TRN*1*X*1", "SVC*HC:90837*150*0"])
        let error = try #require(throws: X12ReadError.self) { try Reader835.read(orphanLine) }
        #expect(error.code == .unexpectedSegment)
        #expect(error.description == "segment 6 (SVC): SVC stands outside a claim (no CLP before it)")

        let afterTrailer = try ReaderFixtures.read("835", "medicare-part-a.835")
            .replacingOccurrences(of: "GE*1*1~", with: "CLP*1*1*1*1~\nGE*1*1~")
        let outside = try #require(throws: X12ReadError.self) { try Reader835.read(afterTrailer) }
        #expect(outside.code == .unexpectedSegment)
        #expect(outside.description == "segment 31 (CLP): CLP stands outside any ST…SE transaction set")
    }

    @Test func amountsAreParsedExactlyAsDecimalText() {
        func cents(_ text: String) -> Int64? { try? X12Value.cents(text).get() }
        #expect(cents("132.5") == 13_250)
        #expect(cents("-20") == -2_000)
        #expect(cents("0.01") == 1)
        #expect(cents(".5") == 50)
        #expect(cents("1.000") == 100)
        #expect(cents("211366.97") == 21_136_697)
        #expect(cents("999999999999999.99") == 99_999_999_999_999_999)
        #expect(cents("0.005") == nil)
        #expect(cents("1e5") == nil)
        #expect(cents("1.2.3") == nil)
        #expect(cents("-") == nil)
        #expect(cents("") == nil)
        #expect(cents("1000000000000000") == nil)
    }

    // MARK: - Helpers

    /// One ISA/GS/ST…SE/GE/IEA interchange around `body` (segments without terminators), with correct counts.
    static func envelope(_ body: [String]) -> String {
        let segments = [
            "ISA*00*          *00*          *ZZ*PAYER          *ZZ*PRACTICE       *240105*1200*^*00501*000000001*0*T*:",
            "GS*HP*PAYER*PRACTICE*20240105*1200*1*X*005010X221A1", "ST*835*0001",
        ] + body + ["SE*\(body.count + 2)*0001", "GE*1*1", "IEA*1*000000001"]
        return segments.joined(separator: "~\n") + "~\n"
    }

    /// `segments` written out again with other delimiters (ISA11 and ISA16 updated to match).
    static func write(
        _ segments: [X12Segment], delimiters: X12Delimiters, element: Character, component: Character,
        repetition: Character, terminator: String, indent: String = ""
    ) -> String {
        var text = ""
        for segment in segments {
            var elements = segment.elements
            if segment.identifier == "ISA" {
                elements[10] = String(repetition)
                elements[15] = String(component)
            } else {
                elements = elements.map {
                    $0.replacingOccurrences(of: String(delimiters.component), with: String(component))
                }
            }
            text += (segment.number == 1 ? "" : indent)
                + ([segment.identifier] + elements).joined(separator: String(element)) + terminator
        }
        return text
    }
}

/// Where the public X12 fixtures live: `<repository>/../shared/fixtures/x12`, or
/// `LEDGERLINE_X12_FIXTURES`. That variable names the 837p folder for the Claim.MD stand-in
/// tests, so when it ends in `837p` its parent is used.
enum ReaderFixtures {
    static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["LEDGERLINE_X12_FIXTURES"], !path.isEmpty {
            let url = URL(fileURLWithPath: path)
            return url.lastPathComponent == "837p" ? url.deletingLastPathComponent() : url
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/x12")
    }()

    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "fixture \(path) is missing (set LEDGERLINE_X12_FIXTURES to shared/fixtures/x12)" }
    }

    /// The file names in `root/kind`, sorted, without hidden files.
    static func files(_ kind: String) throws -> [String] {
        let folder = root.appendingPathComponent(kind)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw Missing(path: folder.path)
        }
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The text of `root/kind/name`.
    static func read(_ kind: String, _ name: String) throws -> String {
        let path = root.appendingPathComponent(kind).appendingPathComponent(name).path
        guard let data = FileManager.default.contents(atPath: path) else { throw Missing(path: path) }
        return String(decoding: data, as: UTF8.self)
    }
}
