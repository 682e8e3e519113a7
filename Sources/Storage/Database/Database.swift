import BillingCore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The pooled connection to PostgreSQL, and the only way the rest of the server reaches it.
///
/// Every unit of work is one transaction. Tenant work goes through ``withTenant(_:_:)``, which
/// sets `app.practice_id` for that transaction only, so pooled connections cannot leak it.
public final class Database: Service, Sendable {
    /// The underlying PostgresNIO client (run it with ``run()``).
    public let client: PostgresClient
    let logger: Logger

    /// Creates a database handle; call ``run()`` (or add it to a ServiceGroup) before use.
    public init(url: DatabaseURL, maximumConnections: Int = 20, logger: Logger) {
        self.client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections),
                                     backgroundLogger: logger)
        self.logger = logger
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
        try await client.withConnection(isolation: isolation) { connection in
            try await Self.transaction(on: connection, logger: logger, body)
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
        try await client.withConnection(isolation: isolation) { connection in
            try await body(Transaction(connection: connection, logger: logger))
        }
    }

    static func transaction<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        on connection: PostgresConnection, logger: Logger, _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        try await connection.query("BEGIN", logger: logger)
        let transaction = Transaction(connection: connection, logger: logger)
        let result: Result
        do {
            result = try await body(transaction)
        } catch {
            do {
                try await connection.query("ROLLBACK", logger: logger)
            } catch {
                // The connection is broken; closing it makes the pool discard it.
                try? await connection.close()
            }
            throw StorageError.classify(error) ?? error
        }
        do {
            try await connection.query("COMMIT", logger: logger)
        } catch {
            throw StorageError.classify(error) ?? error
        }
        return result
    }
}

/// One open transaction on one connection. Do not keep it beyond the closure that received it.
public struct Transaction: @unchecked Sendable {
    /// The connection the transaction runs on.
    public let connection: PostgresConnection
    let logger: Logger

    /// Runs a parameterized statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger, file: file, line: line)
    }

    /// Runs a statement and collects every row.
    public func rows(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(query, logger: logger, file: file, line: line) {
            rows.append(row)
        }
        return rows
    }

    /// Runs a statement and returns the first row, if any.
    public func firstRow(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRow? {
        for try await row in try await connection.query(query, logger: logger, file: file, line: line) {
            return row
        }
        return nil
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
