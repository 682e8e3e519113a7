/// An NM1 segment: a person or organization named in a transaction (patient, insured, rendering
/// provider, billing provider…).
public struct X12EntityName: Sendable, Hashable {
    /// NM101: the role, such as `QC` patient, `IL` insured, `82` rendering provider, `85` billing provider.
    public var entityCode: String
    /// NM102: `1` person, `2` organization.
    public var entityType: String
    /// NM103: last name, or the organization's name.
    public var lastName: String
    /// NM104: first name.
    public var firstName: String
    /// NM105: middle name or initial.
    public var middleName: String
    /// NM107: suffix (`JR`, `III`).
    public var suffix: String
    /// NM108: what kind of identifier NM109 is (`MI` member id, `XX` NPI, `FI` tax id…).
    public var identifierQualifier: String
    /// NM109, without surrounding spaces.
    public var identifier: String

    /// Creates a name.
    public init(
        entityCode: String, entityType: String = "1", lastName: String = "", firstName: String = "",
        middleName: String = "", suffix: String = "", identifierQualifier: String = "", identifier: String = ""
    ) {
        self.entityCode = entityCode
        self.entityType = entityType
        self.lastName = lastName
        self.firstName = firstName
        self.middleName = middleName
        self.suffix = suffix
        self.identifierQualifier = identifierQualifier
        self.identifier = identifier
    }

    init(_ segment: X12Segment) {
        self.init(entityCode: segment[1], entityType: segment[2], lastName: segment[3], firstName: segment[4],
                  middleName: segment[5], suffix: segment[7], identifierQualifier: segment[8],
                  identifier: segment[9].trimmingSpaces)
    }

    /// Whether NM102 says this is a person.
    public var isPerson: Bool { entityType == "1" }

    /// The NPI, when NM108 is `XX`.
    public var npi: String? { identifierQualifier == "XX" && !identifier.isEmpty ? identifier : nil }

    /// `FIRST MIDDLE LAST SUFFIX` for people, the name for organizations; empty parts left out.
    public var displayName: String {
        guard isPerson else { return lastName }
        return [firstName, middleName, lastName, suffix].filter { !$0.isEmpty }.joined(separator: " ")
    }
}
