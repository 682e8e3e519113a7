import BillingCore
import Foundation
import Logging
import PluginAPI
import PluginHost
import Storage

/// A message to freeze and deliver.
public struct NotificationDraft: Sendable {
    public var template: NotificationTemplate
    /// `.email` or `.sms`.
    public var channel: IntegrationSlot
    public var recipient: String
    /// `client`, `contact` or `practice`.
    public var recipientKind: String
    public var clientID: ClientID?
    public var contactID: ContactID?
    public var billID: BillID?
    public var message: RenderedMessage
    public var attachment: (name: String, contentType: String, bytes: [UInt8])?

    /// Creates a draft.
    public init(template: NotificationTemplate, channel: IntegrationSlot, recipient: String, recipientKind: String,
                clientID: ClientID? = nil, contactID: ContactID? = nil, billID: BillID? = nil, message: RenderedMessage,
                attachment: (name: String, contentType: String, bytes: [UInt8])? = nil) {
        self.template = template
        self.channel = channel
        self.recipient = recipient
        self.recipientKind = recipientKind
        self.clientID = clientID
        self.contactID = contactID
        self.billID = billID
        self.message = message
        self.attachment = attachment
    }
}

/// A notification with its delivery attempts.
public struct DeliveredNotification: Sendable {
    public var record: NotificationRecord
    public var attempts: [NotificationAttemptRecord]
}

/// Notifications: rendered from templates, frozen in the database in the same transaction as a
/// delivery job (outbox), handed to the practice's channel plugin by the job worker. Delivery is
/// at-least-once: the provider gets the same idempotency key on every attempt, and every
/// attempt is recorded.
public struct NotificationService: Sendable {
    /// The job kind that delivers one notification.
    public static let jobKind = "notification.deliver"
    /// How many times a message is handed to a provider that fails with a retryable error.
    public static let maximumAttempts = 6

    let runtime: PluginRuntime
    let repository = NotificationRepository()
    let queue = JobQueue()
    static let renderer = NotificationRenderer()

    /// Creates the use cases over the server's plugins.
    public init(runtime: PluginRuntime) { self.runtime = runtime }

    /// Freezes `draft` and queues its delivery in the caller's transaction.
    /// - Throws: −32012 when the practice has no integration for the channel.
    public func enqueue(_ draft: NotificationDraft, practiceID: PracticeID, requestedBy: MemberID?,
                        in transaction: Transaction, now: Date = Date()) async throws -> DeliveredNotification {
        _ = try await IntegrationService(runtime: runtime).resolve(draft.channel, practiceID: practiceID, in: transaction)
        let id = NotificationID.generate()
        let isEmail = draft.channel == .email
        let record = NotificationRecord(
            id: id, template: draft.template.rawValue, channel: draft.channel.rawValue, recipient: draft.recipient,
            recipientKind: draft.recipientKind, clientID: draft.clientID, contactID: draft.contactID, billID: draft.billID,
            subject: isEmail ? draft.message.subject : nil, bodyText: isEmail ? draft.message.text : draft.message.sms,
            bodyHTML: isEmail ? draft.message.html : nil, attachmentName: isEmail ? draft.attachment?.name : nil,
            attachmentType: isEmail ? draft.attachment?.contentType : nil,
            attachment: isEmail ? draft.attachment?.bytes : nil, idempotencyKey: id.description,
            requestedBy: requestedBy, createdAt: now, updatedAt: now)
        try await repository.insert(record, practiceID: practiceID, in: transaction)
        try await scheduleDelivery(of: id, practiceID: practiceID, at: nil, in: transaction)
        return DeliveredNotification(record: record, attempts: [])
    }

    /// One notification with its attempts.
    public func notification(_ id: NotificationID, in transaction: Transaction) async throws -> DeliveredNotification {
        guard let record = try await repository.find(id, in: transaction) else { throw DomainError.notFound("notification") }
        let attempts = try await repository.attempts(of: [id], in: transaction)
        return DeliveredNotification(record: record, attempts: attempts[id] ?? [])
    }

