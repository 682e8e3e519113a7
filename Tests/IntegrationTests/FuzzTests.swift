import API
import BillingCore
import Foundation
import Hummingbird
import HummingbirdTesting
import JSONRPC
import Logging
import NIOCore
import Server
import Testing

/// The database facts a fuzz run must leave as it found them.
///
/// Scoped to the fuzz practice plus a marker scan rather than whole-table counts: other suites
/// create practices in the same database at the same time, so global counts of tenant tables move
/// for reasons unrelated to the fuzz. Every fuzz credential belongs to the fuzz practice (or is the
/// operator key, whose only method can create rows that would carry the fuzz marker).
struct FuzzDatabaseState: Sendable {
    /// Count and digest of each tenant table's rows of the fuzz practice, except audit_log
    /// (`last_used_at` ignored: authentication touches it).
    var practiceTables: [String: InspectedTableState]
    /// audit_log rows of the fuzz practice with outcome `ok`.
    var okAuditRows: Int
    /// All audit_log rows of the fuzz practice.
    var auditRows: Int
    /// Row counts of tables without `practice_id` (schema_migrations, …).
    var globalTables: [String: Int]
    /// Rows anywhere (audit_log aside) whose text contains the fuzz marker.
    var markedRows: [String: Int]

    static func capture(_ environment: TestEnvironment, practice: UUID, marker: String) async throws -> FuzzDatabaseState {
        var tables = try await TableInspector.practiceState(practice, in: environment, ignoring: ["last_used_at"])
        tables["audit_log"] = nil
        var globalTables: [String: Int] = [:], markedRows: [String: Int] = [:]
        for table in try await TableInspector.tables(environment) {
            // Sign-in tables are global and other suites running beside this one add rows; the marker check covers them.
            if !table.hasPracticeID && !["identities", "password_resets", "sign_in_failures"].contains(table.name) {
                globalTables[table.name] = try await TableInspector.rowCount(table, in: environment)
            }
            if table.name != "audit_log" {
                markedRows[table.name] = try await TableInspector.rowsMentioning(marker, in: table, environment: environment)
            }
        }
        let ok = try await environment.count("select count(*)::int8 from audit_log where practice_id = \(practice) and outcome = 'ok'")
        let all = try await environment.count("select count(*)::int8 from audit_log where practice_id = \(practice)")
        return FuzzDatabaseState(practiceTables: tables, okAuditRows: ok, auditRows: all, globalTables: globalTables,
                                 markedRows: markedRows)
    }
}

@Suite struct FuzzTests {
    /// Override with `LEDGERLINE_FUZZ_SEED` to reproduce or widen a run.
    static let seed: UInt64 = ProcessInfo.processInfo.environment["LEDGERLINE_FUZZ_SEED"].flatMap { UInt64($0) }
        ?? 20_261_120
    /// At least 10,000, and enough for ≥ 100 method-bound cases per registered method as the API grows.
    static let requestCount = max(10_000, LedgerlineAPI.registry().methods.count * 150)
    static let maximumBodyBytes = 1 << 20
    static let concurrency = 4

    @Test func malformedRequestsGetWellFormedErrorsAndChangeNothing() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Fuzz Target")
        let viewer = try await practice.member(role: .viewer)
        let practiceUUID = try #require(TableInspector.uuid(of: practice.id))
        let marker = "fuzzmark\(Self.seed)"
        let before = try await FuzzDatabaseState.capture(environment, practice: practiceUUID, marker: marker)

        let methods = LedgerlineAPI.registry().methods
        let headers: [FuzzCredential: HTTPFields] = [
            .owner: [.authorization: "Bearer \(practice.ownerKey)", .contentType: "application/json"],
            .viewer: [.authorization: "Bearer \(viewer.key)", .contentType: "application/json"],
            .none: [.contentType: "application/json"],
            .garbage: [.authorization: "Bearer llk_fuzz-garbage", .contentType: "application/json"],
            .operatorKey: [.authorization: "Bearer \(TestEnvironment.operatorKey)", .contentType: "application/json"],
        ]
        let seed = Self.seed
        let router = HTTPRoutes.router(processor: environment.processor, database: environment.database,
                                       maximumBodyBytes: Self.maximumBodyBytes)
        var logger = Logger(label: "ledgerline-fuzz")
        logger.logLevel = .critical
        let app = Application(router: router, logger: logger)

