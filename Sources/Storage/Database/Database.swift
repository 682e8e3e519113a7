import BillingCore
import Foundation
import Logging
import Metrics
import PostgresNIO
import Synchronization
import ServiceLifecycle

/// The pooled connection to PostgreSQL, and the only way the rest of the server reaches it.
///
/// Every unit of work is one transaction. Tenant work goes through ``withTenant(_:_:)``, which
/// sets `app.practice_id` for that transaction only, so pooled connections cannot leak it.
public final class Database: Service, Sendable {
    /// The underlying PostgresNIO client (run it with ``run()``).
    public let client: PostgresClient
    let logger: Logger
    /// Leases in use and waiting, published as `ledgerline_db_pool_*` metrics.
    let pool: PoolUse

    /// Creates a database handle; call ``run()`` (or add it to a ServiceGroup) before use.
    ///
    /// Bootstrap the metrics system first: the pool gauges bind to the factory present at creation.
    public init(url: DatabaseURL, maximumConnections: Int = 20, logger: Logger) {
        self.client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections),
                                     backgroundLogger: logger)
        self.logger = logger
        self.pool = PoolUse(size: maximumConnections)
    }

    /// Runs the connection pool until cancelled or shut down.
    public func run() async throws {
        await client.run()
    }

    /// Runs `body` in a transaction with no practice set (tenant tables raise if touched).
    public func withTransaction<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        let lease = pool.request()
        defer { lease.end() }
        return try await client.withConnection(isolation: isolation) { connection in
            lease.acquired()
            return try await Self.transaction(on: connection, logger: logger, body)
        }
    }

    /// Runs `body` in a transaction scoped to `practiceID`.
    public func withTenant<Result: Sendable>(
        _ practiceID: PracticeID,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        try await withTransaction(isolation: isolation) { transaction in
            try await transaction.setTenant(practiceID)
            return try await body(transaction)
        }
    }

    /// Runs one statement outside any explicit transaction (health checks, maintenance).
    public func withConnection<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        let lease = pool.request()
        defer { lease.end() }
        return try await client.withConnection(isolation: isolation) { connection in
            lease.acquired()
            return try await body(Transaction(connection: connection, logger: logger))
        }
    }

    static func transaction<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        on connection: PostgresConnection, logger: Logger, _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        let transaction = Transaction(connection: connection, logger: logger)
        try await transaction.query("BEGIN")
        let result: Result
        do {
            result = try await body(transaction)
        } catch {
            if connectionIsGone(error, connection) {
                // The server ended the session (restart, failover, pg_terminate_backend) or the socket
                // broke: there is no transaction left to roll back, and PostgresNIO 1.33 may never
                // answer a statement sent on a connection that is closing. Close it; the pool replaces it.
                Task { try? await connection.close() }
            } else {
                do {
                    try await bounded(.seconds(10)) { try await connection.query("ROLLBACK", logger: logger) }
                } catch {
                    // The connection is broken; closing it makes the pool discard it.
                    Task { try? await connection.close() }
                }
            }
            throw StorageError.classify(error) ?? error
        }
        do {
            try await transaction.query("COMMIT")
        } catch {
            throw StorageError.classify(error) ?? error
        }
        return result
    }
}

/// `true` when `error` says the connection itself is gone, not just the statement: the server
/// closed it (class 57 "operator intervention", class 08 "connection exception") or the socket did.
func connectionIsGone(_ error: any Error, _ connection: PostgresConnection) -> Bool {
    if connection.isClosed || error is ConnectionLost { return true }
    guard let error = error as? PSQLError else { return false }
    switch error.code {
    case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
        return true
    case .server:
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("57P") || state.hasPrefix("08")
    default:
        return false
    }
}

/// The statement did not answer within its bound (its connection is presumed dead).
struct StatementTimedOut: Error {}

/// The connection closed while a statement waited on it (a restart, a failover, a terminated
/// backend, a broken socket); the statement's outcome is whatever PostgreSQL did before.
public struct ConnectionLost: Error, CustomStringConvertible {
    public var description: String { "the database connection closed while a statement was waiting on it" }
}

/// Runs `operation`, giving up after `limit`: the caller goes on, the operation is left to finish
/// or fail on its own. For statements on a connection that may be closing, which PostgresNIO does
/// not always fail.
func bounded(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> Void) async throws {
    let once = ResumeOnce<Void>()
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        once.set(continuation)
        let work = Task {
            do {
                try await operation()
                once.resume(.success(()))
            } catch {
                once.resume(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: limit)
            once.resume(.failure(StatementTimedOut()))
            work.cancel()
        }
    }
}

/// A continuation resumed by whichever of its racers comes first.
final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, any Error>) { self.continuation.withLock { $0 = continuation } }

    func resume(_ result: Result<Value, any Error>) {
        continuation.withLock { pending in
            pending?.resume(with: result)
            pending = nil
        }
    }
}

/// Fails the statements waiting on a connection the moment it closes.
///
/// PostgresNIO 1.33.2 sometimes never answers a statement that was sent on a connection while the
/// server was closing it (PostgreSQL restarting: FATAL 57P01, then EOF), so a request would wait
/// forever holding its pool lease. Each statement runs in its own task and its caller waits on a
/// continuation that either the statement or the connection's close completes. One watch per
/// connection (a single close callback), removed when the connection closes.
final class ConnectionWatch: Sendable {
    private static let watches = Mutex<[ObjectIdentifier: ConnectionWatch]>([:])
    private let state = Mutex((closed: false, next: UInt64(0), waiting: [UInt64: @Sendable (any Error) -> Void]()))

