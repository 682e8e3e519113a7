import BillingCore
import Foundation
import PluginAPI
import Storage

/// Payer enrollment through the clearinghouse: `enrollment.request` asks it to start (Claim.MD
/// `/enroll/` answers a form link), and its webhook reports progress (`POST /webhooks/{plugin}/{token}`),
/// applied once per event to the practice's enrollment records — which hold claims to a payer that
/// requires enrollment until it is approved.
public struct ClearinghouseEnrollmentService: Sendable {
    let runtime: PluginRuntime
    let enrollments = EnrollmentRepository()
    let webhooks = WebhookRepository()

    /// Creates the use cases over the server's plugins.
    public init(runtime: PluginRuntime) { self.runtime = runtime }

    /// What `enrollment.request` did.
    public struct Requested: Sendable {
        public var enrollment: Enrollment
        /// The page where the practice completes the enrollment, when the clearinghouse gave one.
        public var link: String?
    }

    /// Asks the practice's clearinghouse to enroll the practice (its NPI and tax ID) with a payer for
    /// claims or ERA, and records the enrollment as pending (or approved, when it already is).
    /// - Throws: not found on `/payerId`; −32012 without a clearinghouse; −32013 when it fails.
    public func request(payerID: PayerID, kind: EnrollmentKind, practiceID: PracticeID, in transaction: Transaction,
                        now: Date = Date()) async throws -> Requested {
        guard let payer = try await PayerRepository().find(payerID, in: transaction) else {
            throw DomainError.notFound("payer", pointer: "/payerId")
        }
        guard let practice = try await PracticeRepository().current(in: transaction) else {
            throw DomainError.notFound("practice")
        }
        let (plugin, settings) = try await IntegrationService(runtime: runtime).resolve(
            .clearinghouse, practiceID: practiceID, in: transaction)
        let status: PluginAPI.EnrollmentStatus
        do {
            status = try await plugin.enrollment(
                EnrollmentRequest(payerID: payer.clearinghousePayerId, transaction: kind == .claims ? "837P" : "835",
                                  providerNPI: practice.npi, taxID: practice.taxId),
                settings: settings)
        } catch {
            throw DomainError.plugin(error)
        }
        let target: BillingCore.EnrollmentStatus = status.status == "approved" ? .approved
            : status.status == "denied" ? .rejected : .pending
        let today = try await PracticeCalendar().today(in: transaction, now: now)
        let note = status.link.map { "\(plugin.name) enrollment form: \($0)" }
        let enrollment = try await move(payerID: payerID, kind: kind, to: target, on: today, note: note,
                                        in: transaction, practiceID: practiceID, now: now)
        return Requested(enrollment: enrollment.record, link: status.link)
    }

    /// What a webhook delivery did.
    public struct Delivery: Sendable, Encodable {
        public var received: Int
        public var applied: Int
        public var duplicates: Int
        public var ignored: Int
    }

    /// Replaces the practice's webhook endpoint for `plugin` and answers the secret path
    /// (`/webhooks/{plugin}/{token}`) — shown once; the previous one stops working.
    public func registerWebhook(plugin: String, practiceID: PracticeID, in transaction: Transaction) async throws -> String {
        _ = try await IntegrationService(runtime: runtime).resolve(.clearinghouse, practiceID: practiceID, in: transaction)
        let id = UUID()
        let secret = Secrets.generate(prefix: "")
        try await WebhookRepository().register(plugin: plugin, id: id, secretHash: Secrets.hash(secret), in: transaction)
        return "/webhooks/\(plugin)/\(id.uuidString.lowercased()).\(secret)"
    }

    /// Finds the practice a webhook token belongs to (the secret compared in constant time), or `nil`.
    public static func practice(plugin: String, token: String, in transaction: Transaction) async throws -> PracticeID? {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, token.count <= 120, let id = UUID(uuidString: String(parts[0])) else { return nil }
        guard let endpoint = try await WebhookRepository().endpoint(id, in: transaction) else { return nil }
        guard Secrets.constantTimeEquals(Secrets.hash(String(parts[1])), endpoint.secretHash),
              endpoint.plugin == plugin else { return nil }
        return endpoint.practiceID
    }

