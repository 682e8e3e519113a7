import Foundation

/// What a contact is for one client.
public enum ContactRole: String, Sendable, Codable, CaseIterable, Hashable {
    /// Legal guardian (parent of a minor, court-appointed guardian).
    case guardian
    /// Receives the client's bills and pays them (the guarantor).
    case billingContact
    /// Called in an emergency.
    case emergency
}

/// A contact's link to one client with the roles it plays for that client.
public struct ContactLink: Sendable, Hashable {
    public var clientId: ClientID
    /// The roles, in the order of ``ContactRole/allCases``, never empty.
    public var roles: [ContactRole]

    /// Creates a link; roles are de-duplicated and put in canonical order.
    public init(clientId: ClientID, roles: [ContactRole]) {
        self.clientId = clientId
        self.roles = ContactRole.allCases.filter(roles.contains)
    }
}

/// A person of the practice linked to one or more clients (a parent, a guardian, a spouse who pays).
///
/// One contact can be the billing contact of several clients, e.g. a parent paying for siblings.
public struct Contact: Sendable, Hashable {
    public var id: ContactID
    public var firstName: String
    public var lastName: String
    public var email: String?
    /// E.164 phone number.
    public var phone: String?
    public var address: Address?
    public var consents: Consents
    /// Links to clients, in client id order.
    public var links: [ContactLink]
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a contact value.
    public init(id: ContactID, firstName: String, lastName: String, email: String?, phone: String?, address: Address?,
                consents: Consents, links: [ContactLink], version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.address = address
        self.consents = consents
        self.links = links
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The roles this contact plays for `clientID` (empty when not linked).
    public func roles(for clientID: ClientID) -> [ContactRole] {
        links.first { $0.clientId == clientID }?.roles ?? []
    }
}
