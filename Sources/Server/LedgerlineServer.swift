import API
import Billing
import Foundation
import Hummingbird
import JSONRPC
import Logging
import PluginHost
import ServiceLifecycle
import Storage

/// Starts the whole server: database (embedded or external), HTTP, workers; stops them in order.
public enum LedgerlineServer {
    /// Runs until SIGTERM or SIGINT, then shuts down gracefully (in-flight requests finish,
    /// the embedded cluster is stopped last).
    public static func run(configuration: ServerConfiguration, logger: Logger) async throws {
        // Plugins and the secret key are checked before anything starts, so a bad list or key
        // stops the server with a message instead of failing later, practice by practice.
        let runtime = try pluginRuntime(configuration: configuration, logger: logger)
        var embedded: EmbeddedPostgres?
        let applicationURL: DatabaseURL
        if let text = configuration.databaseURL {
            applicationURL = try DatabaseURL(text)
        } else {
            let cluster = EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: configuration.dataDirectory), logger: logger)
            let endpoints = try await cluster.start()
            embedded = cluster
            do {
                try await MigrationRunner(logger: logger).migrate(ownerURL: endpoints.owner)
            } catch {
                cluster.stop()
                throw error
            }
            applicationURL = endpoints.application
        }
        defer { embedded?.stop() }

        ServerMetrics.bootstrap()
        let database = Database(url: applicationURL, maximumConnections: configuration.databaseConnections, logger: logger)
        let claimConfiguration = ClaimConfiguration.fromEnvironment()
        let environment = ProcessInfo.processInfo.environment
        let rateLimiter = PracticeRateLimiter.fromEnvironment(environment)
        logger.notice("per-practice rate limit", metadata: [
            "callsPerSecond": "\(rateLimiter.map { "\($0.rate)" } ?? "off")",
            "burst": "\(rateLimiter.map { "\($0.burst)" } ?? "-")",
        ])
        let services = Services(database: database, logger: logger, plugins: runtime, claims: claimConfiguration,
                                signIn: SignInConfiguration.fromEnvironment(), rateLimiter: rateLimiter)
        let processor = LedgerlineAPI.processor(
            services: services, operatorKey: configuration.operatorKey,
            limits: RPCLimits(maximumBatchLength: configuration.maximumBatchLength), logger: logger,
            observer: ServerMetrics.observe)
        let handlers = jobHandlers(runtime: runtime, database: database, claims: claimConfiguration, logger: logger)
        // LEDGERLINE_TRUSTED_PROXIES: comma-separated load balancer addresses whose X-Forwarded-For is believed.
        let proxies = Set((ProcessInfo.processInfo.environment["LEDGERLINE_TRUSTED_PROXIES"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        // LEDGERLINE_METRICS_TOKEN: when set, GET /metrics needs it as a Bearer token.
        let metricsToken = environment["LEDGERLINE_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let router = HTTPRoutes.router(processor: processor, database: database,
                                       maximumBodyBytes: configuration.maximumBodyBytes, trustedProxies: proxies,
                                       metrics: MetricsExposure(jobKinds: handlers.keys.sorted(), token: metricsToken))
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ledgerline"),
            onServerRunning: { channel in
                logger.notice("ledgerline listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger)
        let worker = JobWorker(database: database, handlers: handlers,
                               configuration: JobWorkerConfiguration(concurrency: configuration.workerConcurrency,
                                                                     leaseSeconds: configuration.jobLeaseSeconds,
                                                                     backoffBaseSeconds: configuration.jobRetryBaseSeconds,
                                                                     backoffCapSeconds: 300),
                               logger: logger)
        let guardian = RoleGuard(database: database, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: database),
                .init(service: guardian, successTerminationBehavior: .ignore),
                .init(service: worker),
                .init(service: application, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

extension LedgerlineServer {
    /// Loads the plugins the configuration lists and opens the secret key.
    /// - Throws: `PluginLoadError` naming the plugin and why; `SecretBox.Failure` for a malformed key.
    public static func pluginRuntime(configuration: ServerConfiguration, logger: Logger) throws -> PluginRuntime {
        let entries = try configuration.pluginsFile.map { (path: String) throws(PluginLoadError) in
            try PluginConfiguration.read(file: path)
        } ?? []
        let plugins = try PluginLoader.loadAll(entries, logger: logger)
        for name in plugins.names {
            if let plugin = try? plugins.plugin(named: name) {
                logger.notice("plugin loaded", metadata: [
                    "plugin": "\(name)", "kind": "\(plugin.manifest.kind.rawValue)",
                    "version": "\(plugin.manifest.version ?? "-")", "path": "\(plugin.path)",
                ])
            }
        }
        var secretBox: SecretBox?
        if let key = configuration.secretKey, !key.isEmpty {
            secretBox = try SecretBox(specification: key)
        } else if !plugins.names.isEmpty {
            logger.warning("LEDGERLINE_SECRET_KEY is not set: practices cannot configure integrations")
        }
        return PluginRuntime(plugins: plugins, secretBox: secretBox)
    }

    /// The background jobs this server runs.
    public static func jobHandlers(runtime: PluginRuntime, database: Database, claims: ClaimConfiguration,
                                   logger: Logger) -> [String: any JobHandler] {
        let notifications = NotificationService(runtime: runtime)
        let submission = ClaimSubmissionWorker(runtime: runtime, database: database, configuration: claims)
        let sync = ClaimStatusSync(runtime: runtime, configuration: claims)
        let automation = BillingAutomation(runtime: runtime, configuration: claims)
        return [
            NotificationService.jobKind: ClosureJobHandler { job, transaction in
                try await notifications.deliver(job, in: transaction, logger: logger)
            },
            ClaimSubmissionWorker.jobKind: ClosureJobHandler { job, transaction in
                try await submission.run(job, in: transaction, logger: logger)
            },
            ClaimStatusSync.jobKind: ClosureJobHandler { job, transaction in
                try await sync.run(job, in: transaction, logger: logger)
            },
            BillingAutomation.jobKind: ClosureJobHandler { job, transaction in
                try await automation.run(job, in: transaction, logger: logger)
            },
        ]
    }
}

/// Refuses to serve when the application role could bypass row-level security.
struct RoleGuard: Service {
    let database: Database
    let logger: Logger

    func run() async throws {
        let row = try await database.withConnection { transaction in
            try await transaction.firstRow("""
                select r.rolsuper, r.rolbypassrls,
                       exists (select 1 from pg_tables where tableowner = current_user and schemaname = 'public') as owns
                from pg_roles r where r.rolname = current_user
                """)
        }
        guard let row else { throw StorageError.configuration("cannot read the database role") }
        let (superuser, bypass, owns) = try row.decode((Bool, Bool, Bool).self)
        if superuser || bypass || owns {
            logger.critical("refusing to serve: the database role is a superuser, has BYPASSRLS, or owns tables; connect as the application role")
            throw StorageError.configuration("DATABASE_URL must use the application role (not superuser, no BYPASSRLS, owns no tables)")
        }
    }
}
