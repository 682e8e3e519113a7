import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes client payments, their allocations and refunds (all immutable rows).
public struct PaymentRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Inserts a payment.
    public func insert(_ payment: Payment, recordedBy: MemberID?, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into payments (practice_id, id, client_id, payer_contact_id, amount_cents, method, received_on, reference,
                                  recorded_by, created_at)
            values (\(practiceID.uuid), \(payment.id.uuid), \(payment.clientID.uuid), \(payment.payerContactID?.uuid),
                    \(payment.amountCents), \(payment.method.rawValue), \(payment.receivedOn.description)::date,
                    \(payment.reference), \(recordedBy?.uuid), \(payment.createdAt))
            """)
    }

    /// Inserts an allocation (negative with `reverses` for a reversal).
    public func insertAllocation(paymentID: PaymentID, billID: BillID, amountCents: Int64, reverses: AllocationID?,
                                 practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into allocations (practice_id, id, payment_id, bill_id, amount_cents, reverses_id)
            values (\(practiceID.uuid), \(AllocationID.generate().uuid), \(paymentID.uuid), \(billID.uuid), \(amountCents),
                    \(reverses?.uuid))
            """)
    }

    /// Inserts a refund.
    public func insertRefund(id: RefundID, paymentID: PaymentID, amountCents: Int64, reason: String, refundedOn: CalendarDate,
                             createdBy: MemberID?, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into refunds (practice_id, id, payment_id, amount_cents, reason, refunded_on, created_by)
            values (\(practiceID.uuid), \(id.uuid), \(paymentID.uuid), \(amountCents), \(reason),
                    \(refundedOn.description)::date, \(createdBy?.uuid))
            """)
    }

    /// Locks the client's payments so concurrent allocations and refunds of one client serialize.
    public func lockClient(_ clientID: ClientID, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("select id from clients where id = \(clientID.uuid) for update") != nil
    }

    /// A payment with net allocations and refunds.
    public func find(_ id: PaymentID, in transaction: Transaction) async throws -> Payment? {
        try await list(clientID: nil, ids: [id], before: nil, limit: 1, in: transaction).items.first
    }

    /// Payments of a client (or by ids), newest first.
    public func list(clientID: ClientID?, ids: [PaymentID]? = nil, before cursor: PaymentID?, limit: Int,
                     in transaction: Transaction) async throws -> Page<Payment> {
        let uuids = ids?.map(\.uuid)
        let rows = try await transaction.rows("""
            select id, client_id, payer_contact_id, amount_cents, method, received_on::text as received_on, reference, created_at,
                   coalesce((select sum(r.amount_cents) from refunds r where r.payment_id = p.id), 0)::bigint as refunded
            from payments p
            where (\(clientID?.uuid)::uuid is null or client_id = \(clientID?.uuid))
              and (\(uuids)::uuid[] is null or id = any(\(uuids)))
              and (\(cursor?.uuid)::uuid is null or id < \(cursor?.uuid))
            order by id desc limit \(limit + 1)
            """)
        var payments = try rows.map { row -> Payment in
            let reader = RowReader(row)
            return Payment(
                id: try reader.id(PaymentID.self, "id"), clientID: try reader.id(ClientID.self, "client_id"),
                payerContactID: try reader.optionalID(ContactID.self, "payer_contact_id"),
                amountCents: try reader.int64("amount_cents"),
                method: PaymentMethod(rawValue: try reader.string("method")) ?? .other,
                receivedOn: CalendarDate(try reader.string("received_on")) ?? CalendarDate(year: 2000, month: 1, day: 1)!,
                reference: try reader.optionalString("reference"), createdAt: try reader.date("created_at"),
                allocations: [], refundedCents: try reader.int64("refunded"))
        }
        var next: String? = nil
        if payments.count > limit {
            payments.removeLast()
            next = payments.last?.id.description
        }
        if !payments.isEmpty {
            var allocations: [PaymentID: [PaymentAllocation]] = [:]
            for row in try await transaction.rows("""
                select payment_id, bill_id, sum(amount_cents)::bigint as amount from allocations
                where payment_id = any(\(payments.map(\.id.uuid))) group by payment_id, bill_id
                having sum(amount_cents) <> 0 order by payment_id, bill_id
                """) {
                let reader = RowReader(row)
                allocations[try reader.id(PaymentID.self, "payment_id"), default: []].append(
                    PaymentAllocation(billId: try reader.id(BillID.self, "bill_id"), amountCents: try reader.int64("amount")))
            }
            for index in payments.indices { payments[index].allocations = allocations[payments[index].id] ?? [] }
        }
        return Page(items: payments, nextCursor: next)
    }

    /// A payment's allocations still standing (amount net of reversals), oldest first.
    public func standingAllocations(of paymentID: PaymentID, in transaction: Transaction) async throws
        -> [PaymentMath.StandingAllocation]
    {
        let rows = try await transaction.rows("""
            select a.id, a.bill_id, (a.amount_cents + coalesce((select sum(r.amount_cents) from allocations r
                                                              where r.reverses_id = a.id), 0))::bigint as remaining
            from allocations a where a.payment_id = \(paymentID.uuid) and a.reverses_id is null
            order by a.created_at, a.id
            """)
        return try rows.map { row in
            let reader = RowReader(row)
            return PaymentMath.StandingAllocation(id: try reader.id(AllocationID.self, "id").description,
                                                  billID: try reader.id(BillID.self, "bill_id").description,
                                                  remainingCents: try reader.int64("remaining"))
        }
    }

    /// Payments of a client that still have unapplied money, oldest first.
    public func paymentsWithCredit(of clientID: ClientID, in transaction: Transaction) async throws -> [Payment] {
        let page = try await list(clientID: clientID, before: nil, limit: 10_000, in: transaction)
        return page.items.filter { $0.unappliedCents > 0 }.sorted { $0.id < $1.id }
    }
}
