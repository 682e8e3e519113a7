/// A request to charge a stored payment method.
public struct ChargeRequest: Codable, Sendable, Hashable {
    /// The amount in cents (positive).
    public var amountCents: Int64
    /// The processor's token for the payment method (Ledgerline stores nothing else).
    public var paymentMethodToken: String
    /// Stable across retries; the processor charges at most once per key.
    public var idempotencyKey: String
    /// Shown on the statement, when the processor supports it.
    public var statementDescriptor: String?

    /// Creates a charge request.
    public init(
        amountCents: Int64, paymentMethodToken: String, idempotencyKey: String,
        statementDescriptor: String? = nil
    ) {
        self.amountCents = amountCents
        self.paymentMethodToken = paymentMethodToken
        self.idempotencyKey = idempotencyKey
        self.statementDescriptor = statementDescriptor
    }
}

/// Whether money moved.
public enum PaymentOutcome: String, Codable, Sendable, Hashable {
    case approved
    case declined
}

/// The answer to a charge.
public struct ChargeResult: Codable, Sendable, Hashable {
    /// Approved or declined.
    public var outcome: PaymentOutcome
    /// The processor's id of the charge (needed to refund it); present when approved.
    public var processorChargeID: String?
    /// The processor's decline reason, for people (`card_declined: insufficient funds`).
    public var declineReason: String?

    /// Creates a result.
    public init(outcome: PaymentOutcome, processorChargeID: String? = nil, declineReason: String? = nil) {
        self.outcome = outcome
        self.processorChargeID = processorChargeID
        self.declineReason = declineReason
    }
}

/// A request to refund an earlier charge.
public struct RefundRequest: Codable, Sendable, Hashable {
    /// The charge to refund.
    public var processorChargeID: String
    /// How much to refund, in cents (at most what is left of the charge).
    public var amountCents: Int64
    /// Stable across retries; the processor refunds at most once per key.
    public var idempotencyKey: String

    /// Creates a refund request.
    public init(processorChargeID: String, amountCents: Int64, idempotencyKey: String) {
        self.processorChargeID = processorChargeID
        self.amountCents = amountCents
        self.idempotencyKey = idempotencyKey
    }
}

/// The answer to a refund.
public struct RefundResult: Codable, Sendable, Hashable {
    /// Approved or declined.
    public var outcome: PaymentOutcome
    /// The processor's id of the refund, when approved.
    public var processorRefundID: String?
    /// Why it was declined, for people.
    public var declineReason: String?

    /// Creates a result.
    public init(outcome: PaymentOutcome, processorRefundID: String? = nil, declineReason: String? = nil) {
        self.outcome = outcome
        self.processorRefundID = processorRefundID
        self.declineReason = declineReason
    }
}
