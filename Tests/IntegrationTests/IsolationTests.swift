import API
import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Storage
import Testing

/// Practice B, populated with members, keys and audit rows — and, through the API itself, one
/// entity of every kind its create methods can make — whose data practice A must never see or touch.
struct IsolationTarget: Sendable {
    let practice: TestPractice
    let legalName: String
    /// Id sets to probe with, each mapping an id prefix to one of B's ids.
    let idChoices: [[String: String]]
    /// Ids of global reference data (payers …) by prefix: real, shared by every practice, not B's.
    let referenceIDs: [String: String]
    /// The kinds of entity (id prefixes) B owns at least one of.
    let ownedPrefixes: Set<String>
    /// Every string that must never appear in a response to another practice: B's ids (wire and
    /// UUID forms), legal name, member emails, key secrets and the text of its records.
    let forbiddenStrings: [String]

    /// Verbs of methods that add records; B calls them to own one entity of each kind.
    static let creatingVerbs: Set<String> = ["create", "record", "sign", "importCommon"]

    static func make(_ environment: TestEnvironment) async throws -> IsolationTarget {
        let legalName = "Bravo Isolation \(UUID().uuidString.prefix(8))"
        let practice = try await environment.createPractice(name: legalName)
        let biller = try await practice.member(role: .biller)
        let clinician = try await practice.member(role: .clinician)
        let viewer = try await practice.member(role: .viewer)
        // Audit rows of both outcomes, written by members other than the owner.
        _ = try await environment.call("practice.get", key: viewer.key)
        _ = try await environment.call("member.get", ["id": .string(ParamsGenerator.randomID(prefix: "mem"))],
                                       key: clinician.key)
        guard let practiceUUID = TableInspector.uuid(of: practice.id) else { throw TestSetupError("bad practice id") }

        var owned: [String: String] = [PracticeID.prefix: practice.id, MemberID.prefix: practice.ownerID]
        var alternatives: [String: [String]] = [:]  // further ids of B's by prefix, to retry with
        var references: [String: String] = [:]
        let registry = LedgerlineAPI.registry()
        let memberMethods = registry.methods.filter { if case .members = $0.policy { return true } else { return false } }
        // Learn what B can already list (its own rows, and global reference data such as payers) …
        func harvest(_ response: JSONValue) async throws {
            for id in Self.entityIDs(in: response["result"] ?? .null) {
                let prefix = String(id.prefix { $0 != "_" })
                guard references[prefix] == nil, !(alternatives[prefix] ?? []).contains(id), owned[prefix] != id,
                      let uuid = TableInspector.uuid(of: id) else { continue }
                if try await Self.practice(practiceUUID, owns: uuid, environment) {
                    if owned[prefix] == nil { owned[prefix] = id } else { alternatives[prefix, default: []].append(id) }
                } else {
                    references[prefix] = id
                }
            }
        }
        func idSet(_ variant: Int) -> [String: String] {
            var ids = owned.merging(references) { a, _ in a }
            for (prefix, others) in alternatives where variant > 0 && !others.isEmpty {
                ids[prefix] = others[min(variant - 1, others.count - 1)]
            }
            return ids
        }
        for method in memberMethods where method.name.hasSuffix(".list") {
            let params = ParamsGenerator(ids: idSet(0), tag: "bravo").params(for: method.params)
            try await harvest(try await practice.call(method.name, Self.withoutFilters(params, of: method.params)))
        }
        // … then create one of everything its create methods accept, in rounds so later kinds can
        // refer to earlier ones (a session needs a client). Optional members carry cross-field
        // rules, so each call is retried with the required members only, and with other ids of B's.
        for _ in 0..<3 {
            let before = owned.count
            for method in memberMethods where creatingVerbs.contains(String(method.name.split(separator: ".").last ?? "")) {
                attempts: for variant in 0..<3 {
                    let params = ParamsGenerator(ids: idSet(variant), tag: "bravo").params(for: method.params)
                    for attempt in [params, Self.withoutFilters(params, of: method.params)] {
                        let response = try await practice.call(method.name, attempt)
                        try await harvest(response)
                        if response["result"] != nil { break attempts }
                    }
                }
            }
            if owned.count == before { break }
        }

        let members = try await practice.call("member.list", ["includeInactive": true])["result"]?["items"]
        let keys = try await practice.call("apiKey.list")["result"]?["items"]
        var memberIDs: [String] = [], emails: [String] = [], keyIDs: [String: String] = [:]
        if case .array(let items)? = members {
            for item in items {
                if let id = item["id"]?.stringValue { memberIDs.append(id) }
                if let email = item["email"]?.stringValue { emails.append(email) }
            }
        }
        if case .array(let items)? = keys {
            for item in items {
                if let id = item["id"]?.stringValue, let member = item["memberId"]?.stringValue { keyIDs[member] = id }
            }
        }
        let auditIDs = try await environment.admin.withConnection { connection in
            try await connection.rows("select id from audit_log where practice_id = \(practiceUUID) order by id").map {
                IDCodec.encode(try $0.decode(UUID.self), prefix: AuditEntryID.prefix)
            }
        }
        guard memberIDs.count >= 4, keyIDs.count >= 4, auditIDs.count >= 3,
              let ownerKey = keyIDs[practice.ownerID], let billerKey = keyIDs[biller.id]
        else { throw TestSetupError("practice B is not fully populated: \(memberIDs), \(keyIDs), \(auditIDs)") }

        var first = owned, second = owned
        first[APIKeyID.prefix] = ownerKey
        first[AuditEntryID.prefix] = auditIDs[0]
        second[MemberID.prefix] = biller.id
        second[APIKeyID.prefix] = billerKey
        second[AuditEntryID.prefix] = auditIDs[auditIDs.count - 1]
        let wireIDs = Array(Set([practice.id] + memberIDs + Array(keyIDs.values) + auditIDs + Array(owned.values)
                                + alternatives.values.joined()))
        let uuidForms = wireIDs.compactMap { TableInspector.uuid(of: $0)?.uuidString.lowercased() }
        let secrets = [practice.ownerKey, biller.key, clinician.key, viewer.key]
        return IsolationTarget(practice: practice, legalName: legalName, idChoices: [first, second],
                               referenceIDs: references, ownedPrefixes: Set(owned.keys),
                               // "bravo " starts every free text B's entities were created with (client names …).
                               forbiddenStrings: wireIDs + uuidForms + emails + secrets + [legalName, "bravo "])
    }

