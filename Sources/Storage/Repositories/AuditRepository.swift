import BillingCore
import Foundation
import PostgresNIO

/// Appends to and reads the audit log of the current practice.
public struct AuditRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Appends one entry.
    public func append(_ entry: AuditEntry, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into audit_log (practice_id, id, at, actor_type, member_id, credential_id, method, entity_ids, outcome,
                                   error_code, request_id)
            values (\(practiceID.uuid), \(entry.id.uuid), \(entry.at), \(entry.actorType), \(entry.memberId?.uuid),
                    \(entry.credentialId), \(entry.method), \(entry.entityIds), \(entry.outcome), \(entry.errorCode),
                    \(entry.requestId))
            """)
    }

    /// Filters for listing the audit log.
    public struct Filter: Sendable {
        public var memberID: MemberID?
        public var method: String?
        public var outcome: String?
        public var from: Date?
        public var to: Date?

        /// Creates a filter.
        public init(memberID: MemberID? = nil, method: String? = nil, outcome: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.memberID = memberID
            self.method = method
            self.outcome = outcome
            self.from = from
            self.to = to
        }
    }

    /// A page of entries, newest first, before `cursor`.
    public func list(_ filter: Filter, before cursor: AuditEntryID?, limit: Int, in transaction: Transaction) async throws
        -> Page<AuditEntry>
    {
        let rows = try await transaction.rows("""
            select id, at, actor_type, member_id, credential_id, method, entity_ids, outcome, error_code, request_id
            from audit_log
            where (\(cursor?.uuid)::uuid is null or id < \(cursor?.uuid))
              and (\(filter.memberID?.uuid)::uuid is null or member_id = \(filter.memberID?.uuid))
              and (\(filter.method)::text is null or method = \(filter.method))
              and (\(filter.outcome)::text is null or outcome = \(filter.outcome))
              and (\(filter.from)::timestamptz is null or at >= \(filter.from))
              and (\(filter.to)::timestamptz is null or at < \(filter.to))
            order by id desc limit \(limit + 1)
            """)
        var entries = try rows.map { row -> AuditEntry in
            let reader = RowReader(row)
            return AuditEntry(
                id: try reader.id(AuditEntryID.self, "id"), at: try reader.date("at"),
                actorType: try reader.string("actor_type"), memberId: try reader.optionalID(MemberID.self, "member_id"),
                credentialId: try reader.optionalString("credential_id"), method: try reader.string("method"),
                entityIds: try reader.strings("entity_ids"), outcome: try reader.string("outcome"),
                errorCode: try reader.optionalInt("error_code"), requestId: try reader.string("request_id"))
        }
        var next: String? = nil
        if entries.count > limit {
            entries.removeLast()
            next = entries.last?.id.description
        }
        return Page(items: entries, nextCursor: next)
    }
}
