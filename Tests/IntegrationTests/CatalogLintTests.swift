import BillingCore
import Foundation
import PostgresNIO
import Storage
import Testing

/// The CI lint of ARCHITECTURE.md §3: reads the catalog of the migrated database and fails when a
/// table, policy, key, view, function or the application role's rights break the tenancy rules.
@Suite struct CatalogLintTests {
    /// The only SECURITY DEFINER functions, each reviewed: credential lookup and the credential index
    /// trigger; file lookup by token and the file index trigger (the same narrow pattern).
    static let securityDefinerAllowList: Set<String> = ["ll_authenticate", "ll_index_api_key", "ll_file_by_token", "ll_index_file",
                                                        "ll_webhook_endpoint", "ll_webhook_register", "ll_index_credential",
                                                        "ll_identity", "ll_identity_memberships", "ll_identity_failed",
                                                        "ll_identity_succeeded", "ll_identity_set_password",
                                                        "ll_identity_set_totp", "ll_identity_unlock", "ll_invitation",
                                                        "ll_authenticate_session", "ll_reset_create", "ll_reset_use",
                                                        "ll_identity_revoke_sessions", "ll_sign_in_failure",
                                                        "ll_sign_in_failures"]
    static let applicationRole = "ledgerline_app"
    /// Global indexes the application role reaches only through their SECURITY DEFINER lookup function.
    static let lookupOnlyTables: Set<String> = ["credential_index", "file_index", "webhook_endpoints", "identities",
                                                "password_resets", "sign_in_failures"]

