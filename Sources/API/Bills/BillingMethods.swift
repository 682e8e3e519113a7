import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// Methods for bills, payments, refunds, adjustments, balances and superbills.
enum BillingMethods {
    static let readers: Access = .members([.owner, .biller, .viewer])
    static let writers: Access = .members([.owner, .biller])

    struct BillResult: Encodable, Sendable { let bill: BillView }
    struct PaymentResult: Encodable, Sendable {
        let payment: PaymentView
        let bills: [BillStatusView]
    }
    struct AllocateResult: Encodable, Sendable {
        let payments: [PaymentView]
        let bills: [BillStatusView]
    }
    struct VersionedParams: Decodable, Sendable {
        let id: BillID
        let version: Int
    }
    struct VoidParams: Decodable, Sendable {
        let id: BillID
        let version: Int
        let reason: String
    }
    struct ListBillsParams: Decodable, Sendable {
        let clientId: ClientID?
        let status: [BillStatus]?
        let limit: Int?
        let cursor: String?
    }
    struct ListPaymentsParams: Decodable, Sendable {
        let clientId: ClientID?
        let limit: Int?
        let cursor: String?
    }
    struct ClientParams: Decodable, Sendable { let clientId: ClientID }
    struct LedgerParams: Decodable, Sendable {
        let clientId: ClientID
        let from: CalendarDate?
        let to: CalendarDate?
    }
    struct LedgerResult: Encodable, Sendable {
        let clientId: ClientID
        let openingBalanceCents: Int64
        let closingBalanceCents: Int64
        let lines: [StatementEntry]
    }

    struct PDFParams: Decodable, Sendable {
        let id: BillID
        let includeBase64: Bool?
    }
    struct SuperbillParams: Decodable, Sendable {
        let clientId: ClientID
        let from: CalendarDate
        let to: CalendarDate
        let includeBase64: Bool?
    }
    struct PDFView: Encodable, Sendable {
        let url: String
        let expiresAt: Date
        let sizeBytes: Int
        let base64: String?

        init(_ file: DocumentService.StoredFile, includeBase64: Bool?) {
            url = file.url
            expiresAt = file.expiresAt
            sizeBytes = file.bytes.count
            base64 = includeBase64 == true ? Data(file.bytes).base64EncodedString() : nil
        }

        static let schema = Schema.object([
            "url": Schema.string().described("GET it within 15 minutes; no Authorization needed"),
            "expiresAt": Schemas.dateTime, "sizeBytes": .integer(minimum: 1), "base64?": Schema.string(maxLength: nil).orNull,
        ], title: "PdfLink")
    }
    struct SuperbillView: Encodable, Sendable {
        let id: SuperbillID
        let clientId: ClientID
        let from: CalendarDate
        let to: CalendarDate
        let pdf: PDFView
        let data: SuperbillData
    }

    static let allocationSchema = Schema.object(["billId": Schemas.id(BillID.self), "amountCents": Schemas.positiveCents])
    static let paymentResult = Schema.object(["payment": PaymentView.schema, "bills": .array(BillStatusView.schema, maxItems: nil)])