        let outcome = try await app.test(.router) { client in
            var corpus = FuzzCorpus(methods: methods, seed: seed, tag: marker)
            let swept = corpus.sweep()
            var sweep = swept.makeIterator()
            var summary = FuzzSummary()
            summary.swept = swept.count
            try await withThrowingTaskGroup(of: (FuzzCase, [String]).self) { group in
                var issued = 0
                // The systematic sweep first, then random cases up to the total.
                func nextCase() -> FuzzCase { sweep.next() ?? corpus.next() }
                while issued < Self.concurrency {
                    Self.issue(nextCase(), client: client, headers: headers, into: &group)
                    issued += 1
                }
                while let (fuzzCase, violations) = try await group.next() {
                    summary.record(fuzzCase, violations: violations, seed: seed)
                    if issued < Self.requestCount {
                        Self.issue(nextCase(), client: client, headers: headers, into: &group)
                        issued += 1
                    }
                }
            }
            // Afterwards the server still answers a well-formed call.
            let check = try await client.execute(
                uri: "/rpc", method: .post, headers: headers[.owner] ?? [:],
                body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":"after","method":"practice.get","params":{}}"#))
            let answer = try JSONParser.parse(Array(buffer: check.body))
            summary.finalAnswer = answer
            summary.finalStatus = check.status.code
            return summary
        }

        #expect(outcome.total == Self.requestCount)
        #expect(outcome.swept > methods.count && outcome.swept < Self.requestCount / 2,
                "the per-param sweep has \(outcome.swept) cases")
        #expect(outcome.violations.isEmpty,
                "\(outcome.violationCount) violations (seed \(seed)); first ones:\n\(outcome.violations.joined(separator: "\n"))")
        for method in methods {
            #expect((outcome.perMethod[method.name] ?? 0) >= 100, "\(method.name) got only \(outcome.perMethod[method.name] ?? 0) cases")
        }
        for kind in FuzzSummary.expectedKinds {
            #expect((outcome.perKind[kind] ?? 0) > 0, "no \(kind) case was generated (seed \(seed))")
        }
        #expect(outcome.finalStatus == 200)
        #expect(outcome.finalAnswer?["result"]?["practice"]?["id"]?.stringValue == practice.id,
                "practice.get after the fuzz answered \(outcome.finalAnswer?.text ?? "nothing")")

        let after = try await FuzzDatabaseState.capture(environment, practice: practiceUUID, marker: marker)
        #expect(after.practiceTables == before.practiceTables, "the fuzz changed the fuzz practice's rows")
        #expect(after.okAuditRows == before.okAuditRows + 1, "only the final practice.get may add an ok audit row")
        #expect(after.auditRows > before.auditRows, "no error audit row: no malformed call got past authentication")
        #expect(after.globalTables == before.globalTables)
        #expect(after.markedRows.values.allSatisfy { $0 == 0 }, "rows carrying the fuzz marker: \(after.markedRows)")
    }

    static func issue(_ fuzzCase: FuzzCase, client: any TestClientProtocol, headers: [FuzzCredential: HTTPFields],
                      into group: inout ThrowingTaskGroup<(FuzzCase, [String]), any Error>) {
        group.addTask {
            let response = try await client.execute(
                uri: "/rpc", method: .post, headers: headers[fuzzCase.credential] ?? [:], body: ByteBuffer(bytes: fuzzCase.body))
            return (fuzzCase, FuzzOracle.violations(of: fuzzCase, status: response.status.code, body: Array(buffer: response.body)))
        }
    }

    @Test func bodyOfExactlyTheLimitIsReadAndOneByteMoreIsRefusedWith413() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Body Limit")
        var logger = Logger(label: "ledgerline-fuzz")
        logger.logLevel = .critical
        let app = Application(router: HTTPRoutes.router(processor: environment.processor, database: environment.database,
                                                        maximumBodyBytes: Self.maximumBodyBytes), logger: logger)
        // Whitespace then `{}`: well-formed JSON that is not a request, so the answer is -32600.
        let atLimit = [UInt8](repeating: 0x20, count: Self.maximumBodyBytes - 2) + Array("{}".utf8)
        let overLimit = [UInt8](repeating: 0x20, count: Self.maximumBodyBytes - 1) + Array("{}".utf8)
        let headers: HTTPFields = [.authorization: "Bearer \(practice.ownerKey)"]
        try await app.test(.router) { client in
            let accepted = try await client.execute(uri: "/rpc", method: .post, headers: headers, body: ByteBuffer(bytes: atLimit))
            #expect(accepted.status == .ok)
            #expect(try JSONParser.parse(Array(buffer: accepted.body)).errorCode == -32600)
            let refused = try await client.execute(uri: "/rpc", method: .post, headers: headers, body: ByteBuffer(bytes: overLimit))
            #expect(refused.status == .contentTooLarge)
        }
    }

    @Test func oversizedBodyIsAnsweredWithAJSONRPCError() async throws {
        let environment = try await TestEnvironment.shared()
        var logger = Logger(label: "ledgerline-fuzz")
        logger.logLevel = .critical
        let app = Application(router: HTTPRoutes.router(processor: environment.processor, database: environment.database,
                                                        maximumBodyBytes: Self.maximumBodyBytes), logger: logger)
        let overLimit = [UInt8](repeating: 0x20, count: Self.maximumBodyBytes + 1)
        try await app.test(.router) { client in
            let refused = try await client.execute(uri: "/rpc", method: .post, body: ByteBuffer(bytes: overLimit))
            #expect(refused.status == .contentTooLarge)
            let answer = try JSONParser.parse(Array(buffer: refused.body))
            #expect(answer.errorCode == -32600)
            #expect(answer["error"]?["data"]?["type"]?.stringValue == "bodyTooLarge")
            #expect(answer["id"] == .null)
        }
    }
}

