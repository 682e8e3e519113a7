import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes `sessions` and their `session_lines` in the current practice, and reads the
/// catalog facts (services, locations) and bill links that sessions depend on.
public struct SessionRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Filters for ``list(_:after:limit:in:)``.
    public struct Filter: Sendable {
        public var clientID: ClientID?
        /// First date of service included.
        public var from: CalendarDate?
        /// Last date of service included.
        public var to: CalendarDate?
        public var billing: BillingMode?
        public var attendance: Attendance?
        /// Row-level restriction for clinicians: sessions of clients assigned to this member, or
        /// sessions the member renders or supervises.
        public var visibleTo: MemberID?

        /// Creates a filter.
        public init(clientID: ClientID? = nil, from: CalendarDate? = nil, to: CalendarDate? = nil,
                    billing: BillingMode? = nil, attendance: Attendance? = nil, visibleTo: MemberID? = nil) {
            self.clientID = clientID
            self.from = from
            self.to = to
            self.billing = billing
            self.attendance = attendance
            self.visibleTo = visibleTo
        }
    }

    static let columns = """
        s.id, s.client_id, s.rendering_member_id, s.supervising_member_id, s.location_id, s.external_id,
        s.date_of_service::text as date_of_service, to_char(s.start_time, 'HH24:MI') as start_time, s.duration_minutes,
        s.place_of_service, s.billing, s.policy_id, s.attendance, s.version, s.created_at, s.updated_at
        """

    /// Inserts a session and its lines.
    public func insert(_ session: Session, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into sessions (practice_id, id, client_id, rendering_member_id, supervising_member_id, location_id,
                                  external_id, date_of_service, start_time, duration_minutes, place_of_service, billing,
                                  policy_id, attendance, version, created_at, updated_at)
            values (\(practiceID.uuid), \(session.id.uuid), \(session.clientId.uuid), \(session.renderingMemberId.uuid),
                    \(session.supervisingMemberId?.uuid), \(session.locationId?.uuid), \(session.externalId),
                    \(session.dateOfService.description)::date, \(session.startTime?.description)::time,
                    \(session.durationMinutes), \(session.placeOfService), \(session.billing.rawValue),
                    \(session.policyId?.uuid), \(session.attendance.rawValue), \(session.version), \(session.createdAt),
                    \(session.updatedAt))
            """)
        try await insertLines(session.lines, of: session.id, practiceID: practiceID, in: transaction)
    }

    /// The session with `id` and its lines; `forUpdate` locks the session row until the transaction ends.
    public func find(_ id: SessionID, in transaction: Transaction, forUpdate: Bool = false) async throws -> Session? {
        let lock = forUpdate ? " for update of s" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from sessions s where s.id = \(id.uuid)\(unescaped: lock)")
        else { return nil }
        return try await withLines([try Self.decode(row)], in: transaction).first
    }

    /// The sessions with these ids and their lines, in date-of-service order (unknown ids are skipped).
    public func find(_ ids: [SessionID], in transaction: Transaction) async throws -> [Session] {
        guard !ids.isEmpty else { return [] }
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from sessions s where s.id = any(\(ids.map(\.uuid))::uuid[])
            order by s.date_of_service, s.id
            """)
        return try await withLines(try rows.map(Self.decode), in: transaction)
    }

    /// A page of sessions, newest date of service first, after `cursor` (a session id from the previous page).
    public func list(_ filter: Filter, after cursor: SessionID?, limit: Int, in transaction: Transaction) async throws
        -> Page<Session>
    {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from sessions s
            where (\(cursor?.uuid)::uuid is null
                   or (s.date_of_service, s.id)
                      < (select c.date_of_service, c.id from sessions c where c.id = \(cursor?.uuid)))
              and (\(filter.clientID?.uuid)::uuid is null or s.client_id = \(filter.clientID?.uuid))
              and (\(filter.from?.description)::date is null or s.date_of_service >= \(filter.from?.description)::date)
              and (\(filter.to?.description)::date is null or s.date_of_service <= \(filter.to?.description)::date)
              and (\(filter.billing?.rawValue)::text is null or s.billing = \(filter.billing?.rawValue))
              and (\(filter.attendance?.rawValue)::text is null or s.attendance = \(filter.attendance?.rawValue))
              and (\(filter.visibleTo?.uuid)::uuid is null
                   or s.rendering_member_id = \(filter.visibleTo?.uuid)
                   or s.supervising_member_id = \(filter.visibleTo?.uuid)
                   or exists (select 1 from client_clinicians cc where cc.practice_id = s.practice_id
                                and cc.client_id = s.client_id and cc.member_id = \(filter.visibleTo?.uuid)))
            order by s.date_of_service desc, s.id desc limit \(limit + 1)
            """)
        var sessions = try rows.map(Self.decode)
        var next: String? = nil
        if sessions.count > limit {
            sessions.removeLast()
            next = sessions.last?.id.description
        }
        return Page(items: try await withLines(sessions, in: transaction), nextCursor: next)
    }

    /// Writes `session` and replaces its lines if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ session: Session, expectedVersion: Int, practiceID: PracticeID, in transaction: Transaction)
        async throws -> Session?
    {
        let row = try await transaction.firstRow("""
            update sessions set client_id = \(session.clientId.uuid),
                rendering_member_id = \(session.renderingMemberId.uuid),
                supervising_member_id = \(session.supervisingMemberId?.uuid), location_id = \(session.locationId?.uuid),
                external_id = \(session.externalId), date_of_service = \(session.dateOfService.description)::date,
                start_time = \(session.startTime?.description)::time, duration_minutes = \(session.durationMinutes),
                place_of_service = \(session.placeOfService), billing = \(session.billing.rawValue),
                policy_id = \(session.policyId?.uuid), attendance = \(session.attendance.rawValue),
                version = version + 1, updated_at = now()
            where id = \(session.id.uuid) and version = \(expectedVersion)
            returning id
            """)
        guard row != nil else { return nil }
        // The application role may insert and delete lines but not update them: replace the set.
        try await transaction.query("delete from session_lines where session_id = \(session.id.uuid)")
        try await insertLines(session.lines, of: session.id, practiceID: practiceID, in: transaction)
        return try await find(session.id, in: transaction)
    }

    /// `true` when another session of the practice already has `externalId`.
    public func externalIdTaken(_ externalId: String, except id: SessionID?, in transaction: Transaction) async throws
        -> Bool
    {
        try await transaction.firstRow("""
            select 1 from sessions where external_id = \(externalId) and (\(id?.uuid)::uuid is null or id <> \(id?.uuid))
            """) != nil
    }

    /// The live bill (a `bill_sessions` row with `active`) of each of `sessionIDs` that is billed.
    public func activeBills(for sessionIDs: [SessionID], in transaction: Transaction) async throws -> [SessionID: BillID] {
        guard !sessionIDs.isEmpty else { return [:] }
        let rows = try await transaction.rows("""
            select session_id, bill_id from bill_sessions
            where active and session_id = any(\(sessionIDs.map(\.uuid))::uuid[])
            """)
        var bills: [SessionID: BillID] = [:]
        for row in rows {
            let reader = RowReader(row)
            bills[try reader.id(SessionID.self, "session_id")] = try reader.id(BillID.self, "bill_id")
        }
        return bills
    }

    /// Catalog facts of the practice's services with these ids (unknown ids are absent).
    public func services(_ ids: [ServiceID], in transaction: Transaction) async throws -> [ServiceID: SessionServiceFacts] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await transaction.rows("""
            select id, code, code_type, name, default_rate_cents, enabled, may_repeat, addon_parent_codes from services
            where id = any(\(ids.map(\.uuid))::uuid[])
            """)
        var services: [ServiceID: SessionServiceFacts] = [:]
        for row in rows {
            let reader = RowReader(row)
            let service = SessionServiceFacts(
                id: try reader.id(ServiceID.self, "id"), code: try reader.string("code"),
                codeType: try reader.string("code_type"), name: try reader.string("name"),
                defaultRateCents: try reader.int64("default_rate_cents"), enabled: try reader.bool("enabled"),
                mayRepeat: try reader.bool("may_repeat"), addonParentCodes: try reader.strings("addon_parent_codes"))
            services[service.id] = service
        }
        return services
    }

    /// Whether the service location `id` exists (`nil` when it does not) and is active.
    public func locationIsActive(_ id: LocationID, in transaction: Transaction) async throws -> Bool? {
        guard let row = try await transaction.firstRow("select active from service_locations where id = \(id.uuid)")
        else { return nil }
        return try RowReader(row).bool("active")
    }

    private func insertLines(_ lines: [SessionLine], of sessionID: SessionID, practiceID: PracticeID,
                             in transaction: Transaction) async throws {
        for line in lines {
            try await transaction.query("""
                insert into session_lines (practice_id, session_id, line_number, service_id, code, units, rate_cents,
                                           modifiers)
                values (\(practiceID.uuid), \(sessionID.uuid), \(line.lineNumber), \(line.serviceId.uuid), \(line.code),
                        \(line.units), \(line.rateCents), \(line.modifiers))
                """)
        }
    }

    private func withLines(_ sessions: [Session], in transaction: Transaction) async throws -> [Session] {
        guard !sessions.isEmpty else { return [] }
        let rows = try await transaction.rows("""
            select session_id, line_number, service_id, code, units, rate_cents, modifiers from session_lines
            where session_id = any(\(sessions.map(\.id.uuid))::uuid[]) order by session_id, line_number
            """)
        var lines: [SessionID: [SessionLine]] = [:]
        for row in rows {
            let reader = RowReader(row)
            lines[try reader.id(SessionID.self, "session_id"), default: []].append(SessionLine(
                lineNumber: try reader.int("line_number"), serviceId: try reader.id(ServiceID.self, "service_id"),
                code: try reader.string("code"), units: try reader.int("units"), rateCents: try reader.int64("rate_cents"),
                modifiers: try reader.strings("modifiers")))
        }
        return sessions.map { session in
            var copy = session
            copy.lines = lines[session.id] ?? []
            return copy
        }
    }

    static func decode(_ row: PostgresRow) throws -> Session {
        let reader = RowReader(row)
        let startTime = try reader.optionalString("start_time")
        return Session(
            id: try reader.id(SessionID.self, "id"),
            clientId: try reader.id(ClientID.self, "client_id"),
            renderingMemberId: try reader.id(MemberID.self, "rendering_member_id"),
            supervisingMemberId: try reader.optionalID(MemberID.self, "supervising_member_id"),
            locationId: try reader.optionalID(LocationID.self, "location_id"),
            externalId: try reader.optionalString("external_id"),
            dateOfService: try reader.calendarDate("date_of_service"),
            startTime: startTime.flatMap(TimeOfDay.init),
            durationMinutes: try reader.optionalInt("duration_minutes"),
            placeOfService: try reader.string("place_of_service"),
            billing: try reader.enumeration(BillingMode.self, "billing"),
            policyId: try reader.optionalID(PolicyID.self, "policy_id"),
            attendance: try reader.enumeration(Attendance.self, "attendance"),
            lines: [],
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
