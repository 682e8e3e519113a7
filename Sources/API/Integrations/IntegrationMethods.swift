import Billing
import BillingCore
import Foundation
import JSONRPC
import PluginAPI
import Storage

/// `integration.*`, `bill.send`, `notification.*`, `paymentMethod.*` and `payment.charge`: the
/// features served by plugins.
enum IntegrationMethods {
    static let owners: Access = .owners
    static let managers: Access = .members([.owner, .biller])
    static let readers: Access = .members([.owner, .biller, .viewer])
    static let integrationErrors = updateErrors + [RPCErrorDoc(code: -32012, message: "Not configured"),
                                                   RPCErrorDoc(code: -32013, message: "Integration failed")]

    static var all: [LedgerlineMethod] { integrations + notifications + payments }

    // MARK: - Integrations

    struct ConfigureParams: Decodable, Sendable {
        let kind: PluginKind
        let channel: IntegrationSlot?
        let plugin: String
        let settings: PluginJSON
    }

    struct SlotParams: Decodable, Sendable { let slot: IntegrationSlot }

    static var integrations: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "integration.configure",
                summary: "Connect a slot (clearinghouse, payment processor, email or SMS channel) to a plugin this server loads, with the practice's settings; secrets are sealed at rest and come back masked. Reconfiguring the same plugin keeps secrets left out.",
                params: .object([
                    "kind": .enumeration(PluginKind.self),
                    "channel?": Schema.enumeration(["email", "sms"], description: "required for kind notificationChannel").orNull,
                    "plugin": .string(minLength: 1, maxLength: 64),
                    "settings": .any(description: "an object valid against the plugin's practiceSettingsSchema"),
                ]),
                result: .object(["integration": IntegrationView.schema]), errors: integrationErrors, policy: owners
            ) { (params: ConfigureParams, context) in
                let service = IntegrationService(runtime: context.services.plugins)
                let integration = try await service.configure(
                    IntegrationRequest(kind: params.kind, channel: params.channel, plugin: params.plugin,
                                       settings: params.settings),
                    practiceID: try context.practiceID, in: context.transaction)
                context.record(integration.id)
                return ["integration": IntegrationView(integration, service: service)]
            },
            LedgerlineMethod(
                "integration.list",
                summary: "The practice's integrations (secrets masked) and the plugins this server offers, with their settings schemas.",
                params: .object([:]),
                result: .object(["items": .array(IntegrationView.schema, maxItems: nil),
                                 "available": .array(AvailablePluginView.schema, maxItems: nil)]),
                errors: memberErrors, policy: managers
            ) { (_: NoParams, context) in
                let service = IntegrationService(runtime: context.services.plugins)
                let items = try await service.list(practiceID: try context.practiceID, in: context.transaction)
                let available = context.services.plugins.available.map { AvailablePluginView(name: $0.name, manifest: $0.manifest) }
                return IntegrationList(items: items.map { IntegrationView($0, service: service) }, available: available)
            },
            LedgerlineMethod(
                "integration.test",
                summary: "Ask the slot's plugin to check the practice's settings (credentials, reachability); the answer is kept on the integration.",
                params: .object(["slot": .enumeration(IntegrationSlot.self)]),
                result: .object(["integration": IntegrationView.schema, "ok": .boolean(),
                                 "problems": .array(ProblemView.schema, maxItems: nil)]),
                errors: integrationErrors, policy: managers
            ) { (params: SlotParams, context) in
                let service = IntegrationService(runtime: context.services.plugins)
                let (integration, check) = try await service.test(params.slot, practiceID: try context.practiceID,
                                                                  in: context.transaction)
                return IntegrationTestResult(integration: IntegrationView(integration, service: service), ok: check.ok,
                                             problems: check.problems.map(ProblemView.init))
            },
            LedgerlineMethod(
                "integration.remove",
                summary: "Disconnect a slot; the features it served answer −32012 until it is configured again.",
                params: .object(["slot": .enumeration(IntegrationSlot.self)]),
                result: .object(["removed": .boolean()]), errors: memberErrors, policy: owners
            ) { (params: SlotParams, context) in
                let removed = try await IntegrationService(runtime: context.services.plugins)
                    .remove(params.slot, in: context.transaction)
                return ["removed": removed]
            },
        ]
    }

    // MARK: - Notifications

    struct SendBillParams: Decodable, Sendable {
        let id: BillID
        let channel: IntegrationSlot
        let idempotencyKey: String?
    }

    struct ListNotificationsParams: Decodable, Sendable {
        let billId: BillID?
        let clientId: ClientID?
        let status: [String]?
        let channel: String?
        let limit: Int?
        let cursor: String?
    }

    static var notifications: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "bill.send",
                summary: "Send an Open (or Complete) bill to the client — or, for a minor, the billing contact — by email with the PDF attached, or by SMS as a short text. Delivery is queued and retried; follow it with notification.get.",
                params: .object([
                    "id": Schemas.id(BillID.self), "channel": .enumeration(["email", "sms"]),
                    "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["notification": NotificationView.schema]), errors: integrationErrors, policy: managers
            ) { (params: SendBillParams, context) in
                let delivered = try await NotificationService(runtime: context.services.plugins).sendBill(
                    params.id, channel: params.channel, practiceID: try context.practiceID,
                    requestedBy: context.principal?.memberID, in: context.transaction)
                context.record(delivered.record.id)
                return ["notification": NotificationView(delivered)]
            },
            LedgerlineMethod(
                "notification.get", summary: "One notification with every delivery attempt.",
                params: .object(["id": Schemas.id(NotificationID.self)]),
                result: .object(["notification": NotificationView.schema]), errors: lookupErrors, policy: readers
            ) { (params: IDParams<NotificationID>, context) in
                ["notification": NotificationView(
                    try await NotificationService(runtime: context.services.plugins).notification(params.id,
                                                                                                in: context.transaction))]
            },
            LedgerlineMethod(
                "notification.list",
                summary: "Notifications, newest first, with their delivery attempts; filter by bill, client, status or channel.",
                params: .object([
                    "billId?": Schemas.id(BillID.self), "clientId?": Schemas.id(ClientID.self),
                    "status?": .array(.enumeration(["queued", "sent", "failed"]), minItems: 1, maxItems: 3, uniqueItems: true),
                    "channel?": .enumeration(["email", "sms"]), "limit?": Schemas.limit, "cursor?": Schemas.cursor,
                ]),
                result: Schemas.page(NotificationView.schema), errors: memberErrors, policy: readers
            ) { (params: ListNotificationsParams, context) in
                let page = try await NotificationService(runtime: context.services.plugins).list(
                    NotificationFilter(billID: params.billId, clientID: params.clientId, statuses: params.status,
                                       channel: params.channel),
                    after: try decodeCursor(params.cursor, as: NotificationID.self), limit: params.limit ?? 50,
                    in: context.transaction)
                return PageView(items: page.items.map(NotificationView.init), nextCursor: page.nextCursor)
            },
        ]
    }

    // MARK: - Card payments

    struct ListMethodsParams: Decodable, Sendable {
        let clientId: ClientID
        let includeInactive: Bool?
    }

    static var payments: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "paymentMethod.attach",
                summary: "Keep a card or bank account for a client as the practice processor's token (collected by the processor's own form; Ledgerline stores no card data).",
                params: .object([
                    "clientId": Schemas.id(ClientID.self), "contactId?": Schemas.id(ContactID.self).orNull,
                    "token": .string(minLength: 1, maxLength: 255), "brand?": Schema.string(maxLength: 40).orNull,
                    "last4?": Schema.string(minLength: 4, maxLength: 4).orNull,
                    "expMonth?": Schema.integer(minimum: 1, maximum: 12).orNull,
                    "expYear?": Schema.integer(minimum: 2000, maximum: 2200).orNull,
                    "label?": Schema.string(maxLength: 100).orNull,
                ]),
                result: .object(["paymentMethod": PaymentMethodView.schema]), errors: integrationErrors, policy: managers
            ) { (input: NewPaymentMethod, context) in
                let record = try await CardPaymentService(runtime: context.services.plugins).attach(
                    input, practiceID: try context.practiceID, memberID: context.principal?.memberID,
                    in: context.transaction)
                context.record(record.id)
                return ["paymentMethod": PaymentMethodView(record)]
            },
            LedgerlineMethod(
                "paymentMethod.list", summary: "A client's stored payment methods, newest first.",
                params: .object(["clientId": Schemas.id(ClientID.self), "includeInactive?": .boolean()]),
                result: .object(["items": .array(PaymentMethodView.schema, maxItems: nil)]), errors: lookupErrors,
                policy: readers
            ) { (params: ListMethodsParams, context) in
                let records = try await CardPaymentService(runtime: context.services.plugins).list(
                    clientID: params.clientId, includeInactive: params.includeInactive ?? false, in: context.transaction)
                return ["items": records.map(PaymentMethodView.init)]
            },
            LedgerlineMethod(
                "paymentMethod.detach", summary: "Stop charging a stored payment method (idempotent).",
                params: .object(["id": Schemas.id(PaymentMethodID.self)]),
                result: .object(["paymentMethod": PaymentMethodView.schema]), errors: lookupErrors, policy: managers
            ) { (params: IDParams<PaymentMethodID>, context) in
                ["paymentMethod": PaymentMethodView(
                    try await CardPaymentService(runtime: context.services.plugins).detach(params.id, in: context.transaction))]
            },
            LedgerlineMethod(
                "payment.charge",
                summary: "Charge a stored payment method through the practice's processor. Approved: a card payment is recorded and allocated as given (or oldest Open bills first). Declined: nothing is recorded but the attempt; the result says why.",
                params: .object([
                    "clientId": Schemas.id(ClientID.self), "paymentMethodId": Schemas.id(PaymentMethodID.self),
                    "amountCents": Schemas.positiveCents,
                    "allocations?": .array(BillingMethods.allocationSchema, maxItems: 100),
                    "idempotencyKey": Schemas.idempotencyKey,
                ]),
                result: .object([
                    "charge": CardChargeView.schema, "payment": PaymentView.schema.orNull,
                    "bills": .array(BillStatusView.schema, maxItems: nil),
                ]),
                errors: integrationErrors, policy: managers
            ) { (input: CardChargeInput, context) in
                let outcome = try await CardPaymentService(runtime: context.services.plugins).charge(
                    input, practiceID: try context.practiceID, memberID: context.principal?.memberID,
                    in: context.transaction)
                if let payment = outcome.payment { context.record(payment.payment.id) }
                return ChargeResultView(charge: CardChargeView(outcome.charge),
                                        payment: outcome.payment.map { PaymentView($0.payment) },
                                        bills: outcome.payment?.bills.map(BillStatusView.init) ?? [])
            },
        ]
    }
}