    /// The watch of `connection`, created (and its close callback registered) on first use.
    static func of(_ connection: PostgresConnection) -> ConnectionWatch {
        let key = ObjectIdentifier(connection)
        let (watch, created) = watches.withLock { watches -> (ConnectionWatch, Bool) in
            if let existing = watches[key] { return (existing, false) }
            let watch = ConnectionWatch()
            watches[key] = watch
            return (watch, true)
        }
        if created {
            connection.closeFuture.whenComplete { _ in
                watches.withLock { watches in
                    if watches[key] === watch { watches[key] = nil }
                }
                watch.close()
            }
        }
        return watch
    }

    /// Runs `operation`; throws ``ConnectionLost`` as soon as the connection closes, even if the
    /// operation itself is never answered.
    func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let once = ResumeOnce<Value>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            once.set(continuation)
            let ticket = state.withLock { state -> UInt64? in
                guard !state.closed else { return nil }
                state.next += 1
                state.waiting[state.next] = { error in once.resume(.failure(error)) }
                return state.next
            }
            guard let ticket else {
                once.resume(.failure(ConnectionLost()))
                return
            }
            Task {
                do {
                    once.resume(.success(try await operation()))
                } catch {
                    once.resume(.failure(error))
                }
                _ = self.state.withLock { $0.waiting.removeValue(forKey: ticket) }
            }
        }
    }

    private func close() {
        let waiting = state.withLock { state -> [@Sendable (any Error) -> Void] in
            state.closed = true
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for fail in waiting { fail(ConnectionLost()) }
    }
}

/// One open transaction on one connection. Do not keep it beyond the closure that received it.
public struct Transaction: @unchecked Sendable {
    /// The connection the transaction runs on.
    public let connection: PostgresConnection
    let logger: Logger

    /// Runs a parameterized statement and returns its rows.
    ///
    /// Like every statement here, it fails with ``ConnectionLost`` as soon as the connection closes.
    @discardableResult
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        let (connection, logger) = (connection, logger)
        return try await ConnectionWatch.of(connection).run {
            try await connection.query(query, logger: logger, file: file, line: line)
        }
    }

    /// Runs a statement and collects every row.
    public func rows(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        let (connection, logger) = (connection, logger)
        return try await ConnectionWatch.of(connection).run {
            var rows: [PostgresRow] = []
            for try await row in try await connection.query(query, logger: logger, file: file, line: line) {
                rows.append(row)
            }
            return rows
        }
    }

    /// Runs a statement and returns the first row, if any.
    public func firstRow(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRow? {
        let (connection, logger) = (connection, logger)
        return try await ConnectionWatch.of(connection).run {
            for try await row in try await connection.query(query, logger: logger, file: file, line: line) {
                return row
            }
            return nil
        }
    }

    /// Sets the practice for the rest of this transaction (`set_config(…, true)`).
    public func setTenant(_ practiceID: PracticeID) async throws {
        try await query("select set_config('app.practice_id', \(practiceID.uuid.uuidString.lowercased()), true)")
    }

    /// Sets a savepoint-free statement timeout for this transaction.
    public func setStatementTimeout(milliseconds: Int) async throws {
        try await query("select set_config('statement_timeout', \(String(milliseconds)), true)")
    }
}

/// Counts the pool's leases for the metrics an operator alerts on: connections in use against the
/// pool's size, calls waiting for one, and how long they waited.
final class PoolUse: Sendable {
    private let counts = Mutex((inUse: 0, waiting: 0))
    private let inUseGauge = Gauge(label: "ledgerline_db_pool_connections_in_use")
    private let waitingGauge = Gauge(label: "ledgerline_db_pool_requests_waiting")
    private let waitTimer = Timer(label: "ledgerline_db_pool_wait_duration_seconds")

    init(size: Int) {
        Gauge(label: "ledgerline_db_pool_size").record(size)
        inUseGauge.record(0)
        waitingGauge.record(0)
    }

    /// A call asks for a connection.
    func request() -> Lease {
        let waiting = counts.withLock { $0.waiting += 1; return $0.waiting }
        waitingGauge.record(waiting)
        return Lease(pool: self)
    }

    fileprivate func change(inUse: Int, waiting: Int) {
        let now = counts.withLock { counts -> (Int, Int) in
            counts.inUse += inUse
            counts.waiting += waiting
            return (counts.inUse, counts.waiting)
        }
        inUseGauge.record(now.0)
        waitingGauge.record(now.1)
    }

    /// One call's lease: waiting, then in use, then ended (whether or not a connection came).
    final class Lease: Sendable {
        private let pool: PoolUse
        private let requested = ContinuousClock.now
        /// 0 waiting, 1 in use, 2 ended.
        private let state = Mutex(0)

        fileprivate init(pool: PoolUse) { self.pool = pool }

        /// The pool handed over a connection.
        func acquired() {
            guard state.withLock({ state in
                guard state == 0 else { return false }
                state = 1
                return true
            }) else { return }
            pool.waitTimer.record(duration: ContinuousClock.now - requested)
            pool.change(inUse: 1, waiting: -1)
        }

        /// The call is over: the connection went back, or none ever came.
        func end() {
            let previous = state.withLock { state -> Int in
                defer { state = 2 }
                return state
            }
            switch previous {
            case 0: pool.change(inUse: 0, waiting: -1)
            case 1: pool.change(inUse: -1, waiting: 0)
            default: break
            }
        }
    }
}
