import BillingCore
import Foundation
import JSONRPC

/// A practice as the API shows it (an SSN tax id is masked to its last four digits).
struct PracticeView: Encodable, Sendable {
    let id: PracticeID
    let legalName: String
    let taxId: String
    let taxIdType: TaxID.Kind
    let npi: String
    let taxonomyCode: String
    let billingProviderType: BillingProviderType
    let address: Address
    let phone: String
    let timeZone: String
    let requireTwoFactor: Bool
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ practice: Practice) {
        id = practice.id
        legalName = practice.legalName
        taxId = TaxID.masked(practice.taxId, kind: practice.taxIdType)
        taxIdType = practice.taxIdType
        npi = practice.npi
        taxonomyCode = practice.taxonomyCode
        billingProviderType = practice.billingProviderType
        address = practice.address
        phone = practice.phone
        timeZone = practice.timeZone
        requireTwoFactor = practice.requireTwoFactor
        version = practice.version
        createdAt = practice.createdAt
        updatedAt = practice.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(PracticeID.self), "legalName": .string(), "taxId": .string(),
        "taxIdType": .enumeration(TaxID.Kind.self), "npi": .string(), "taxonomyCode": .string(),
        "billingProviderType": .enumeration(BillingProviderType.self), "address": Schemas.address,
        "phone": .string(), "timeZone": .string(), "requireTwoFactor": .boolean(), "version": .integer(minimum: 1),
        "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
    ], title: "Practice")
}

/// A member as the API shows it.
struct MemberView: Encodable, Sendable {
    let id: MemberID
    let firstName: String
    let lastName: String
    let email: String
    let role: Role
    let npi: String?
    let taxonomyCode: String?
    let credentials: String?
    let supervisorMemberId: MemberID?
    let active: Bool
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ member: Member) {
        id = member.id
        firstName = member.firstName
        lastName = member.lastName
        email = member.email
        role = member.role
        npi = member.npi
        taxonomyCode = member.taxonomyCode
        credentials = member.credentials
        supervisorMemberId = member.supervisorMemberId
        active = member.active
        version = member.version
        createdAt = member.createdAt
        updatedAt = member.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(MemberID.self), "firstName": .string(), "lastName": .string(), "email": .string(),
        "role": .enumeration(Role.self), "npi?": Schema.string().orNull, "taxonomyCode?": Schema.string().orNull,
        "credentials?": Schema.string().orNull, "supervisorMemberId?": Schemas.id(MemberID.self).orNull,
        "active": .boolean(), "version": .integer(minimum: 1),
        "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
    ], title: "Member")
}

/// An API key's public facts.
struct APIKeyView: Encodable, Sendable {
    let id: APIKeyID
    let memberId: MemberID
    let name: String
    let secretPrefix: String
    let status: String
    let createdAt: Date
    let lastUsedAt: Date?
    let revokedAt: Date?

    init(_ key: APIKey) {
        id = key.id
        memberId = key.memberId
        name = key.name
        secretPrefix = key.secretPrefix
        status = key.revokedAt == nil ? "active" : "revoked"
        createdAt = key.createdAt
        lastUsedAt = key.lastUsedAt
        revokedAt = key.revokedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(APIKeyID.self), "memberId": Schemas.id(MemberID.self), "name": .string(),
        "secretPrefix": .string(), "status": .enumeration(["active", "revoked"]), "createdAt": Schemas.dateTime,
        "lastUsedAt?": Schemas.dateTime.orNull, "revokedAt?": Schemas.dateTime.orNull,
    ], title: "ApiKey")
}

/// A new key with its secret, shown only in this response.
struct NewAPIKeyView: Encodable, Sendable {
    let id: APIKeyID
    let memberId: MemberID
    let name: String
    let secretPrefix: String
    let secret: String
    let createdAt: Date

    init(_ key: APIKey, secret: String) {
        id = key.id
        memberId = key.memberId
        name = key.name
        secretPrefix = key.secretPrefix
        self.secret = secret
        createdAt = key.createdAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(APIKeyID.self), "memberId": Schemas.id(MemberID.self), "name": .string(),
        "secretPrefix": .string(), "secret": Schema.string().described("shown once; store it now"),
        "createdAt": Schemas.dateTime,
    ], title: "NewApiKey")
}

/// An audit entry as the API shows it.
struct AuditEntryView: Encodable, Sendable {
    let id: AuditEntryID
    let at: Date
    let actorType: String
    let memberId: MemberID?
    let credentialId: String?
    let method: String
    let entityIds: [String]
    let outcome: String
    let errorCode: Int?
    let requestId: String

    init(_ entry: AuditEntry) {
        id = entry.id
        at = entry.at
        actorType = entry.actorType
        memberId = entry.memberId
        credentialId = entry.credentialId
        method = entry.method
        entityIds = entry.entityIds
        outcome = entry.outcome
        errorCode = entry.errorCode
        requestId = entry.requestId
    }

    static let schema = Schema.object([
        "id": Schemas.id(AuditEntryID.self), "at": Schemas.dateTime,
        "actorType": .enumeration(["member", "operator", "system"]), "memberId?": Schemas.id(MemberID.self).orNull,
        "credentialId?": Schema.string().orNull, "method": .string(), "entityIds": .array(.string()),
        "outcome": .enumeration(["ok", "error"]), "errorCode?": Schema.integer().orNull, "requestId": .string(),
    ], title: "AuditEntry")
}

/// A page of items for list methods.
struct PageView<Item: Encodable & Sendable>: Encodable, Sendable {
    let items: [Item]
    let nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }
}
