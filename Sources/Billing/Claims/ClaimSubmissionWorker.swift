import BillingCore
import Foundation
import Logging
import PluginAPI
import PluginHost
import Storage
import X12

/// How claims move to and from the clearinghouse.
public struct ClaimConfiguration: Sendable {
    /// How long `claim.submit` holds claims before transmission (Sessions Health holds an hour).
    public var submissionHold: Duration
    /// How often each practice's clearinghouse status feed is read.
    public var statusPollInterval: Duration
    /// How long a Sent claim may wait for any acknowledgement before the practice is alerted.
    public var stuckAfter: Duration
    /// Claims per uploaded file (Claim.MD takes at most 2,000).
    public var batchSize: Int
    /// ISA15: production or test files.
    public var usage: InterchangeEnvelope.Usage
    /// The hour (0–23, practice time zone) billing automation runs each day (`LEDGERLINE_AUTOMATION_HOUR`, default 20).
    public var automationHour: Int = 20

    /// Creates a configuration.
    public init(submissionHold: Duration = .seconds(3600), statusPollInterval: Duration = .seconds(900),
                stuckAfter: Duration = .seconds(48 * 3600), batchSize: Int = 2000,
                usage: InterchangeEnvelope.Usage = .production) {
        self.submissionHold = submissionHold
        self.statusPollInterval = statusPollInterval
        self.stuckAfter = stuckAfter
        self.batchSize = max(1, min(2000, batchSize))
        self.usage = usage
    }

    /// Reads `LEDGERLINE_CLAIM_HOLD_SECONDS`, `LEDGERLINE_STATUS_POLL_SECONDS`,
    /// `LEDGERLINE_STUCK_CLAIM_HOURS`, `LEDGERLINE_CLAIM_BATCH_SIZE` and `LEDGERLINE_X12_USAGE` (P or T).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ClaimConfiguration
    {
        var configuration = ClaimConfiguration()
        if let hour = environment["LEDGERLINE_AUTOMATION_HOUR"].flatMap(Int.init), (0...23).contains(hour) {
            configuration.automationHour = hour
        }
        if let value = environment["LEDGERLINE_CLAIM_HOLD_SECONDS"].flatMap(Double.init), value >= 0 {
            configuration.submissionHold = .milliseconds(Int64(value * 1000))
        }
        if let value = environment["LEDGERLINE_STATUS_POLL_SECONDS"].flatMap(Double.init), value > 0 {
            configuration.statusPollInterval = .milliseconds(Int64(value * 1000))
        }
        if let value = environment["LEDGERLINE_STUCK_CLAIM_HOURS"].flatMap(Double.init), value > 0 {
            configuration.stuckAfter = .milliseconds(Int64(value * 3_600_000))
        }
        if let value = environment["LEDGERLINE_CLAIM_BATCH_SIZE"].flatMap(Int.init) {
            configuration.batchSize = max(1, min(2000, value))
        }
        if environment["LEDGERLINE_X12_USAGE"] == "T" { configuration.usage = .test }
        return configuration
    }

