import BillingCore
import Foundation
import Storage

/// The A/R aging report: what insurance and clients still owe, by age of the date of service.
public struct AgingReport: Sendable {
    /// What one payer (or "no claim yet") or one client owes.
    public struct Group: Sendable {
        public var key: String?
        public var name: String
        public var buckets: AgingBuckets
        public var bills: Int
    }

    public var asOf: CalendarDate
    public var insurance: AgingBuckets
    public var client: AgingBuckets
    /// Insurance pending grouped by the payer of the bill's claim, largest first.
    public var byPayer: [Group]
    /// Client responsibility grouped by client, largest first; credits (negative) included.
    public var byClient: [Group]
}

/// The payments received in a date range.
public struct PaymentsReport: Sendable {
    public struct Total: Sendable {
        public var source: String
        public var label: String
        public var amountCents: Int64
        public var count: Int
    }

    public var from: CalendarDate
    public var to: CalendarDate
    public var clientCents: Int64
    public var insuranceCents: Int64
    public var refundsCents: Int64
    public var netCents: Int64 { clientCents + insuranceCents + refundsCents }
    /// One row per source and method or payer.
    public var totals: [Total]
    /// Net received per day.
    public var byDay: [(date: CalendarDate, amountCents: Int64)]
}

/// Reports over the practice's ledger and claims: A/R aging, payments received, unpaid insurance
/// sessions and claims by status. Every figure is summed from ledger rows, never stored.
public struct ReportService: Sendable {
    let reports = ReportRepository()

    /// Creates the use cases.
    public init() {}

    /// A/R aging as of `asOf` (the practice's today when `nil`).
    public func aging(asOf: CalendarDate?, in transaction: Transaction, now: Date = Date()) async throws -> AgingReport {
        let day: CalendarDate
        if let asOf { day = asOf } else { day = try await PracticeCalendar().today(in: transaction, now: now) }
        var insurance = AgingBuckets()
        var client = AgingBuckets()
        var payers: [String: AgingReport.Group] = [:]
        var clients: [String: AgingReport.Group] = [:]
        for row in try await reports.receivables(in: transaction) {
            if row.insurancePendingCents != 0 {
                insurance.add(row.insurancePendingCents, since: row.firstDateOfService, asOf: day)
                let key = row.payerID?.description ?? ""
                var group = payers[key] ?? AgingReport.Group(key: row.payerID?.description,
                                                              name: row.payerName ?? "No claim yet",
                                                              buckets: AgingBuckets(), bills: 0)
                group.buckets.add(row.insurancePendingCents, since: row.firstDateOfService, asOf: day)
                group.bills += 1
                payers[key] = group
            }
            if row.clientDueCents != 0 {
                client.add(row.clientDueCents, since: row.firstDateOfService, asOf: day)
                let key = row.clientID.description
                var group = clients[key] ?? AgingReport.Group(key: key, name: row.clientName, buckets: AgingBuckets(), bills: 0)
                group.buckets.add(row.clientDueCents, since: row.firstDateOfService, asOf: day)
                group.bills += 1
                clients[key] = group
            }
        }
        let order: (AgingReport.Group, AgingReport.Group) -> Bool = {
            ($0.buckets.totalCents, $1.name) > ($1.buckets.totalCents, $0.name)
        }
        return AgingReport(asOf: day, insurance: insurance, client: client,
                           byPayer: payers.values.sorted(by: order), byClient: clients.values.sorted(by: order))
    }

    /// Payments received from `from` to `to` inclusive.
    /// - Throws: −32602 on `/to` when the range is backwards or longer than 366 days.
    public func payments(from: CalendarDate, to: CalendarDate, in transaction: Transaction) async throws -> PaymentsReport {
        guard from <= to else { throw DomainError.invalid("/to", "must not be before from") }
        guard to.dayNumber - from.dayNumber <= 366 else { throw DomainError.invalid("/to", "the range must be at most 366 days") }
        var report = PaymentsReport(from: from, to: to, clientCents: 0, insuranceCents: 0, refundsCents: 0, totals: [],
                                    byDay: [])
        var totals: [String: PaymentsReport.Total] = [:]
        var days: [CalendarDate: Int64] = [:]
        for row in try await reports.payments(from: from, to: to, in: transaction) {
            switch row.source {
            case "client": report.clientCents += row.amountCents
            case "insurance": report.insuranceCents += row.amountCents
            default: report.refundsCents += row.amountCents
            }
            let key = row.source + "\u{1F}" + row.label
            var total = totals[key] ?? PaymentsReport.Total(source: row.source, label: row.label, amountCents: 0, count: 0)
            total.amountCents += row.amountCents
            total.count += 1
            totals[key] = total
            days[row.receivedOn, default: 0] += row.amountCents
        }
        report.totals = totals.values.sorted { ($0.source, $0.label) < ($1.source, $1.label) }
        report.byDay = days.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return report
    }

    /// Completed insurance sessions whose insurance money has not come in, oldest first.
    public func unpaidInsuranceSessions(limit: Int, in transaction: Transaction) async throws -> [UnpaidSessionRow] {
        try await reports.unpaidInsuranceSessions(limit: limit, in: transaction)
    }

    /// Claims counted and summed by status and payer, by first date of service.
    public func claimsByStatus(from: CalendarDate?, to: CalendarDate?, in transaction: Transaction) async throws
        -> [(status: String, payerName: String, count: Int, totalCents: Int64)]
    {
        if let from, let to, from > to { throw DomainError.invalid("/to", "must not be before from") }
        return try await reports.claimsByStatus(from: from, to: to, in: transaction)
    }
}
