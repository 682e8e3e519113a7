import BillingCore
import Foundation
import PostgresNIO

/// One Open or Complete bill's current balances, for A/R aging.
public struct ReceivableRow: Sendable, Hashable {
    public var billID: BillID
    public var billNumber: String
    public var clientID: ClientID
    public var clientName: String
    public var firstDateOfService: CalendarDate
    /// The payer of the bill's latest live claim; `nil` when no claim was generated yet.
    public var payerName: String?
    public var payerID: PayerID?
    public var insurancePendingCents: Int64
    public var clientDueCents: Int64
}

/// One line of the payments-received report.
public struct ReceivedPaymentRow: Sendable, Hashable {
    /// `client`, `insurance` or `refund`.
    public var source: String
    /// Client payment method (`cash`, `check`, `card`, `other`), or the payer's name for insurance.
    public var label: String
    public var receivedOn: CalendarDate
    public var amountCents: Int64
}

/// An insurance session whose insurance money has not come in yet.
public struct UnpaidSessionRow: Sendable, Hashable {
    public var sessionID: SessionID
    public var clientID: ClientID
    public var clientName: String
    public var dateOfService: CalendarDate
    public var billID: BillID?
    public var claimID: ClaimID?
    public var claimStatus: String?
    public var payerName: String?
    public var insuranceChargeCents: Int64
}

