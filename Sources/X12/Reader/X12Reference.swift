/// A REF segment: an identifier qualified by what it identifies (`6R` line control number,
/// `1K` payer claim control number, `TJ` tax id…).
public struct X12Reference: Sendable, Hashable {
    /// REF01: what kind of identifier this is.
    public var qualifier: String
    /// REF02: the identifier.
    public var value: String

    /// Creates a reference.
    public init(qualifier: String, value: String) {
        self.qualifier = qualifier
        self.value = value
    }
}

extension Array where Element == X12Reference {
    /// The first value with `qualifier`, or `nil`.
    public func value(for qualifier: String) -> String? {
        first { $0.qualifier == qualifier }?.value
    }
}
