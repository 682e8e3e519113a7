import Foundation

/// National Provider Identifier rules (CMS): 10 digits, the last a Luhn check digit computed
/// over the number prefixed with the card issuer code 80840.
public enum NPI {
    /// The reason `text` is not a valid NPI, or `nil` when it is.
    public static func problem(_ text: String) -> String? {
        let digits = text.utf8.map { Int($0) - 48 }
        guard digits.count == 10, digits.allSatisfy({ (0...9).contains($0) }) else { return "must be 10 digits" }
        guard digits[0] == 1 || digits[0] == 2 else { return "must start with 1 or 2" }
        // Luhn over "80840" + the first nine digits; the constant 24 is the contribution of 80840.
        var sum = 24
        for (offset, digit) in digits[0..<9].reversed().enumerated() {
            if offset % 2 == 0 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        let check = (10 - sum % 10) % 10
        return check == digits[9] ? nil : "fails the NPI check digit (Luhn with prefix 80840)"
    }

    /// `true` when `text` is a valid NPI.
    public static func isValid(_ text: String) -> Bool { problem(text) == nil }
}

/// Health Care Provider Taxonomy codes: 10 characters, three digits, six letters or digits, then `X`.
public enum TaxonomyCode {
    /// The reason `text` is not a well-formed taxonomy code, or `nil` when it is.
    public static func problem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 else { return "must be 10 characters, e.g. 101YM0800X" }
        guard bytes[0..<3].allSatisfy(isDigit) else { return "must start with three digits" }
        guard bytes[3..<9].allSatisfy({ isDigit($0) || isUpper($0) }) else {
            return "characters 4–9 must be digits or capital letters"
        }
        guard bytes[9] == UInt8(ascii: "X") else { return "must end with X" }
        return nil
    }
}

/// Federal tax identifiers printed on claims.
public enum TaxID {
    /// The kind of tax identifier.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Employer Identification Number, `NN-NNNNNNN`.
        case ein
        /// Social Security Number, `NNN-NN-NNNN`, for a solo clinician billing as an individual.
        case ssn
    }

    /// The reason `text` is not a valid identifier of `kind`, or `nil`.
    public static func problem(_ text: String, kind: Kind) -> String? {
        switch kind {
        case .ein:
            guard matches(text, groups: [2, 7]) else { return "must look like 12-3456789" }
            let prefix = Int(text.prefix(2)) ?? 0
            let invalidPrefixes: Set<Int> = [0, 7, 8, 9, 17, 18, 19, 28, 29, 49, 69, 70, 78, 79, 89, 96, 97]
            return invalidPrefixes.contains(prefix) ? "has an EIN prefix the IRS does not issue" : nil
        case .ssn:
            guard matches(text, groups: [3, 2, 4]) else { return "must look like 123-45-6789" }
            let parts = text.split(separator: "-").map { Int($0) ?? 0 }
            if parts[0] == 0 || parts[0] == 666 || parts[0] >= 900 { return "has an area number that is never issued" }
            if parts[1] == 0 || parts[2] == 0 { return "has a group or serial number of zero" }
            return nil
        }
    }

    /// The identifier as shown in API results: an SSN (personal data) with only its last four
    /// digits visible; an EIN (a business identifier printed on every claim) in full.
    public static func masked(_ text: String, kind: Kind) -> String {
        switch kind {
        case .ein: return text
        case .ssn: return "***-**-" + String(text.filter(\.isNumber).suffix(4))
        }
    }

    private static func matches(_ text: String, groups: [Int]) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == groups.count else { return false }
        return zip(parts, groups).allSatisfy { part, length in part.count == length && part.utf8.allSatisfy(isDigit) }
    }
}

/// Contact details and places.
public enum ContactChecks {
    /// The reason `text` is not an E.164 phone number (`+` and 8–15 digits), or `nil`.
    public static func phoneProblem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "+"), (9...16).contains(bytes.count),
              bytes.dropFirst().allSatisfy(isDigit), bytes[1] != UInt8(ascii: "0")
        else { return "must be an E.164 number such as +12175550100" }
        return nil
    }

    /// The reason `text` is not a plausible email address, or `nil`.
    public static func emailProblem(_ text: String) -> String? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), text.count <= 254,
              !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," || $0 == ";" })
        else { return "must be an email address such as ana@example.com" }
        return nil
    }

    /// US state and territory codes accepted in addresses.
    public static let stateCodes: Set<String> = [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
        "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
        "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU",
        "AS", "MP",
    ]

    /// The reason `text` is not a US state code, or `nil`.
    public static func stateProblem(_ text: String) -> String? {
        stateCodes.contains(text) ? nil : "must be a two-letter US state code such as IL"
    }

    /// The reason `text` is not a ZIP or ZIP+4 code, or `nil`.
    public static func postalCodeProblem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let plainDigits = bytes.allSatisfy(isDigit)
        if bytes.count == 5 && plainDigits { return nil }
        if bytes.count == 9 && plainDigits { return nil }
        if bytes.count == 10, bytes[5] == UInt8(ascii: "-"), bytes[0..<5].allSatisfy(isDigit),
           bytes[6...].allSatisfy(isDigit) { return nil }
        return "must be a ZIP code: 5 digits, or ZIP+4"
    }

    /// The reason `text` is not an IANA time zone identifier, or `nil`.
    public static func timeZoneProblem(_ text: String) -> String? {
        TimeZone(identifier: text) != nil && text.contains("/") ? nil : "must be an IANA time zone such as America/Chicago"
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
private func isUpper(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