    static func rows<T: Sendable>(_ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRow) throws -> T)
        async throws -> [T]
    {
        try await TestEnvironment.shared().admin.withConnection { connection in
            try await connection.rows(query).map(decode)
        }
    }

    static func tenantTableNames() async throws -> Set<String> {
        Set(try await TableInspector.tenantTables(TestEnvironment.shared()).map(\.name))
    }

    @Test func tenantTablesEnableAndForceRowLevelSecurity() async throws {
        let tenant = try await Self.tenantTableNames()
        #expect(tenant.isSuperset(of: ["practices", "members", "api_keys", "audit_log"]))
        let flags = try await Self.rows("""
            select c.relname::text, c.relrowsecurity, c.relforcerowsecurity
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'p')
            """) { try $0.decode((String, Bool, Bool).self) }
        for (table, enabled, forced) in flags where tenant.contains(table) {
            #expect(enabled, "\(table) has row-level security disabled")
            #expect(forced, "\(table) does not FORCE row-level security (its owner would bypass it)")
        }
    }

    @Test func tenantTablesHaveAPolicyScopingUsingAndWithCheckToThePractice() async throws {
        let tenant = try await Self.tenantTableNames()
        let policies = try await Self.rows("""
            select c.relname::text, p.polname::text, p.polcmd::text, p.polpermissive,
                   coalesce(pg_get_expr(p.polqual, p.polrelid), ''), coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''),
                   array(select case when r = 0 then 'public' else r::regrole::text end from unnest(p.polroles) r)
            from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public'
            """) { try $0.decode((String, String, String, Bool, String, String, [String]).self) }
        func scopes(_ expression: String) -> Bool {
            expression.contains("practice_id")
                && (expression.contains("ll_current_practice()") || expression.contains("app.practice_id"))
        }
        for table in tenant.sorted() {
            let own = policies.filter { $0.0 == table }
            let tenantPolicy = own.contains { _, _, command, permissive, using, check, roles in
                command == "*" && permissive && scopes(using) && scopes(check)
                    && (roles.contains("public") || roles.contains(Self.applicationRole))
            }
            #expect(tenantPolicy, """
                \(table) lacks a permissive FOR ALL policy whose USING and WITH CHECK compare practice_id \
                with the transaction's practice; it has \(own.map(\.1))
                """)
            // Permissive policies are OR-ed: one that does not scope to the practice widens every other.
            for (_, name, _, permissive, using, check, _) in own where permissive {
                #expect(using.isEmpty || scopes(using), "\(table).\(name) USING does not scope to the practice: \(using)")
                #expect(check.isEmpty || scopes(check), "\(table).\(name) WITH CHECK does not scope to the practice: \(check)")
            }
        }
    }

    @Test func tenantTablesHavePrimaryKeysLedByPracticeID() async throws {
        let tenant = try await Self.tenantTableNames()
        let keys = try await Self.rows("""
            select c.relname::text,
                   coalesce((select a.attname::text from pg_constraint k
                             join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
                             where k.conrelid = c.oid and k.contype = 'p'), '')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'p')
            """) { try $0.decode((String, String).self) }
        let tenantKeys = keys.filter { tenant.contains($0.0) }
        #expect(tenantKeys.count == tenant.count)
        for (table, leadingColumn) in tenantKeys {
            #expect(leadingColumn == "practice_id",
                    "\(table)'s primary key is led by \(leadingColumn.isEmpty ? "nothing (no primary key)" : leadingColumn)")
        }
    }

    @Test func tenantUniqueConstraintsAndIndexesIncludePracticeID() async throws {
        let tenant = try await Self.tenantTableNames()
        let indexes = try await Self.rows("""
            select c.relname::text, i.relname::text,
                   exists (select 1 from pg_attribute a
                           where a.attrelid = c.oid and a.attname = 'practice_id' and a.attnum = any (x.indkey::int2[]))
            from pg_index x
            join pg_class i on i.oid = x.indexrelid
            join pg_class c on c.oid = x.indrelid
            join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and x.indisunique
            """) { try $0.decode((String, String, Bool).self) }
        #expect(indexes.contains { $0.1 == "members_email_unique" }, "the lint should see the members email index")
        for (table, index, includesPractice) in indexes where tenant.contains(table) {
            #expect(includesPractice, "unique index \(index) on \(table) does not include practice_id")
        }
    }

    @Test func foreignKeysToTenantTablesIncludePracticeID() async throws {
        let tenant = try await Self.tenantTableNames()
        let foreignKeys = try await Self.rows("""
            select c.relname::text, k.conname::text, f.relname::text,
                   exists (select 1 from unnest(k.conkey, k.confkey) as u(local, remote)
                           join pg_attribute la on la.attrelid = k.conrelid and la.attnum = u.local
                           join pg_attribute ra on ra.attrelid = k.confrelid and ra.attnum = u.remote
                           where la.attname = 'practice_id' and ra.attname = 'practice_id')
            from pg_constraint k
            join pg_class c on c.oid = k.conrelid
            join pg_class f on f.oid = k.confrelid
            join pg_namespace n on n.oid = c.relnamespace
            where k.contype = 'f' and n.nspname = 'public'
            """) { try $0.decode((String, String, String, Bool).self) }
        #expect(foreignKeys.contains { $0.0 == "api_keys" && $0.2 == "members" }, "the lint should see api_keys → members")
        for (table, name, target, pairsPractice) in foreignKeys where tenant.contains(target) {
            #expect(pairsPractice, "foreign key \(name) from \(table) to tenant table \(target) does not match practice_id")
        }
    }

    @Test func everyGlobalTableIsOnTheReviewedAllowList() async throws {
        let tables = try await TableInspector.tables(TestEnvironment.shared())
        let global = tables.filter { !$0.hasPracticeID || TableInspector.globalTablesWithPracticeID.contains($0.name) }
        for table in global {
            #expect(TableInspector.reviewedGlobalTables.contains(table.name),
                    "\(table.name) is global (not under row-level security): review it and add it to the allow-list")
        }
        let names = Set(tables.map(\.name))
        for reviewed in TableInspector.reviewedGlobalTables {
            #expect(names.contains(reviewed), "allow-listed global table \(reviewed) no longer exists: remove it")
        }
    }

    @Test func applicationRoleIsNeitherSuperuserNorBypassesRowLevelSecurity() async throws {
        let attributes = try await Self.rows(
            "select rolsuper, rolbypassrls from pg_roles where rolname = 'ledgerline_app'"
        ) { try $0.decode((Bool, Bool).self) }
        #expect(attributes.count == 1)
        #expect(attributes.first?.0 == false, "\(Self.applicationRole) is a superuser")
        #expect(attributes.first?.1 == false, "\(Self.applicationRole) has BYPASSRLS")
        // Nor may it inherit either through a role it belongs to.
        let inherited = try await Self.rows("""
            select r.rolname::text from pg_roles r
            where pg_has_role('ledgerline_app', r.oid, 'USAGE') and (r.rolsuper or r.rolbypassrls)
            """) { try $0.decode(String.self) }
        #expect(inherited.isEmpty, "\(Self.applicationRole) acts with the rights of \(inherited)")
    }

    @Test func applicationRoleOwnsNothing() async throws {
        let owned = try await Self.rows("""
            select 'relation ' || c.relname from pg_class c where c.relowner = 'ledgerline_app'::regrole
            union all
            select 'function ' || p.proname from pg_proc p where p.proowner = 'ledgerline_app'::regrole
            union all
            select 'schema ' || s.nspname from pg_namespace s where s.nspowner = 'ledgerline_app'::regrole
            """) { try $0.decode(String.self) }
        #expect(owned.isEmpty, "\(Self.applicationRole) owns \(owned) (an owner can disable row-level security)")
    }

    @Test func applicationRoleCannotTruncateReferenceOrTrigger() async throws {
        let granted = try await Self.rows("""
            select c.relname::text || ' ' || privilege
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            cross join unnest(array['TRUNCATE', 'REFERENCES', 'TRIGGER']) as privilege
            where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
              and has_table_privilege('ledgerline_app', c.oid, privilege)
            """) { try $0.decode(String.self) }
        #expect(granted.isEmpty, "\(Self.applicationRole) holds \(granted)")
    }

    @Test func applicationRoleCannotRewriteTheAuditLog() async throws {
        let privileges = try await Self.rows("""
            select privilege, has_table_privilege('ledgerline_app', 'public.audit_log', privilege)
            from unnest(array['UPDATE', 'DELETE', 'TRUNCATE']) as privilege
            """) { try $0.decode((String, Bool).self) }
        #expect(privileges.count == 3)
        for (privilege, held) in privileges {
            #expect(!held, "\(Self.applicationRole) may \(privilege) audit_log")
        }
        // And in practice: inside its own practice, neither statement goes through.
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Audit Rewrite")
        let practiceID = try #require(PracticeID(practice.id))
        for statement: PostgresQuery in ["update audit_log set method = 'x'", "delete from audit_log"] {
            await #expect(throws: (any Error).self, "\(statement.sql) succeeded") {
                try await environment.database.withTenant(practiceID) { transaction in
                    _ = try await transaction.query(statement)
                }
            }
        }
        #expect(try await environment.count("select count(*)::int8 from audit_log where method = 'x'") == 0)
    }

    @Test func applicationRoleCannotReadTheCredentialIndexes() async throws {
        let existing = Set(try await TableInspector.tables(TestEnvironment.shared()).map(\.name))
        let indexes = Self.lookupOnlyTables.intersection(existing)
        #expect(indexes.contains("credential_index"))
        let environment = try await TestEnvironment.shared()
        for index in indexes.sorted() {
            let privileges = try await Self.rows(PostgresQuery(unsafeSQL: """
                select privilege, has_table_privilege('ledgerline_app', 'public.\(index)', privilege)
                from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) as privilege
                """)) { try $0.decode((String, Bool).self) }
            #expect(privileges.count == 4)
            for (privilege, held) in privileges {
                #expect(!held, "\(Self.applicationRole) may \(privilege) \(index) directly")
            }
            await #expect(throws: (any Error).self, "the application role read \(index)") {
                try await environment.database.withTransaction { transaction in
                    _ = try await transaction.rows(PostgresQuery(unsafeSQL: "select * from \(index) limit 1"))
                }
            }
        }
    }

    @Test func viewsRunWithTheInvokersRights() async throws {
        let views = try await Self.rows("""
            select c.relname::text, c.relkind::text, coalesce(c.reloptions, '{}'::text[])
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('v', 'm')
            """) { try $0.decode((String, String, [String]).self) }
        for (view, kind, options) in views {
            // A view checks privileges and policies as its owner unless security_invoker; a
            // materialized view stores rows outside row-level security altogether.
            #expect(kind == "v", "\(view) is a materialized view: it stores rows outside row-level security")
            let invoker = options.map { $0.lowercased() }.contains {
                ["security_invoker=true", "security_invoker=on", "security_invoker=1", "security_invoker=yes"].contains($0)
            }
            #expect(invoker, "view \(view) lacks security_invoker (options \(options))")
        }
    }

    @Test func securityDefinerFunctionsAreAllowListedAndPinSearchPath() async throws {
        let functions = try await Self.rows("""
            select n.nspname::text || '.' || p.proname::text, p.proname::text, coalesce(p.proconfig, '{}'::text[])
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
            """) { try $0.decode((String, String, [String]).self) }
        #expect(Self.securityDefinerAllowList.isSubset(of: Set(functions.map(\.1))),
                "an allow-listed SECURITY DEFINER function is gone (stale allow-list?): found \(functions.map(\.0))")
        for (qualified, name, configuration) in functions {
            #expect(Self.securityDefinerAllowList.contains(name),
                    "\(qualified) is SECURITY DEFINER but not on the reviewed allow-list")
            let searchPath = configuration.first { $0.hasPrefix("search_path=") }
            guard let searchPath else {
                Issue.record("\(qualified) is SECURITY DEFINER without a pinned search_path")
                continue
            }
            let schemas = searchPath.dropFirst("search_path=".count).split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            #expect(!schemas.contains("$user"), "\(qualified) searches $user: \(searchPath)")
            #expect(schemas.last == "pg_temp", "\(qualified) must list pg_temp last (else it is searched first): \(searchPath)")
        }
    }
}
