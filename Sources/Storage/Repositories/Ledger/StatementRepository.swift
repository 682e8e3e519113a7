import BillingCore
import Foundation
import PostgresNIO

/// Reads a client's ledger entries for statements.
public struct StatementRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Charges of Open/Complete bills, insurance payments on them, payments, adjustments and refunds of a
    /// client (unsorted).
    public func entries(of clientID: ClientID, in transaction: Transaction) async throws -> [StatementEntry] {
        var entries: [StatementEntry] = []
        let fallback = CalendarDate(year: 2000, month: 1, day: 1)!
        for row in try await transaction.rows("""
            select b.id as bill_id, b.number, l.date_of_service::text as dos, l.description, l.code, l.amount_cents
            from bills b join bill_lines l on l.practice_id = b.practice_id and l.bill_id = b.id
            where b.client_id = \(clientID.uuid) and b.status in ('open', 'complete')
            """) {
            let reader = RowReader(row)
            let code = try reader.optionalString("code")
            entries.append(StatementEntry(
                date: CalendarDate(try reader.string("dos")) ?? fallback, kind: .charge,
                description: "\(try reader.string("number")) \(code.map { $0 + " " } ?? "")\(try reader.string("description"))",
                billId: try reader.id(BillID.self, "bill_id"), paymentId: nil, amountCents: try reader.int64("amount_cents")))
        }
        for row in try await transaction.rows("""
            select id, received_on::text as day, method, amount_cents from payments where client_id = \(clientID.uuid)
            """) {
            let reader = RowReader(row)
            entries.append(StatementEntry(
                date: CalendarDate(try reader.string("day")) ?? fallback, kind: .payment,
                description: "Payment (\(try reader.string("method")))", billId: nil,
                paymentId: try reader.id(PaymentID.self, "id"), amountCents: -(try reader.int64("amount_cents"))))
        }
        for row in try await transaction.rows("""
            select a.bill_id, a.kind, a.reason, a.amount_cents, (a.created_at at time zone p.time_zone)::date::text as day
            from adjustments a join bills b on b.practice_id = a.practice_id and b.id = a.bill_id
            join practices p on p.practice_id = a.practice_id
            where b.client_id = \(clientID.uuid) and b.status in ('open', 'complete')
            """) {
            let reader = RowReader(row)
            let label = try reader.string("kind") == "insuranceWriteOff" ? "Insurance write-off" : "Adjustment"
            entries.append(StatementEntry(
                date: CalendarDate(try reader.string("day")) ?? fallback, kind: .adjustment,
                description: "\(label): \(try reader.string("reason"))", billId: try reader.id(BillID.self, "bill_id"),
                paymentId: nil, amountCents: -(try reader.int64("amount_cents"))))
        }
        for row in try await transaction.rows("""
            select i.bill_id, i.received_on::text as day, i.amount_cents, i.payer_name, i.reference
            from insurance_payments i join bills b on b.practice_id = i.practice_id and b.id = i.bill_id
            where b.client_id = \(clientID.uuid) and b.status in ('open', 'complete')
            """) {
            let reader = RowReader(row)
            let amount = try reader.int64("amount_cents")
            let reference = try reader.optionalString("reference").map { " (\($0))" } ?? ""
            entries.append(StatementEntry(
                date: CalendarDate(try reader.string("day")) ?? fallback, kind: .insurancePayment,
                description: "\(amount < 0 ? "Insurance take-back" : "Insurance payment"): \(try reader.string("payer_name"))\(reference)",
                billId: try reader.id(BillID.self, "bill_id"), paymentId: nil, amountCents: -amount))
        }
        for row in try await transaction.rows("""
            select r.payment_id, r.refunded_on::text as day, r.amount_cents, r.reason
            from refunds r join payments p on p.practice_id = r.practice_id and p.id = r.payment_id
            where p.client_id = \(clientID.uuid)
            """) {
            let reader = RowReader(row)
            entries.append(StatementEntry(
                date: CalendarDate(try reader.string("day")) ?? fallback, kind: .refund,
                description: "Refund: \(try reader.string("reason"))", billId: nil,
                paymentId: try reader.id(PaymentID.self, "payment_id"), amountCents: try reader.int64("amount_cents")))
        }
        return entries
    }

    /// `true` when a contact is linked to a client.
    public func contactLinked(_ contactID: ContactID, to clientID: ClientID, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow(
            "select 1 from contact_links where contact_id = \(contactID.uuid) and client_id = \(clientID.uuid)") != nil
    }

    /// `true` when the client exists in the current practice.
    public func clientExists(_ clientID: ClientID, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("select 1 from clients where id = \(clientID.uuid)") != nil
    }
}
