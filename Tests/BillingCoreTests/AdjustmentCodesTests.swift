import BillingCore
import Foundation
import Testing

/// The bundled CARC/RARC texts: lookups, fallbacks, group wording, and the data files themselves.
@Suite struct AdjustmentCodesTests {
    // MARK: - Lookups

    @Test(arguments: [
        ("1", "deductible"), ("2", "coinsurance"), ("3", "copayment"), ("45", "fee schedule"),
        ("50", "medically necessary"), ("97", "another service"), ("16", "lacks information"),
        ("29", "time limit for filing"), ("197", "authorization"), ("B15", "qualifying service"),
    ])
    func knownReasonCodesReadInPlainWords(code: String, word: String) throws {
        let text = try #require(AdjustmentCodes.reason(code))
        #expect(text.code == code)
        #expect(text.description.lowercased().contains(word), "CARC \(code): \(text.description)")
        #expect(!text.hint.isEmpty)
        #expect(!text.isDeactivated)
    }

    @Test(arguments: [("N130", "benefit"), ("M15", "bundled"), ("MA130", "unprocessable"), ("N386", "national coverage")])
    func knownRemarkCodesReadInPlainWords(code: String, word: String) throws {
        let text = try #require(AdjustmentCodes.remark(code))
        #expect(text.code == code)
        #expect(text.description.lowercased().contains(word), "RARC \(code): \(text.description)")
        #expect(!text.hint.isEmpty)
    }

    @Test func theCommonPatientResponsibilityCodesKeepTheirShortNames() {
        #expect(AdjustmentCodes.reason("1")?.description == "Deductible amount")
        #expect(AdjustmentCodes.reason("2")?.description == "Coinsurance amount")
        #expect(AdjustmentCodes.reason("3")?.description == "Copayment amount")
    }

    @Test func lookupsTrimWhitespaceAndIgnoreCase() {
        #expect(AdjustmentCodes.reason(" 45\n") == AdjustmentCodes.reason("45"))
        #expect(AdjustmentCodes.reason("045")?.code == "45")
        #expect(AdjustmentCodes.reason("b15")?.code == "B15")
        #expect(AdjustmentCodes.remark(" ma130 ")?.code == "MA130")
        #expect(AdjustmentCodes.remark("n130") == AdjustmentCodes.remark("N130"))
    }

    @Test func deactivatedCodesAreKeptAndFlagged() {
        for code in ["15", "38", "A2", "B5", "D1", "W1", "Y1"] {
            #expect(AdjustmentCodes.reason(code)?.isDeactivated == true, "CARC \(code)")
        }
        #expect(AdjustmentCodes.remark("M78")?.isDeactivated == true)
        #expect(AdjustmentCodes.reason("45")?.isDeactivated == false)
    }

    // MARK: - Fallbacks

