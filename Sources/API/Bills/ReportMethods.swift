import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// `report.*`: A/R aging, payments received, unpaid insurance sessions, claims by status.
enum ReportMethods {
    static let readers: Access = .members([.owner, .biller, .viewer])

    struct AgingParams: Decodable, Sendable { let asOf: CalendarDate? }
    struct RangeParams: Decodable, Sendable {
        let from: CalendarDate
        let to: CalendarDate
    }
    struct OptionalRangeParams: Decodable, Sendable {
        let from: CalendarDate?
        let to: CalendarDate?
    }
    struct LimitParams: Decodable, Sendable { let limit: Int? }

    static let bucketsSchema = Schema.object([
        "currentCents": .integer(), "days31To60Cents": .integer(), "days61To90Cents": .integer(),
        "over90Cents": .integer(), "totalCents": .integer(),
    ], title: "AgingBuckets")

    static let groupSchema = Schema.object([
        "id?": Schema.string().orNull, "name": .string(), "bills": .integer(minimum: 0), "buckets": bucketsSchema,
    ], title: "AgingGroup")

    static var all: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "report.aging",
                summary: "Accounts receivable aging (0–30, 31–60, 61–90, over 90 days from the first date of service) as of a date (today in the practice's time zone by default): insurance still pending by payer, and client balances by client (credits show as negative). Open and Complete bills; current balances from the ledger.",
                params: .object(["asOf?": Schemas.date.orNull]),
                result: .object([
                    "asOf": Schemas.date, "insurance": bucketsSchema, "client": bucketsSchema,
                    "byPayer": .array(groupSchema, maxItems: nil), "byClient": .array(groupSchema, maxItems: nil),
                ]),
                errors: memberErrors, policy: readers
            ) { (params: AgingParams, context) in
                let report = try await ReportService().aging(asOf: params.asOf, in: context.transaction)
                return AgingView(report)
            },
            LedgerlineMethod(
                "report.payments",
                summary: "Payments received in a date range (at most 366 days): client payments by method, insurance payments by payer (take-backs negative), refunds negative, net, and per day.",
                params: .object(["from": Schemas.date, "to": Schemas.date]),
                result: .object([
                    "from": Schemas.date, "to": Schemas.date, "clientCents": .integer(), "insuranceCents": .integer(),
                    "refundsCents": .integer(), "netCents": .integer(),
                    "totals": .array(.object([
                        "source": .enumeration(["client", "insurance", "refund"]), "label": .string(),
                        "amountCents": .integer(), "count": .integer(minimum: 1),
                    ]), maxItems: nil),
                    "byDay": .array(.object(["date": Schemas.date, "amountCents": .integer()]), maxItems: nil),
                ]),
                errors: memberErrors, policy: readers
            ) { (params: RangeParams, context) in
                PaymentsView(try await ReportService().payments(from: params.from, to: params.to, in: context.transaction))
            },
            LedgerlineMethod(
                "report.unpaidInsuranceSessions",
                summary: "Completed insurance sessions whose insurance money has not come in — no claim yet, or a claim that is not Paid — oldest first, with the claim's status.",
                params: .object(["limit?": Schema.integer(minimum: 1, maximum: 1000)]),
                result: .object(["items": .array(.object([
                    "sessionId": Schemas.id(SessionID.self), "clientId": Schemas.id(ClientID.self), "clientName": .string(),
                    "dateOfService": Schemas.date, "billId?": Schemas.id(BillID.self).orNull,
                    "claimId?": Schemas.id(ClaimID.self).orNull, "claimStatus?": Schema.enumeration(ClaimStatus.self).orNull,
                    "payerName?": Schema.string().orNull, "insuranceChargeCents": .integer(),
                ], title: "UnpaidSession"), maxItems: nil)]),
                errors: memberErrors, policy: readers
            ) { (params: LimitParams, context) in
                let rows = try await ReportService().unpaidInsuranceSessions(limit: params.limit ?? 200, in: context.transaction)
                return ["items": rows.map(UnpaidView.init)]
            },
            LedgerlineMethod(
                "report.claimsByStatus",
                summary: "Claims counted and summed by status and payer, optionally for first dates of service in a range.",
                params: .object(["from?": Schemas.date.orNull, "to?": Schemas.date.orNull]),
                result: .object(["items": .array(.object([
                    "status": .enumeration(ClaimStatus.self), "statusLabel": .string(), "payerName": .string(),
                    "count": .integer(minimum: 1), "totalCents": .integer(),
                ]), maxItems: nil)]),
                errors: memberErrors, policy: readers
            ) { (params: OptionalRangeParams, context) in
                let rows = try await ReportService().claimsByStatus(from: params.from, to: params.to, in: context.transaction)
                return ["items": rows.map {
                    StatusRow(status: $0.status, statusLabel: ClaimStatus(rawValue: $0.status)?.label ?? $0.status,
                              payerName: $0.payerName, count: $0.count, totalCents: $0.totalCents)
                }]
            },
        ]
    }

    struct BucketsView: Encodable, Sendable {
        let currentCents: Int64
        let days31To60Cents: Int64
        let days61To90Cents: Int64
        let over90Cents: Int64
        let totalCents: Int64

        init(_ buckets: AgingBuckets) {
            currentCents = buckets.currentCents
            days31To60Cents = buckets.days31To60Cents
            days61To90Cents = buckets.days61To90Cents
            over90Cents = buckets.over90Cents
            totalCents = buckets.totalCents
        }
    }

    struct GroupView: Encodable, Sendable {
        let id: String?
        let name: String
        let bills: Int
        let buckets: BucketsView
    }

    struct AgingView: Encodable, Sendable {
        let asOf: CalendarDate
        let insurance: BucketsView
        let client: BucketsView
        let byPayer: [GroupView]
        let byClient: [GroupView]

        init(_ report: AgingReport) {
            asOf = report.asOf
            insurance = BucketsView(report.insurance)
            client = BucketsView(report.client)
            byPayer = report.byPayer.map { GroupView(id: $0.key, name: $0.name, bills: $0.bills, buckets: BucketsView($0.buckets)) }
            byClient = report.byClient.map { GroupView(id: $0.key, name: $0.name, bills: $0.bills, buckets: BucketsView($0.buckets)) }
        }
    }

    struct PaymentsView: Encodable, Sendable {
        struct Total: Encodable, Sendable {
            let source: String
            let label: String
            let amountCents: Int64
            let count: Int
        }

        struct Day: Encodable, Sendable {
            let date: CalendarDate
            let amountCents: Int64
        }

        let from: CalendarDate
        let to: CalendarDate
        let clientCents: Int64
        let insuranceCents: Int64
        let refundsCents: Int64
        let netCents: Int64
        let totals: [Total]
        let byDay: [Day]

        init(_ report: PaymentsReport) {
            from = report.from
            to = report.to
            clientCents = report.clientCents
            insuranceCents = report.insuranceCents
            refundsCents = report.refundsCents
            netCents = report.netCents
            totals = report.totals.map { Total(source: $0.source, label: $0.label, amountCents: $0.amountCents, count: $0.count) }
            byDay = report.byDay.map { Day(date: $0.date, amountCents: $0.amountCents) }
        }
    }

    struct UnpaidView: Encodable, Sendable {
        let sessionId: SessionID
        let clientId: ClientID
        let clientName: String
        let dateOfService: CalendarDate
        let billId: BillID?
        let claimId: ClaimID?
        let claimStatus: String?
        let payerName: String?
        let insuranceChargeCents: Int64

        init(_ row: UnpaidSessionRow) {
            sessionId = row.sessionID
            clientId = row.clientID
            clientName = row.clientName
            dateOfService = row.dateOfService
            billId = row.billID
            claimId = row.claimID
            claimStatus = row.claimStatus
            payerName = row.payerName
            insuranceChargeCents = row.insuranceChargeCents
        }
    }

    struct StatusRow: Encodable, Sendable {
        let status: String
        let statusLabel: String
        let payerName: String
        let count: Int
        let totalCents: Int64
    }
}
