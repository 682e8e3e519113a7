import BillingCore
import Foundation
import PostgresNIO

/// A stored payment method: the processor's token and what may be shown, never card data.
public struct PaymentMethodRecord: Sendable, Hashable {
    public var id: PaymentMethodID
    public var clientID: ClientID
    public var contactID: ContactID?
    /// The processor plugin that issued the token.
    public var plugin: String
    /// The processor's token (never returned by the API).
    public var processorToken: String
    public var brand: String?
    public var last4: String?
    public var expMonth: Int?
    public var expYear: Int?
    public var label: String?
    public var active: Bool
    public var createdAt: Date

    /// Creates a record.
    public init(id: PaymentMethodID, clientID: ClientID, contactID: ContactID?, plugin: String, processorToken: String,
                brand: String?, last4: String?, expMonth: Int?, expYear: Int?, label: String?, active: Bool,
                createdAt: Date) {
        self.id = id
        self.clientID = clientID
        self.contactID = contactID
        self.plugin = plugin
        self.processorToken = processorToken
        self.brand = brand
        self.last4 = last4
        self.expMonth = expMonth
        self.expYear = expYear
        self.label = label
        self.active = active
        self.createdAt = createdAt
    }
}

/// One charge asked of the processor.
public struct CardChargeRecord: Sendable, Hashable {
    public var id: CardChargeID
    public var clientID: ClientID
    public var paymentMethodID: PaymentMethodID
    public var amountCents: Int64
    public var processorIdempotencyKey: String
    /// `approved` or `declined`.
    public var outcome: String
    public var processorChargeID: String?
    public var declineReason: String?
    public var paymentID: PaymentID?
    public var createdAt: Date

    /// Creates a record.
    public init(id: CardChargeID, clientID: ClientID, paymentMethodID: PaymentMethodID, amountCents: Int64,
                processorIdempotencyKey: String, outcome: String, processorChargeID: String?, declineReason: String?,
                paymentID: PaymentID?, createdAt: Date) {
        self.id = id
        self.clientID = clientID
        self.paymentMethodID = paymentMethodID
        self.amountCents = amountCents
        self.processorIdempotencyKey = processorIdempotencyKey
        self.outcome = outcome
        self.processorChargeID = processorChargeID
        self.declineReason = declineReason
        self.paymentID = paymentID
        self.createdAt = createdAt
    }
}

/// Reads and writes the current practice's payment methods and card charges.
public struct PaymentMethodRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, client_id, contact_id, plugin, processor_token, brand, last4, exp_month, exp_year, label, active, created_at
        """

    /// Stores a payment method; `nil` when the same processor token is already stored.
    public func insert(_ record: PaymentMethodRecord, createdBy: MemberID?, practiceID: PracticeID,
                       in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            insert into payment_methods (practice_id, id, client_id, contact_id, plugin, processor_token, brand, last4,
                                         exp_month, exp_year, label, active, created_by, created_at, updated_at)
            values (\(practiceID.uuid), \(record.id.uuid), \(record.clientID.uuid), \(record.contactID?.uuid),
                    \(record.plugin), \(record.processorToken), \(record.brand), \(record.last4), \(record.expMonth),
                    \(record.expYear), \(record.label), \(record.active), \(createdBy?.uuid), \(record.createdAt),
                    \(record.createdAt))
            on conflict (practice_id, plugin, processor_token) do nothing
            returning id
            """) != nil
    }

    /// The payment method `id`.
    public func find(_ id: PaymentMethodID, in transaction: Transaction) async throws -> PaymentMethodRecord? {
        try await transaction.firstRow(
            "select \(unescaped: Self.columns) from payment_methods where id = \(id.uuid)").map(Self.decode)
    }

    /// The payment method holding `token` from `plugin`.
    public func find(plugin: String, token: String, in transaction: Transaction) async throws -> PaymentMethodRecord? {
        try await transaction.firstRow("""
            select \(unescaped: Self.columns) from payment_methods where plugin = \(plugin) and processor_token = \(token)
            """).map(Self.decode)
    }

    /// A client's payment methods, newest first, active ones unless `includeInactive`.
    public func list(clientID: ClientID, includeInactive: Bool, in transaction: Transaction) async throws
        -> [PaymentMethodRecord]
    {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from payment_methods
            where client_id = \(clientID.uuid) and (\(includeInactive) or active)
            order by created_at desc, id desc
            """).map(Self.decode)
    }

    /// Marks a payment method inactive (it can no longer be charged).
    public func deactivate(_ id: PaymentMethodID, in transaction: Transaction) async throws {
        try await transaction.query("update payment_methods set active = false, updated_at = now() where id = \(id.uuid)")
    }

    /// Records a charge's outcome.
    public func insertCharge(_ charge: CardChargeRecord, requestedBy: MemberID?, practiceID: PracticeID,
                             in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into card_charges (practice_id, id, client_id, payment_method_id, amount_cents,
                                      processor_idempotency_key, outcome, processor_charge_id, decline_reason, payment_id,
                                      requested_by, created_at)
            values (\(practiceID.uuid), \(charge.id.uuid), \(charge.clientID.uuid), \(charge.paymentMethodID.uuid),
                    \(charge.amountCents), \(charge.processorIdempotencyKey), \(charge.outcome), \(charge.processorChargeID),
                    \(charge.declineReason), \(charge.paymentID?.uuid), \(requestedBy?.uuid), \(charge.createdAt))
            """)
    }

    /// The charges made with a payment method, newest first.
    public func charges(of paymentMethodID: PaymentMethodID, in transaction: Transaction) async throws -> [CardChargeRecord] {
        try await transaction.rows("""
            select id, client_id, payment_method_id, amount_cents, processor_idempotency_key, outcome,
                   processor_charge_id, decline_reason, payment_id, created_at
            from card_charges where payment_method_id = \(paymentMethodID.uuid) order by created_at desc, id desc
            """).map { row in
            let reader = RowReader(row)
            return CardChargeRecord(
                id: try reader.id(CardChargeID.self, "id"), clientID: try reader.id(ClientID.self, "client_id"),
                paymentMethodID: try reader.id(PaymentMethodID.self, "payment_method_id"),
                amountCents: try reader.int64("amount_cents"),
                processorIdempotencyKey: try reader.string("processor_idempotency_key"),
                outcome: try reader.string("outcome"), processorChargeID: try reader.optionalString("processor_charge_id"),
                declineReason: try reader.optionalString("decline_reason"),
                paymentID: try reader.optionalID(PaymentID.self, "payment_id"), createdAt: try reader.date("created_at"))
        }
    }

    static func decode(_ row: PostgresRow) throws -> PaymentMethodRecord {
        let reader = RowReader(row)
        return PaymentMethodRecord(
            id: try reader.id(PaymentMethodID.self, "id"), clientID: try reader.id(ClientID.self, "client_id"),
            contactID: try reader.optionalID(ContactID.self, "contact_id"), plugin: try reader.string("plugin"),
            processorToken: try reader.string("processor_token"), brand: try reader.optionalString("brand"),
            last4: try reader.optionalString("last4"), expMonth: try reader.optionalInt("exp_month"),
            expYear: try reader.optionalInt("exp_year"), label: try reader.optionalString("label"),
            active: try reader.bool("active"), createdAt: try reader.date("created_at"))
    }
}