    @Test func unknownCodesAnswerAReadableFallback() {
        let version = AdjustmentCodes.reasonsVersion
        #expect(AdjustmentCodes.reason("999") == nil)
        #expect(AdjustmentCodes.reasonText(" 999 ") == "CARC 999 (not in the bundled list v\(version))")
        #expect(AdjustmentCodes.reasonText("") == "CARC (blank) (not in the bundled list v\(version))")
        #expect(AdjustmentCodes.remark("N9999") == nil)
        #expect(AdjustmentCodes.remarkText("n9999")
            == "RARC N9999 (not in the bundled list v\(AdjustmentCodes.remarksVersion))")
        #expect(AdjustmentCodes.describeRemark("N9999") == AdjustmentCodes.remarkText("N9999"))
        #expect(AdjustmentCodes.describe(group: "CO", reason: "999")
            == "CO-999 CARC 999 (not in the bundled list v\(version)) (contractual obligation: not billable to the client)")
    }

    @Test func knownTextsAreNotTheFallback() {
        #expect(AdjustmentCodes.reasonText("45") == AdjustmentCodes.reason("45")?.description)
        #expect(AdjustmentCodes.remarkText("N130") == AdjustmentCodes.remark("N130")?.description)
        #expect(AdjustmentCodes.describeRemark(" n130") == "N130 " + (AdjustmentCodes.remark("N130")?.description ?? "?"))
    }

    // MARK: - Group codes

    @Test(arguments: [
        ("CO", "45", "contractual obligation: not billable to the client"),
        ("PR", "1", "patient responsibility"),
        ("OA", "23", "other adjustment"),
        ("PI", "59", "payer-initiated reduction"),
        ("CR", "45", "correction/reversal"),
    ])
    func describeCombinesTheGroupMeaningAndTheReasonText(group: String, reason: String, meaning: String) throws {
        let text = try #require(AdjustmentCodes.reason(reason)).description
        #expect(AdjustmentCodes.describe(group: group, reason: reason) == "\(group)-\(reason) \(text) (\(meaning))")
        #expect(AdjustmentCodes.groupMeaning(group) == meaning)
    }

    @Test func describeReadsLikeTheRemittanceWouldBeExplained() {
        #expect(AdjustmentCodes.describe(group: "PR", reason: "1") == "PR-1 Deductible amount (patient responsibility)")
        #expect(AdjustmentCodes.describe(group: " pr ", reason: " 01 ") == "PR-1 Deductible amount (patient responsibility)")
    }

    @Test func describeNamesAnUnknownGroupAndLeavesAnEmptyOneOut() {
        let text = AdjustmentCodes.reasonText("45")
        #expect(AdjustmentCodes.groupMeaning("XX") == nil)
        #expect(AdjustmentCodes.describe(group: "xx", reason: "45") == "XX-45 \(text) (unknown group code XX)")
        #expect(AdjustmentCodes.describe(group: "", reason: "45") == "45 \(text)")
    }

    // MARK: - Versioned data

    @Test func versionIsNonEmpty() {
        #expect(!AdjustmentCodes.version.isEmpty)
        #expect(AdjustmentCodes.reasonsVersion != "unknown")
        #expect(AdjustmentCodes.remarksVersion != "unknown")
        #expect(AdjustmentCodes.version.contains(AdjustmentCodes.reasonsVersion))
    }

    /// Reads the resource files as shipped and checks them line by line; the loaded tables must hold
    /// every data line, which also proves the bundle copy is the same file.
    @Test(arguments: [("carc", 150), ("rarc", 120)])
    func dataFileHasThreeColumnsAndNoDuplicateCodes(list: String, minimum: Int) throws {
        let url = Self.resources.appendingPathComponent("\(list).tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        var codes: Set<String> = []
        var version: String?
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.hasPrefix("#") {
                if line.hasPrefix("# version:") {
                    version = line.dropFirst("# version:".count).trimmingCharacters(in: .whitespaces)
                }
                continue
            }
            if line.isEmpty {
                #expect(number == lines.count, "\(list).tsv:\(number) is blank")
                continue
            }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(columns.count == 3, "\(list).tsv:\(number) has \(columns.count) columns")
            let filled = columns.allSatisfy { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            #expect(filled, "\(list).tsv:\(number) has an empty column")
            let code = String(columns[0]).uppercased()
            #expect(code == String(columns[0]), "\(list).tsv:\(number) code \(columns[0]) is not upper-case")
            let isNew = codes.insert(code).inserted
            #expect(isNew, "\(list).tsv:\(number) repeats code \(code)")
        }
        #expect(codes.count >= minimum)
        let loaded = list == "carc" ? AdjustmentCodes.reasons : AdjustmentCodes.remarks
        #expect(Set(loaded.keys) == codes)
        #expect(version == (list == "carc" ? AdjustmentCodes.reasonsVersion : AdjustmentCodes.remarksVersion))
    }

    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/BillingCore/Resources")
}