    /// Every `"id"` member (at any depth) that looks like a prefixed entity id.
    static func entityIDs(in value: JSONValue) -> [String] {
        switch value {
        case .object(let object):
            var found: [String] = []
            for (key, member) in object.members {
                if key == "id", case .string(let text) = member, looksLikeID(text) { found.append(text) }
                found += entityIDs(in: member)
            }
            return found
        case .array(let elements):
            return elements.flatMap(entityIDs(in:))
        default:
            return []
        }
    }

    static func looksLikeID(_ text: String) -> Bool {
        guard let underscore = text.firstIndex(of: "_") else { return false }
        return IDCodec.isValid(text, prefix: String(text[..<underscore]))
    }

    /// `params` without optional members, so a list answers everything rather than filtering.
    static func withoutFilters(_ params: JSONValue, of schema: Schema) -> JSONValue {
        guard case .object(var object) = params else { return params }
        for property in schema.properties where !property.required { object[property.name] = nil }
        return .object(object)
    }

    /// `true` when some tenant table holds a row of `practice` whose `id` is `uuid`.
    static func practice(_ practice: UUID, owns uuid: UUID, _ environment: TestEnvironment) async throws -> Bool {
        for table in try await TableInspector.tenantTables(environment) where table.hasIDColumn {
            var bindings = PostgresBindings()
            bindings.append(practice)
            bindings.append(uuid)
            let found = try await environment.count(PostgresQuery(
                unsafeSQL: "select count(*)::int8 from \(table.quotedName) where practice_id = $1 and id = $2", binds: bindings))
            if found > 0 { return true }
        }
        return false
    }
}

/// One member method called by another practice's owner with B's ids, and again with ids that exist nowhere.
struct IsolationProbeResult: Sendable {
    let method: String
    let params: JSONValue
    let paramProblems: [FieldError]
    /// Id fields whose prefix names a practice's own entities (not global reference data).
    let tenantIDFields: [ParamsGenerator.IDField]
    /// `true` when the method answers a page (`items`, `nextCursor`).
    let answersPage: Bool
    /// The answer to params naming B's ids.
    let crossTenant: JSONValue
    /// The answer to the same params with fresh ids in place of B's (only for methods that take them).
    let nonexistent: JSONValue?
}

/// The whole probe, run once and shared by the assertions below.
struct IsolationRun: Sendable {
    let target: IsolationTarget
    let before: [String: InspectedTableState]
    let after: [String: InspectedTableState]
    let results: [IsolationProbeResult]

