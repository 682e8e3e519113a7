import Foundation

/// A bill: charges for one client's sessions, with its derived balance.
public struct Bill: Sendable, Hashable {
    public var id: BillID
    public var number: String
    public var clientID: ClientID
    public var status: BillStatus
    public var dueOn: CalendarDate
    public var openedAt: Date?
    public var completedAt: Date?
    public var voidedAt: Date?
    public var voidReason: String?
    public var version: Int
    public var createdAt: Date
    public var lines: [BillLine]
    public var balance: BillBalance

    /// Creates a bill value.
    public init(id: BillID, number: String, clientID: ClientID, status: BillStatus, dueOn: CalendarDate, openedAt: Date?,
                completedAt: Date?, voidedAt: Date?, voidReason: String?, version: Int, createdAt: Date, lines: [BillLine],
                balance: BillBalance) {
        self.id = id
        self.number = number
        self.clientID = clientID
        self.status = status
        self.dueOn = dueOn
        self.openedAt = openedAt
        self.completedAt = completedAt
        self.voidedAt = voidedAt
        self.voidReason = voidReason
        self.version = version
        self.createdAt = createdAt
        self.lines = lines
        self.balance = balance
    }
}

/// One immutable charge on a bill.
public struct BillLine: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable { case service, fee }
    public var id: BillLineID
    public var lineNumber: Int
    public var kind: Kind
    public var sessionID: SessionID?
    public var sessionLineNumber: Int?
    public var dateOfService: CalendarDate
    public var code: String?
    public var modifiers: [String]
    public var units: Int
    public var description: String
    public var amountCents: Int64
    public var clientPortionCents: Int64
    public var insurancePortionCents: Int64

    /// Creates a line.
    public init(id: BillLineID, lineNumber: Int, kind: Kind, sessionID: SessionID?, sessionLineNumber: Int?,
                dateOfService: CalendarDate, code: String?, modifiers: [String], units: Int, description: String,
                amountCents: Int64, clientPortionCents: Int64, insurancePortionCents: Int64) {
        self.id = id
        self.lineNumber = lineNumber
        self.kind = kind
        self.sessionID = sessionID
        self.sessionLineNumber = sessionLineNumber
        self.dateOfService = dateOfService
        self.code = code
        self.modifiers = modifiers
        self.units = units
        self.description = description
        self.amountCents = amountCents
        self.clientPortionCents = clientPortionCents
        self.insurancePortionCents = insurancePortionCents
    }
}

/// How a client paid.
public enum PaymentMethod: String, Sendable, Codable, CaseIterable { case cash, check, card, other }

/// A client payment with where its money went.
public struct Payment: Sendable, Hashable {
    public var id: PaymentID
    public var clientID: ClientID
    public var payerContactID: ContactID?
    public var amountCents: Int64
    public var method: PaymentMethod
    public var receivedOn: CalendarDate
    public var reference: String?
    public var createdAt: Date
    /// Net allocations per bill (reversals netted).
    public var allocations: [PaymentAllocation]
    public var refundedCents: Int64

    /// Money neither allocated nor refunded: the client's credit from this payment.
    public var unappliedCents: Int64 { amountCents - allocations.reduce(0) { $0 + $1.amountCents } - refundedCents }
    /// What can still be refunded.
    public var refundableCents: Int64 { amountCents - refundedCents }

    /// Creates a payment value.
    public init(id: PaymentID, clientID: ClientID, payerContactID: ContactID?, amountCents: Int64, method: PaymentMethod,
                receivedOn: CalendarDate, reference: String?, createdAt: Date, allocations: [PaymentAllocation],
                refundedCents: Int64) {
        self.id = id
        self.clientID = clientID
        self.payerContactID = payerContactID
        self.amountCents = amountCents
        self.method = method
        self.receivedOn = receivedOn
        self.reference = reference
        self.createdAt = createdAt
        self.allocations = allocations
        self.refundedCents = refundedCents
    }
}

/// A payment's net allocation to one bill.
public struct PaymentAllocation: Sendable, Hashable, Codable {
    public var billId: BillID
    public var amountCents: Int64
    public init(billId: BillID, amountCents: Int64) {
        self.billId = billId
        self.amountCents = amountCents
    }
}

/// Kinds of adjustment.
public enum AdjustmentKind: String, Sendable, Codable, CaseIterable {
    /// A courtesy discount on the client's side.
    case discount
    /// A client balance written off (e.g. uncollectible).
    case writeOff
    /// The part insurance will not pay and the client does not owe (contractual).
    case insuranceWriteOff

    /// Which side of the bill the adjustment reduces.
    public var responsibility: String { self == .insuranceWriteOff ? "insurance" : "client" }
}
