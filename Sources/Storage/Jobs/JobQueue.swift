import BillingCore
import Foundation
import PostgresNIO

/// A job to put on the queue, in the same transaction as the change that needs it (outbox).
public struct NewJob: Sendable {
    public var practiceID: PracticeID
    public var kind: String
    /// JSON object text with ids only, never PHI.
    public var payload: String
    public var runAt: Date?
    public var maxAttempts: Int
    /// When set, a second job with the same practice, kind and key is not added.
    public var dedupeKey: String?

    /// Describes a job.
    public init(practiceID: PracticeID, kind: String, payload: String = "{}", runAt: Date? = nil, maxAttempts: Int = 10,
                dedupeKey: String? = nil) {
        self.practiceID = practiceID
        self.kind = kind
        self.payload = payload
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.dedupeKey = dedupeKey
    }
}

/// A job leased by one worker.
public struct ClaimedJob: Sendable {
    public let id: Int64
    public let practiceID: PracticeID
    public let kind: String
    public let payload: String
    /// How many times the job has been started, this one included.
    public let attempts: Int
    public let maxAttempts: Int
    /// The lease token; only its holder may complete the job.
    public let leaseToken: String
}

/// Statuses of a job.
public enum JobStatus: String, Sendable, Codable {
    case queued, running, succeeded, dead
}

/// Enqueues, claims, renews and settles jobs in the global `jobs` table.
public struct JobQueue: Sendable {
    /// Creates the queue.
    public init() {}

    /// Adds a job inside the caller's transaction; returns its id, or `nil` when deduplicated.
    @discardableResult
    public func enqueue(_ job: NewJob, in transaction: Transaction) async throws -> Int64? {
        let row = try await transaction.firstRow("""
            insert into jobs (practice_id, kind, payload, run_at, max_attempts, dedupe_key)
            values (\(job.practiceID.uuid), \(job.kind), \(job.payload)::jsonb, coalesce(\(job.runAt), now()),
                    \(job.maxAttempts), \(job.dedupeKey))
            on conflict (practice_id, kind, dedupe_key) where dedupe_key is not null do nothing
            returning id
            """)
        return try row.map { try RowReader($0).int64("id") }
    }

    /// Leases up to `limit` due jobs of the given kinds (and jobs whose lease has expired).
    public func claim(kinds: [String], limit: Int, leaseSeconds: Double, workerID: String,
                      in transaction: Transaction) async throws -> [ClaimedJob] {
        let token = "\(workerID):\(UUID().uuidString.lowercased())"
        let rows = try await transaction.rows("""
            with next as (
                select id from jobs
                where kind = any(\(kinds))
                  and ((status = 'queued' and run_at <= now()) or (status = 'running' and lease_expires_at < now()))
                order by run_at, id
                for update skip locked
                limit \(limit)
            )
            update jobs j set status = 'running', attempts = j.attempts + 1,
                lease_expires_at = now() + make_interval(secs => \(leaseSeconds)), locked_by = \(token), updated_at = now()
            from next where j.id = next.id
            returning j.id, j.practice_id, j.kind, j.payload::text as payload, j.attempts, j.max_attempts
            """)
        return try rows.map { row in
            let reader = RowReader(row)
            return ClaimedJob(id: try reader.int64("id"), practiceID: try reader.id(PracticeID.self, "practice_id"),
                              kind: try reader.string("kind"), payload: try reader.string("payload"),
                              attempts: try reader.int("attempts"), maxAttempts: try reader.int("max_attempts"),
                              leaseToken: token)
        }
    }

    /// Extends a lease; returns `false` when the lease was lost (the job was rescued by another worker).
    public func renew(_ job: ClaimedJob, leaseSeconds: Double, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            update jobs set lease_expires_at = now() + make_interval(secs => \(leaseSeconds)), updated_at = now()
            where id = \(job.id) and locked_by = \(job.leaseToken) and status = 'running'
            returning id
            """) != nil
    }

    /// Marks the job done inside the transaction that applied its effect; returns `false` when the
    /// lease was lost, in which case the caller must roll back.
    public func markSucceeded(_ job: ClaimedJob, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            update jobs set status = 'succeeded', finished_at = now(), updated_at = now(), lease_expires_at = null,
                last_error = null
            where id = \(job.id) and locked_by = \(job.leaseToken) and status = 'running'
            returning id
            """) != nil
    }

    /// Records a failure: back to the queue after `retryAfterSeconds`, or dead when attempts are spent
    /// or `permanent` is set.
    public func markFailed(_ job: ClaimedJob, error: String, retryAfterSeconds: Double, permanent: Bool,
                           in transaction: Transaction) async throws {
        try await transaction.query("""
            update jobs set
                status = case when \(permanent) or attempts >= max_attempts then 'dead' else 'queued' end,
                run_at = now() + make_interval(secs => \(retryAfterSeconds)),
                finished_at = case when \(permanent) or attempts >= max_attempts then now() else null end,
                last_error = left(\(error), 2000), locked_by = null, lease_expires_at = null, updated_at = now()
            where id = \(job.id) and locked_by = \(job.leaseToken)
            """)
    }

    /// Queue depth per kind and state, and how long the oldest due job of each kind has waited.
    ///
    /// States: `due` (queued, ready to run), `scheduled` (queued for later: retries, automation),
    /// `running` (leased), `expired` (leased, but the lease ran out: its worker died and no one has
    /// taken it over yet), `dead`. Finished jobs are not counted.
    public func depth(in transaction: Transaction) async throws -> [JobQueueDepth] {
        let rows = try await transaction.rows("""
            select kind,
                   case when status = 'queued' and run_at <= now() then 'due'
                        when status = 'queued' then 'scheduled'
                        when status = 'running' and lease_expires_at < now() then 'expired'
                        else status end as state,
                   count(*)::int8 as n,
                   coalesce(extract(epoch from now() - min(run_at) filter (where status = 'queued' and run_at <= now())),
                            0)::float8 as age
            from jobs where status in ('queued', 'running', 'dead') group by 1, 2
            """)
        return try rows.map { row in
            let (kind, state, count, age) = try row.decode((String, String, Int64, Double).self)
            return JobQueueDepth(kind: kind, state: state, count: Int(count), oldestDueAgeSeconds: age)
        }
    }
}

/// One kind and state of ``JobQueue/depth(in:)``.
public struct JobQueueDepth: Sendable, Equatable {
    public var kind: String
    public var state: String
    public var count: Int
    /// Seconds since the oldest due job became due (0 for other states).
    public var oldestDueAgeSeconds: Double

    /// The states ``JobQueue/depth(in:)`` reports.
    public static let states = ["due", "scheduled", "running", "expired", "dead"]
}
