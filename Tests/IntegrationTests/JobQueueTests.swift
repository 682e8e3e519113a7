import BillingCore
import Foundation
import Logging
import PostgresNIO
import Storage
import Synchronization
import Testing

/// The job queue: exactly-once database effects, rescue after a crashed worker's lease, dead-lettering.
@Suite struct JobQueueTests {
    /// A job's effect: one audit row naming the job (the handler runs as the application role in the job's practice).
    static func applyEffect(_ job: ClaimedJob, _ transaction: Transaction) async throws {
        try await AuditRepository().append(
            AuditEntry(id: .generate(), at: Date(), actorType: "system", memberId: nil, credentialId: nil,
                       method: "test.jobEffect", entityIds: ["job_\(job.id)"], outcome: "ok", errorCode: nil,
                       requestId: "job-\(job.id)"),
            practiceID: job.practiceID, in: transaction)
    }

    static func effectCount(_ environment: TestEnvironment, jobID: Int64) async throws -> Int {
        try await environment.count("select count(*)::int from audit_log where request_id = \("job-\(jobID)")")
    }

    static func enqueue(_ environment: TestEnvironment, practiceID: PracticeID, kind: String, maxAttempts: Int = 10)
        async throws -> Int64
    {
        try await environment.database.withTenant(practiceID) { transaction in
            try await JobQueue().enqueue(NewJob(practiceID: practiceID, kind: kind, maxAttempts: maxAttempts),
                                         in: transaction) ?? -1
        }
    }

    static func status(_ environment: TestEnvironment, jobID: Int64) async throws -> (String, Int) {
        try await environment.admin.withConnection { transaction in
            guard let row = try await transaction.firstRow("select status, attempts from jobs where id = \(jobID)") else {
                return ("missing", 0)
            }
            return try row.decode((String, Int).self)
        }
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test func everyJobRunsItsEffectExactlyOnce() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let practiceID = try #require(PracticeID(practice.id))
        let kind = "test.once.\(UUID().uuidString.prefix(8))"
        var jobIDs: [Int64] = []
        for _ in 0..<40 { jobIDs.append(try await Self.enqueue(environment, practiceID: practiceID, kind: kind)) }
        let worker = JobWorker(database: environment.database,
                               handlers: [kind: ClosureJobHandler(Self.applyEffect)],
                               configuration: JobWorkerConfiguration(workerID: "once", concurrency: 4, idlePollSeconds: 0.05),
                               logger: environment.logger)
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        let done = try await Self.eventually(60) {
            try await environment.count("select count(*)::int from jobs where kind = \(kind) and status = 'succeeded'") == 40
        }
        #expect(done)
        for jobID in jobIDs { #expect(try await Self.effectCount(environment, jobID: jobID) == 1) }
    }

    @Test func jobOfACrashedWorkerIsRescuedAfterItsLeaseAndCompletesOnce() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let practiceID = try #require(PracticeID(practice.id))
        let kind = "test.rescue.\(UUID().uuidString.prefix(8))"
        let jobID = try await Self.enqueue(environment, practiceID: practiceID, kind: kind)

        // Worker A has its own connections (application_name marks them) and a 1 s lease. Its handler
        // applies the effect, then hangs as a process would that died mid-job.
        let crashedName = "crashed-\(UUID().uuidString.prefix(8))"
        let databaseA = Database(url: environment.applicationURL.with(applicationName: crashedName),
                                 maximumConnections: 4, logger: environment.logger)
        let poolA = Task { try await databaseA.run() }
        let workerA = JobWorker(
            database: databaseA,
            handlers: [kind: ClosureJobHandler { job, transaction in
                try await Self.applyEffect(job, transaction)
                try await Task.sleep(for: .seconds(3600))
            }],
            configuration: JobWorkerConfiguration(workerID: "A", concurrency: 1, leaseSeconds: 1, idlePollSeconds: 0.05),
            logger: environment.logger)
        let runA = Task { try await workerA.run() }
        #expect(try await Self.eventually(30) { try await Self.status(environment, jobID: jobID) == ("running", 1) })

        // The crash: every connection of A is terminated by the server and A never speaks again.
        try await environment.admin.withConnection { transaction in
            try await transaction.query(
                "select pg_terminate_backend(pid) from pg_stat_activity where application_name = \(crashedName)")
        }
        poolA.cancel()
        runA.cancel()

        let workerB = JobWorker(database: environment.database, handlers: [kind: ClosureJobHandler(Self.applyEffect)],
                                configuration: JobWorkerConfiguration(workerID: "B", concurrency: 1, leaseSeconds: 5,
                                                                      idlePollSeconds: 0.05),
                                logger: environment.logger)
        let runB = Task { try await workerB.run() }
        defer { runB.cancel() }
        #expect(try await Self.eventually(30) { try await Self.status(environment, jobID: jobID).0 == "succeeded" })
        let (_, attempts) = try await Self.status(environment, jobID: jobID)
        #expect(attempts == 2)
        #expect(try await Self.effectCount(environment, jobID: jobID) == 1)
    }

    @Test func poisonJobDeadLettersWhileOtherJobsComplete() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let practiceID = try #require(PracticeID(practice.id))
        let poisonKind = "test.poison.\(UUID().uuidString.prefix(8))"
        let goodKind = "test.good.\(UUID().uuidString.prefix(8))"
        let poisonID = try await Self.enqueue(environment, practiceID: practiceID, kind: poisonKind, maxAttempts: 3)
        var goodIDs: [Int64] = []
        for _ in 0..<20 { goodIDs.append(try await Self.enqueue(environment, practiceID: practiceID, kind: goodKind)) }
        let poisonRuns = Mutex(0)
        let worker = JobWorker(
            database: environment.database,
            handlers: [
                poisonKind: ClosureJobHandler { _, _ in
                    poisonRuns.withLock { $0 += 1 }
                    throw PoisonError()
                },
                goodKind: ClosureJobHandler(Self.applyEffect),
            ],
            configuration: JobWorkerConfiguration(workerID: "poison", concurrency: 2, idlePollSeconds: 0.05,
                                                  backoffBaseSeconds: 0.1, backoffCapSeconds: 0.5),
            logger: environment.logger)
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        #expect(try await Self.eventually(60) { try await Self.status(environment, jobID: poisonID).0 == "dead" })
        #expect(try await Self.eventually(60) {
            try await environment.count("select count(*)::int from jobs where kind = \(goodKind) and status = 'succeeded'") == 20
        })
        #expect(try await Self.status(environment, jobID: poisonID) == ("dead", 3))
        #expect(poisonRuns.withLock { $0 } == 3)
        let lastError = try await environment.admin.withConnection { transaction in
            try await transaction.firstRow("select coalesce(last_error, '') from jobs where id = \(poisonID)")?.decode(String.self)
        }
        #expect(lastError?.contains("PoisonError") == true)
        for jobID in goodIDs { #expect(try await Self.effectCount(environment, jobID: jobID) == 1) }
    }

    @Test func retryDelayGrowsExponentiallyWithJitterAndIsCapped() {
        let configuration = JobWorkerConfiguration(backoffBaseSeconds: 2, backoffCapSeconds: 60)
        for attempt in 1...10 {
            let delay = configuration.retryDelay(afterAttempt: attempt)
            let full = min(60, 2 * pow(2, Double(attempt - 1)))
            #expect(delay >= full / 2 && delay <= full)
        }
    }

    struct PoisonError: Error {}
}