// MARK: - Views

struct IntegrationList: Encodable, Sendable {
    let items: [IntegrationView]
    let available: [AvailablePluginView]
}

struct IntegrationTestResult: Encodable, Sendable {
    let integration: IntegrationView
    let ok: Bool
    let problems: [ProblemView]
}

struct ProblemView: Encodable, Sendable {
    let pointer: String
    let message: String

    init(_ problem: SettingsProblem) {
        pointer = problem.pointer
        message = problem.message
    }

    static let schema = Schema.object(["pointer": .string(), "message": .string()], title: "SettingsProblem")
}

/// A practice's integration as the API shows it: settings with secrets masked.
struct IntegrationView: Encodable, Sendable {
    let id: IntegrationID
    let slot: IntegrationSlot
    let kind: PluginKind
    let plugin: String
    let settings: PluginJSON
    let lastTest: LastTest?
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    struct LastTest: Encodable, Sendable {
        let at: Date
        let ok: Bool
        let problems: [ProblemView]
    }

    init(_ integration: Integration, service: IntegrationService) {
        id = integration.id
        slot = integration.slot
        kind = integration.kind
        plugin = integration.plugin
        settings = service.maskedSettings(of: integration)
        lastTest = integration.lastCheck.map {
            LastTest(at: $0.at, ok: $0.ok, problems: $0.problems.map(ProblemView.init))
        }
        version = integration.version
        createdAt = integration.createdAt
        updatedAt = integration.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(IntegrationID.self), "slot": .enumeration(IntegrationSlot.self),
        "kind": .enumeration(PluginKind.self), "plugin": .string(),
        "settings": .any(description: "the practice's settings; secrets (writeOnly in the plugin's schema) are \"********\""),
        "lastTest?": Schema.object(["at": Schemas.dateTime, "ok": .boolean(),
                                    "problems": .array(ProblemView.schema, maxItems: nil)]).orNull,
        "version": .integer(minimum: 1), "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
    ], title: "Integration")
}

