import Foundation
import Logging
import Storage
import Testing

/// Migrations: applied once, safe to run concurrently, an edited applied migration refused.
@Suite struct MigrationTests {
    /// A new empty database on the test cluster, with the owner role's URL.
    static func freshDatabase() async throws -> DatabaseURL {
        let environment = try await TestEnvironment.shared()
        let clusterAdmin = environment.adminURL.with(database: "postgres")
        let name = "ledgerline_migrate_\(UInt32.random(in: 0...UInt32.max))"
        try await Bootstrap.ensureRolesAndDatabase(adminURL: clusterAdmin, database: name, logger: environment.logger)
        return clusterAdmin.with(username: "ledgerline_owner", database: name)
    }

    static func appliedVersions(_ url: DatabaseURL, logger: Logger) async throws -> [Int] {
        try await SingleConnection.with(url, logger: logger) { connection in
            var versions: [Int] = []
            for try await version in try await connection.query("select version from schema_migrations order by version",
                                                                 logger: logger).decode(Int.self) {
                versions.append(version)
            }
            return versions
        }
    }

    @Test func secondRunAppliesNothing() async throws {
        let environment = try await TestEnvironment.shared()
        let url = try await Self.freshDatabase()
        let runner = MigrationRunner(logger: environment.logger)
        let first = try await runner.migrate(ownerURL: url)
        #expect(first.count == (try MigrationRunner.bundled()).count)
        let second = try await runner.migrate(ownerURL: url)
        #expect(second.isEmpty)
    }

    @Test func concurrentMigrationsApplyEachVersionOnce() async throws {
        let environment = try await TestEnvironment.shared()
        let url = try await Self.freshDatabase()
        let runner = MigrationRunner(logger: environment.logger)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { try await runner.migrate(ownerURL: url) } }
            var all: [String] = []
            for try await names in group { all += names }
            return all
        }
        let bundled = try MigrationRunner.bundled()
        #expect(applied.sorted() == bundled.map(\.name).sorted())
        #expect(try await Self.appliedVersions(url, logger: environment.logger) == bundled.map(\.version))
    }

    @Test func editedAppliedMigrationIsRefused() async throws {
        let environment = try await TestEnvironment.shared()
        let url = try await Self.freshDatabase()
        let runner = MigrationRunner(logger: environment.logger)
        var migrations = try MigrationRunner.bundled()
        try await runner.migrate(ownerURL: url, migrations: migrations)
        let first = migrations[0]
        migrations[0] = Migration(version: first.version, name: first.name, sql: first.sql + "\n-- edited\n")
        do {
            try await runner.migrate(ownerURL: url, migrations: migrations)
            Issue.record("an edited migration was accepted")
        } catch let error as StorageError {
            #expect(String(describing: error).contains("was edited after it was applied"))
        }
    }

    @Test func missingApplicationRoleIsReportedClearly() async throws {
        let environment = try await TestEnvironment.shared()
        let url = try await Self.freshDatabase()
        do {
            try await MigrationRunner(logger: environment.logger).migrate(ownerURL: url, appRole: "no_such_role")
            Issue.record("migrations ran without the application role")
        } catch let error as StorageError {
            #expect(String(describing: error).contains("no_such_role does not exist"))
        }
    }

    @Test func scriptSplitterKeepsFunctionBodiesAndQuotesWhole() {
        let script = """
            -- a comment; with a semicolon
            create function f() returns int language plpgsql as $$ begin return 1; end $$;
            insert into t values ('a;b', 'it''s');
            /* block; comment */ select $tag$ x; y $tag$;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 3)
        #expect(statements[0].hasSuffix("$$ begin return 1; end $$"))
        #expect(statements[1] == "insert into t values ('a;b', 'it''s')")
        #expect(statements[2] == "select $tag$ x; y $tag$")
    }
}
