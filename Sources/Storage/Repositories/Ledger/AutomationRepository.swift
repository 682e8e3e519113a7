import BillingCore
import Foundation
import PostgresNIO

/// A session no live bill carries yet.
public struct UnbilledSession: Sendable, Hashable {
    public var sessionID: SessionID
    public var clientID: ClientID
    public var dateOfService: CalendarDate
    /// `completed`, `noShow` or `lateCancel`.
    public var attendance: String
}

/// AutoPay's state for one client.
public struct AutoPayState: Sendable, Hashable {
    public var attempt: Int
    public var failures: Int
    public var nextAttemptOn: CalendarDate?
    public var stopped: Bool
    public var lastError: String?

    /// A client AutoPay has not tried yet.
    public static let fresh = AutoPayState(attempt: 0, failures: 0, nextAttemptOn: nil, stopped: false, lastError: nil)
}

/// Reads and writes what billing automation needs: unbilled sessions, run records, AutoPay state.
public struct AutomationRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Completed and missed sessions on or before `through` that no live bill carries, oldest first.
    public func unbilledSessions(through: CalendarDate, in transaction: Transaction) async throws -> [UnbilledSession] {
        try await transaction.rows("""
            select s.id, s.client_id, s.date_of_service::text as dos, s.attendance from sessions s
            where s.attendance in ('completed', 'noShow', 'lateCancel')
              and s.date_of_service <= \(through.description)::date
              and not exists (select 1 from bill_sessions bs join bills b on b.id = bs.bill_id
                              where bs.session_id = s.id and bs.active and b.status <> 'void')
            order by s.client_id, s.date_of_service, s.id
            """).map { row in
            let reader = RowReader(row)
            guard let date = CalendarDate(try reader.string("dos")) else {
                throw StorageError.configuration("session with an unreadable date")
            }
            return UnbilledSession(sessionID: try reader.id(SessionID.self, "id"),
                                   clientID: try reader.id(ClientID.self, "client_id"), dateOfService: date,
                                   attendance: try reader.string("attendance"))
        }
    }

    /// Records the run for `date`; `false` when that date already ran (another instance, or a retry).
    public func insertRun(date: CalendarDate, summary: String, practiceID: PracticeID, now: Date,
                          in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            insert into automation_runs (practice_id, run_date, summary, created_at)
            values (\(practiceID.uuid), \(date.description)::date, \(summary)::jsonb, \(now))
            on conflict (practice_id, run_date) do nothing returning run_date
            """) != nil
    }

    /// `true` when `date` already ran.
    public func hasRun(date: CalendarDate, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("select 1 from automation_runs where run_date = \(date.description)::date") != nil
    }

    /// Recent runs, newest first: date, summary JSON text, when.
    public func runs(limit: Int, in transaction: Transaction) async throws -> [(date: CalendarDate, summary: String, at: Date)] {
        try await transaction.rows("""
            select run_date::text as day, summary::text as summary, created_at from automation_runs
            order by run_date desc limit \(limit)
            """).map { row in
            let reader = RowReader(row)
            guard let date = CalendarDate(try reader.string("day")) else {
                throw StorageError.configuration("automation run with an unreadable date")
            }
            return (date, try reader.string("summary"), try reader.date("created_at"))
        }
    }

    /// The client's AutoPay state, locked.
    public func autoPayState(_ clientID: ClientID, in transaction: Transaction) async throws -> AutoPayState {
        guard let row = try await transaction.firstRow("""
            select attempt, failures, next_attempt_on::text as next_on, stopped_at is not null as stopped, last_error
            from autopay_state where client_id = \(clientID.uuid) for update
            """) else { return .fresh }
        let reader = RowReader(row)
        return AutoPayState(attempt: try reader.int("attempt"), failures: try reader.int("failures"),
                            nextAttemptOn: try reader.optionalString("next_on").flatMap(CalendarDate.init),
                            stopped: try reader.bool("stopped"), lastError: try reader.optionalString("last_error"))
    }

    /// Stores the client's AutoPay state.
    public func storeAutoPayState(_ state: AutoPayState, clientID: ClientID, practiceID: PracticeID, now: Date,
                                  in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into autopay_state (practice_id, client_id, attempt, failures, next_attempt_on, stopped_at, last_error,
                                       updated_at)
            values (\(practiceID.uuid), \(clientID.uuid), \(state.attempt), \(state.failures),
                    \(state.nextAttemptOn?.description)::date, case when \(state.stopped) then \(now)::timestamptz end,
                    \(state.lastError), \(now))
            on conflict (practice_id, client_id) do update set attempt = excluded.attempt, failures = excluded.failures,
                next_attempt_on = excluded.next_attempt_on,
                stopped_at = case when excluded.stopped_at is null then null
                                  else coalesce(autopay_state.stopped_at, excluded.stopped_at) end,
                last_error = excluded.last_error, updated_at = excluded.updated_at
            """)
    }

    /// Forgets a client's AutoPay declines (a new card was attached): AutoPay starts over.
    public func resetAutoPay(_ clientID: ClientID, in transaction: Transaction) async throws {
        try await transaction.query("""
            update autopay_state set failures = 0, next_attempt_on = null, stopped_at = null, last_error = null,
                updated_at = now()
            where client_id = \(clientID.uuid)
            """)
    }
}
