import BillingCore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// A failure a handler reports when retrying cannot help (the job is dead-lettered at once).
public struct PermanentJobFailure: Error, Sendable, CustomStringConvertible {
    public let reason: String
    /// Creates the failure.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Runs one kind of job. The handler's database effects and the job's completion commit together,
/// so a crashed or rescued attempt leaves no trace and the effect happens exactly once.
public protocol JobHandler: Sendable {
    /// Applies the job inside `transaction`, which is scoped to the job's practice.
    func handle(_ job: ClaimedJob, in transaction: Transaction) async throws
}

/// A handler made from a closure.
public struct ClosureJobHandler: JobHandler {
    let body: @Sendable (ClaimedJob, Transaction) async throws -> Void
    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (ClaimedJob, Transaction) async throws -> Void) { self.body = body }
    public func handle(_ job: ClaimedJob, in transaction: Transaction) async throws { try await body(job, transaction) }
}

/// Worker settings.
public struct JobWorkerConfiguration: Sendable {
    /// Distinguishes this process in lease tokens and logs.
    public var workerID: String
    /// Jobs run at once by this worker.
    public var concurrency: Int
    /// How long a lease lasts without a heartbeat.
    public var leaseSeconds: Double
    /// Pause between polls when the queue is empty.
    public var idlePollSeconds: Double
    /// First retry delay; doubles per attempt.
    public var backoffBaseSeconds: Double
    /// Longest retry delay.
    public var backoffCapSeconds: Double

    /// Creates a configuration.
    public init(workerID: String = "worker-\(ProcessInfo.processInfo.processIdentifier)", concurrency: Int = 4,
                leaseSeconds: Double = 30, idlePollSeconds: Double = 0.5, backoffBaseSeconds: Double = 2,
                backoffCapSeconds: Double = 3600) {
        self.workerID = workerID
        self.concurrency = concurrency
        self.leaseSeconds = leaseSeconds
        self.idlePollSeconds = idlePollSeconds
        self.backoffBaseSeconds = backoffBaseSeconds
        self.backoffCapSeconds = backoffCapSeconds
    }

    /// The retry delay after `attempts` failures: exponential, capped, with jitter in [½, 1] of it.
    public func retryDelay(afterAttempt attempts: Int) -> Double {
        let exponential = backoffBaseSeconds * pow(2, Double(max(0, attempts - 1)))
        let capped = min(backoffCapSeconds, exponential)
        return capped * Double.random(in: 0.5...1.0)
    }
}

/// Pulls jobs from the queue and runs their handlers; a ServiceLifecycle service.
public final class JobWorker: Service, Sendable {
    let database: Database
    let handlers: [String: any JobHandler]
    let configuration: JobWorkerConfiguration
    let logger: Logger
    let queue = JobQueue()

    /// Creates a worker for the given handlers (keyed by job kind).
    public init(database: Database, handlers: [String: any JobHandler], configuration: JobWorkerConfiguration,
                logger: Logger) {
        self.database = database
        self.handlers = handlers
        self.configuration = configuration
        self.logger = logger
    }

    /// Claims and runs jobs until cancelled or a graceful shutdown begins.
    public func run() async throws {
        guard !handlers.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        let kinds = Array(handlers.keys).sorted()
        let inFlight = InFlightCounter()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    let free = self.configuration.concurrency - inFlight.value
                    var claimed: [ClaimedJob] = []
                    if free > 0 {
                        do {
                            claimed = try await self.database.withTransaction { transaction in
                                try await self.queue.claim(kinds: kinds, limit: free,
                                                           leaseSeconds: self.configuration.leaseSeconds,
                                                           workerID: self.configuration.workerID, in: transaction)
                            }
                        } catch {
                            self.logger.warning("job claim failed", metadata: ["error": "\(String(reflecting: error))"])
                        }
                    }
                    for job in claimed {
                        inFlight.add(1)
                        group.addTask {
                            await self.execute(job)
                            inFlight.add(-1)
                        }
                    }
                    if free == 0 {
                        try? await Task.sleep(for: .milliseconds(20))
                    } else if claimed.count < free {
                        try? await Task.sleep(for: .seconds(self.configuration.idlePollSeconds))
                    }
                }
            }
        }
    }

    /// Runs one claimed job with a heartbeat, then settles it.
    func execute(_ job: ClaimedJob) async {
        var jobLogger = logger
        jobLogger[metadataKey: "job"] = "\(job.id)"
        jobLogger[metadataKey: "jobKind"] = "\(job.kind)"
        jobLogger[metadataKey: "practice"] = "\(job.practiceID)"
        guard let handler = handlers[job.kind] else { return }
        let started = ContinuousClock.now
        if job.attempts > job.maxAttempts {
            await settleFailure(job, reason: "attempts exhausted (lease expired \(job.attempts - 1) times)",
                                permanent: true, logger: jobLogger)
            return
        }
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
            group.addTask {
                do {
                    try await self.database.withTenant(job.practiceID) { transaction in
                        try await handler.handle(job, in: transaction)
                        guard try await self.queue.markSucceeded(job, in: transaction) else { throw LeaseLost() }
                    }
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                // Heartbeat: renew at a third of the lease; stop the job if the lease was lost.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(self.configuration.leaseSeconds / 3))
                    if Task.isCancelled { return nil }
                    let kept = (try? await self.database.withTransaction { transaction in
                        try await self.queue.renew(job, leaseSeconds: self.configuration.leaseSeconds, in: transaction)
                    }) ?? true
                    if !kept { return .failure(LeaseLost()) }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(CancellationError())
        }
        let label: String
        switch outcome {
        case .success:
            label = "succeeded"
            jobLogger.debug("job succeeded")
        case .failure(let error) where error is LeaseLost:
            label = "leaseLost"
            jobLogger.warning("job lease lost; another worker owns it now")
        case .failure(let error):
            let permanent = error is PermanentJobFailure
            label = permanent || job.attempts >= job.maxAttempts ? "dead" : "retry"
            await settleFailure(job, reason: String(describing: error).prefix(2000).description, permanent: permanent,
                                logger: jobLogger)
        }
        Timer(label: "ledgerline_job_duration_seconds", dimensions: [("kind", job.kind)])
            .record(duration: ContinuousClock.now - started)
        Counter(label: "ledgerline_jobs_finished_total", dimensions: [("kind", job.kind), ("outcome", label)]).increment()
    }

    private func settleFailure(_ job: ClaimedJob, reason: String, permanent: Bool, logger: Logger) async {
        let delay = configuration.retryDelay(afterAttempt: job.attempts)
        do {
            try await database.withTransaction { transaction in
                try await queue.markFailed(job, error: reason, retryAfterSeconds: delay, permanent: permanent,
                                           in: transaction)
            }
            let dead = permanent || job.attempts >= job.maxAttempts
            logger.log(level: dead ? .error : .notice, dead ? "job dead-lettered" : "job failed; will retry",
                       metadata: ["attempt": "\(job.attempts)", "retryAfterSeconds": "\(delay)"])
        } catch {
            logger.error("could not record job failure; its lease will expire",
                         metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    struct LeaseLost: Error {}
}

/// Counts jobs in flight across the worker's child tasks.
final class InFlightCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
