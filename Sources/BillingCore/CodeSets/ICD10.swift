import Foundation

/// The billable ICD-10-CM codes (April 2026 release, CDC/NCHS, public domain), shipped as a resource.
public enum ICD10 {
    /// Code (with its decimal point) → description; loaded once on first use.
    public static let billable: [String: String] = {
        guard let url = Bundle.module.url(forResource: "icd10cm-2026-billable", withExtension: "tsv"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        var codes: [String: String] = [:]
        codes.reserveCapacity(75_000)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            codes[String(line[..<tab])] = String(line[line.index(after: tab)...])
        }
        return codes
    }()

    /// A code as written with its decimal point after the third character (`F411` → `F41.1`).
    public static func normalized(_ code: String) -> String {
        let upper = code.uppercased().replacingOccurrences(of: ".", with: "")
        guard upper.count > 3 else { return upper }
        return String(upper.prefix(3)) + "." + String(upper.dropFirst(3))
    }

    /// The reason `code` cannot be billed, or `nil` when it is a billable code.
    public static func problem(_ code: String) -> String? {
        let bytes = Array(code.utf8)
        guard (3...8).contains(bytes.count), let first = bytes.first, (65...90).contains(first) || (97...122).contains(first)
        else { return "must be an ICD-10-CM code such as F41.1" }
        let normalized = normalized(code)
        if billable[normalized] != nil { return nil }
        let prefix = normalized + (normalized.count == 3 ? "." : "")
        if billable.keys.contains(where: { $0.hasPrefix(prefix) }) {
            return "\(normalized) is a category, not a billable code; use a more specific code"
        }
        return "\(normalized) is not in the ICD-10-CM 2026 billable code list"
    }

    /// The description of a billable code.
    public static func description(_ code: String) -> String? { billable[normalized(code)] }

    /// The code as claims send it: without the decimal point.
    public static func claimForm(_ code: String) -> String { normalized(code).replacingOccurrences(of: ".", with: "") }
}

/// CMS place-of-service codes used by behavioral-health practices.
public enum PlaceOfService {
    /// Code → name.
    public static let codes: [String: String] = [
        "02": "Telehealth provided other than in patient's home", "03": "School", "04": "Homeless shelter",
        "10": "Telehealth provided in patient's home", "11": "Office", "12": "Home", "13": "Assisted living facility",
        "14": "Group home", "22": "On campus-outpatient hospital", "31": "Skilled nursing facility",
        "33": "Custodial care facility", "49": "Independent clinic", "50": "Federally qualified health center",
        "52": "Psychiatric facility-partial hospitalization", "53": "Community mental health center",
        "57": "Non-residential substance abuse treatment facility", "71": "Public health clinic", "72": "Rural health clinic",
        "99": "Other place of service",
    ]

    /// `true` for the telehealth codes 02 and 10.
    public static func isTelehealth(_ code: String) -> Bool { code == "02" || code == "10" }

    /// The reason `code` is not accepted, or `nil`.
    public static func problem(_ code: String) -> String? {
        codes[code] == nil ? "must be a place-of-service code such as 11 (office), 02 or 10 (telehealth)" : nil
    }
}

/// Procedure codes and modifiers.
public enum ProcedureCode {
    /// The reason `code` is not a well-formed code of `type`, or `nil`.
    public static func problem(_ code: String, type: String) -> String? {
        let bytes = Array(code.utf8)
        let digit = { (byte: UInt8) in byte >= 48 && byte <= 57 }
        switch type {
        case "cpt":
            if bytes.count == 5, bytes.allSatisfy(digit) { return nil }
            if bytes.count == 5, bytes[0..<4].allSatisfy(digit), bytes[4] == UInt8(ascii: "F") || bytes[4] == UInt8(ascii: "T") {
                return nil
            }
            return "must be a CPT code: 5 digits, or 4 digits and F or T"
        case "hcpcs":
            if bytes.count == 5, (65...90).contains(bytes[0]), bytes[1...].allSatisfy(digit) { return nil }
            return "must be a HCPCS Level II code: a capital letter and 4 digits"
        default:
            return (1...20).contains(bytes.count) && bytes.allSatisfy({ $0 > 32 && $0 < 127 })
                ? nil : "must be 1–20 printable characters"
        }
    }

    /// The reason `modifier` is not a 2-character modifier, or `nil`.
    public static func modifierProblem(_ modifier: String) -> String? {
        let bytes = Array(modifier.utf8)
        return bytes.count == 2 && bytes.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) })
            ? nil : "must be a 2-character modifier such as 95"
    }
}
