import Foundation

/// What a new password must satisfy, after NIST SP 800-63B: long enough, not too long, not a common or
/// breached password, not built from the person's own email or names, not a trivial pattern.
/// No composition rules (a digit, a symbol…): length and the blocklist do that job better.
///
/// ```swift
/// let problems = PasswordPolicy.problems(new, email: "jane.doe@example.com", names: ["Jane Doe"])
/// guard problems.isEmpty else { throw InvalidPassword(problems) }
/// ```
public enum PasswordPolicy {
    /// Fewest characters a password may have.
    public static let minimumLength = 12
    /// Most characters a password may have.
    public static let maximumLength = 128
    /// Shortest email part or name that a password may not contain.
    public static let minimumPersonalTokenLength = 4

    /// Every reason `password` is not acceptable, in plain words (one sentence each); empty when it is.
    ///
    /// Lengths are counted in characters after Unicode NFKC normalization, as ``PasswordHasher``
    /// hashes them. Personal tokens are the email's local part, its pieces split at `.`, `_`, `-`, `+`,
    /// each name whole (spaces removed) and each word of it; tokens shorter than
    /// ``minimumPersonalTokenLength`` are ignored, and matching ignores case.
    ///
    /// - Parameters:
    ///   - password: The password the person chose.
    ///   - email: The account's email address, if known.
    ///   - names: The person's names (and, say, the practice's), any of which may be blank.
    public static func problems(_ password: String, email: String?, names: [String]) -> [String] {
        let normalized = password.precomposedStringWithCompatibilityMapping
        let length = normalized.count
        var problems: [String] = []
        if length < minimumLength { problems.append("It is shorter than \(minimumLength) characters.") }
        if length > maximumLength { problems.append("It is longer than \(maximumLength) characters.") }
        guard length > 0 else { return problems }

        let lower = normalized.lowercased()
        if isCommon(lower) {
            problems.append("It is one of the passwords most often used or found in data breaches.")
        }
        let personal = personalTokens(email: email, names: names)
        if let token = personal.email.first(where: { lower.contains($0) }) {
            problems.append("It contains “\(token)” from your email address.")
        }
        if let token = personal.names.first(where: { lower.contains($0) }) {
            problems.append("It contains the name “\(token)”.")
        }
        let characters = Array(lower)
        if Set(characters).count == 1 {
            problems.append("It is one character repeated.")
        } else if isSequence(characters) {
            problems.append("It is a simple sequence, like 123456, abcdef or qwerty.")
        } else if let unit = repeatedUnit(characters) {
            problems.append("It is the short pattern “\(String(unit))” repeated.")
        }
        return problems
    }

    /// `true` when `password`, lowercased, is on the bundled list of common and breached passwords, or
    /// is one of them followed by digits and punctuation (`dragon2024!`).
    public static func isCommon(_ password: String) -> Bool {
        let lower = password.precomposedStringWithCompatibilityMapping.lowercased()
        if commonPasswords.contains(lower) { return true }
        var stripped = Substring(lower)
        while let last = stripped.last, last.isNumber || last.isPunctuation || last.isSymbol {
            stripped.removeLast()
        }
        return !stripped.isEmpty && stripped.count < lower.count && commonPasswords.contains(String(stripped))
    }

    /// How many passwords the bundled list holds (0 if the resource could not be read).
    public static var commonPasswordCount: Int { commonPasswords.count }

    /// `Resources/common-passwords.txt`: `#` comment lines, then one lowercase password a line.
    /// Loaded once, on first use.
    static let commonPasswords: Set<String> = {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var passwords = Set<String>(minimumCapacity: 40_000)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let entry = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !entry.isEmpty { passwords.insert(entry) }
        }
        return passwords
    }()

    // MARK: - Personal tokens

    static func personalTokens(email: String?, names: [String]) -> (email: [String], names: [String]) {
        func keep(_ tokens: [String]) -> [String] {
            var seen = Set<String>()
            return tokens.filter { $0.count >= minimumPersonalTokenLength && seen.insert($0).inserted }
        }
        var emailTokens: [String] = []
        if let email {
            let lower = email.precomposedStringWithCompatibilityMapping.lowercased()
                .trimmingCharacters(in: .whitespaces)
            let local = lower.split(separator: "@", omittingEmptySubsequences: false).dropLast().joined(separator: "@")
            let localPart = local.isEmpty && !lower.contains("@") ? lower : local
            emailTokens = [localPart] + localPart.split(whereSeparator: { ".-_+".contains($0) }).map(String.init)
        }
        var nameTokens: [String] = []
        for name in names {
            let lower = name.precomposedStringWithCompatibilityMapping.lowercased()
            let words = lower.split(whereSeparator: { $0.isWhitespace || $0 == "-" || $0 == "'" }).map(String.init)
            nameTokens.append(words.joined())
            nameTokens += words
        }
        return (keep(emailTokens), keep(nameTokens))
    }

    // MARK: - Patterns

    /// Keyboard rows and columns people walk along; a password that is a run of one (either direction)
    /// is a sequence.
    private static let keyboardWalks: [[Character]] = [
        "`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
        "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
        "qazwsxedcrfvtgbyhnujmikolp", "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
    ].map { Array($0) }

    /// `true` when every character is the one after (or before) the previous, in the alphabet, the
    /// digits (wrapping 9→0) or along a keyboard walk.
    static func isSequence(_ characters: [Character]) -> Bool {
        guard characters.count >= 3 else { return false }
        for step in [1, -1] {
            if zip(characters, characters.dropFirst()).allSatisfy({ follows($1, $0, step: step) }) { return true }
        }
        let text = String(characters)
        for walk in keyboardWalks {
            let forward = String(walk)
            let backward = String(walk.reversed())
            if forward.contains(text) || backward.contains(text) { return true }
        }
        return false
    }

    private static func follows(_ next: Character, _ previous: Character, step: Int) -> Bool {
        guard let a = previous.asciiValue, let b = next.asciiValue else { return false }
        let isDigit = { (c: UInt8) in (0x30...0x39).contains(c) }
        let isLetter = { (c: UInt8) in (0x61...0x7A).contains(c) }
        if isDigit(a), isDigit(b) { return (Int(b) - 0x30 - (Int(a) - 0x30) - step + 20) % 10 == 0 }
        if isLetter(a), isLetter(b) { return Int(b) - Int(a) == step }
        return false
    }

    /// The unit, when the whole password is one to four characters repeated (`abcabcabcabc`).
    static func repeatedUnit(_ characters: [Character]) -> ArraySlice<Character>? {
        for unitLength in 1...4 where characters.count >= unitLength * 2 && characters.count % unitLength == 0 {
            let unit = characters[0..<unitLength]
            let repeats = stride(from: 0, to: characters.count, by: unitLength).allSatisfy { start in
                characters[start..<(start + unitLength)].elementsEqual(unit)
            }
            if repeats { return unit }
        }
        return nil
    }
}
