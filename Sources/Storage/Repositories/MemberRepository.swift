import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes `members` of the current practice.
public struct MemberRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, first_name, last_name, email, role, npi, taxonomy_code, credentials, supervisor_member_id, active, version,
        created_at, updated_at
        """

    /// Inserts a member into the current practice.
    public func insert(_ member: Member, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into members (practice_id, id, first_name, last_name, email, role, npi, taxonomy_code, credentials,
                                 supervisor_member_id, active, version, created_at, updated_at)
            values (\(practiceID.uuid), \(member.id.uuid), \(member.firstName), \(member.lastName), \(member.email),
                    \(member.role.rawValue), \(member.npi), \(member.taxonomyCode), \(member.credentials),
                    \(member.supervisorMemberId?.uuid), \(member.active),
                    \(member.version), \(member.createdAt), \(member.updatedAt))
            """)
    }

    /// The member with `id` in the current practice.
    public func find(_ id: MemberID, in transaction: Transaction, forUpdate: Bool = false) async throws -> Member? {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from members where id = \(id.uuid)\(unescaped: lock)") else { return nil }
        return try Self.decode(row)
    }

    /// A page of members ordered by id, after `cursor`.
    public func list(after cursor: MemberID?, limit: Int, includeInactive: Bool, role: Role?,
                     in transaction: Transaction) async throws -> Page<Member> {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from members
            where (\(cursor?.uuid)::uuid is null or id > \(cursor?.uuid))
              and (\(includeInactive) or active)
              and (\(role?.rawValue)::text is null or role = \(role?.rawValue))
            order by id limit \(limit + 1)
            """)
        var members = try rows.map(Self.decode)
        var next: String? = nil
        if members.count > limit {
            members.removeLast()
            next = members.last?.id.description
        }
        return Page(items: members, nextCursor: next)
    }

    /// Writes `member` if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ member: Member, expectedVersion: Int, in transaction: Transaction) async throws -> Member? {
        let row = try await transaction.firstRow("""
            update members set first_name = \(member.firstName), last_name = \(member.lastName), email = \(member.email),
                role = \(member.role.rawValue), npi = \(member.npi), taxonomy_code = \(member.taxonomyCode),
                credentials = \(member.credentials), supervisor_member_id = \(member.supervisorMemberId?.uuid),
                active = \(member.active), version = version + 1, updated_at = now()
            where id = \(member.id.uuid) and version = \(expectedVersion)
            returning \(unescaped: Self.columns)
            """)
        return try row.map(Self.decode)
    }

    /// How many active owners the practice has.
    public func activeOwnerCount(in transaction: Transaction) async throws -> Int {
        let row = try await transaction.firstRow("select count(*)::int as n from members where role = 'owner' and active")
        return try row.map { try RowReader($0).int("n") } ?? 0
    }

    /// `true` when another member of the practice already uses `email` (case-insensitive).
    public func emailTaken(_ email: String, except id: MemberID?, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            select 1 from members where lower(email) = lower(\(email)) and (\(id?.uuid)::uuid is null or id <> \(id?.uuid))
            """) != nil
    }

    static func decode(_ row: PostgresRow) throws -> Member {
        let reader = RowReader(row)
        return Member(
            id: try reader.id(MemberID.self, "id"),
            firstName: try reader.string("first_name"),
            lastName: try reader.string("last_name"),
            email: try reader.string("email"),
            role: Role(rawValue: try reader.string("role")) ?? .viewer,
            npi: try reader.optionalString("npi"),
            taxonomyCode: try reader.optionalString("taxonomy_code"),
            credentials: try reader.optionalString("credentials"),
            supervisorMemberId: try reader.optionalID(MemberID.self, "supervisor_member_id"),
            active: try reader.bool("active"),
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