    /// A page of notifications, newest first.
    public func list(_ filter: NotificationFilter, after cursor: NotificationID?, limit: Int,
                     in transaction: Transaction) async throws -> Page<DeliveredNotification> {
        // Filters naming a bill or client the practice does not have answer not found, like every
        // other method, rather than an empty page.
        if let billID = filter.billID, try await BillRepository().find(billID, in: transaction) == nil {
            throw DomainError.notFound("bill", pointer: "/billId")
        }
        if let clientID = filter.clientID, try await ClientRepository().find(clientID, in: transaction) == nil {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        var last: NotificationRecord?
        if let cursor {
            guard let found = try await repository.find(cursor, in: transaction) else {
                throw DomainError.invalid("/cursor", "is not a cursor returned by this method")
            }
            last = found
        }
        let page = try await repository.list(filter, after: last, limit: limit, in: transaction)
        let attempts = try await repository.attempts(of: page.items.map(\.id), in: transaction)
        return Page(items: page.items.map { DeliveredNotification(record: $0, attempts: attempts[$0.id] ?? []) },
                    nextCursor: page.nextCursor)
    }

    // MARK: - Delivery

    /// The job handler: hands the notification to its channel's plugin and records the attempt.
    ///
    /// Everything it writes commits with the job's completion. A retryable failure (provider
    /// unavailable, timeout) is recorded and a new delivery job is scheduled with backoff, so the
    /// record of every attempt survives; a permanent one (recipient refused, channel not
    /// configured) marks the notification failed.
    public func deliver(_ job: ClaimedJob, in transaction: Transaction, logger: Logger, now: @Sendable () -> Date = Date.init)
        async throws
    {
        guard let text = job.payload.data(using: .utf8),
              let payload = try? JSONDecoder().decode(DeliveryPayload.self, from: text),
              let id = NotificationID(payload.notificationId)
        else { throw PermanentJobFailure("notification job payload is malformed") }
        guard let record = try await repository.find(id, withAttachment: true, forUpdate: true, in: transaction),
              record.status == "queued", let channel = IntegrationSlot(rawValue: record.channel)
        else { return }  // already delivered or failed: a duplicate job does nothing
        let attempt = record.attempts + 1
        let resolved: (plugin: LoadedPlugin, settings: PluginJSON)
        do {
            resolved = try await IntegrationService(runtime: runtime).resolve(channel, practiceID: job.practiceID,
                                                                               in: transaction)
        } catch let error as DomainError {
            try await repository.record(
                NotificationAttemptRecord(attempt: attempt, outcome: "failed", providerMessageID: nil,
                                          errorCode: error.code, errorMessage: error.message, plugin: "-", at: now()),
                status: "failed", for: id, practiceID: job.practiceID, in: transaction)
            return
        }
        let message = NotificationMessage(
            to: record.recipient, subject: record.subject, text: record.bodyText, html: record.bodyHTML,
            attachments: record.attachment.map { bytes in
                [NotificationAttachment(filename: record.attachmentName ?? "attachment",
                                        contentType: record.attachmentType ?? "application/octet-stream",
                                        base64: Data(bytes).base64EncodedString())]
            } ?? [],
            idempotencyKey: record.idempotencyKey)
        let outcome: Result<DeliveryReceipt, PluginError>
        do {
            outcome = .success(try await resolved.plugin.send(message, settings: resolved.settings))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let receipt):
            try await repository.record(
                NotificationAttemptRecord(attempt: attempt, outcome: "accepted", providerMessageID: receipt.providerMessageID,
                                          errorCode: nil, errorMessage: nil, plugin: resolved.plugin.name, at: now()),
                status: "sent", for: id, practiceID: job.practiceID, in: transaction)
        case .failure(let error):
            let giveUp = !Self.isRetryable(error.code) || attempt >= Self.maximumAttempts
            try await repository.record(
                NotificationAttemptRecord(attempt: attempt, outcome: giveUp ? "failed" : "retry", providerMessageID: nil,
                                          errorCode: error.code.rawValue, errorMessage: error.message,
                                          plugin: resolved.plugin.name, at: now()),
                status: giveUp ? "failed" : "queued", for: id, practiceID: job.practiceID, in: transaction)
            if giveUp {
                logger.notice("notification failed", metadata: ["notification": "\(id)", "code": "\(error.code)"])
            } else {
                let delay = Self.retryDelay(afterAttempt: attempt)
                try await scheduleDelivery(of: id, practiceID: job.practiceID, at: now().addingTimeInterval(delay),
                                           in: transaction)
            }
        }
    }

