import BillingCore
import Foundation
import PostgresNIO
import Storage

/// A base table in schema `public`, as the superuser sees it.
struct InspectedTable: Sendable, Hashable {
    /// The table name.
    let name: String
    /// The name quoted for use as an SQL identifier (`quote_ident`).
    let quotedName: String
    /// `true` when the table has a `practice_id` column.
    let hasPracticeID: Bool
    /// `true` when the table has a uuid `id` column.
    let hasIDColumn: Bool
}

/// The row count and content digest of one table's rows that belong to one practice.
struct InspectedTableState: Sendable, Hashable, CustomStringConvertible {
    let count: Int
    let digest: String
    var description: String { "\(count) rows, md5 \(digest)" }
}

/// Superuser-side inspection of tables for the security suites (bypasses row-level security;
/// for assertions only, never for the behaviour under test).
enum TableInspector {
    /// Tables that carry `practice_id` but are global on purpose (ARCHITECTURE.md §3): the
    /// credential index is read only through `ll_authenticate`, the file-token index only through
    /// `ll_file_by_token` (neither readable by the application role); the job queue is claimed globally.
    static let globalTablesWithPracticeID: Set<String> = ["credential_index", "file_index", "jobs", "webhook_endpoints"]

    /// Every reviewed global table. A new table that is not tenant-scoped fails the catalog lint
    /// until someone adds it here on purpose. `payers` is the global payer catalog (reference data, no PHI).
    static let reviewedGlobalTables: Set<String> = ["credential_index", "file_index", "jobs", "payers", "schema_migrations",
                                                    "webhook_endpoints", "identities", "password_resets",
                                                    "sign_in_failures"]

    /// Every base table in `public`, enumerated from `information_schema`.
    static func tables(_ environment: TestEnvironment) async throws -> [InspectedTable] {
        try await environment.admin.withConnection { connection in
            let rows = try await connection.rows("""
                select t.table_name::text, quote_ident(t.table_name::text),
                       exists (select 1 from information_schema.columns c
                               where c.table_schema = t.table_schema and c.table_name = t.table_name
                                 and c.column_name = 'practice_id'),
                       exists (select 1 from information_schema.columns c
                               where c.table_schema = t.table_schema and c.table_name = t.table_name
                                 and c.column_name = 'id' and c.data_type = 'uuid')
                from information_schema.tables t
                where t.table_schema = 'public' and t.table_type = 'BASE TABLE'
                order by 1
                """)
            return try rows.map { row in
                let (name, quoted, hasPracticeID, hasIDColumn) = try row.decode((String, String, Bool, Bool).self)
                return InspectedTable(name: name, quotedName: quoted, hasPracticeID: hasPracticeID, hasIDColumn: hasIDColumn)
            }
        }
    }

    /// Tables under row-level security: a `practice_id` column and not a reviewed global table.
    static func tenantTables(_ environment: TestEnvironment) async throws -> [InspectedTable] {
        try await tables(environment).filter { $0.hasPracticeID && !globalTablesWithPracticeID.contains($0.name) }
    }

    /// The count and md5 of the rows of `practiceID` in every table with a `practice_id` column.
    ///
    /// - Parameter ignoring: columns left out of the digest (such as `last_used_at`, which
    ///   authentication touches); when empty, rows are hashed as `t::text` exactly.
    static func practiceState(_ practiceID: UUID, in environment: TestEnvironment, ignoring: [String] = [])
        async throws -> [String: InspectedTableState]
    {
        var states: [String: InspectedTableState] = [:]
        for table in try await tables(environment) where table.hasPracticeID {
            let rowText = ignoring.isEmpty ? "t::text" : "(to_jsonb(t) - $2::text[])::text"
            var bindings = PostgresBindings()
            bindings.append(practiceID)
            if !ignoring.isEmpty { bindings.append(ignoring) }
            let query = PostgresQuery(unsafeSQL: """
                select count(*)::int8, coalesce(md5(string_agg(x, ',' order by x)), '')
                from (select \(rowText) as x from \(table.quotedName) t where practice_id = $1) s
                """, binds: bindings)
            states[table.name] = try await environment.admin.withConnection { connection in
                guard let row = try await connection.firstRow(query) else { return InspectedTableState(count: 0, digest: "") }
                let (count, digest) = try row.decode((Int, String).self)
                return InspectedTableState(count: count, digest: digest)
            }
        }
        return states
    }

    /// The number of rows of `table`, all practices together.
    static func rowCount(_ table: InspectedTable, in environment: TestEnvironment) async throws -> Int {
        try await environment.count(PostgresQuery(unsafeSQL: "select count(*)::int8 from \(table.quotedName)"))
    }

    /// The number of rows of `table` whose text form contains `marker`.
    static func rowsMentioning(_ marker: String, in table: InspectedTable, environment: TestEnvironment) async throws -> Int {
        var bindings = PostgresBindings()
        bindings.append("%" + marker + "%")
        return try await environment.count(PostgresQuery(
            unsafeSQL: "select count(*)::int8 from \(table.quotedName) t where t::text like $1", binds: bindings))
    }

    /// The UUID behind a wire id such as `prc_0193…`.
    static func uuid(of wireID: String) -> UUID? {
        guard let underscore = wireID.firstIndex(of: "_") else { return nil }
        return IDCodec.decode(wireID, prefix: String(wireID[..<underscore]))
    }
}
