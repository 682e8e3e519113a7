/// A person's sex as X12 writes it (DMG03 in the 837P): `M`, `F` or `U` (unknown).
public enum Sex: String, Sendable, Codable, CaseIterable, Hashable {
    /// Male (`M`).
    case male = "M"
    /// Female (`F`).
    case female = "F"
    /// Unknown or not reported (`U`).
    case unknown = "U"
}