    static let shared = Task { try await IsolationRun.make() }

    static func make() async throws -> IsolationRun {
        let environment = try await TestEnvironment.shared()
        let target = try await IsolationTarget.make(environment)
        guard let practiceUUID = TableInspector.uuid(of: target.practice.id) else { throw TestSetupError("bad practice id") }
        let before = try await TableInspector.practiceState(practiceUUID, in: environment)
        var results: [IsolationProbeResult] = []
        for method in LedgerlineAPI.registry().methods {
            guard case .members = method.policy else { continue }
            let tenantIDFields = ParamsGenerator.idFields(in: method.params).filter { target.referenceIDs[$0.prefix] == nil }
            let answersPage = method.result.property("items") != nil && method.result.property("nextCursor") != nil
            for ids in target.idChoices {
                // A fresh practice A per call: A's own audit log records the ids A sent, so a shared A
                // would later see B's ids echoed back by audit.list — A's own input, not a leak.
                let alpha = try await environment.createPractice(name: "Alpha Isolation \(UUID().uuidString.prefix(8))")
                let params = ParamsGenerator(ids: ids.merging(target.referenceIDs) { a, _ in a }, tag: "iso")
                    .params(for: method.params)
                let crossTenant = try await environment.call(method.name, params, key: alpha.ownerKey)
                var nonexistent: JSONValue? = nil
                if !tenantIDFields.isEmpty {
                    let fresh = ParamsGenerator(ids: target.referenceIDs, tag: "iso").params(for: method.params)
                    nonexistent = try await environment.call(method.name, fresh, key: alpha.ownerKey)
                }
                results.append(IsolationProbeResult(
                    method: method.name, params: params, paramProblems: method.params.validate(params),
                    tenantIDFields: tenantIDFields, answersPage: answersPage, crossTenant: crossTenant, nonexistent: nonexistent))
            }
        }
        let after = try await TableInspector.practiceState(practiceUUID, in: environment)
        return IsolationRun(target: target, before: before, after: after, results: results)
    }

    /// A response with the per-request parts (`data.requestId`) removed, for comparing two answers.
    static func comparable(_ response: JSONValue) -> JSONValue {
        guard case .object(var error)? = response["error"] else { return ["result": response["result"] ?? .null] }
        if case .object(var data)? = error["data"] {
            data["requestId"] = nil
            error["data"] = .object(data)
        }
        return ["error": .object(error)]
    }
}

@Suite struct IsolationTests {
    @Test func paramsGeneratorBuildsValidParamsForEveryRegisteredMethod() {
        let generator = ParamsGenerator(ids: [:], tag: "iso")
        for method in LedgerlineAPI.registry().methods {
            let params = generator.params(for: method.params)
            let problems = method.params.validate(params)
            #expect(problems.isEmpty, "\(method.name): generated params \(params.text) are invalid: \(problems)")
        }
    }

    @Test func probeCoversEveryMemberMethodWithValidParams() async throws {
        let run = try await IsolationRun.shared.value
        let registryNames = LedgerlineAPI.registry().methods.compactMap { method -> String? in
            if case .members = method.policy { return method.name }
            return nil
        }
        #expect(!registryNames.isEmpty)
        #expect(Set(run.results.map(\.method)) == Set(registryNames))
        #expect(run.results.contains { !$0.tenantIDFields.isEmpty }, "no member method takes an id: the probe proves nothing")
        #expect(run.target.ownedPrefixes.isSuperset(of: [PracticeID.prefix, MemberID.prefix]))
        #expect(run.target.ownedPrefixes.count >= 4, "practice B owns only \(run.target.ownedPrefixes.sorted())")
        for result in run.results {
            #expect(result.paramProblems.isEmpty, "\(result.method): probe params invalid: \(result.paramProblems)")
        }
    }

