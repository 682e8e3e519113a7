import BillingCore
import Foundation

/// `bill.create`: one or more sessions of one client.
public struct NewBill: Sendable, Decodable {
    public var clientId: ClientID
    public var sessionIds: [SessionID]
    public var dueOn: CalendarDate?
}

/// `payment.record`: a client (or their billing contact) pays.
public struct NewPayment: Sendable, Decodable {
    public var clientId: ClientID
    public var amountCents: Int64
    public var method: PaymentMethod
    public var receivedOn: CalendarDate
    public var reference: String?
    public var payerContactId: ContactID?
    /// Explicit allocations; when absent the money goes to the oldest Open bills first.
    public var allocations: [PaymentAllocation]?
    public var idempotencyKey: String?
}

/// `payment.allocate`: apply a payment's unapplied money (client credit) to bills.
public struct AllocationRequest: Sendable, Decodable {
    public var clientId: ClientID
    /// The payment whose credit to use; when absent, the client's oldest credit first.
    public var paymentId: PaymentID?
    public var allocations: [PaymentAllocation]?
    public var idempotencyKey: String?
}

/// `payment.refund`.
public struct RefundRequest: Sendable, Decodable {
    public var paymentId: PaymentID
    public var amountCents: Int64
    public var reason: String
    public var refundedOn: CalendarDate?
    public var idempotencyKey: String?
}

/// `bill.adjust`: a discount or write-off.
public struct AdjustmentRequest: Sendable, Decodable {
    public var billId: BillID
    public var kind: AdjustmentKind
    public var amountCents: Int64
    public var reason: String
    public var idempotencyKey: String?
}

/// A client's balance summary.
public struct ClientBalance: Sendable, Hashable, Encodable {
    public var balanceCents: Int64
    public var creditCents: Int64
    public var clientResponsibilityCents: Int64
    public var insurancePendingCents: Int64
}

