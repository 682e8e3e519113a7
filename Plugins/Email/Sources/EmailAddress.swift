/// A single mailbox address (`client@example.com`) that is safe to put in a header and in an SMTP
/// command: no display name, no comments, no whitespace or control characters, ASCII only.
///
/// The check is deliberately plausible rather than complete: RFC 5321 quoted local parts and
/// address literals are refused, because a billing notice never needs them and every character
/// they allow is one more way to smuggle a second recipient or a header into the message.
struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as written.
    let value: String

    /// Characters RFC 5322 allows in a dot-atom besides letters and digits.
    private static let atomSymbols = Set("!#$%&'*+-/=?^_`{|}~".utf8)

    /// An address, or `nil` when `text` is not one plausible mailbox.
    init?(_ text: String) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, text.utf8.count <= 254 else { return nil }
        let local = parts[0].utf8
        let domain = parts[1].utf8
        guard (1...64).contains(local.count), (1...253).contains(domain.count) else { return nil }

        let localIsDotAtom = local.allSatisfy { byte in
            Self.isAlphanumeric(byte) || byte == UInt8(ascii: ".") || Self.atomSymbols.contains(byte)
        }
        guard localIsDotAtom, Self.hasWellPlacedDots(parts[0]) else { return nil }

        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for label in labels {
            guard (1...63).contains(label.utf8.count),
                label.utf8.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }),
                label.first != "-", label.last != "-"
            else { return nil }
        }
        value = text
    }

    /// The address as written.
    var description: String { value }

    /// `<client@example.com>`, the form SMTP's `MAIL FROM` and `RCPT TO` take.
    var angleBracketed: String { "<\(value)>" }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func hasWellPlacedDots(_ local: Substring) -> Bool {
        local.first != "." && local.last != "." && !local.contains("..")
    }
}
