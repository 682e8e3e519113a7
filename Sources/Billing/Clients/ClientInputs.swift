import BillingCore
import Foundation

/// What `client.create` needs.
public struct NewClient: Sendable, Codable {
    public var firstName: String
    public var middleName: String?
    public var lastName: String
    public var preferredName: String?
    public var dateOfBirth: CalendarDate
    public var sex: Sex
    public var address: Address?
    public var phone: String?
    public var email: String?
    public var consents: Consents
    public var assignedMemberIds: [MemberID]
    public var externalId: String?
    public var diagnoses: [String]?
}

/// A change to a client (absent fields unchanged, `null` clears optional ones).
public struct ClientChanges: Sendable, Decodable {
    public var id: ClientID
    public var version: Int
    public var firstName: Patch<String> = .absent
    public var middleName: Patch<String> = .absent
    public var lastName: Patch<String> = .absent
    public var preferredName: Patch<String> = .absent
    public var dateOfBirth: Patch<CalendarDate> = .absent
    public var sex: Patch<Sex> = .absent
    public var address: Patch<Address> = .absent
    public var phone: Patch<String> = .absent
    public var email: Patch<String> = .absent
    public var consents: Patch<Consents> = .absent
    public var assignedMemberIds: Patch<[MemberID]> = .absent
    public var externalId: Patch<String> = .absent
    /// The new current diagnosis list (replaces the old one; `null` clears it).
    public var diagnoses: Patch<[String]> = .absent
}

/// One link of a new contact.
public struct ContactLinkInput: Sendable, Codable {
    public var clientId: ClientID
    public var roles: [ContactRole]
}

/// What `contact.create` needs.
public struct NewContact: Sendable, Codable {
    public var firstName: String
    public var lastName: String
    public var email: String?
    public var phone: String?
    public var address: Address?
    public var consents: Consents?
    public var links: [ContactLinkInput]
}

/// A change to a contact's own fields (links change through `contact.link` / `contact.unlink`).
public struct ContactChanges: Sendable, Decodable {
    public var id: ContactID
    public var version: Int
    public var firstName: Patch<String> = .absent
    public var lastName: Patch<String> = .absent
    public var email: Patch<String> = .absent
    public var phone: Patch<String> = .absent
    public var address: Patch<Address> = .absent
    public var consents: Patch<Consents> = .absent
}

/// What `policy.create` needs.
public struct NewPolicy: Sendable, Codable {
    public var clientId: ClientID
    public var payerId: PayerID
    public var order: CoverageOrder
    public var memberId: String
    public var groupNumber: String?
    public var planName: String?
    public var relationshipToSubscriber: SubscriberRelationship
    public var subscriber: Subscriber?
    public var copayCents: Int64?
    public var coinsurancePercent: Int?
    public var deductibleCents: Int64?
    public var effectiveFrom: CalendarDate
    public var effectiveTo: CalendarDate?
    public var priorAuthorization: PriorAuthorization?
}

/// A change to a policy (absent fields unchanged, `null` clears optional ones).
public struct PolicyChanges: Sendable, Decodable {
    public var id: PolicyID
    public var version: Int
    public var payerId: Patch<PayerID> = .absent
    public var order: Patch<CoverageOrder> = .absent
    public var memberId: Patch<String> = .absent
    public var groupNumber: Patch<String> = .absent
    public var planName: Patch<String> = .absent
    public var relationshipToSubscriber: Patch<SubscriberRelationship> = .absent
    public var subscriber: Patch<Subscriber> = .absent
    public var copayCents: Patch<Int64> = .absent
    public var coinsurancePercent: Patch<Int> = .absent
    public var deductibleCents: Patch<Int64> = .absent
    public var effectiveFrom: Patch<CalendarDate> = .absent
    public var effectiveTo: Patch<CalendarDate> = .absent
    public var priorAuthorization: Patch<PriorAuthorization> = .absent
}
