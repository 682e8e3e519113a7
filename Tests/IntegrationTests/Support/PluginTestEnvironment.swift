import API
import Billing
import BillingCore
import Foundation
import JSONRPC
import PluginAPI
import PluginHost
import Server
import StandIns
import Storage

/// The shared test database reached through a server that loads the shipped plugins from their
/// built `.so` files (email, SMS pointed at the Twilio stand-in, the example processor), with a
/// secret key and a job worker delivering notifications — what `ledgerline serve` runs.
final class PluginTestEnvironment: Sendable {
    static let twilioAccountSid = "AC" + String(repeating: "0123456789abcdef", count: 2)
    static let twilioAuthToken = "stand-in-auth-token-0001"
    static let secretKey = SecretBox.generateKeySpecification(keyID: "test1")
    /// No hold before transmission, a status poll every second.
    static let claimConfiguration = ClaimConfiguration(
        submissionHold: .zero, statusPollInterval: .seconds(1), stuckAfter: .seconds(3600), batchSize: 2000,
        usage: .test)

    private static let sharedTask = Task { try await PluginTestEnvironment.make() }

    /// The environment, created on first use.
    static func shared() async throws -> PluginTestEnvironment { try await sharedTask.value }

    let environment: TestEnvironment
    let runtime: PluginRuntime
    let sms: SMSStandIn

    private init(environment: TestEnvironment, runtime: PluginRuntime, sms: SMSStandIn) {
        self.environment = environment
        self.runtime = runtime
        self.sms = sms
    }

    private static func make() async throws -> PluginTestEnvironment {
        // Retries of failed deliveries come after milliseconds, not minutes.
        setenv("LEDGERLINE_NOTIFICATION_RETRY_SCALE", "0.02", 1)
        let base = try await TestEnvironment.shared()
        let sms = try await SMSStandIn.start(accountSid: twilioAccountSid, authToken: twilioAuthToken, unsubscribed: [])
        let plugins = try PluginLoader.loadAll([
            PluginConfigurationEntry(name: "email", path: BuiltProducts.library("LedgerlineEmailPlugin"),
                                     settings: ["timeoutSeconds": 20], timeoutSeconds: 30),
            PluginConfigurationEntry(name: "sms", path: BuiltProducts.library("LedgerlineSMSPlugin"),
                                     settings: ["baseURL": .string(sms.baseURL)], allowedHosts: ["127.0.0.1"],
                                     timeoutSeconds: 15),
            PluginConfigurationEntry(name: "example-processor",
                                     path: BuiltProducts.library("LedgerlineExampleProcessorPlugin"), settings: [:],
                                     timeoutSeconds: 10),
        ], logger: base.logger)
        let runtime = PluginRuntime(plugins: plugins, secretBox: try SecretBox(specification: secretKey))
        let environment = TestEnvironment(sharing: base, plugins: runtime, claims: claimConfiguration)
        let worker = JobWorker(
            database: base.database,
            handlers: LedgerlineServer.jobHandlers(runtime: runtime, database: base.database, claims: Self.claimConfiguration,
                                                   logger: base.logger),
            configuration: JobWorkerConfiguration(workerID: "plugin-tests", concurrency: 4, leaseSeconds: 30,
                                                  idlePollSeconds: 0.1),
            logger: base.logger)
        Task { try await worker.run() }
        return PluginTestEnvironment(environment: environment, runtime: runtime, sms: sms)
    }

    /// The same database and plugins with another plugin list: what a server restarted without
    /// some plugins would answer.
    func without(plugins names: Set<String>) throws -> TestEnvironment {
        var kept: [String: LoadedPlugin] = [:]
        for name in runtime.plugins.names where !names.contains(name) {
            kept[name] = try runtime.plugins.plugin(named: name)
        }
        return TestEnvironment(sharing: environment,
                               plugins: PluginRuntime(plugins: LoadedPlugins(kept), secretBox: runtime.secretBox),
                               claims: Self.claimConfiguration)
    }

    /// Polls `notification.get` until the notification leaves `queued` (or `limit` passes).
    func settled(_ notificationID: String, practice: TestPractice, limit: Duration = .seconds(60)) async throws
        -> JSONValue
    {
        let deadline = ContinuousClock.now + limit
        while true {
            let response = try await environment.call("notification.get", ["id": .string(notificationID)],
                                                      key: practice.ownerKey)
            guard let notification = response["result"]?["notification"] else {
                throw TestSetupError("notification.get: \(response.text)")
            }
            if notification["status"]?.stringValue != "queued" || ContinuousClock.now > deadline { return notification }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
