import BillingCore
import Foundation
import Logging
import Storage

/// What one automation run did, kept with the run and shown by `automation.runs`.
public struct AutomationSummary: Sendable, Codable, Hashable {
    public var date: CalendarDate
    /// Numbers of the bills created (and opened).
    public var billsCreated: [String] = []
    public var billsSent: Int = 0
    public var claimsGenerated: Int = 0
    public var claimsSubmitted: Int = 0
    public var autoPayApproved: Int = 0
    public var autoPayDeclined: Int = 0
    public var autoPayChargedCents: Int64 = 0
    /// Monthly superbills generated and emailed.
    public var superbillsSent: Int = 0
    /// What automation could not do, in words (each also raised as a practice alert when it needs a person).
    public var problems: [String] = []

    /// An empty summary for `date`.
    public init(date: CalendarDate) { self.date = date }
}

/// Billing automation (the settings of `settings.update` acting): once a day per practice, at the
/// configured hour of the practice's time zone, it bills unbilled sessions (daily, or on the 1st for
/// the month before), opens and sends the bills, generates and submits claims for signed insurance
/// sessions, and charges AutoPay clients' cards on file with retries, stopping after three declines.
///
/// Each switch is the practice's (or the client's override). A run is recorded per practice and
/// local date, so two server instances — or a retried job — never run a day twice; every step of a
/// run is in one transaction with the record. Steps that fail for one bill or client are named in
/// the summary (and alerted) without stopping the others.
public struct BillingAutomation: Sendable {
    /// The job kind of the daily run.
    public static let jobKind = "billing.automation"
    /// Declines after which AutoPay stops for a client until a new card is attached.
    public static let autoPayMaximumFailures = 3

    let runtime: PluginRuntime
    let configuration: ClaimConfiguration
    let automation = AutomationRepository()

    /// Creates the automation over the server's plugins.
    public init(runtime: PluginRuntime, configuration: ClaimConfiguration) {
        self.runtime = runtime
        self.configuration = configuration
    }