    static var all: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "bill.create", summary: "Create a Pended bill from one or more sessions of one client.",
                params: .object(["clientId": Schemas.id(ClientID.self),
                                 "sessionIds": .array(Schemas.id(SessionID.self), minItems: 1, maxItems: 100, uniqueItems: true),
                                 "dueOn?": Schemas.date]),
                result: .object(["bill": BillView.schema]), errors: updateErrors, policy: writers
            ) { (input: NewBill, context) in
                let bill = try await LedgerService().createBill(input, practiceID: try context.practiceID, in: context.transaction)
                context.record(bill.id)
                return BillResult(bill: BillView(bill))
            },
            LedgerlineMethod(
                "bill.get", summary: "A bill with its lines and balances.",
                params: .object(["id": Schemas.id(BillID.self)]), result: .object(["bill": BillView.schema]),
                errors: lookupErrors, policy: readers
            ) { (params: IDParams<BillID>, context) in
                BillResult(bill: BillView(try await LedgerService().bill(params.id, in: context.transaction)))
            },
            LedgerlineMethod(
                "bill.list", summary: "Bills, newest first, optionally of one client and in some statuses.",
                params: .object(["clientId?": Schemas.id(ClientID.self),
                                 "status?": .array(.enumeration(BillStatus.self), minItems: 1, maxItems: 4),
                                 "limit?": Schemas.limit, "cursor?": Schemas.cursor]),
                result: Schemas.page(BillView.schema), errors: memberErrors, policy: readers
            ) { (params: ListBillsParams, context) in
                let page = try await LedgerService().listBills(
                    clientID: params.clientId, statuses: params.status,
                    cursor: try decodeCursor(params.cursor, as: BillID.self), limit: params.limit ?? 50, in: context.transaction)
                return PageView(items: page.items.map(BillView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "bill.open", summary: "Open a Pended bill so the client can pay it (Complete at once when nothing is owed).",
                params: .object(["id": Schemas.id(BillID.self), "version": Schemas.version]),
                result: .object(["bill": BillView.schema]), errors: updateErrors, policy: writers
            ) { (params: VersionedParams, context) in
                BillResult(bill: BillView(try await LedgerService().openBill(params.id, version: params.version,
                                                                             in: context.transaction)))
            },
            LedgerlineMethod(
                "bill.void", summary: "Void a Pended or Open bill that has no payments; its sessions can be billed again.",
                params: .object(["id": Schemas.id(BillID.self), "version": Schemas.version,
                                 "reason": .string(minLength: 1, maxLength: 500)]),
                result: .object(["bill": BillView.schema]), errors: updateErrors, policy: writers
            ) { (params: VoidParams, context) in
                BillResult(bill: BillView(try await LedgerService().voidBill(params.id, version: params.version,
                                                                             reason: params.reason, in: context.transaction)))
            },
            LedgerlineMethod(
                "bill.adjust", summary: "Discount or write off part of an Open bill (an immutable adjustment entry).",
                params: .object(["billId": Schemas.id(BillID.self), "kind": .enumeration(AdjustmentKind.self),
                                 "amountCents": Schemas.positiveCents, "reason": .string(minLength: 1, maxLength: 500),
                                 "idempotencyKey?": Schemas.idempotencyKey]),
                result: .object(["bill": BillView.schema]), errors: updateErrors, policy: writers
            ) { (request: AdjustmentRequest, context) in
                let bill = try await LedgerService().adjust(request, practiceID: try context.practiceID,
                                                            memberID: context.principal?.memberID, in: context.transaction)
                return BillResult(bill: BillView(bill))
            },
            LedgerlineMethod(
                "payment.record", summary: "Record a client payment; allocated as given or to the oldest Open bills, the rest is credit.",
                params: .object([
                    "clientId": Schemas.id(ClientID.self), "amountCents": Schemas.positiveCents,
                    "method": .enumeration(PaymentMethod.self), "receivedOn": Schemas.date,
                    "reference?": Schema.string(maxLength: 200).orNull, "payerContactId?": Schemas.id(ContactID.self).orNull,
                    "allocations?": .array(allocationSchema, maxItems: 100), "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: paymentResult, errors: updateErrors, policy: writers
            ) { (input: NewPayment, context) in
                let outcome = try await LedgerService().recordPayment(
                    input, practiceID: try context.practiceID, memberID: context.principal?.memberID, in: context.transaction)
                context.record(outcome.payment.id)
                return PaymentResult(payment: PaymentView(outcome.payment), bills: outcome.bills.map(BillStatusView.init))
            },
            LedgerlineMethod(
                "payment.get", summary: "A payment with its allocations, unapplied credit and refunds.",
                params: .object(["id": Schemas.id(PaymentID.self)]), result: .object(["payment": PaymentView.schema]),
                errors: lookupErrors, policy: readers
            ) { (params: IDParams<PaymentID>, context) in
                ["payment": PaymentView(try await LedgerService().payment(params.id, in: context.transaction))]
            },
            LedgerlineMethod(
                "payment.list", summary: "Payments, newest first, optionally of one client.",
                params: .object(["clientId?": Schemas.id(ClientID.self), "limit?": Schemas.limit, "cursor?": Schemas.cursor]),
                result: Schemas.page(PaymentView.schema), errors: memberErrors, policy: readers
            ) { (params: ListPaymentsParams, context) in
                let page = try await LedgerService().listPayments(
                    clientID: params.clientId, cursor: try decodeCursor(params.cursor, as: PaymentID.self),
                    limit: params.limit ?? 50, in: context.transaction)
                return PageView(items: page.items.map(PaymentView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "payment.allocate", summary: "Apply a client's unapplied credit to Open bills (explicitly, or oldest first).",
                params: .object(["clientId": Schemas.id(ClientID.self), "paymentId?": Schemas.id(PaymentID.self),
                                 "allocations?": .array(allocationSchema, minItems: 1, maxItems: 100),
                                 "idempotencyKey?": Schemas.idempotencyKey]),
                result: .object(["payments": .array(PaymentView.schema, maxItems: nil),
                                 "bills": .array(BillStatusView.schema, maxItems: nil)]),
                errors: updateErrors, policy: writers
            ) { (request: AllocationRequest, context) in
                let outcomes = try await LedgerService().allocateCredit(request, practiceID: try context.practiceID,
                                                                        in: context.transaction)
                var bills: [BillStatusView] = []
                for outcome in outcomes { bills += outcome.bills.map(BillStatusView.init) }
                return AllocateResult(payments: outcomes.map { PaymentView($0.payment) }, bills: bills)
            },
            LedgerlineMethod(
                "payment.refund", summary: "Refund part or all of a payment (credit first, then its allocations, newest first).",
                params: .object(["paymentId": Schemas.id(PaymentID.self), "amountCents": Schemas.positiveCents,
                                 "reason": .string(minLength: 1, maxLength: 500), "refundedOn?": Schemas.date,
                                 "idempotencyKey?": Schemas.idempotencyKey]),
                result: paymentResult, errors: updateErrors, policy: writers
            ) { (request: RefundRequest, context) in
                let outcome = try await LedgerService().refund(request, practiceID: try context.practiceID,
                                                               memberID: context.principal?.memberID, in: context.transaction)
                return PaymentResult(payment: PaymentView(outcome.payment), bills: outcome.bills.map(BillStatusView.init))
            },
            LedgerlineMethod(
                "client.balance", summary: "What a client owes (client responsibility and insurance pending) and their credit.",
                params: .object(["clientId": Schemas.id(ClientID.self)]),
                result: .object(["balanceCents": Schemas.cents, "creditCents": Schemas.cents,
                                 "clientResponsibilityCents": Schemas.cents, "insurancePendingCents": Schemas.cents]),
                errors: lookupErrors, policy: readers
            ) { (params: ClientParams, context) in
                try await LedgerService().balance(of: params.clientId, in: context.transaction)
            },
            LedgerlineMethod(
                "client.ledger", summary: "A client's statement: charges, adjustments (insurance write-offs included), insurance payments, payments and refunds with a running balance.",
                params: .object(["clientId": Schemas.id(ClientID.self), "from?": Schemas.date, "to?": Schemas.date]),
                result: .object(["clientId": Schemas.id(ClientID.self), "openingBalanceCents": .integer(),
                                 "closingBalanceCents": .integer(),
                                 "lines": .array(.object([
                                     "date": Schemas.date, "kind": .enumeration(["charge", "payment", "adjustment", "insurancePayment", "refund"]),
                                     "description": .string(), "billId?": Schemas.id(BillID.self).orNull,
                                     "paymentId?": Schemas.id(PaymentID.self).orNull, "amountCents": .integer(),
                                     "runningBalanceCents": .integer(),
                                 ]), maxItems: nil)]),
                errors: lookupErrors, policy: readers
            ) { (params: LedgerParams, context) in
                if let from = params.from, let to = params.to, to < from {
                    throw DomainError.invalid("/to", "must not be before from", code: "range")
                }
                let statement = try await LedgerService().statement(of: params.clientId, from: params.from, to: params.to,
                                                                    in: context.transaction)
                return LedgerResult(clientId: params.clientId, openingBalanceCents: statement.opening,
                                    closingBalanceCents: statement.lines.last?.runningBalanceCents ?? statement.opening,
                                    lines: statement.lines)
            },
            LedgerlineMethod(
                "bill.pdf", summary: "Render a bill as PDF (the document bill.send mails): a short-lived link, and base64 on request.",
                params: .object(["id": Schemas.id(BillID.self), "includeBase64?": .boolean()]),
                result: .object(["pdf": PDFView.schema]), errors: lookupErrors, policy: readers
            ) { (params: PDFParams, context) in
                let footer = try await SettingsService().effective(for: nil, in: context.transaction).statementFooter
                let file = try await DocumentService().billPDF(params.id, practiceID: try context.practiceID, footer: footer,
                                                               in: context.transaction)
                return ["pdf": PDFView(file, includeBase64: params.includeBase64)]
            },
            LedgerlineMethod(
                "superbill.generate",
                summary: "A superbill PDF and its data for a client's Open and Complete bills with services in a date range.",
                params: .object(["clientId": Schemas.id(ClientID.self), "from": Schemas.date, "to": Schemas.date,
                                 "includeBase64?": .boolean()]),
                result: .object(["superbill": .object([
                    "id": Schemas.id(SuperbillID.self), "clientId": Schemas.id(ClientID.self), "from": Schemas.date,
                    "to": Schemas.date, "pdf": PDFView.schema, "data": .any(description: "practice, providers, client, policy, diagnoses, lines, totals"),
                ], title: "Superbill")]),
                errors: updateErrors, policy: readers
            ) { (params: SuperbillParams, context) in
                let superbill = try await DocumentService().generateSuperbill(
                    clientID: params.clientId, from: params.from, to: params.to, practiceID: try context.practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                context.record(superbill.id)
                return ["superbill": SuperbillView(id: superbill.id, clientId: params.clientId, from: params.from, to: params.to,
                                                   pdf: PDFView(superbill.pdf, includeBase64: params.includeBase64),
                                                   data: superbill.data)]
            },
        ]
    }
}
