import Foundation

/// A client (patient) of a practice, with the demographics claims and bills are built from.
public struct Client: Sendable, Hashable {
    /// The age from which a client is an adult and receives their own bills.
    public static let ageOfMajority = 18

    public var id: ClientID
    /// The EHR's id for this client, unique within the practice.
    public var externalId: String?
    public var firstName: String
    public var middleName: String?
    public var lastName: String
    public var preferredName: String?
    public var dateOfBirth: CalendarDate
    public var sex: Sex
    public var address: Address?
    /// E.164 phone number.
    public var phone: String?
    public var email: String?
    public var consents: Consents
    /// Clinicians assigned to the client, in id order.
    public var assignedMemberIds: [MemberID]
    /// The client's current ICD-10-CM diagnoses, in order, normalized with their decimal point (`F41.1`).
    /// A note signed without diagnoses snapshots this list.
    public var diagnoses: [String]
    public var active: Bool
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a client value.
    public init(id: ClientID, externalId: String?, firstName: String, middleName: String?, lastName: String,
                preferredName: String?, dateOfBirth: CalendarDate, sex: Sex, address: Address?, phone: String?,
                email: String?, consents: Consents, assignedMemberIds: [MemberID], diagnoses: [String], active: Bool,
                version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.externalId = externalId
        self.firstName = firstName
        self.middleName = middleName
        self.lastName = lastName
        self.preferredName = preferredName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
        self.phone = phone
        self.email = email
        self.consents = consents
        self.assignedMemberIds = assignedMemberIds
        self.diagnoses = diagnoses
        self.active = active
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The client's age in whole years on `date`.
    public func age(on date: CalendarDate) -> Int { dateOfBirth.years(until: date) }

    /// `true` when the client is younger than ``ageOfMajority`` on `date` (the practice's today).
    public func isMinor(on date: CalendarDate) -> Bool { age(on: date) < Self.ageOfMajority }

    /// `true` when `memberID` is one of the client's assigned clinicians.
    public func isAssigned(to memberID: MemberID) -> Bool { assignedMemberIds.contains(memberID) }
}