    var holdSeconds: Double { Self.seconds(submissionHold) }
    var pollSeconds: Double { Self.seconds(statusPollInterval) }
    var stuckSeconds: Double { Self.seconds(stuckAfter) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Sends a practice's queued claims: batches them into 837P files (≤ 2,000 claims), freezes each
/// file before its first attempt, and hands it to the practice's clearinghouse plugin.
///
/// Exactly once: a batch is marked as attempted (committed) before the file leaves; a batch found
/// attempted — the server died mid-call or the answer was lost — is looked up at the clearinghouse
/// first and only resent when the clearinghouse says it never got it, with the same file name and
/// bytes. One worker at a time per practice (a transaction-scoped advisory lock).
public struct ClaimSubmissionWorker: Sendable {
    /// The job kind that submits a practice's queued claims.
    public static let jobKind = "claims.submit"

    let runtime: PluginRuntime
    let database: Database
    let configuration: ClaimConfiguration
    let claims = ClaimRepository()

    /// Creates the worker.
    public init(runtime: PluginRuntime, database: Database, configuration: ClaimConfiguration) {
        self.runtime = runtime
        self.database = database
        self.configuration = configuration
    }

    struct Busy: Error, CustomStringConvertible {
        var description: String { "another worker is submitting this practice's claims; retrying" }
    }

    /// The job handler.
    public func run(_ job: ClaimedJob, in jobTransaction: Transaction, logger: Logger,
                    now: @Sendable () -> Date = Date.init) async throws {
        let practiceID = job.practiceID
        guard try await claims.trySubmissionLock(practiceID: practiceID, in: jobTransaction) else { throw Busy() }
        let resolved: (plugin: LoadedPlugin, settings: PluginJSON)
        do {
            resolved = try await database.withTenant(practiceID) { transaction in
                try await IntegrationService(runtime: runtime).resolve(.clearinghouse, practiceID: practiceID,
                                                                      in: transaction)
            }
        } catch let error as DomainError where error.kind == .notConfigured {
            try await holdQueuedClaims(practiceID: practiceID, reason: error.message, now: now())
            return
        }
        try await formBatches(practiceID: practiceID, plugin: resolved.plugin.name, now: now())
        let batches = try await database.withTenant(practiceID) { try await claims.openBatches(in: $0) }
        var pending: (any Error)?
        for batch in batches {
            do {
                try await process(batch, practiceID: practiceID, plugin: resolved.plugin, settings: resolved.settings,
                                  logger: logger, now: now)
            } catch {
                pending = error  // try the other batches; the job retries this one later
                logger.notice("claim batch not sent yet", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            }
        }
        if let pending { throw pending }
        // Statuses come back through the feed: read it soon after a submission.
        try await ClaimStatusSync.schedule(practiceID: practiceID, after: 2, in: jobTransaction, now: now())
    }

    /// Queued claims are moved to Needs Review when the practice has no clearinghouse.
    func holdQueuedClaims(practiceID: PracticeID, reason: String, now: Date) async throws {
        try await database.withTenant(practiceID) { transaction in
            for claim in try await claims.claimsReadyToBatch(now: .distantFuture, limit: 2000, in: transaction) {
                try await claims.transition(
                    claim.id, to: .needsReview,
                    event: ClaimEventRecord(at: now, from: claim.status, to: .needsReview, source: .system,
                                            message: reason),
                    practiceID: practiceID, in: transaction)
            }
        }
    }

    /// Freezes the ready queued claims into batch files.
    func formBatches(practiceID: PracticeID, plugin: String, now: Date) async throws {
        while true {
            let formed = try await database.withTenant(practiceID) { transaction -> Bool in
                let ready = try await claims.claimsReadyToBatch(now: now, limit: configuration.batchSize, in: transaction)
                guard !ready.isEmpty else { return false }
                let control = try await claims.nextInterchangeNumber(practiceID: practiceID, in: transaction)
                let ordered = ready.sorted { $0.patientControlNumber < $1.patientControlNumber }
                let x12 = try Writer837P().write(
                    ordered.map(\.snapshot),
                    envelope: ClaimService.envelope(for: ordered[0].snapshot, control: control, now: now,
                                                    usage: configuration.usage))
                let id = ClaimBatchID.generate()
                let batch = ClaimBatchRecord(
                    id: id, state: "ready", plugin: plugin, fileName: "\(id.description).837", x12: x12,
                    claimCount: ordered.count, totalCents: ordered.reduce(0) { $0 + $1.totalCents }, createdAt: now)
                try await claims.insertBatch(batch, claims: ordered.map(\.id), practiceID: practiceID, in: transaction)
                return ready.count == configuration.batchSize
            }
            if !formed { return }
        }
    }

    func process(_ batch: ClaimBatchRecord, practiceID: PracticeID, plugin: LoadedPlugin, settings: PluginJSON,
                 logger: Logger, now: @Sendable () -> Date) async throws {
        let members = try await database.withTenant(practiceID) { try await claims.claims(inBatch: batch.id, in: $0) }
        guard !members.isEmpty else {
            try await database.withTenant(practiceID) { transaction in
                try await claims.settleBatch(batch.id, state: "done", error: "no claims left", now: now(), in: transaction)
            }
            return
        }
        if batch.state == "uploading" {
            // The last attempt's outcome is unknown: ask before sending anything again.
            let day = Self.day(batch.firstAttemptAt ?? batch.createdAt)
            let lookup: SubmissionLookupResult
            do {
                lookup = try await plugin.lookupSubmission(
                    SubmissionLookup(batchID: batch.id.description, fileName: batch.fileName, firstAttemptOn: day,
                                     claimControlNumbers: members.map(\.patientControlNumber)),
                    settings: settings)
            } catch {
                throw DomainError.plugin(error)
            }
            if lookup.found {
                logger.notice("claim batch found at the clearinghouse; not resent", metadata: ["batch": "\(batch.id)"])
                try await apply(lookup.receipts, to: members, batch: batch, practiceID: practiceID,
                                note: "the clearinghouse confirmed it received the file after an interrupted upload",
                                now: now())
                return
            }
        }
        try await database.withTenant(practiceID) { transaction in
            try await claims.markAttempt(batch.id, now: now(), in: transaction)
        }
        let receipts: [SubmissionReceipt]
        do {
            receipts = try await plugin.submit(
                ClaimBatch(batchID: batch.id.description, fileName: batch.fileName, x12: batch.x12,
                           claims: members.map {
                               BatchClaim(claimControlNumber: $0.patientControlNumber, claimID: $0.id.description,
                                          totalCents: $0.totalCents)
                           }),
                settings: settings)
        } catch {
            switch error.code {
            case .rejected, .invalidSettings, .invalidParams:
                try await reject(batch, members: members, practiceID: practiceID, reason: error.message, now: now())
                return
            default:
                try await database.withTenant(practiceID) { transaction in
                    try await claims.settleBatch(batch.id, state: "uploading", error: error.message, now: now(),
                                                 in: transaction)
                }
                throw DomainError.plugin(error)
            }
        }
        try await apply(receipts, to: members, batch: batch, practiceID: practiceID, note: nil, now: now())
    }

    /// Applies per-claim receipts: accepted → Sent, refused or missing → Needs Review (or, after a
    /// confirmed earlier upload without receipts, Sent until the feed says more).
    func apply(_ receipts: [SubmissionReceipt], to members: [ClaimRecord], batch: ClaimBatchRecord,
               practiceID: PracticeID, note: String?, now: Date) async throws {
        let byNumber = Dictionary(receipts.map { ($0.claimControlNumber, $0) }, uniquingKeysWith: { first, _ in first })
        try await database.withTenant(practiceID) { transaction in
            for claim in try await claims.claims(inBatch: batch.id, in: transaction) where claim.status == .queued {
                let receipt = byNumber[claim.patientControlNumber]
                let accepted = receipt?.accepted ?? (note != nil)
                let target: ClaimStatus = accepted ? .sent : .needsReview
                let message = accepted
                    ? (note ?? receipt?.message ?? "accepted by the clearinghouse for transmission")
                    : (receipt?.message ?? "the clearinghouse did not acknowledge this claim")
                try await claims.transition(
                    claim.id, to: target,
                    event: ClaimEventRecord(at: now, from: claim.status, to: target,
                                            source: receipt == nil ? .system : .clearinghouse, message: message),
                    practiceID: practiceID, clearinghouseClaimID: receipt?.clearinghouseClaimID, in: transaction)
            }
            try await claims.settleBatch(batch.id, state: "done", error: nil, now: now, in: transaction)
        }
    }

    func reject(_ batch: ClaimBatchRecord, members: [ClaimRecord], practiceID: PracticeID, reason: String, now: Date)
        async throws
    {
        try await database.withTenant(practiceID) { transaction in
            for claim in try await claims.claims(inBatch: batch.id, in: transaction) where claim.status == .queued {
                try await claims.transition(
                    claim.id, to: .needsReview,
                    event: ClaimEventRecord(at: now, from: .queued, to: .needsReview, source: .clearinghouse,
                                            message: "the clearinghouse refused the file: \(reason)"),
                    practiceID: practiceID, in: transaction)
            }
            try await claims.settleBatch(batch.id, state: "rejected", error: reason, now: now, in: transaction)
            _ = try await claims.raiseAlert(
                kind: "batchRejected", claimID: nil, message: "The clearinghouse refused claim file \(batch.fileName): \(reason)",
                dedupeKey: "batch:\(batch.id)", practiceID: practiceID, now: now, in: transaction)
        }
    }

    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }
}

/// Reads each practice's clearinghouse status feed on a schedule and moves claims accordingly,
/// idempotently (a report that changes nothing is kept as a timeline message at most once per
/// feed position); raises an alert for claims stuck without acknowledgement — never a resend.
public struct ClaimStatusSync: Sendable {
    /// The job kind that polls one practice's feed.
    public static let jobKind = "claims.sync"

    let runtime: PluginRuntime
    let configuration: ClaimConfiguration
    let claims = ClaimRepository()

    /// Creates the sync.
    public init(runtime: PluginRuntime, configuration: ClaimConfiguration) {
        self.runtime = runtime
        self.configuration = configuration
    }

    /// Queues a poll of the practice's feed `after` seconds (at most one per time slot).
    public static func schedule(practiceID: PracticeID, after seconds: Double, in transaction: Transaction, now: Date)
        async throws
    {
        let runAt = now.addingTimeInterval(seconds)
        let slot = Int64(runAt.timeIntervalSince1970.rounded(.up))
        _ = try await JobQueue().enqueue(
            NewJob(practiceID: practiceID, kind: jobKind, payload: "{}", runAt: runAt, maxAttempts: maximumAttempts,
                   dedupeKey: "sync-\(slot)"),
            in: transaction)
    }

    /// Attempts of one poll. The chain is one job scheduling the next, so a poll that is
    /// dead-lettered ends the practice's polling until ``ensureScheduled(practiceID:in:now:)``
    /// restarts it: enough attempts that instances killed mid-poll (each lost lease counts) do not
    /// end it, few enough that a poll which crashes its server every time stops.
    static let maximumAttempts = 25

    /// Queues a poll now unless one is queued or running for the practice (a chain that died is
    /// started again; a live chain is left alone). Called by the daily billing automation.
    public static func ensureScheduled(practiceID: PracticeID, in transaction: Transaction, now: Date) async throws {
        guard try await transaction.firstRow("""
            select 1 from jobs where practice_id = \(practiceID.uuid) and kind = \(jobKind)
              and status in ('queued', 'running') limit 1
            """) == nil else { return }
        try await schedule(practiceID: practiceID, after: 0, in: transaction, now: now)
    }

    /// The job handler: reads the feed from the stored cursor, applies it, stores the new cursor,
    /// raises stuck-claim alerts, and schedules the next poll.
    public func run(_ job: ClaimedJob, in transaction: Transaction, logger: Logger, now: @Sendable () -> Date = Date.init)
        async throws
    {
        let practiceID = job.practiceID
        // One poll chain per practice: a second chain (a submission asks for an early poll) ends here
        // while another poll runs, instead of reading the same cursor and locking the same claims.
        guard try await claims.trySyncLock(practiceID: practiceID, in: transaction) else { return }
        let resolved: (plugin: LoadedPlugin, settings: PluginJSON)
        do {
            resolved = try await IntegrationService(runtime: runtime).resolve(.clearinghouse, practiceID: practiceID,
                                                                               in: transaction)
        } catch let error as DomainError where error.kind == .notConfigured {
            return  // no clearinghouse: nothing to poll, and no next poll until one is configured
        }
        var cursor = try await claims.statusCursor(in: transaction)
        for _ in 0..<20 {
            let page: StatusUpdatePage
            do {
                page = try await resolved.plugin.statusUpdates(since: cursor, settings: resolved.settings)
            } catch {
                // Claim.MD unreachable or refusing: try again at the next poll; polling never stops.
                logger.notice("status feed not read this time", metadata: ["error": "\(error)"])
                try await Self.schedule(practiceID: practiceID, after: configuration.pollSeconds, in: transaction,
                                        now: now())
                return
            }
            try await apply(page.updates, practiceID: practiceID, in: transaction, now: now())
            let advanced = page.cursor != nil && page.cursor != cursor
            if let next = page.cursor { cursor = next }
            if page.updates.isEmpty || !advanced { break }
        }
        try await claims.storeStatusCursor(cursor, practiceID: practiceID, now: now(), in: transaction)
        // Remittances (ERA 835) come from the same clearinghouse: posted once per payer and trace number.
        var remittanceCursor = try await claims.remittanceCursor(in: transaction)
        for _ in 0..<10 {
            let page: RemittancePage
            do {
                page = try await resolved.plugin.remittances(since: remittanceCursor, settings: resolved.settings)
            } catch {
                logger.notice("remittances not read this time", metadata: ["error": "\(error)"])
                break
            }
            for remittance in page.remittances {
                do {
                    _ = try await RemittanceService().importX12(
                        remittance.x12, source: "clearinghouse", sourceID: remittance.remittanceID,
                        practiceID: practiceID, memberID: nil, in: transaction, now: now())
                } catch let error as DomainError where error.kind == .validation {
                    logger.error("unreadable remittance from the clearinghouse",
                                 metadata: ["remittance": "\(remittance.remittanceID)", "error": "\(error.message)"])
                }
            }
            let advanced = page.cursor != nil && page.cursor != remittanceCursor
            if let next = page.cursor { remittanceCursor = next }
            if page.remittances.isEmpty || !advanced { break }
        }
        try await claims.storeRemittanceCursor(remittanceCursor, practiceID: practiceID, now: now(), in: transaction)
        let cutoff = now().addingTimeInterval(-configuration.stuckSeconds)
        for claim in try await claims.claimsSentBefore(cutoff, in: transaction) {
            let raised = try await claims.raiseAlert(
                kind: "claimStuck", claimID: claim.id,
                message: "Claim \(claim.patientControlNumber) was sent on \(ISO8601DateFormatter().string(from: claim.updatedAt)) and has had no acknowledgement since; check it at the clearinghouse before resending",
                dedupeKey: "stuck:\(claim.id)", practiceID: practiceID, now: now(), in: transaction)
            if raised {
                logger.notice("claim stuck without acknowledgement", metadata: ["claim": "\(claim.id)"])
                try await NotificationService(runtime: runtime).notifyPractice(
                    .claimNeedsReview,
                    values: ["patientControlNumber": claim.patientControlNumber, "payerName": claim.snapshot.payer.name,
                             "amount": MoneyText.dollars(claim.totalCents),
                             "reason": "no acknowledgement from the clearinghouse or the payer since it was sent; check it at the clearinghouse before resending"],
                    practiceID: practiceID, in: transaction, now: now())
            }
        }
        try await Self.schedule(practiceID: practiceID, after: configuration.pollSeconds, in: transaction, now: now())
    }

    func apply(_ updates: [ClaimStatusUpdate], practiceID: PracticeID, in transaction: Transaction, now: Date)
        async throws
    {
        guard !updates.isEmpty else { return }
        let found = try await claims.find(patientControlNumbers: Array(Set(updates.map(\.claimControlNumber))),
                                          in: transaction)
        var byNumber = Dictionary(found.map { ($0.patientControlNumber, $0) }, uniquingKeysWith: { first, _ in first })
        for update in updates {
            guard var claim = byNumber[update.claimControlNumber], claim.status != .void else { continue }
            let at = update.reportedAt.flatMap { ISO8601DateFormatter().date(from: $0) } ?? now
            if let target = ClaimLifecycle.afterReport(update.status, current: claim.status) {
                try await claims.transition(
                    claim.id, to: target,
                    event: ClaimEventRecord(at: max(at, claim.updatedAt), from: claim.status, to: target,
                                            source: .clearinghouse, message: update.message),
                    practiceID: practiceID, clearinghouseClaimID: update.clearinghouseClaimID,
                    payerClaimNumber: update.payerClaimNumber, in: transaction)
                if target == .needsReview || target == .denied {
                    let raised = try await claims.raiseAlert(
                        kind: "claimNeedsReview", claimID: claim.id,
                        message: "Claim \(claim.patientControlNumber) \(target == .denied ? "was denied" : "needs review"): \(update.message ?? "rejected")",
                        dedupeKey: "review:\(claim.id):\(claim.version)", practiceID: practiceID, now: now,
                        in: transaction)
                    if raised {
                        try await NotificationService(runtime: runtime).notifyPractice(
                            target == .denied ? .claimDenied : .claimNeedsReview,
                            values: ["patientControlNumber": claim.patientControlNumber,
                                     "payerName": claim.snapshot.payer.name, "amount": MoneyText.dollars(claim.totalCents),
                                     "reason": update.message ?? "no reason given"],
                            practiceID: practiceID, in: transaction, now: now)
                    }
                }
                claim.status = target
                claim.version += 1
                claim.updatedAt = max(at, claim.updatedAt)
                byNumber[update.claimControlNumber] = claim
            } else if let message = update.message, !message.isEmpty, update.status == "info" {
                try await claims.appendEvent(
                    ClaimEventRecord(at: max(at, claim.updatedAt), from: claim.status, to: claim.status,
                                     source: .clearinghouse, message: message),
                    to: claim.id, practiceID: practiceID, in: transaction)
            }
        }
    }
}