    /// The job: runs the payload's date (when not run yet) and schedules the next day.
    public func run(_ job: ClaimedJob, in transaction: Transaction, logger: Logger, now: Date = Date()) async throws {
        struct Payload: Decodable { let date: CalendarDate? }
        let payload = try? JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8))
        let today = try await PracticeCalendar().today(in: transaction, now: now)
        let date = payload?.date ?? today
        let active = try await Self.isActive(in: transaction)
        if active {
            switch try await runDay(date, practiceID: job.practiceID, in: transaction, now: now) {
            case .ran(let summary):
                logger.info("billing automation ran", metadata: [
                    "practice": "\(job.practiceID)", "date": "\(date)", "bills": "\(summary.billsCreated.count)",
                    "claims": "\(summary.claimsGenerated)", "problems": "\(summary.problems.count)",
                ])
            case .alreadyRan:
                break
            case .busy:
                // Another run of this practice (automation.run by hand, or another date) holds the
                // lock: this date has not run, so the job is retried rather than the day skipped.
                throw AutomationBusy(date: date)
            }
            // A poll chain that died (its job dead-lettered) starts again here, at least once a day.
            try await ClaimStatusSync.ensureScheduled(practiceID: job.practiceID, in: transaction, now: now)
        }
        // The chain goes on while anything is switched on; `settings.update` restarts it.
        if active {
            try await Self.schedule(date: max(date, today).adding(days: 1), practiceID: job.practiceID,
                                    hour: configuration.automationHour, in: transaction, now: now)
        }
    }

    /// What ``runDay(_:practiceID:in:now:)`` did.
    public enum DayOutcome: Sendable {
        /// The date ran now.
        case ran(AutomationSummary)
        /// The date had already run; nothing was done.
        case alreadyRan
        /// Another run of the practice is in progress (it holds the practice's lock); nothing was
        /// done, and the date has not necessarily run: try again.
        case busy
    }

    /// The daily job found the practice's run lock held; retried with the job's backoff.
    struct AutomationBusy: Error, CustomStringConvertible {
        let date: CalendarDate
        var description: String { "another billing automation run of this practice is in progress; \(date) is retried" }
    }

    /// Runs `date` now, unless it already ran or another run of the practice is in progress.
    public func runDay(_ date: CalendarDate, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> DayOutcome
    {
        // One run per practice at a time, whichever instance gets here first; one per date ever.
        let lock = "automation:\(practiceID.uuid.uuidString)"
        guard let locked = try await transaction.firstRow("select pg_try_advisory_xact_lock(hashtextextended(\(lock), 0))"),
              try locked.decode(Bool.self) else { return .busy }
        guard try await !automation.hasRun(date: date, in: transaction) else { return .alreadyRan }
        var summary = AutomationSummary(date: date)
        try await createBills(date, practiceID: practiceID, summary: &summary, in: transaction, now: now)
        try await claims(date, practiceID: practiceID, summary: &summary, in: transaction, now: now)
        try await superbills(date, practiceID: practiceID, summary: &summary, in: transaction, now: now)
        try await autoPay(date, practiceID: practiceID, summary: &summary, in: transaction, now: now)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(summary), as: UTF8.self)
        guard try await automation.insertRun(date: date, summary: text, practiceID: practiceID, now: now,
                                             in: transaction) else { return .alreadyRan }
        return .ran(summary)
    }

    /// Recent runs, newest first.
    public func runs(limit: Int, in transaction: Transaction) async throws -> [(summary: AutomationSummary, at: Date)] {
        try await automation.runs(limit: limit, in: transaction).map {
            (try JSONDecoder().decode(AutomationSummary.self, from: Data($0.summary.utf8)), $0.at)
        }
    }

    /// Puts the run for `date` on the queue at `hour` o'clock in the practice's time zone (now, when
    /// that moment has passed); a date already queued is not queued again.
    public static func schedule(date: CalendarDate, practiceID: PracticeID, hour: Int, in transaction: Transaction,
                                now: Date = Date()) async throws {
        let zone = try await BillingSourceRepository().timeZone(in: transaction)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let moment = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day,
                                                         hour: max(0, min(23, hour)))) ?? now
        _ = try await JobQueue().enqueue(
            NewJob(practiceID: practiceID, kind: jobKind, payload: #"{"date":"\#(date)"}"#, runAt: max(moment, now),
                   maxAttempts: 20, dedupeKey: "day:\(date)"),
            in: transaction)
    }

    static func anythingOn(_ settings: BillSettings) -> Bool {
        settings.billCreation != .manual || settings.autoGenerateClaims || settings.autoSubmitClaims
            || settings.autoPay.enabled || settings.autoSendBills || settings.monthlySuperbills.enabled
    }

    /// `true` when the practice, or any client's override, switches some automation on.
    static func isActive(in transaction: Transaction) async throws -> Bool {
        if anythingOn(try await SettingsService().effective(for: nil, in: transaction)) { return true }
        return try await transaction.firstRow("""
            select 1 from clients
            where billing_overrides ?| array['billCreation', 'autoPay', 'autoSendBills', 'monthlySuperbills'] limit 1
            """) != nil
    }

    /// Queues today's run (at the configured hour) when some automation is on — called after the
    /// practice's or a client's settings change; the chain then continues day after day.
    public static func ensureScheduled(practiceID: PracticeID, hour: Int, in transaction: Transaction,
                                       now: Date = Date()) async throws {
        guard try await isActive(in: transaction) else { return }
        let today = try await PracticeCalendar().today(in: transaction, now: now)
        try await schedule(date: today, practiceID: practiceID, hour: hour, in: transaction, now: now)
    }

    // MARK: - Steps

    /// Runs `body` in a savepoint: an error rolls back only that step and is returned in words.
    private func step(_ name: String, in transaction: Transaction, _ body: () async throws -> Void) async throws -> String? {
        try await transaction.query("savepoint automation_step")
        do {
            try await body()
            try await transaction.query("release savepoint automation_step")
            return nil
        } catch let error as DomainError {
            try await transaction.query("rollback to savepoint automation_step")
            let details = error.problems.map { "\($0.pointer) \($0.reason)" }.joined(separator: "; ")
            return "\(name): \(error.message)\(details.isEmpty ? "" : " (\(details))")"
        }
    }

    private func createBills(_ date: CalendarDate, practiceID: PracticeID, summary: inout AutomationSummary,
                             in transaction: Transaction, now: Date) async throws {
        let unbilled = try await automation.unbilledSessions(through: date, in: transaction)
        let byClient = Dictionary(grouping: unbilled, by: \.clientID)
        let ledger = LedgerService()
        for clientID in byClient.keys.sorted(by: { $0.description < $1.description }) {
            let settings = try await SettingsService().effective(for: clientID, in: transaction)
            let due: [UnbilledSession]
            switch settings.billCreation {
            case .manual: continue
            case .daily: due = byClient[clientID] ?? []
            case .monthly:
                guard date.day == 1 else { continue }
                due = (byClient[clientID] ?? []).filter { $0.dateOfService < date }
            }
            let billable = due.filter { session in
                session.attendance == "completed"
                    || (settings.noShowFee.enabled
                        && MissedSessionKind(rawValue: session.attendance).map(settings.noShowFee.appliesTo.contains) == true)
            }
            guard !billable.isEmpty else { continue }
            var created: Bill?
            if let problem = try await step("billing \(billable.count) session(s) of client \(clientID)", in: transaction, {
                let bill = try await ledger.createBill(NewBill(clientId: clientID, sessionIds: billable.map(\.sessionID)),
                                                       practiceID: practiceID, in: transaction, now: now)
                created = try await ledger.openBill(bill.id, version: bill.version, in: transaction)
            }) {
                summary.problems.append(problem)
                continue
            }
            guard let bill = created else { continue }
            summary.billsCreated.append(bill.number)
            guard settings.autoSendBills else { continue }
            var sent = false
            var failures: [String] = []
            for channel in [IntegrationSlot.email, .sms] where !sent {
                if let problem = try await step("sending bill \(bill.number) by \(channel.rawValue)", in: transaction, {
                    _ = try await NotificationService(runtime: runtime).sendBill(
                        bill.id, channel: channel, practiceID: practiceID, requestedBy: nil, in: transaction, now: now)
                }) {
                    failures.append(problem)
                } else {
                    sent = true
                }
            }
            if sent { summary.billsSent += 1 } else { summary.problems.append(contentsOf: failures) }
        }
    }

    private func claims(_ date: CalendarDate, practiceID: PracticeID, summary: inout AutomationSummary,
                        in transaction: Transaction, now: Date) async throws {
        let settings = try await SettingsService().effective(for: nil, in: transaction)
        guard settings.autoGenerateClaims || settings.autoSubmitClaims else { return }
        let service = ClaimService()
        var generated: [ClaimID] = []
        if settings.autoGenerateClaims {
            let pending = try await service.pending(limit: 2000, in: transaction)
            var bills: [BillID] = []
            for item in pending {
                guard let billID = item.billID, !bills.contains(billID) else { continue }
                bills.append(billID)
            }
            for billID in bills {
                let bill = try await LedgerService().bill(billID, in: transaction)
                guard bill.status == .open || bill.status == .complete else { continue }
                if let problem = try await step("claim for bill \(bill.number)", in: transaction, {
                    let details = try await service.generate(billID: billID, policyID: nil, practiceID: practiceID,
                                                             memberID: nil, in: transaction, now: now)
                    generated.append(details.claim.id)
                }) {
                    summary.problems.append(problem)
                    _ = try await ClaimRepository().raiseAlert(
                        kind: "automation", claimID: nil, message: "Automatic claim not generated — \(problem)",
                        dedupeKey: "automation:claim:\(billID)", practiceID: practiceID, now: now, in: transaction)
                }
            }
            summary.claimsGenerated = generated.count
        }
        guard settings.autoSubmitClaims else { return }
        // Also claims generated by hand and left Not Submitted.
        let waiting = try await ClaimRepository().list(ClaimFilter(statuses: [.notSubmitted]), after: nil, limit: 2000,
                                                       in: transaction).items.map(\.id)
        let toSubmit = Array(Set(generated + waiting)).sorted { $0.description < $1.description }
        guard !toSubmit.isEmpty else { return }
        if let problem = try await step("submitting \(toSubmit.count) claim(s)", in: transaction, {
            _ = try await IntegrationService(runtime: runtime).resolve(.clearinghouse, practiceID: practiceID,
                                                                        in: transaction)
            let queued = try await service.submit(toSubmit, hold: configuration.submissionHold, practiceID: practiceID,
                                                  memberID: nil, in: transaction, now: now)
            summary.claimsSubmitted = queued.filter { $0.status == .queued }.count
        }) {
            summary.problems.append(problem)
            _ = try await ClaimRepository().raiseAlert(
                kind: "automation", claimID: nil, message: "Claims not submitted automatically — \(problem)",
                dedupeKey: "automation:submit:\(date)", practiceID: practiceID, now: now, in: transaction)
        }
    }

    /// On the configured day of the month, the previous month's superbill for each client it is on
    /// for (every client, or only those who opted in when the practice says so), emailed.
    private func superbills(_ date: CalendarDate, practiceID: PracticeID, summary: inout AutomationSummary,
                            in transaction: Transaction, now: Date) async throws {
        let practiceSettings = try await SettingsService().effective(for: nil, in: transaction)
        let first = CalendarDate(year: date.year, month: date.month, day: 1)!
        let from = first.adding(days: -1).adding(days: 1 - first.adding(days: -1).day)
        let to = first.adding(days: -1)
        let clients = try await transaction.rows("""
            select distinct b.client_id from bills b join bill_lines l on l.bill_id = b.id
            where b.status in ('open', 'complete')
              and l.date_of_service between \(from.description)::date and \(to.description)::date
            """).map { ClientID(uuid: try $0.decode(UUID.self)) }
        let overrides = ClientBillingOverridesRepository()
        for clientID in clients.sorted(by: { $0.description < $1.description }) {
            let settings = try await SettingsService().effective(for: clientID, in: transaction)
            guard settings.monthlySuperbills.enabled, date.day == settings.monthlySuperbills.dayOfMonth else { continue }
            if practiceSettings.monthlySuperbills.clientOptIn {
                let own = try await overrides.find(clientID, in: transaction)?.monthlySuperbills?.enabled
                guard own == true else { continue }
            }
            if let problem = try await step("superbill of client \(clientID) for \(from)…\(to)", in: transaction, {
                let superbill = try await DocumentService().generateSuperbill(
                    clientID: clientID, from: from, to: to, practiceID: practiceID, memberID: nil, in: transaction, now: now)
                _ = try await NotificationService(runtime: runtime).sendSuperbill(
                    superbill, clientID: clientID, from: from, to: to, practiceID: practiceID, requestedBy: nil,
                    in: transaction, now: now)
            }) {
                summary.problems.append(problem)
            } else {
                summary.superbillsSent += 1
            }
        }
    }

    private func autoPay(_ date: CalendarDate, practiceID: PracticeID, summary: inout AutomationSummary,
                         in transaction: Transaction, now: Date) async throws {
        var owed: [ClientID: Int64] = [:]
        for row in try await ReportRepository().receivables(in: transaction) where row.clientDueCents > 0 {
            owed[row.clientID, default: 0] += row.clientDueCents
        }
        let cards = CardPaymentService(runtime: runtime)
        for clientID in owed.keys.sorted(by: { $0.description < $1.description }) {
            guard let amount = owed[clientID], amount > 0 else { continue }
            let settings = try await SettingsService().effective(for: clientID, in: transaction)
            guard settings.autoPay.enabled else { continue }
            var state = try await automation.autoPayState(clientID, in: transaction)
            if state.stopped { continue }
            if let next = state.nextAttemptOn, next > date { continue }
            guard let method = try await cards.list(clientID: clientID, includeInactive: false, in: transaction)
                .max(by: { $0.createdAt < $1.createdAt }) else { continue }
            var outcome: CardChargeOutcome?
            // Stable across a retried unknown outcome, new for each definitive one, card or amount.
            let key = "autopay:\(clientID):\(method.id):\(amount):\(state.attempt)"
            if let problem = try await step("AutoPay for client \(clientID)", in: transaction, {
                outcome = try await cards.charge(
                    CardChargeInput(clientId: clientID, paymentMethodId: method.id, amountCents: amount, allocations: nil,
                                    idempotencyKey: key),
                    practiceID: practiceID, memberID: nil, in: transaction, now: now)
            }) {
                // Unknown outcome or no processor: tried again tomorrow with the same key.
                summary.problems.append(problem)
                continue
            }
            guard let outcome else { continue }
            state.attempt += 1
            if outcome.payment != nil {
                summary.autoPayApproved += 1
                summary.autoPayChargedCents += amount
                state.failures = 0
                state.nextAttemptOn = nil
                state.lastError = nil
            } else {
                summary.autoPayDeclined += 1
                state.failures += 1
                state.lastError = outcome.charge.declineReason
                let retries = settings.autoPay.retryDays
                if state.failures >= Self.autoPayMaximumFailures || retries.isEmpty {
                    state.stopped = true
                    state.nextAttemptOn = nil
                    let message = "AutoPay stopped for client \(clientID) after \(state.failures) declined charge(s) (\(state.lastError ?? "declined")); attach a new card to start again"
                    summary.problems.append(message)
                    _ = try await ClaimRepository().raiseAlert(
                        kind: "autoPayStopped", claimID: nil, message: message,
                        dedupeKey: "autopay:\(clientID):\(state.attempt)", practiceID: practiceID, now: now,
                        in: transaction)
                } else {
                    state.nextAttemptOn = date.adding(days: retries[min(state.failures - 1, retries.count - 1)])
                }
            }
            try await automation.storeAutoPayState(state, clientID: clientID, practiceID: practiceID, now: now,
                                                   in: transaction)
        }
    }
}