    /// Seconds before the next attempt: 5 s, 20 s, 80 s … capped at 30 minutes (scaled by
    /// `LEDGERLINE_NOTIFICATION_RETRY_SCALE` for tests).
    static func retryDelay(afterAttempt attempt: Int) -> Double {
        let scale = Double(ProcessInfo.processInfo.environment["LEDGERLINE_NOTIFICATION_RETRY_SCALE"] ?? "") ?? 1
        return min(1800, 5 * pow(4, Double(attempt - 1))) * scale
    }

    static func isRetryable(_ code: PluginError.Code) -> Bool {
        [.unavailable, .timeout, .malformedResponse, .malformedJSON, .internal, .cancelled].contains(code)
    }

    private func scheduleDelivery(of id: NotificationID, practiceID: PracticeID, at runAt: Date?,
                                  in transaction: Transaction) async throws {
        let payload = String(decoding: try JSONEncoder().encode(DeliveryPayload(notificationId: id.description)),
                             as: UTF8.self)
        _ = try await queue.enqueue(NewJob(practiceID: practiceID, kind: Self.jobKind, payload: payload, runAt: runAt,
                                           maxAttempts: 5), in: transaction)
    }

    struct DeliveryPayload: Codable {
        var notificationId: String
    }
}

// MARK: - Telling the practice

extension NotificationService {
    /// Emails the practice's owners and billers (`claimNeedsReview`, `claimDenied`) when the practice
    /// has an email channel; does nothing otherwise (the alert record stands on its own).
    /// - Returns: how many messages were queued.
    @discardableResult
    public func notifyPractice(_ template: NotificationTemplate, values: [String: String], practiceID: PracticeID,
                               in transaction: Transaction, now: Date = Date()) async throws -> Int {
        guard (try? await IntegrationService(runtime: runtime).resolve(.email, practiceID: practiceID,
                                                                      in: transaction)) != nil else { return 0 }
        var queued = 0
        for role in [Role.owner, Role.biller] {
            let members = try await MemberRepository().list(after: nil, limit: 50, includeInactive: false, role: role,
                                                            in: transaction)
            for member in members.items {
                var context: [String: Any] = values
                context["recipientFirstName"] = member.firstName
                _ = try await enqueue(
                    NotificationDraft(template: template, channel: .email, recipient: member.email,
                                      recipientKind: "practice", message: Self.renderer.render(template, context)),
                    practiceID: practiceID, requestedBy: nil, in: transaction, now: now)
                queued += 1
            }
        }
        return queued
    }
}

// MARK: - Sending bills

