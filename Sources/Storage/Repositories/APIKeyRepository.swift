import BillingCore
import Foundation
import PostgresNIO

/// The authenticated principal behind a credential.
public struct Principal: Sendable, Hashable {
    public let practiceID: PracticeID
    public let credentialID: CredentialID
    public let memberID: MemberID
    public let role: Role
    /// The signed-in person (sessions only).
    public var identityID: UUID? = nil
    /// A session that may only enrol two-factor sign-in (the practice requires it and the person has
    /// not enrolled yet).
    public var restricted: Bool = false

    /// Creates a principal.
    public init(practiceID: PracticeID, credentialID: CredentialID, memberID: MemberID, role: Role,
                identityID: UUID? = nil) {
        self.practiceID = practiceID
        self.credentialID = credentialID
        self.memberID = memberID
        self.role = role
        self.identityID = identityID
    }
}

/// Reads and writes `api_keys`; looks credentials up through `ll_authenticate`.
public struct APIKeyRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = "id, member_id, name, secret_prefix, created_at, last_used_at, revoked_at"

    /// Finds the principal for a secret's SHA-256 and sets the transaction's practice to its practice.
    /// Returns `nil` for an unknown or revoked key, or an inactive member.
    public func authenticate(secretHash: [UInt8], in transaction: Transaction) async throws -> Principal? {
        guard let row = try await transaction.firstRow(
            "select practice_id, credential_id, member_id, role from ll_authenticate(\(ByteBuffer(bytes: secretHash)))")
        else { return nil }
        let reader = RowReader(row)
        guard let role = Role(rawValue: try reader.string("role")) else { return nil }
        return Principal(practiceID: try reader.id(PracticeID.self, "practice_id"),
                         credentialID: .apiKey(try reader.id(APIKeyID.self, "credential_id")),
                         memberID: try reader.id(MemberID.self, "member_id"), role: role)
    }

    /// Inserts a key (the trigger adds it to the credential index).
    public func insert(_ key: APIKey, secretHash: [UInt8], practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into api_keys (practice_id, id, member_id, name, secret_hash, secret_prefix, created_at)
            values (\(practiceID.uuid), \(key.id.uuid), \(key.memberId.uuid), \(key.name),
                    \(ByteBuffer(bytes: secretHash)), \(key.secretPrefix), \(key.createdAt))
            """)
    }

    /// The key with `id` in the current practice.
    public func find(_ id: APIKeyID, in transaction: Transaction) async throws -> APIKey? {
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from api_keys where id = \(id.uuid)") else { return nil }
        return try Self.decode(row)
    }

    /// A page of keys, optionally of one member.
    public func list(memberID: MemberID?, after cursor: APIKeyID?, limit: Int, in transaction: Transaction) async throws
        -> Page<APIKey>
    {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from api_keys
            where (\(memberID?.uuid)::uuid is null or member_id = \(memberID?.uuid))
              and (\(cursor?.uuid)::uuid is null or id > \(cursor?.uuid))
            order by id limit \(limit + 1)
            """)
        var keys = try rows.map(Self.decode)
        var next: String? = nil
        if keys.count > limit {
            keys.removeLast()
            next = keys.last?.id.description
        }
        return Page(items: keys, nextCursor: next)
    }

    /// Marks a key revoked (idempotent); returns the stored key.
    public func revoke(_ id: APIKeyID, in transaction: Transaction) async throws -> APIKey? {
        let row = try await transaction.firstRow("""
            update api_keys set revoked_at = coalesce(revoked_at, now()) where id = \(id.uuid)
            returning \(unescaped: Self.columns)
            """)
        return try row.map(Self.decode)
    }

    /// Revokes every key of a member (used when the member is deactivated).
    public func revokeAll(of memberID: MemberID, in transaction: Transaction) async throws {
        try await transaction.query(
            "update api_keys set revoked_at = now() where member_id = \(memberID.uuid) and revoked_at is null")
    }

    static func decode(_ row: PostgresRow) throws -> APIKey {
        let reader = RowReader(row)
        return APIKey(id: try reader.id(APIKeyID.self, "id"), memberId: try reader.id(MemberID.self, "member_id"),
                      name: try reader.string("name"), secretPrefix: try reader.string("secret_prefix"),
                      createdAt: try reader.date("created_at"), lastUsedAt: try reader.optionalDate("last_used_at"),
                      revokedAt: try reader.optionalDate("revoked_at"))
    }
}