    /// Applies a Claim.MD webhook body (`{"events": [{"eventid", "event_type", "event_data": {"enroll": …}}]}`)
    /// to the practice set on `transaction`: each event once; enrollment events move the matching
    /// enrollment (received → pending, enrolled/completed → approved, rejected → rejected).
    /// - Throws: −32602 on `/` when the body is not such a JSON object.
    public func apply(webhook body: [UInt8], source: String, practiceID: PracticeID, in transaction: Transaction,
                      now: Date = Date()) async throws -> Delivery {
        struct Body: Decodable {
            struct Event: Decodable {
                struct Data: Decodable {
                    struct Enroll: Decodable {
                        let event: String?
                        let event_detail: String?
                        let enroll_type: String?
                        let payerid: String?
                    }
                    let enroll: Enroll?
                }
                let eventid: String?
                let event_type: String?
                let event_data: Data?
            }
            let events: [Event]?
        }
        let parsed: Body
        do {
            parsed = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            throw DomainError.invalid("/", "is not a webhook body with events")
        }
        let events = parsed.events ?? []
        var delivery = Delivery(received: events.count, applied: 0, duplicates: 0, ignored: 0)
        let today = try await PracticeCalendar().today(in: transaction, now: now)
        for event in events {
            guard let id = event.eventid, !id.isEmpty, id.count <= 100 else {
                delivery.ignored += 1
                continue
            }
            let type = String((event.event_type ?? "unknown").prefix(40))
            // A replayed event changes nothing (checked first, recorded in the same transaction).
            if try await webhooks.hasEvent(source: source, eventID: id, in: transaction) {
                delivery.duplicates += 1
                continue
            }
            var outcome = "ignored: \(type) events are not tracked"
            var applied = false
            if type == "enroll", let enroll = event.event_data?.enroll {
                (outcome, applied) = try await applyEnrollment(enroll.payerid, type: enroll.enroll_type, event: enroll.event,
                                                               detail: enroll.event_detail, on: today,
                                                               practiceID: practiceID, in: transaction, now: now)
            }
            let inserted = try await webhooks.recordEvent(source: source, eventID: id, type: type, outcome: outcome,
                                                          practiceID: practiceID, now: now, in: transaction)
            if !inserted {
                delivery.duplicates += 1
            } else if applied {
                delivery.applied += 1
            } else {
                delivery.ignored += 1
            }
        }
        return delivery
    }

    /// One enrollment event (a replayed event id never reaches this).
    private func applyEnrollment(_ payerID: String?, type: String?, event: String?, detail: String?, on today: CalendarDate,
                                 practiceID: PracticeID, in transaction: Transaction, now: Date) async throws
        -> (String, Bool)
    {
        guard let payerID, let payer = try await PayerRepository().find(clearinghousePayerID: payerID, in: transaction) else {
            return ("ignored: payer \(payerID ?? "?") is not in the catalog", false)
        }
        let kind: EnrollmentKind
        switch type {
        case "1500": kind = .claims
        case "era": kind = .era
        default: return ("ignored: \(type ?? "?") enrollment is not tracked", false)
        }
        let target: BillingCore.EnrollmentStatus
        switch event {
        case "received": target = .pending
        case "enrolled", "completed": target = .approved
        case "rejected": target = .rejected
        default: return ("ignored: enrollment event \(event ?? "?")", false)
        }
        let note = detail.flatMap { $0.isEmpty ? nil : "clearinghouse: \(String($0.prefix(400)))" }
        let moved = try await move(payerID: payer.id, kind: kind, to: target, on: today, note: note, in: transaction,
                                   practiceID: practiceID, now: now)
        return (moved.changed ? "\(kind.rawValue) enrollment with \(payer.name) is \(target.rawValue)"
                    : "\(kind.rawValue) enrollment with \(payer.name) stays \(moved.record.status.rawValue)", moved.changed)
    }

    /// Creates the enrollment at `target`, or moves it there when its table allows; otherwise leaves it.
    private func move(payerID: PayerID, kind: EnrollmentKind, to target: BillingCore.EnrollmentStatus, on today: CalendarDate,
                      note: String?, in transaction: Transaction, practiceID: PracticeID, now: Date) async throws
        -> (record: Enrollment, changed: Bool)
    {
        let service = EnrollmentService()
        guard let current = try await enrollments.find(payerID: payerID, kind: kind, in: transaction) else {
            let created = try await service.create(
                NewEnrollment(payerId: payerID, kind: kind, status: target, submittedOn: today,
                              decidedOn: target.isDecided ? today : nil, note: note),
                practiceID: practiceID, in: transaction, now: now)
            return (created, true)
        }
        var status = current.status
        // notStarted → pending → approved/rejected; a rejected one may go pending again.
        var path: [BillingCore.EnrollmentStatus] = []
        if status != target, status.successors.contains(target) {
            path = [target]
        } else if status == .notStarted, target.isDecided {
            path = [.pending, target]
        }
        guard !path.isEmpty else { return (current, false) }
        var record = current
        for step in path {
            var changes = EnrollmentChanges(id: record.id, version: record.version)
            changes.status = .value(step)
            if step == .pending, record.submittedOn == nil { changes.submittedOn = .value(today) }
            if step.isDecided { changes.decidedOn = .value(today) }
            if let note { changes.note = .value(note) }
            record = try await service.update(changes, in: transaction)
            status = record.status
        }
        return (record, true)
    }
}
