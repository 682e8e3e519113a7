import Foundation

/// A postal address in the United States.
public struct Address: Sendable, Hashable, Codable {
    public var line1: String
    public var line2: String?
    public var city: String
    public var state: String
    public var postalCode: String

    /// Creates an address.
    public init(line1: String, line2: String? = nil, city: String, state: String, postalCode: String) {
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.state = state
        self.postalCode = postalCode
    }
}

/// Who appears as the billing provider on claims (CMS-1500 box 33).
public enum BillingProviderType: String, Sendable, Codable, CaseIterable {
    /// A solo clinician billing under their own (type 1) NPI.
    case individual
    /// A group or organization billing under a type 2 NPI.
    case organization
}

/// A practice (tenant) with the business information claims are built from.
public struct Practice: Sendable, Hashable, Codable {
    public var id: PracticeID
    public var legalName: String
    public var taxId: String
    public var taxIdType: TaxID.Kind
    public var npi: String
    public var taxonomyCode: String
    public var billingProviderType: BillingProviderType
    public var address: Address
    public var phone: String
    public var timeZone: String
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// Every member must sign in with a TOTP code (until enrolled, a session can only enrol).
    public var requireTwoFactor: Bool = false

    /// Creates a practice value.
    public init(id: PracticeID, legalName: String, taxId: String, taxIdType: TaxID.Kind, npi: String,
                taxonomyCode: String, billingProviderType: BillingProviderType, address: Address, phone: String,
                timeZone: String, version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.legalName = legalName
        self.taxId = taxId
        self.taxIdType = taxIdType
        self.npi = npi
        self.taxonomyCode = taxonomyCode
        self.billingProviderType = billingProviderType
        self.address = address
        self.phone = phone
        self.timeZone = timeZone
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A person who works in a practice.
public struct Member: Sendable, Hashable, Codable {
    public var id: MemberID
    public var firstName: String
    public var lastName: String
    public var email: String
    public var role: Role
    public var npi: String?
    public var taxonomyCode: String?
    public var credentials: String?
    /// The supervisor this member bills under (a pre-licensed clinician), if any.
    public var supervisorMemberId: MemberID?
    public var active: Bool
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a member value.
    public init(id: MemberID, firstName: String, lastName: String, email: String, role: Role, npi: String?,
                taxonomyCode: String?, credentials: String?, supervisorMemberId: MemberID? = nil, active: Bool, version: Int,
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.role = role
        self.npi = npi
        self.taxonomyCode = taxonomyCode
        self.credentials = credentials
        self.supervisorMemberId = supervisorMemberId
        self.active = active
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An API key's public facts (the secret is shown once at creation and stored only as a hash).
public struct APIKey: Sendable, Hashable, Codable {
    public var id: APIKeyID
    public var memberId: MemberID
    public var name: String
    /// The first characters of the secret, so a person can tell keys apart.
    public var secretPrefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    /// Creates an API key value.
    public init(id: APIKeyID, memberId: MemberID, name: String, secretPrefix: String, createdAt: Date,
                lastUsedAt: Date?, revokedAt: Date?) {
        self.id = id
        self.memberId = memberId
        self.name = name
        self.secretPrefix = secretPrefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// One row of the append-only audit log. Never holds PHI values: ids, method and outcome only.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var id: AuditEntryID
    public var at: Date
    public var actorType: String
    public var memberId: MemberID?
    public var credentialId: String?
    public var method: String
    public var entityIds: [String]
    public var outcome: String
    public var errorCode: Int?
    public var requestId: String

    /// Creates an audit entry.
    public init(id: AuditEntryID, at: Date, actorType: String, memberId: MemberID?, credentialId: String?, method: String,
                entityIds: [String], outcome: String, errorCode: Int?, requestId: String) {
        self.id = id
        self.at = at
        self.actorType = actorType
        self.memberId = memberId
        self.credentialId = credentialId
        self.method = method
        self.entityIds = entityIds
        self.outcome = outcome
        self.errorCode = errorCode
        self.requestId = requestId
    }
}