    @Test func methodsNamingAnotherPracticesIdsAnswerNotFound() async throws {
        let run = try await IsolationRun.shared.value
        for result in run.results where !result.tenantIDFields.isEmpty {
            #expect(result.crossTenant.errorCode == -32004,
                    "\(result.method) with \(result.params.text) answered \(result.crossTenant.text)")
        }
    }

    @Test func anotherPracticesIdsAreIndistinguishableFromNonexistentIds() async throws {
        let run = try await IsolationRun.shared.value
        for result in run.results {
            guard let nonexistent = result.nonexistent else { continue }
            #expect(IsolationRun.comparable(result.crossTenant) == IsolationRun.comparable(nonexistent),
                    "\(result.method): B's ids got \(result.crossTenant.text), fresh ids got \(nonexistent.text)")
        }
    }

    @Test func noResponseToAnotherPracticeMentionsPracticeB() async throws {
        let run = try await IsolationRun.shared.value
        #expect(run.target.forbiddenStrings.count > 10)
        for result in run.results {
            for response in [result.crossTenant] + (result.nonexistent.map { [$0] } ?? []) {
                let text = response.text
                for forbidden in run.target.forbiddenStrings where text.contains(forbidden) {
                    Issue.record("\(result.method) leaked \(forbidden) of practice B: \(text)")
                }
            }
        }
    }

    @Test func probingEveryMethodLeavesPracticeBUnchanged() async throws {
        let run = try await IsolationRun.shared.value
        #expect(run.before.keys.contains("members"))
        #expect((run.before["members"]?.count ?? 0) >= 4)
        #expect((run.before["audit_log"]?.count ?? 0) >= 3)
        for (table, before) in run.before.sorted(by: { $0.key < $1.key }) {
            #expect(run.after[table] == before, "\(table) of practice B changed: \(before) → \(String(describing: run.after[table]))")
        }
    }

    @Test func applicationRoleWithoutAPracticeSeesNoTenantRows() async throws {
        let environment = try await TestEnvironment.shared()
        let run = try await IsolationRun.shared.value
        let tables = try await TableInspector.tenantTables(environment)
        #expect(tables.contains { $0.name == "members" })
        #expect(run.before.values.contains { $0.count > 0 })
        for table in tables {
            do {
                let visible = try await environment.database.withTransaction { transaction in
                    try await transaction.firstRow(
                        PostgresQuery(unsafeSQL: "select count(*)::int8 from \(table.quotedName)"))?.decode(Int.self) ?? 0
                }
                #expect(visible == 0, "\(table.name): a transaction without a practice sees \(visible) rows")
            } catch {
                // Refused outright (no practice set): the fail-closed behaviour ARCHITECTURE.md §3 asks for.
            }
        }
    }

    @Test func applicationRoleScopedToOnePracticeSeesNoneOfAnothers() async throws {
        let environment = try await TestEnvironment.shared()
        let run = try await IsolationRun.shared.value
        let alpha = try await environment.createPractice(name: "Alpha Scope \(UUID().uuidString.prefix(8))")
        guard let alphaID = PracticeID(alpha.id), let bravoUUID = TableInspector.uuid(of: run.target.practice.id) else {
            Issue.record("bad practice ids")
            return
        }
        let tables = try await TableInspector.tenantTables(environment)
        var tablesWithBravoRows = 0
        for table in tables {
            let bravoRows = try await environment.count(PostgresQuery(
                unsafeSQL: "select count(*)::int8 from \(table.quotedName) where practice_id = $1",
                binds: Self.bindings(bravoUUID)))
            if bravoRows > 0 { tablesWithBravoRows += 1 }
            let (others, bravo, own) = try await environment.database.withTenant(alphaID) { transaction in
                var bindings = PostgresBindings()
                bindings.append(alphaID.uuid)
                bindings.append(bravoUUID)
                let row = try await transaction.firstRow(PostgresQuery(unsafeSQL: """
                    select count(*) filter (where practice_id <> $1)::int8, count(*) filter (where practice_id = $2)::int8,
                           count(*) filter (where practice_id = $1)::int8
                    from \(table.quotedName)
                    """, binds: bindings))
                return try row?.decode((Int, Int, Int).self) ?? (0, 0, 0)
            }
            #expect(others == 0, "\(table.name): practice A's transaction sees \(others) rows of other practices")
            #expect(bravo == 0, "\(table.name): practice A's transaction sees \(bravo) of B's \(bravoRows) rows")
            if table.name == "members" { #expect(own == 1, "practice A should see its own owner") }
        }
        #expect(tablesWithBravoRows >= 4, "practice B should have rows in practices, members, api_keys and audit_log")
    }

    @Test func insertingARowForAnotherPracticeIsRefusedByWithCheck() async throws {
        let environment = try await TestEnvironment.shared()
        let run = try await IsolationRun.shared.value
        let alpha = try await environment.createPractice(name: "Alpha Insert \(UUID().uuidString.prefix(8))")
        guard let alphaID = PracticeID(alpha.id), let bravoUUID = TableInspector.uuid(of: run.target.practice.id) else {
            Issue.record("bad practice ids")
            return
        }
        var checked: [String] = []
        for table in try await TableInspector.tenantTables(environment) {
            guard try await Self.applicationRoleMay("INSERT", on: table, environment) else { continue }
            // Copy one of A's own rows (visible under A's policy) with practice_id switched to B.
            var bindings = PostgresBindings()
            bindings.append(bravoUUID)
            let insert = PostgresQuery(unsafeSQL: """
                insert into \(table.quotedName) overriding system value
                select (jsonb_populate_record(null::\(table.quotedName), to_jsonb(a) || jsonb_build_object('practice_id', $1::uuid))).*
                from \(table.quotedName) a limit 1
                """, binds: bindings)
            let refusal = await Self.refusal {
                try await environment.database.withTenant(alphaID) { transaction in
                    guard try await transaction.firstRow(
                        PostgresQuery(unsafeSQL: "select 1 from \(table.quotedName) limit 1")) != nil else { return false }
                    try await transaction.query(insert)
                    return true
                }
            }
            switch refusal {
            case .none(let attempted):
                if attempted { Issue.record("\(table.name): a row for practice B was inserted under practice A") }
                continue  // A has no row here to copy
            case .refused(let state, let message):
                #expect(state == "42501" && message.contains("row-level security"),
                        "\(table.name): refused for another reason: \(state) \(message)")
            case .other(let error):
                Issue.record("\(table.name): unexpected error \(String(reflecting: error))")
            }
            checked.append(table.name)
        }
        #expect(checked.contains("members") && checked.contains("api_keys") && checked.contains("audit_log"),
                "checked only \(checked)")
    }

    @Test func movingARowToAnotherPracticeIsRefusedByWithCheck() async throws {
        let environment = try await TestEnvironment.shared()
        let run = try await IsolationRun.shared.value
        let alpha = try await environment.createPractice(name: "Alpha Move \(UUID().uuidString.prefix(8))")
        guard let alphaID = PracticeID(alpha.id), let bravoUUID = TableInspector.uuid(of: run.target.practice.id) else {
            Issue.record("bad practice ids")
            return
        }
        var checked: [String] = []
        for table in try await TableInspector.tenantTables(environment) {
            guard try await Self.applicationRoleMay("UPDATE", on: table, environment) else { continue }
            var bindings = PostgresBindings()
            bindings.append(bravoUUID)
            let refusal = await Self.refusal {
                try await environment.database.withTenant(alphaID) { transaction in
                    guard try await transaction.firstRow(
                        PostgresQuery(unsafeSQL: "select 1 from \(table.quotedName) limit 1")) != nil else { return false }
                    try await transaction.query(PostgresQuery(
                        unsafeSQL: "update \(table.quotedName) set practice_id = $1", binds: bindings))
                    return true
                }
            }
            switch refusal {
            case .none(let attempted):
                if attempted { Issue.record("\(table.name): practice A's rows were moved to practice B") }
                continue  // A has no row here to move
            case .refused(let state, let message):
                #expect(state == "42501" && message.contains("row-level security"),
                        "\(table.name): refused for another reason: \(state) \(message)")
            case .other(let error):
                Issue.record("\(table.name): unexpected error \(String(reflecting: error))")
            }
            checked.append(table.name)
        }
        #expect(checked.contains("members") && checked.contains("practices"), "checked only \(checked)")
    }

    enum Refusal {
        case none(attempted: Bool)
        case refused(sqlState: String, message: String)
        case other(any Error)
    }

    static func refusal(_ body: () async throws -> Bool) async -> Refusal {
        do {
            return .none(attempted: try await body())
        } catch let error as PSQLError {
            return .refused(sqlState: error.serverInfo?[.sqlState] ?? "", message: error.serverInfo?[.message] ?? "")
        } catch {
            return .other(error)
        }
    }

    static func bindings(_ uuid: UUID) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(uuid)
        return bindings
    }

    static func applicationRoleMay(_ privilege: String, on table: InspectedTable, _ environment: TestEnvironment)
        async throws -> Bool
    {
        var bindings = PostgresBindings()
        bindings.append(table.name)
        bindings.append(privilege)
        return try await environment.count(PostgresQuery(unsafeSQL: """
            select count(*)::int8 from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relname = $1 and has_table_privilege('ledgerline_app', c.oid, $2)
            """, binds: bindings)) == 1
    }
}
