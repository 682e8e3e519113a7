import BillingCore
import Foundation
import JSONRPC

/// A bill as the API shows it, with its derived amounts.
struct BillView: Encodable, Sendable {
    struct Line: Encodable, Sendable {
        let id: BillLineID
        let lineNumber: Int
        let kind: String
        let sessionId: SessionID?
        let dateOfService: CalendarDate
        let code: String?
        let modifiers: [String]
        let units: Int
        let description: String
        let amountCents: Int64
        let clientPortionCents: Int64
        let insurancePortionCents: Int64
    }
    let id: BillID
    let number: String
    let clientId: ClientID
    let status: BillStatus
    let statusLabel: String
    let dueOn: CalendarDate
    let totalCents: Int64
    let paidCents: Int64
    let adjustmentsCents: Int64
    let balanceCents: Int64
    let clientResponsibilityCents: Int64
    let insurancePendingCents: Int64
    let lines: [Line]
    let openedAt: Date?
    let completedAt: Date?
    let voidedAt: Date?
    let voidReason: String?
    let version: Int
    let createdAt: Date

    init(_ bill: Bill) {
        id = bill.id
        number = bill.number
        clientId = bill.clientID
        status = bill.status
        statusLabel = bill.status.label
        dueOn = bill.dueOn
        totalCents = bill.balance.chargesCents
        paidCents = bill.balance.paidCents
        adjustmentsCents = bill.balance.clientAdjustmentsCents + bill.balance.insuranceAdjustmentsCents
        balanceCents = bill.balance.balanceCents
        clientResponsibilityCents = bill.balance.clientResponsibilityCents
        insurancePendingCents = bill.balance.insurancePendingCents
        lines = bill.lines.map {
            Line(id: $0.id, lineNumber: $0.lineNumber, kind: $0.kind.rawValue, sessionId: $0.sessionID,
                 dateOfService: $0.dateOfService, code: $0.code, modifiers: $0.modifiers, units: $0.units,
                 description: $0.description, amountCents: $0.amountCents, clientPortionCents: $0.clientPortionCents,
                 insurancePortionCents: $0.insurancePortionCents)
        }
        openedAt = bill.openedAt
        completedAt = bill.completedAt
        voidedAt = bill.voidedAt
        voidReason = bill.voidReason
        version = bill.version
        createdAt = bill.createdAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(BillID.self), "number": .string(), "clientId": Schemas.id(ClientID.self),
        "status": .enumeration(BillStatus.self), "statusLabel": .string(), "dueOn": Schemas.date,
        "totalCents": Schemas.cents, "paidCents": Schemas.cents, "adjustmentsCents": Schemas.cents,
        "balanceCents": Schemas.cents, "clientResponsibilityCents": Schemas.cents, "insurancePendingCents": Schemas.cents,
        "lines": .array(.object([
            "id": Schemas.id(BillLineID.self), "lineNumber": .integer(minimum: 1), "kind": .enumeration(["service", "fee"]),
            "sessionId?": Schemas.id(SessionID.self).orNull, "dateOfService": Schemas.date, "code?": Schema.string().orNull,
            "modifiers": .array(.string()), "units": .integer(minimum: 1), "description": .string(),
            "amountCents": Schemas.cents, "clientPortionCents": Schemas.cents, "insurancePortionCents": Schemas.cents,
        ]), maxItems: nil),
        "openedAt?": Schemas.dateTime.orNull, "completedAt?": Schemas.dateTime.orNull, "voidedAt?": Schemas.dateTime.orNull,
        "voidReason?": Schema.string().orNull, "version": .integer(minimum: 1), "createdAt": Schemas.dateTime,
    ], title: "Bill")
}

/// A payment as the API shows it.
struct PaymentView: Encodable, Sendable {
    let id: PaymentID
    let clientId: ClientID
    let payerContactId: ContactID?
    let amountCents: Int64
    let method: PaymentMethod
    let receivedOn: CalendarDate
    let reference: String?
    let allocations: [PaymentAllocation]
    let unappliedCents: Int64
    let refundedCents: Int64
    let createdAt: Date

    init(_ payment: Payment) {
        id = payment.id
        clientId = payment.clientID
        payerContactId = payment.payerContactID
        amountCents = payment.amountCents
        method = payment.method
        receivedOn = payment.receivedOn
        reference = payment.reference
        allocations = payment.allocations
        unappliedCents = payment.unappliedCents
        refundedCents = payment.refundedCents
        createdAt = payment.createdAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(PaymentID.self), "clientId": Schemas.id(ClientID.self),
        "payerContactId?": Schemas.id(ContactID.self).orNull, "amountCents": Schemas.positiveCents,
        "method": .enumeration(PaymentMethod.self), "receivedOn": Schemas.date, "reference?": Schema.string().orNull,
        "allocations": .array(.object(["billId": Schemas.id(BillID.self), "amountCents": .integer()]), maxItems: nil),
        "unappliedCents": Schemas.cents, "refundedCents": Schemas.cents, "createdAt": Schemas.dateTime,
    ], title: "Payment")
}

/// A bill's id and status after a posting.
struct BillStatusView: Encodable, Sendable {
    let id: BillID
    let number: String
    let status: BillStatus
    let statusLabel: String
    let balanceCents: Int64
    let clientResponsibilityCents: Int64

    init(_ bill: Bill) {
        id = bill.id
        number = bill.number
        status = bill.status
        statusLabel = bill.status.label
        balanceCents = bill.balance.balanceCents
        clientResponsibilityCents = bill.balance.clientResponsibilityCents
    }

    static let schema = Schema.object([
        "id": Schemas.id(BillID.self), "number": .string(), "status": .enumeration(BillStatus.self), "statusLabel": .string(),
        "balanceCents": Schemas.cents, "clientResponsibilityCents": Schemas.cents,
    ], title: "BillStatus")
}
