import API
import Billing
import BillingCore
import Foundation
import Hummingbird
import HummingbirdTesting
import JSONRPC
import Logging
import PluginAPI
import PluginHost
import Server
import StandIns
import Storage
import Testing

/// `GET /metrics`: scraped before and after real traffic, the named series are there and move.
/// Serialized: the registry is the process's, so the two tests' calls would count in each other's deltas.
@Suite(.serialized) struct MetricsTests {
    static let token = "metrics-test-token"
    static let kind = "test.metrics"

    /// The samples of one scrape: `name{labels}` → value.
    struct Scrape {
        var samples: [String: Double] = [:]

        init(_ text: String) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    continue
                }
                samples[String(line[..<space])] = value
            }
        }

        /// The value of the sample whose name is `name` and whose labels include every one given.
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            let matching = samples.filter { key, _ in
                guard key == name || key.hasPrefix(name + "{") else { return false }
                return labels.allSatisfy { key.contains("\($0.key)=\"\($0.value)\"") }
            }
            return matching.isEmpty ? nil : matching.values.reduce(0, +)
        }
    }

    static func scrape(_ client: any TestClientProtocol) async throws -> Scrape {
        let response = try await client.execute(uri: "/metrics", method: .get,
                                                headers: [.authorization: "Bearer \(token)"])
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return Scrape(String(buffer: response.body))
    }

    static func rpc(_ client: any TestClientProtocol, key: String, _ body: String) async throws -> JSONValue {
        let response = try await client.execute(uri: "/rpc", method: .post,
                                                headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                                body: ByteBuffer(string: body))
        return try JSONParser.parse(Array(buffer: response.body))
    }

    @Test func seriesArePresentAndMoveWithTrafficJobsAndPluginCalls() async throws {
        ServerMetrics.bootstrap()
        // A database of its own, so the queue gauges count only this test's jobs.
        let environment = try await TestEnvironment.isolated(plugins: .none, claims: ClaimConfiguration())
        let practice = try await environment.createPractice(name: "Metrics Practice")
        let processor = LedgerlineAPI.processor(services: environment.services, operatorKey: TestEnvironment.operatorKey,
                                                limits: RPCLimits(), logger: environment.logger,
                                                observer: ServerMetrics.observe)
        let router = HTTPRoutes.router(processor: processor, database: environment.database, maximumBodyBytes: 1 << 20,
                                       metrics: MetricsExposure(jobKinds: [Self.kind, "idle.kind"], token: Self.token))
        var logger = Logger(label: "ledgerline-metrics-test")
        logger.logLevel = .critical
        let app = Application(router: router, logger: logger)
        let practiceID = try #require(PracticeID(practice.id))

        try await app.test(.router) { client in
            // Without the token: refused, and nothing rendered.
            let anonymous = try await client.execute(uri: "/metrics", method: .get)
            #expect(anonymous.status == .unauthorized)

            let before = try await Self.scrape(client)
            #expect(before.value("ledgerline_database_up") == 1)
            #expect(before.value("ledgerline_jobs", ["kind": "idle.kind", "state": "due"]) == 0)
            #expect(before.value("ledgerline_db_pool_size") != nil)
            #expect(before.value("process_resident_memory_bytes").map { $0 > 1_000_000 } == true)
            #expect(before.value("process_open_fds").map { $0 > 0 } == true)

            // Traffic: three good calls, one with bad params, one unknown method, one batch of two.
            for _ in 0..<3 {
                let answer = try await Self.rpc(client, key: practice.ownerKey,
                                                #"{"jsonrpc":"2.0","id":1,"method":"practice.get"}"#)
                #expect(answer["result"] != nil)
            }
            let invalid = try await Self.rpc(client, key: practice.ownerKey,
                                             #"{"jsonrpc":"2.0","id":2,"method":"client.get","params":{"clientId":7}}"#)
            #expect(invalid.errorCode == -32602)
            let unknown = try await Self.rpc(client, key: practice.ownerKey,
                                             #"{"jsonrpc":"2.0","id":3,"method":"no.suchMethod"}"#)
            #expect(unknown.errorCode == -32601)
            _ = try await Self.rpc(client, key: practice.ownerKey,
                                   #"[{"jsonrpc":"2.0","id":4,"method":"practice.get"},{"jsonrpc":"2.0","id":5,"method":"client.list"}]"#)

            // Three due jobs of a kind this server runs.
            for _ in 0..<3 {
                _ = try await JobQueueTests.enqueue(environment, practiceID: practiceID, kind: Self.kind)
            }
            try await environment.admin.withConnection { transaction in
                try await transaction.query("update jobs set run_at = now() - interval '90 seconds' where kind = \(Self.kind)")
            }

            // Plugin calls: one that answers, one the plugin refuses.
            let plugins = try PluginLoader.loadAll([
                PluginConfigurationEntry(name: "metrics-probe", path: BuiltProducts.library("LedgerlineExampleProcessorPlugin"),
                                         settings: [:], timeoutSeconds: 10),
            ], logger: environment.logger)
            let probe = try plugins.plugin(named: "metrics-probe")
            try await probe.ping()
            await #expect(throws: PluginError.self) {
                _ = try await probe.call("no.suchPluginMethod", params: Data(#"{"settings":{},"input":null}"#.utf8))
            }

            let during = try await Self.scrape(client)
            func moved(_ name: String, _ labels: [String: String] = [:], by amount: Double) {
                let delta = (during.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0)
                #expect(delta == amount, "\(name) \(labels) moved by \(delta), expected \(amount)")
            }
            moved("ledgerline_rpc_requests_total", ["method": "practice.get", "outcome": "ok"], by: 4)
            moved("ledgerline_rpc_requests_total", ["method": "client.list", "outcome": "ok"], by: 1)
            moved("ledgerline_rpc_request_duration_seconds_count", ["method": "practice.get"], by: 4)
            moved("ledgerline_rpc_errors_total", ["method": "client.get", "code": "-32602"], by: 1)
            moved("ledgerline_rpc_errors_total", ["method": "(invalid)", "code": "-32601"], by: 1)
            #expect(during.value("ledgerline_jobs", ["kind": Self.kind, "state": "due"]) == 3)
            #expect((during.value("ledgerline_jobs_oldest_due_age_seconds", ["kind": Self.kind]) ?? 0) >= 60)
            moved("ledgerline_plugin_call_duration_seconds_count", ["plugin": "metrics-probe", "method": "ping"], by: 1)
            moved("ledgerline_plugin_call_failures_total", ["plugin": "metrics-probe", "method": "no.suchPluginMethod"], by: 1)
            #expect((during.value("ledgerline_db_pool_wait_duration_seconds_count") ?? 0)
                > (before.value("ledgerline_db_pool_wait_duration_seconds_count") ?? 0))

            // A worker drains the queue: depth back to 0, the jobs counted as finished.
            let worker = JobWorker(
                database: environment.database,
                handlers: [Self.kind: ClosureJobHandler { job, transaction in try await JobQueueTests.applyEffect(job, transaction) }],
                configuration: JobWorkerConfiguration(workerID: "metrics-test", concurrency: 2, leaseSeconds: 30,
                                                      idlePollSeconds: 0.05),
                logger: environment.logger)
            let running = Task { try await worker.run() }
            defer { running.cancel() }
            var after = during
            for _ in 0..<200 {
                after = try await Self.scrape(client)
                if after.value("ledgerline_jobs", ["kind": Self.kind, "state": "due"]) == 0,
                   after.value("ledgerline_jobs", ["kind": Self.kind, "state": "running"]) == 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            running.cancel()
            #expect(after.value("ledgerline_jobs", ["kind": Self.kind, "state": "due"]) == 0)
            #expect(after.value("ledgerline_jobs_oldest_due_age_seconds", ["kind": Self.kind]) == 0)
            #expect((after.value("ledgerline_jobs_finished_total", ["kind": Self.kind, "outcome": "succeeded"]) ?? 0)
                - (before.value("ledgerline_jobs_finished_total", ["kind": Self.kind, "outcome": "succeeded"]) ?? 0) == 3)
            #expect(after.value("ledgerline_job_duration_seconds_count", ["kind": Self.kind]).map { $0 >= 3 } == true)
        }
    }

    /// No tenant value ever becomes a label: practice ids and names stay out of the scrape.
    @Test func scrapeCarriesNoTenantValues() async throws {
        ServerMetrics.bootstrap()
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Label Leak Check")
        let processor = LedgerlineAPI.processor(services: environment.services, operatorKey: TestEnvironment.operatorKey,
                                                limits: RPCLimits(), logger: environment.logger,
                                                observer: ServerMetrics.observe)
        let router = HTTPRoutes.router(processor: processor, database: environment.database, maximumBodyBytes: 1 << 20,
                                       metrics: MetricsExposure(jobKinds: [], token: nil))
        let app = Application(router: router, logger: environment.logger)
        try await app.test(.router) { client in
            _ = try await Self.rpc(client, key: practice.ownerKey,
                                   #"{"jsonrpc":"2.0","id":1,"method":"\#(practice.id)","params":{"x":"\#(practice.id)"}}"#)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(!text.contains(practice.id))
            #expect(!text.contains("Label Leak Check"))
            #expect(!text.contains(practice.ownerKey))
        }
    }
}
