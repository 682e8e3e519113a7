import BillingCore
import Foundation
import Logging
import PostgresNIO

/// One numbered SQL migration shipped as a resource (`SQL/NNNN_name.sql`).
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Creates a migration value.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies migrations as the owner role, one transaction each, under an advisory lock so that
/// two instances starting together do not race. A migration edited after it was applied is refused.
public struct MigrationRunner: Sendable {
    /// The lock key shared by every Ledgerline instance (`ledger` in ASCII, as a number).
    static let advisoryLockKey: Int64 = 0x6C_65_64_67_65_72
    let logger: Logger

    /// Creates a runner.
    public init(logger: Logger) { self.logger = logger }

    /// The migrations bundled with this build, in version order.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "SQL", withExtension: nil) else {
            throw StorageError.migration("the SQL migrations resource is missing from this build")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw StorageError.migration("migration file \(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (left, right) in zip(migrations, migrations.dropFirst()) where left.version == right.version {
            throw StorageError.migration("two migrations share version \(left.version)")
        }
        return migrations
    }

    /// Applies every pending migration; returns the names applied.
    /// - Parameters:
    ///   - url: The owner role's connection.
    ///   - appRole: The application role that must exist before the grants in migrations run.
    @discardableResult
    public func migrate(ownerURL url: DatabaseURL, appRole: String = "ledgerline_app",
                        migrations: [Migration]? = nil) async throws -> [String] {
        let migrations = try migrations ?? Self.bundled()
        return try await SingleConnection.with(url, logger: logger) { connection in
            try await connection.query("select pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let applied = try await apply(migrations, on: connection, appRole: appRole)
                try await connection.query("select pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("select pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection, appRole: String) async throws -> [String] {
        let roleRows = try await connection.query("select 1 from pg_roles where rolname = \(appRole)", logger: logger)
        var roleExists = false
        for try await _ in roleRows { roleExists = true }
        guard roleExists else {
            throw StorageError.migration(
                "the application role \(appRole) does not exist; create it first (see infra/sql/roles.sql)")
        }
        try await connection.query("""
            create table if not exists schema_migrations (
                version integer primary key,
                name text not null,
                checksum text not null,
                applied_at timestamptz not null default now()
            )
            """, logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "grant select on schema_migrations to \"\(appRole)\""), logger: logger)
        var applied: [Int: (name: String, checksum: String)] = [:]
        let rows = try await connection.query("select version, name, checksum from schema_migrations", logger: logger)
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            applied[version] = (name, checksum)
        }
        var done: [String] = []
        for migration in migrations {
            let checksum = try await Self.checksum(migration.sql, on: connection, logger: logger)
            if let existing = applied[migration.version] {
                guard existing.checksum == checksum else {
                    throw StorageError.migration(
                        "migration \(migration.name) was edited after it was applied (recorded checksum \(existing.checksum.prefix(12)), file \(checksum.prefix(12))); add a new migration instead")
                }
                continue
            }
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    insert into schema_migrations (version, name, checksum) values (\(migration.version), \(migration.name), \(checksum))
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw StorageError.migration("migration \(migration.name) failed: \(String(reflecting: error))")
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            done.append(migration.name)
        }
        return done
    }

    /// Compares the database with this build: `nil` when current, otherwise what is pending.
    public static func pendingMigrations(in transaction: Transaction) async throws -> [String] {
        let bundled = try bundled()
        var applied: Set<Int> = []
        let rows = try await transaction.query("select version from schema_migrations")
        for try await version in rows.decode(Int.self) { applied.insert(version) }
        return bundled.filter { !applied.contains($0.version) }.map(\.name)
    }

    /// SHA-256 of the migration text (hex), computed by PostgreSQL so every machine agrees.
    static func checksum(_ text: String, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let rows = try await connection.query("select encode(sha256(convert_to(\(text), 'UTF8')), 'hex')", logger: logger)
        for try await digest in rows.decode(String.self) { return digest }
        throw StorageError.migration("could not compute a checksum")
    }
}

/// Opens one connection for a short administrative task and closes it afterwards.
public enum SingleConnection {
    /// Runs `body` with a fresh connection to `url`.
    public static func with<Result: Sendable>(
        _ url: DatabaseURL, logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let configuration: PostgresConnection.Configuration
        if let socketDirectory = url.socketDirectory {
            configuration = .init(unixSocketPath: socketDirectory + "/.s.PGSQL.\(url.port)", username: url.username,
                                  password: url.password, database: url.database)
        } else {
            configuration = .init(host: url.host ?? "127.0.0.1", port: url.port, username: url.username,
                                  password: url.password, database: url.database, tls: .disable)
        }
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