/// Read-only report queries. Every query runs under the practice's row-level security, so a report
/// can only ever see the current practice's rows.
public struct ReportRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Open and Complete bills with anything still owed by insurance or the client.
    public func receivables(in transaction: Transaction) async throws -> [ReceivableRow] {
        let rows = try await transaction.rows("""
            with sums as (
                select b.id, b.number, b.client_id,
                       (select min(l.date_of_service) from bill_lines l where l.bill_id = b.id) as first_dos,
                       coalesce((select sum(l.client_portion_cents) from bill_lines l where l.bill_id = b.id), 0) as client_charges,
                       coalesce((select sum(l.insurance_portion_cents) from bill_lines l where l.bill_id = b.id), 0) as insurance_charges,
                       coalesce((select sum(a.amount_cents) from allocations a where a.bill_id = b.id), 0) as allocated,
                       coalesce((select sum(a.amount_cents) from adjustments a
                                 where a.bill_id = b.id and a.responsibility = 'client'), 0) as client_adjusted,
                       coalesce((select sum(a.amount_cents) from adjustments a
                                 where a.bill_id = b.id and a.responsibility = 'insurance'), 0) as insurance_adjusted,
                       coalesce((select sum(p.amount_cents) from insurance_payments p where p.bill_id = b.id), 0) as insurance_paid,
                       coalesce((select sum(t.amount_cents) from responsibility_transfers t where t.bill_id = b.id), 0) as moved
                from bills b where b.status in ('open', 'complete')
            )
            select s.id, s.number, s.client_id, c.first_name || ' ' || c.last_name as client_name,
                   s.first_dos::text as first_dos,
                   (s.insurance_charges - s.insurance_adjusted - s.insurance_paid - s.moved)::bigint as insurance_pending,
                   (s.client_charges + s.moved - s.allocated - s.client_adjusted)::bigint as client_due,
                   claim.payer_name, claim.payer_id
            from sums s join clients c on c.id = s.client_id
            left join lateral (
                select cl.snapshot -> 'payer' ->> 'name' as payer_name, cl.payer_id from claims cl
                where cl.bill_id = s.id and cl.status <> 'void' and cl.frequency_code <> '8'
                order by (cl.payer_sequence = 'primary') desc, cl.created_at desc limit 1
            ) claim on true
            where s.first_dos is not null
              and (s.insurance_charges - s.insurance_adjusted - s.insurance_paid - s.moved <> 0
                   or s.client_charges + s.moved - s.allocated - s.client_adjusted <> 0)
            order by s.first_dos, s.number
            """)
        return try rows.map { row in
            let reader = RowReader(row)
            guard let first = CalendarDate(try reader.string("first_dos")) else {
                throw StorageError.configuration("bill with an unreadable date of service")
            }
            return ReceivableRow(
                billID: try reader.id(BillID.self, "id"), billNumber: try reader.string("number"),
                clientID: try reader.id(ClientID.self, "client_id"), clientName: try reader.string("client_name"),
                firstDateOfService: first, payerName: try reader.optionalString("payer_name"),
                payerID: try reader.optionalID(PayerID.self, "payer_id"),
                insurancePendingCents: try reader.int64("insurance_pending"), clientDueCents: try reader.int64("client_due"))
        }
    }

    /// Client payments, insurance payments (negative for a payer's take-back) and refunds received in
    /// `from...to`, oldest first.
    public func payments(from: CalendarDate, to: CalendarDate, in transaction: Transaction) async throws
        -> [ReceivedPaymentRow]
    {
        let rows = try await transaction.rows("""
            select 'client' as source, method as label, received_on::text as received_on, amount_cents
            from payments where received_on between \(from.description)::date and \(to.description)::date
            union all
            select 'insurance', payer_name, received_on::text, amount_cents
            from insurance_payments where received_on between \(from.description)::date and \(to.description)::date
            union all
            select 'refund', 'refund', refunded_on::text, -amount_cents
            from refunds where refunded_on between \(from.description)::date and \(to.description)::date
            order by 3, 1, 2
            """)
        return try rows.map { row in
            let reader = RowReader(row)
            guard let date = CalendarDate(try reader.string("received_on")) else {
                throw StorageError.configuration("payment with an unreadable date")
            }
            return ReceivedPaymentRow(source: try reader.string("source"), label: try reader.string("label"),
                                      receivedOn: date, amountCents: try reader.int64("amount_cents"))
        }
    }

    /// Completed insurance sessions with no claim yet, or whose claim is not Paid (queued, on its way,
    /// needing review or denied), oldest first.
    public func unpaidInsuranceSessions(limit: Int, in transaction: Transaction) async throws -> [UnpaidSessionRow] {
        let rows = try await transaction.rows("""
            select s.id, s.client_id, c.first_name || ' ' || c.last_name as client_name,
                   s.date_of_service::text as dos, bill.bill_id, claim.id as claim_id, claim.status as claim_status,
                   claim.payer_name,
                   coalesce((select sum(l.insurance_portion_cents) from bill_lines l
                             where l.session_id = s.id and l.bill_id = bill.bill_id), 0)::bigint as insurance_charge
            from sessions s join clients c on c.id = s.client_id
            left join lateral (
                select bs.bill_id from bill_sessions bs join bills b on b.id = bs.bill_id
                where bs.session_id = s.id and bs.active and b.status <> 'void' limit 1
            ) bill on true
            left join lateral (
                select cl.id, cl.status, cl.snapshot -> 'payer' ->> 'name' as payer_name
                from claim_sessions cs join claims cl on cl.id = cs.claim_id
                where cs.session_id = s.id and cs.live and cs.payer_sequence = 'primary'
                order by cl.created_at desc limit 1
            ) claim on true
            where s.billing = 'insurance' and s.attendance = 'completed'
              and coalesce(claim.status, '') <> 'paid'
            order by s.date_of_service, s.id limit \(limit)
            """)
        return try rows.map { row in
            let reader = RowReader(row)
            guard let date = CalendarDate(try reader.string("dos")) else {
                throw StorageError.configuration("session with an unreadable date")
            }
            return UnpaidSessionRow(
                sessionID: try reader.id(SessionID.self, "id"), clientID: try reader.id(ClientID.self, "client_id"),
                clientName: try reader.string("client_name"), dateOfService: date,
                billID: try reader.optionalID(BillID.self, "bill_id"), claimID: try reader.optionalID(ClaimID.self, "claim_id"),
                claimStatus: try reader.optionalString("claim_status"), payerName: try reader.optionalString("payer_name"),
                insuranceChargeCents: try reader.int64("insurance_charge"))
        }
    }

    /// Claim counts and charges per status (and payer), void claims included.
    public func claimsByStatus(from: CalendarDate?, to: CalendarDate?, in transaction: Transaction) async throws
        -> [(status: String, payerName: String, count: Int, totalCents: Int64)]
    {
        let rows = try await transaction.rows("""
            select status, snapshot -> 'payer' ->> 'name' as payer_name, count(*)::int as claims,
                   sum(total_cents)::bigint as total
            from claims
            where (\(from?.description)::date is null or first_date_of_service >= \(from?.description)::date)
              and (\(to?.description)::date is null or first_date_of_service <= \(to?.description)::date)
            group by 1, 2 order by 1, 2
            """)
        return try rows.map { row in
            let reader = RowReader(row)
            return (try reader.string("status"), try reader.optionalString("payer_name") ?? "", try reader.int("claims"),
                    try reader.int64("total"))
        }
    }
}