/// Tallies a fuzz run.
struct FuzzSummary: Sendable {
    static let expectedKinds = [
        "randomBytes", "truncated", "invalidUTF8", "deepNesting", "hugeNumber", "wrongType", "extraField", "nullValue",
        "oversized", "hugeBatch", "junkBatch", "duplicateKey", "scalarParams", "arrayParams", "longString",
        "invalidNotification", "envelopeJunk",
    ]
    var total = 0
    var swept = 0
    var perMethod: [String: Int] = [:]
    var perKind: [String: Int] = [:]
    var violations: [String] = []
    var violationCount = 0
    var finalAnswer: JSONValue?
    var finalStatus: Int?

    mutating func record(_ fuzzCase: FuzzCase, violations found: [String], seed: UInt64) {
        total += 1
        perKind[fuzzCase.kind, default: 0] += 1
        if let method = fuzzCase.method { perMethod[method, default: 0] += 1 }
        violationCount += found.count
        for violation in found where violations.count < 25 {
            let preview = String(decoding: fuzzCase.body.prefix(200), as: UTF8.self)
            violations.append("case \(fuzzCase.index) [\(fuzzCase.kind) \(fuzzCase.method ?? "-") \(fuzzCase.credential)]: "
                              + "\(violation) — body starts \(preview)")
        }
    }
}

/// Judges one fuzz answer.
enum FuzzOracle {
    static let responseLimits = JSONParserLimits(maximumDepth: 256, maximumStringBytes: 1 << 22)

    static func violations(of fuzzCase: FuzzCase, status: Int, body: [UInt8]) -> [String] {
        if status >= 500 { return ["HTTP \(status)"] }
        switch fuzzCase.expectation {
        case .tooLarge:
            return status == 413 ? [] : ["expected 413, got \(status)"]
        case .noContent:
            return status == 204 && body.isEmpty ? [] : ["expected 204, got \(status) \(preview(body))"]
        case .batch(let count):
            if count == 0 { return status == 204 && body.isEmpty ? [] : ["expected 204, got \(status) \(preview(body))"] }
            guard status == 200 else { return ["expected 200, got \(status)"] }
            guard case .array(let responses)? = try? JSONParser.parse(body, limits: responseLimits) else {
                return ["batch answer is not a JSON array: \(preview(body))"]
            }
            var problems = responses.compactMap(problem(in:))
            if responses.count != count { problems.append("expected \(count) answers, got \(responses.count)") }
            return problems
        case .error(let codes):
            guard status == 200 else { return ["expected 200, got \(status)"] }
            guard let answer = try? JSONParser.parse(body, limits: responseLimits) else {
                return ["answer is not JSON: \(preview(body))"]
            }
            if let problem = problem(in: answer) { return [problem] }
            let code = answer["error"]?["code"]?.int64Value.map(Int.init) ?? 0
            return codes.contains(code) ? [] : ["expected code \(codes.sorted()), got \(answer.text.prefix(300))"]
        case .anyError:
            guard status == 200 || status == 204 else { return ["expected 200 or 204, got \(status)"] }
            if status == 204 { return body.isEmpty ? [] : ["204 with a body"] }
            guard let answer = try? JSONParser.parse(body, limits: responseLimits) else {
                return ["answer is not JSON: \(preview(body))"]
            }
            if case .array(let responses) = answer {
                return responses.isEmpty ? ["empty batch answer"] : responses.compactMap(problem(in:))
            }
            return problem(in: answer).map { [$0] } ?? []
        }
    }

    /// What is wrong with one JSON-RPC 2.0 response object to a malformed request, if anything.
    static func problem(in response: JSONValue) -> String? {
        guard case .object(let object) = response else { return "response is not an object: \(response.text.prefix(200))" }
        guard object["jsonrpc"] == .string("2.0") else { return "jsonrpc is not \"2.0\": \(response.text.prefix(200))" }
        guard object.contains("id") else { return "no id: \(response.text.prefix(200))" }
        switch object["id"] {
        case .string?, .number?, .null?: break
        default: return "id of the wrong type: \(response.text.prefix(200))"
        }
        guard object.contains("result") != object.contains("error") else {
            return "needs exactly one of result and error: \(response.text.prefix(200))"
        }
        guard !object.contains("result") else { return "a malformed request got a result: \(response.text.prefix(200))" }
        guard Set(object.keys).isSubset(of: ["jsonrpc", "id", "error"]) else { return "extra members: \(response.text.prefix(200))" }
        guard case .object(let error)? = object["error"], case .number(let code)? = error["code"], code.int64Value != nil,
              case .string? = error["message"]
        else { return "error is not {code: integer, message: string}: \(response.text.prefix(200))" }
        if code.int64Value == -32603 { return "internal error: \(response.text.prefix(300))" }
        return nil
    }

    static func preview(_ body: [UInt8]) -> String { String(decoding: body.prefix(200), as: UTF8.self) }
}
