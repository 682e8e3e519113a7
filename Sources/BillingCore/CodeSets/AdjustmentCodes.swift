import Foundation

/// The plain-language text of one claim adjustment reason code (CARC) or remittance advice remark code (RARC).
public struct CodeText: Sendable, Hashable {
    /// The code as listed: `45`, `B15`, `N130`, `MA130`.
    public let code: String
    /// A short plain-language description of what the code means (a paraphrase, not the official X12 wording).
    public let description: String
    /// One sentence on what a biller usually does about it.
    public let hint: String

    /// Creates a code text.
    public init(code: String, description: String, hint: String) {
        self.code = code
        self.description = description
        self.hint = hint
    }

    /// `true` when X12 has deactivated the code; older remittances and appeals may still carry it.
    public var isDeactivated: Bool { description.contains("(deactivated)") }
}

/// CARC and RARC texts, shipped as versioned data (`carc.tsv`, `rarc.tsv`) so denial and adjustment
/// reasons on claims read in plain words.
///
/// Both lists load once, on first use, from the module's resources. Codes are matched after trimming
/// whitespace and ignoring letter case (`" n130 "` finds `N130`); a numeric CARC also ignores leading
/// zeros (`"045"` finds `45`). Codes not in the bundled lists get a readable fallback from
/// ``reasonText(_:)``, ``describe(group:reason:)`` and ``describeRemark(_:)``.
public enum AdjustmentCodes {
    /// Every bundled CARC by code, deactivated ones included.
    public static var reasons: [String: CodeText] { reasonList.codes }

    /// Every bundled RARC by code (a selection of the M, MA and N codes seen on outpatient remittances).
    public static var remarks: [String: CodeText] { remarkList.codes }

    /// The version of the bundled CARC list, such as `2025-06`, from the `# version:` line of `carc.tsv`.
    public static var reasonsVersion: String { reasonList.version }

    /// The version of the bundled RARC list, such as `2025-06`, from the `# version:` line of `rarc.tsv`.
    public static var remarksVersion: String { remarkList.version }

    /// The version of the bundled lists: `2025-06` when both carry the same one, else `CARC … / RARC …`.
    public static var version: String {
        reasonsVersion == remarksVersion ? reasonsVersion : "CARC \(reasonsVersion) / RARC \(remarksVersion)"
    }

    /// The CARC `code` (CAS02, CAS05, …), or `nil` when it is not in the bundled list.
    public static func reason(_ code: String) -> CodeText? { reasonList.codes[normalizedReason(code)] }

    /// The RARC `code` (LQ02 or MIA/MOA remark), or `nil` when it is not in the bundled list.
    public static func remark(_ code: String) -> CodeText? { remarkList.codes[normalizedRemark(code)] }

    /// The description of a CARC, or `CARC 999 (not in the bundled list v2025-06)` for an unknown one.
    public static func reasonText(_ code: String) -> String {
        if let text = reason(code) { return text.description }
        return "CARC \(shown(normalizedReason(code))) (not in the bundled list v\(reasonsVersion))"
    }

    /// The description of a RARC, or `RARC N999 (not in the bundled list v2025-06)` for an unknown one.
    public static func remarkText(_ code: String) -> String {
        if let text = remark(code) { return text.description }
        return "RARC \(shown(normalizedRemark(code))) (not in the bundled list v\(remarksVersion))"
    }

    /// What a claim adjustment group code (CAS01) means for the balance, or `nil` for an unknown group.
    ///
    /// `CO` contractual obligation (the provider writes it off; not billable to the client), `PR` patient
    /// responsibility, `OA` other adjustment, `PI` payer-initiated reduction, `CR` correction/reversal
    /// (not valid from 5010 on, still seen on old data).
    public static func groupMeaning(_ group: String) -> String? {
        switch group.trimmingCharacters(in: .whitespacesAndNewlines).uppercased() {
        case "CO": "contractual obligation: not billable to the client"
        case "PR": "patient responsibility"
        case "OA": "other adjustment"
        case "PI": "payer-initiated reduction"
        case "CR": "correction/reversal"
        default: nil
        }
    }

    /// One CAS reason in plain words: `PR-1 Deductible amount (patient responsibility)`.
    ///
    /// An unknown reason reads `CO-999 CARC 999 (not in the bundled list v2025-06) (contractual obligation: …)`;
    /// an unknown group is named as such; an empty group leaves the prefix out.
    public static func describe(group: String, reason: String) -> String {
        let groupCode = group.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let code = shown(normalizedReason(reason))
        let label = groupCode.isEmpty ? code : "\(groupCode)-\(code)"
        let text = reasonText(reason)
        if let meaning = groupMeaning(groupCode) { return "\(label) \(text) (\(meaning))" }
        return groupCode.isEmpty ? "\(label) \(text)" : "\(label) \(text) (unknown group code \(groupCode))"
    }

    /// One remark in plain words: `N130 Consult the plan's benefit documents …`, or the fallback of ``remarkText(_:)``.
    public static func describeRemark(_ code: String) -> String {
        guard let text = remark(code) else { return remarkText(code) }
        return "\(text.code) \(text.description)"
    }

    /// A CARC as the list keys it: trimmed, upper-case, and without leading zeros when numeric (`045` → `45`).
    public static func normalizedReason(_ code: String) -> String {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ (48...57).contains($0) }) else { return trimmed }
        let digits = trimmed.drop(while: { $0 == "0" })
        return digits.isEmpty ? "0" : String(digits)
    }

    /// A RARC as the list keys it: trimmed and upper-case (`ma130` → `MA130`).
    public static func normalizedRemark(_ code: String) -> String {
        code.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
    }

    // MARK: - Loading

    private static let reasonList = CodeList(resource: "carc", key: normalizedReason)
    private static let remarkList = CodeList(resource: "rarc", key: normalizedRemark)

    private static func shown(_ code: String) -> String { code.isEmpty ? "(blank)" : code }
}

/// One bundled list: `#` comment lines (one of them `# version: …`), then `code<TAB>description<TAB>hint` lines.
private struct CodeList: Sendable {
    let version: String
    let codes: [String: CodeText]

    init(resource: String, key: (String) -> String) {
        guard let url = Bundle.module.url(forResource: resource, withExtension: "tsv"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            version = "unknown"
            codes = [:]
            return
        }
        var version = "unknown"
        var codes: [String: CodeText] = [:]
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let comment = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if comment.lowercased().hasPrefix("version:") {
                    version = comment.dropFirst("version:".count).trimmingCharacters(in: .whitespaces)
                }
                continue
            }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count == 3, !columns[0].isEmpty else { continue }
            let code = key(columns[0])
            if codes[code] == nil { codes[code] = CodeText(code: code, description: columns[1], hint: columns[2]) }
        }
        self.version = version
        self.codes = codes
    }
}