/// A plugin this server loads, for the front end's settings form.
struct AvailablePluginView: Encodable, Sendable {
    let name: String
    let kind: PluginKind
    let description: String
    let version: String?
    let practiceSettingsSchema: PluginJSON?

    init(name: String, manifest: PluginManifest) {
        self.name = name
        kind = manifest.kind
        description = manifest.description
        version = manifest.version
        practiceSettingsSchema = manifest.practiceSettingsSchema
    }

    static let schema = Schema.object([
        "name": .string(), "kind": .enumeration(PluginKind.self), "description": .string(),
        "version?": Schema.string().orNull, "practiceSettingsSchema?": .any(description: "JSON Schema"),
    ], title: "AvailablePlugin")
}

/// A notification and its delivery attempts.
struct NotificationView: Encodable, Sendable {
    let id: NotificationID
    let template: String
    let channel: String
    let recipient: String
    let recipientKind: String
    let clientId: ClientID?
    let contactId: ContactID?
    let billId: BillID?
    let subject: String?
    let attachmentName: String?
    let status: String
    let statusLabel: String
    let attempts: [AttemptView]
    let providerMessageId: String?
    let lastError: String?
    let requestedBy: MemberID?
    let createdAt: Date
    let sentAt: Date?

    struct AttemptView: Encodable, Sendable {
        let attempt: Int
        let outcome: String
        let at: Date
        let plugin: String
        let providerMessageId: String?
        let errorCode: String?
        let errorMessage: String?
    }

