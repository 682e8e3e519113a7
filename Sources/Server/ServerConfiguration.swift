import Configuration
import Foundation
import Logging
import SystemPackage

/// Everything `ledgerline serve` reads from its environment or configuration file.
///
/// Keys (environment variables, or the same `KEY=value` lines in the file named by
/// `LEDGERLINE_CONFIG_FILE`): `LEDGERLINE_HOST`, `LEDGERLINE_PORT`, `DATABASE_URL`,
/// `LEDGERLINE_DATA_DIR`, `LEDGERLINE_OPERATOR_KEY`, `LEDGERLINE_SECRET_KEY`, `LEDGERLINE_PLUGINS`,
/// `LEDGERLINE_LOG_LEVEL`, `LEDGERLINE_MAX_BODY_BYTES`, `LEDGERLINE_MAX_BATCH`, `LEDGERLINE_DB_CONNECTIONS`,
/// `LEDGERLINE_WORKER_CONCURRENCY`, `LEDGERLINE_JOB_LEASE_SECONDS`, `LEDGERLINE_JOB_RETRY_BASE_SECONDS`; claim
/// handling reads `LEDGERLINE_CLAIM_HOLD_SECONDS`, `LEDGERLINE_STATUS_POLL_SECONDS`,
/// `LEDGERLINE_STUCK_CLAIM_HOURS`, `LEDGERLINE_CLAIM_BATCH_SIZE` and `LEDGERLINE_X12_USAGE` (see `ClaimConfiguration`).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The application role's URL; `nil` selects the embedded cluster.
    public var databaseURL: String?
    public var dataDirectory = ".ledgerline"
    public var operatorKey: String?
    public var secretKey: String?
    public var pluginsFile: String?
    public var logLevel: Logger.Level = .info
    public var maximumBodyBytes = 1 << 20
    public var maximumBatchLength = 100
    public var databaseConnections = 20
    public var workerConcurrency = 4
    /// How long a worker owns a job before another may take it over (its heartbeat renews it).
    public var jobLeaseSeconds: Double = 30
    /// The first retry delay of a failed job (doubling, with jitter, up to an hour).
    public var jobRetryBaseSeconds: Double = 2

    /// Defaults only.
    public init() {}

    /// Reads the configuration from the environment and, when `LEDGERLINE_CONFIG_FILE` (or `file`) names one,
    /// a file of `KEY=value` lines; the environment wins.
    public static func load(file: String? = nil) async throws -> ServerConfiguration {
        let secrets = SecretsSpecifier<String, String>.specific(["LEDGERLINE_OPERATOR_KEY", "LEDGERLINE_SECRET_KEY", "DATABASE_URL"])
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(secretsSpecifier: secrets)]
        let path = file ?? ProcessInfo.processInfo.environment["LEDGERLINE_CONFIG_FILE"]
        if let path, !path.isEmpty {
            providers.append(try await EnvironmentVariablesProvider(environmentFilePath: FilePath(path),
                                                                    secretsSpecifier: secrets))
        }
        let reader = ConfigReader(providers: providers)
        var configuration = ServerConfiguration()
        configuration.host = reader.string(forKey: "ledgerline.host", default: configuration.host)
        configuration.port = reader.int(forKey: "ledgerline.port", default: configuration.port)
        configuration.databaseURL = reader.string(forKey: "database.url", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        configuration.dataDirectory = reader.string(forKey: "ledgerline.data.dir", default: configuration.dataDirectory)
        configuration.operatorKey = reader.string(forKey: "ledgerline.operator.key", isSecret: true)
        configuration.secretKey = reader.string(forKey: "ledgerline.secret.key", isSecret: true)
        configuration.pluginsFile = reader.string(forKey: "ledgerline.plugins")
        if let level = reader.string(forKey: "ledgerline.log.level"), let parsed = Logger.Level(rawValue: level) {
            configuration.logLevel = parsed
        }
        configuration.maximumBodyBytes = reader.int(forKey: "ledgerline.max.body.bytes", default: configuration.maximumBodyBytes)
        configuration.maximumBatchLength = reader.int(forKey: "ledgerline.max.batch", default: configuration.maximumBatchLength)
        configuration.databaseConnections = reader.int(forKey: "ledgerline.db.connections",
                                                       default: configuration.databaseConnections)
        configuration.workerConcurrency = reader.int(forKey: "ledgerline.worker.concurrency",
                                                     default: configuration.workerConcurrency)
        configuration.jobLeaseSeconds = max(1, reader.double(forKey: "ledgerline.job.lease.seconds",
                                                             default: configuration.jobLeaseSeconds))
        configuration.jobRetryBaseSeconds = max(0.05, reader.double(forKey: "ledgerline.job.retry.base.seconds",
                                                                    default: configuration.jobRetryBaseSeconds))
        return configuration
    }
}
