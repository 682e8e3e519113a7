import BillingCore
import Foundation
import PostgresNIO

/// The facts about sessions that a bill is built from (read straight from the session tables so
/// bills never depend on how sessions are edited).
public struct BillableSession: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public let lineNumber: Int
        public let code: String
        public let description: String
        public let units: Int
        public let rateCents: Int64
        public let modifiers: [String]
    }
    public let id: SessionID
    public let clientID: ClientID
    public let dateOfService: CalendarDate
    public let billing: String
    public let attendance: String
    public let copayCents: Int64
    public let lines: [Line]
}

/// Reads sessions for billing and the practice's time zone.
public struct BillingSourceRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Sessions with their lines, the policy copay for insurance sessions, and service descriptions.
    public func sessions(_ ids: [SessionID], in transaction: Transaction) async throws -> [SessionID: BillableSession] {
        guard !ids.isEmpty else { return [:] }
        let uuids = ids.map(\.uuid)
        var lines: [SessionID: [BillableSession.Line]] = [:]
        for row in try await transaction.rows("""
            select l.session_id, l.line_number, l.code, s.description, l.units, l.rate_cents, l.modifiers
            from session_lines l join services s on s.practice_id = l.practice_id and s.id = l.service_id
            where l.session_id = any(\(uuids)) order by l.session_id, l.line_number
            """) {
            let reader = RowReader(row)
            lines[try reader.id(SessionID.self, "session_id"), default: []].append(BillableSession.Line(
                lineNumber: try reader.int("line_number"), code: try reader.string("code"),
                description: try reader.string("description"), units: try reader.int("units"),
                rateCents: try reader.int64("rate_cents"), modifiers: try reader.strings("modifiers")))
        }
        var result: [SessionID: BillableSession] = [:]
        for row in try await transaction.rows("""
            select s.id, s.client_id, s.date_of_service::text as dos, s.billing, s.attendance,
                   coalesce(p.copay_cents, 0)::bigint as copay
            from sessions s left join policies p on p.practice_id = s.practice_id and p.id = s.policy_id
            where s.id = any(\(uuids))
            """) {
            let reader = RowReader(row)
            let id = try reader.id(SessionID.self, "id")
            result[id] = BillableSession(
                id: id, clientID: try reader.id(ClientID.self, "client_id"),
                dateOfService: CalendarDate(try reader.string("dos")) ?? CalendarDate(year: 2000, month: 1, day: 1)!,
                billing: try reader.string("billing"), attendance: try reader.string("attendance"),
                copayCents: try reader.int64("copay"), lines: lines[id] ?? [])
        }
        return result
    }

    /// `true` when the client exists in the current practice (locking it serializes its money movements).
    public func lockClient(_ clientID: ClientID, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("select id from clients where id = \(clientID.uuid) for update") != nil
    }

    /// The practice's IANA time zone.
    public func timeZone(in transaction: Transaction) async throws -> TimeZone {
        let row = try await transaction.firstRow("select time_zone from practices")
        let name = try row.map { try RowReader($0).string("time_zone") } ?? "UTC"
        return TimeZone(identifier: name) ?? TimeZone(identifier: "UTC")!
    }
}