extension NotificationService {
    /// Sends an Open or Complete bill to whoever receives the client's bills — the client, or for a
    /// minor the billing contact — by email (the bill PDF attached) or SMS (a short text).
    /// - Throws: not found; −32009 for a Pended or Void bill, a recipient with no address for the
    ///   channel or no consent to it; −32012 when the channel is not configured.
    public func sendBill(_ billID: BillID, channel: IntegrationSlot, practiceID: PracticeID, requestedBy: MemberID?,
                         in transaction: Transaction, now: Date = Date()) async throws -> DeliveredNotification {
        guard channel == .email || channel == .sms else { throw DomainError.invalid("/channel", "must be email or sms") }
        let bill = try await LedgerService().bill(billID, in: transaction)
        guard bill.status == .open || bill.status == .complete else {
            let reason = bill.status == .pended ? "is Pended: open it before sending it" : "is Void"
            throw DomainError(.conflict, code: "bill.notSendable", message: "the bill \(reason)",
                              problems: [FieldProblem(pointer: "/id", reason: reason, code: bill.status.rawValue)])
        }
        let recipient = try await ClientService().billingRecipient(for: bill.clientID, in: transaction, now: now)
        let who = recipient.kind == .contact ? "the billing contact" : "the client"
        let address: String
        switch channel {
        case .email:
            guard let email = recipient.email, !email.isEmpty else {
                throw Self.recipientProblem("\(who) has no email address", code: "notification.noAddress")
            }
            guard recipient.consents.email else {
                throw Self.recipientProblem("\(who) has not agreed to receive email", code: "notification.noConsent")
            }
            address = email
        default:
            guard let phone = recipient.phone, !phone.isEmpty else {
                throw Self.recipientProblem("\(who) has no mobile number", code: "notification.noAddress")
            }
            guard recipient.consents.sms else {
                throw Self.recipientProblem("\(who) has not agreed to receive text messages", code: "notification.noConsent")
            }
            address = phone
        }
        _ = try await IntegrationService(runtime: runtime).resolve(channel, practiceID: practiceID, in: transaction)
        guard let practice = try await DocumentSourceRepository().practice(in: transaction),
              let client = try await ClientRepository().find(bill.clientID, in: transaction)
        else { throw DomainError.notFound("bill") }
        let settings = try await SettingsService().effective(for: bill.clientID, in: transaction)
        var values: [String: Any] = [
            "practiceName": practice.name, "practicePhone": practice.phone, "billNumber": bill.number,
            "amountDue": MoneyText.dollars(bill.balance.clientResponsibilityCents), "dueOn": bill.dueOn.description,
            "recipientFirstName": recipient.firstName, "clientFirstName": client.preferredName ?? client.firstName,
            "forDependent": recipient.kind == .contact,
        ]
        if let footer = settings.statementFooter, !footer.isEmpty { values["footer"] = footer }
        let message = Self.renderer.render(.billSent, values)
        var attachment: (name: String, contentType: String, bytes: [UInt8])?
        if channel == .email {
            let file = try await DocumentService().billPDF(billID, practiceID: practiceID, footer: settings.statementFooter,
                                                           in: transaction, now: now)
            attachment = ("bill-\(bill.number).pdf", "application/pdf", file.bytes)
        }
        return try await enqueue(
            NotificationDraft(template: .billSent, channel: channel, recipient: address,
                              recipientKind: recipient.kind.rawValue, clientID: bill.clientID,
                              contactID: recipient.contactId, billID: billID, message: message, attachment: attachment),
            practiceID: practiceID, requestedBy: requestedBy, in: transaction, now: now)
    }

    /// Emails a generated superbill (PDF attached) to whoever receives the client's bills.
    /// - Throws: −32009 when the recipient has no email address or did not agree to email;
    ///   −32012 when email is not configured.
    public func sendSuperbill(_ superbill: DocumentService.Superbill, clientID: ClientID, from: CalendarDate,
                              to: CalendarDate, practiceID: PracticeID, requestedBy: MemberID?, in transaction: Transaction,
                              now: Date = Date()) async throws -> DeliveredNotification {
        let recipient = try await ClientService().billingRecipient(for: clientID, in: transaction, now: now)
        let who = recipient.kind == .contact ? "the billing contact" : "the client"
        guard let email = recipient.email, !email.isEmpty else {
            throw Self.recipientProblem("\(who) has no email address", code: "notification.noAddress")
        }
        guard recipient.consents.email else {
            throw Self.recipientProblem("\(who) has not agreed to receive email", code: "notification.noConsent")
        }
        _ = try await IntegrationService(runtime: runtime).resolve(.email, practiceID: practiceID, in: transaction)
        guard let practice = try await DocumentSourceRepository().practice(in: transaction) else {
            throw DomainError.notFound("practice")
        }
        let values: [String: Any] = [
            "practiceName": practice.name, "practicePhone": practice.phone, "recipientFirstName": recipient.firstName,
            "from": from.description, "to": to.description,
        ]
        return try await enqueue(
            NotificationDraft(template: .superbillReady, channel: .email, recipient: email,
                              recipientKind: recipient.kind.rawValue, clientID: clientID, contactID: recipient.contactId,
                              billID: nil, message: Self.renderer.render(.superbillReady, values),
                              attachment: ("superbill-\(from)-\(to).pdf", "application/pdf", superbill.pdf.bytes)),
            practiceID: practiceID, requestedBy: requestedBy, in: transaction, now: now)
    }

    static func recipientProblem(_ reason: String, code: String) -> DomainError {
        DomainError(.conflict, code: code, message: reason,
                    problems: [FieldProblem(pointer: "/channel", reason: reason, code: code)])
    }
}
