import Foundation
import JSONRPC
import Logging
import Metrics
import Prometheus
import Storage

/// The process's metrics, in Prometheus text at `GET /metrics`.
///
/// Everything in the server records through swift-metrics (`Counter`, `Timer`, `Gauge`); this type
/// bootstraps it once with a Prometheus registry. Series (all prefixed `ledgerline_`):
/// - `rpc_requests_total{method, outcome}`, `rpc_request_duration_seconds{method}` (histogram),
///   `rpc_errors_total{method, code}` — per JSON-RPC call, batch elements one by one; a method
///   that is not registered is labelled `(invalid)` so callers cannot mint series.
/// - `jobs{kind, state}` (due, scheduled, running, expired, dead) and
///   `jobs_oldest_due_age_seconds{kind}` — read from the queue at each scrape; `database_up`.
/// - `plugin_call_duration_seconds{plugin, method}`, `plugin_call_failures_total{plugin, method, code}`.
/// - `db_pool_size`, `db_pool_connections_in_use`, `db_pool_requests_waiting`,
///   `db_pool_wait_duration_seconds`.
/// - `process_resident_memory_bytes`, `process_open_fds`, `process_start_time_seconds`.
/// No label carries a practice, a client or any other tenant value.
public enum ServerMetrics {
    /// The registry every metric of this process is kept in. Reading it the first time bootstraps
    /// swift-metrics with it (once per process).
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        // Libraries may name metrics with dots; Prometheus allows [a-zA-Z0-9_:] only.
        factory.nameAndLabelSanitizer = { name, labels in
            (sanitize(name), labels.map { (sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Bootstraps swift-metrics with ``registry``; call before creating anything that records
    /// (the database pool binds its gauges when created).
    public static func bootstrap() { _ = registry }

    /// Records one JSON-RPC call (the processor's observer).
    @Sendable public static func observe(_ observation: RPCObservation) {
        let method = ("method", observation.method)
        Timer(label: "ledgerline_rpc_request_duration_seconds", dimensions: [method]).record(duration: observation.duration)
        Counter(label: "ledgerline_rpc_requests_total",
                dimensions: [method, ("outcome", observation.errorCode == nil ? "ok" : "error")]).increment()
        if let code = observation.errorCode {
            Counter(label: "ledgerline_rpc_errors_total", dimensions: [method, ("code", String(code))]).increment()
        }
    }

    /// Reads the job queue and the process into their gauges, then renders every series.
    /// - Parameter kinds: the job kinds this server runs (reported as 0 when none are queued).
    public static func scrape(database: Database, kinds: [String], logger: Logger) async -> [UInt8] {
        bootstrap()
        do {
            let depth = try await database.withTransaction { transaction in
                try await JobQueue().depth(in: transaction)
            }
            var counts: [String: [String: Int]] = [:]
            var ages: [String: Double] = [:]
            for row in depth {
                counts[row.kind, default: [:]][row.state] = row.count
                if row.state == "due" { ages[row.kind] = row.oldestDueAgeSeconds }
            }
            for kind in Set(kinds).union(counts.keys) {
                for state in JobQueueDepth.states {
                    Gauge(label: "ledgerline_jobs", dimensions: [("kind", kind), ("state", state)])
                        .record(counts[kind]?[state] ?? 0)
                }
                Gauge(label: "ledgerline_jobs_oldest_due_age_seconds", dimensions: [("kind", kind)]).record(ages[kind] ?? 0)
            }
            Gauge(label: "ledgerline_database_up").record(1)
        } catch {
            logger.warning("metrics: cannot read the job queue", metadata: ["error": "\(String(reflecting: error))"])
            Gauge(label: "ledgerline_database_up").record(0)
        }
        recordProcess()
        return registry.emitToBuffer()
    }

    private static let started = Date()

    /// Resident memory, open descriptors and start time, from /proc where it exists.
    static func recordProcess() {
        Gauge(label: "process_start_time_seconds").record(started.timeIntervalSince1970)
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) {
                Gauge(label: "process_resident_memory_bytes").record(pages * Int(sysconf(Int32(_SC_PAGESIZE))))
            }
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            Gauge(label: "process_open_fds").record(descriptors.count)
        }
    }

    static func sanitize(_ name: String) -> String {
        var output = ""
        for character in name.unicodeScalars {
            let allowed = ("a"..."z").contains(character) || ("A"..."Z").contains(character)
                || ("0"..."9").contains(character) || character == "_" || character == ":"
            output.unicodeScalars.append(allowed ? character : "_")
        }
        return output
    }
}