    init(_ delivered: DeliveredNotification) {
        let record = delivered.record
        id = record.id
        template = record.template
        channel = record.channel
        recipient = record.recipient
        recipientKind = record.recipientKind
        clientId = record.clientID
        contactId = record.contactID
        billId = record.billID
        subject = record.subject
        attachmentName = record.attachmentName
        status = record.status
        statusLabel = ["queued": "Queued", "sent": "Sent", "failed": "Failed"][record.status] ?? record.status
        attempts = delivered.attempts.map {
            AttemptView(attempt: $0.attempt, outcome: $0.outcome, at: $0.at, plugin: $0.plugin,
                        providerMessageId: $0.providerMessageID, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
        }
        providerMessageId = record.providerMessageID
        lastError = record.lastError
        requestedBy = record.requestedBy
        createdAt = record.createdAt
        sentAt = record.sentAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(NotificationID.self), "template": .enumeration(NotificationTemplate.self),
        "channel": .enumeration(["email", "sms"]), "recipient": .string(),
        "recipientKind": .enumeration(["client", "contact", "practice"]),
        "clientId?": Schemas.id(ClientID.self).orNull, "contactId?": Schemas.id(ContactID.self).orNull,
        "billId?": Schemas.id(BillID.self).orNull, "subject?": Schema.string().orNull,
        "attachmentName?": Schema.string().orNull, "status": .enumeration(["queued", "sent", "failed"]),
        "statusLabel": .string(),
        "attempts": .array(.object([
            "attempt": .integer(minimum: 1), "outcome": .enumeration(["accepted", "retry", "failed"]),
            "at": Schemas.dateTime, "plugin": .string(), "providerMessageId?": Schema.string().orNull,
            "errorCode?": Schema.string().orNull, "errorMessage?": Schema.string().orNull,
        ]), maxItems: nil),
        "providerMessageId?": Schema.string().orNull, "lastError?": Schema.string().orNull,
        "requestedBy?": Schemas.id(MemberID.self).orNull, "createdAt": Schemas.dateTime,
        "sentAt?": Schemas.dateTime.orNull,
    ], title: "Notification")
}

/// A stored payment method (never its token).
struct PaymentMethodView: Encodable, Sendable {
    let id: PaymentMethodID
    let clientId: ClientID
    let contactId: ContactID?
    let processor: String
    let brand: String?
    let last4: String?
    let expMonth: Int?
    let expYear: Int?
    let label: String?
    let active: Bool
    let createdAt: Date

    init(_ record: PaymentMethodRecord) {
        id = record.id
        clientId = record.clientID
        contactId = record.contactID
        processor = record.plugin
        brand = record.brand
        last4 = record.last4
        expMonth = record.expMonth
        expYear = record.expYear
        label = record.label
        active = record.active
        createdAt = record.createdAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(PaymentMethodID.self), "clientId": Schemas.id(ClientID.self),
        "contactId?": Schemas.id(ContactID.self).orNull, "processor": .string(), "brand?": Schema.string().orNull,
        "last4?": Schema.string().orNull, "expMonth?": Schema.integer().orNull, "expYear?": Schema.integer().orNull,
        "label?": Schema.string().orNull, "active": .boolean(), "createdAt": Schemas.dateTime,
    ], title: "PaymentMethod")
}

/// One processor charge.
struct CardChargeView: Encodable, Sendable {
    let id: CardChargeID
    let paymentMethodId: PaymentMethodID
    let amountCents: Int64
    let outcome: String
    let processorChargeId: String?
    let declineReason: String?
    let paymentId: PaymentID?

    init(_ record: CardChargeRecord) {
        id = record.id
        paymentMethodId = record.paymentMethodID
        amountCents = record.amountCents
        outcome = record.outcome
        processorChargeId = record.processorChargeID
        declineReason = record.declineReason
        paymentId = record.paymentID
    }

    static let schema = Schema.object([
        "id": Schemas.id(CardChargeID.self), "paymentMethodId": Schemas.id(PaymentMethodID.self),
        "amountCents": Schemas.positiveCents, "outcome": .enumeration(["approved", "declined"]),
        "processorChargeId?": Schema.string().orNull, "declineReason?": Schema.string().orNull,
        "paymentId?": Schemas.id(PaymentID.self).orNull,
    ], title: "CardCharge")
}

struct ChargeResultView: Encodable, Sendable {
    let charge: CardChargeView
    let payment: PaymentView?
    let bills: [BillStatusView]

    enum CodingKeys: String, CodingKey { case charge, payment, bills }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(charge, forKey: .charge)
        try container.encode(payment, forKey: .payment)  // null when declined
        try container.encode(bills, forKey: .bills)
    }
}
