import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// `era.import` and `era.unmatched`: insurance money back from remittance advice (835).
enum RemittanceMethods {
    static let readers: Access = .members([.owner, .biller, .viewer])
    static let writers: Access = .members([.owner, .biller])

    struct ImportParams: Decodable, Sendable {
        let x12: String
        let idempotencyKey: String?
    }

    struct UnmatchedParams: Decodable, Sendable { let limit: Int? }

    struct AssignParams: Decodable, Sendable {
        let remittanceClaimId: RemittanceClaimID
        let claimId: ClaimID
        let idempotencyKey: String?
    }

    struct RecordParams: Decodable, Sendable {
        struct ClaimShare: Decodable, Sendable {
            let claimId: ClaimID
            let paidCents: Int64
            let adjustments: [Adjudication.Adjustment]?
            let remarkCodes: [String]?
            let payerClaimNumber: String?
            let denied: Bool?
        }

        let checkNumber: String
        let amountCents: Int64
        let receivedOn: CalendarDate
        let method: String?
        let payerName: String?
        let claims: [ClaimShare]
        let idempotencyKey: String?
    }

    static let adjustmentSchema = Schema.object([
        "group": .enumeration(["CO", "PR", "OA", "PI"]), "reason": .string(minLength: 1, maxLength: 5),
        "amountCents": .integer(minimum: 1),
    ], title: "Adjustment")

    static var all: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "era.import",
                summary: "Import an 835 remittance (the poller does the same from the clearinghouse): each payment is posted once per payer and trace number — the insurance payment, contractual write-offs and patient responsibility per claim, matched by patient control number; claims turn Paid, Denied or Needs Review; unknown claims wait on era.unmatched.",
                params: .object([
                    "x12": .string(minLength: 10, maxLength: 5_000_000), "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["era": RemittanceView.schema, "eras": .array(RemittanceView.schema, maxItems: nil),
                                 "unmatched": .array(RemittanceView.claimSchema, maxItems: nil)]),
                errors: updateErrors, policy: writers
            ) { (params: ImportParams, context) in
                let imports = try await RemittanceService().importX12(
                    params.x12, source: "import", sourceID: nil, practiceID: try context.practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                let views = imports.map(RemittanceView.init)
                for item in imports { context.record(item.remittance.id) }
                return ImportResult(era: views[0], eras: views,
                                    unmatched: views.flatMap { $0.claims.filter { $0.claimId == nil } })
            },
            LedgerlineMethod(
                "ack.import",
                summary: "Import a payer acknowledgement (277CA): accepted claims (A1/A2) become Received, rejected ones (A3/A4/A6/A7/A8) Needs Review with the payer's reason; every claim's answer is kept on its timeline.",
                params: .object([
                    "x12": .string(minLength: 10, maxLength: 5_000_000), "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["claims": .array(.object([
                    "patientControlNumber": .string(), "claimId?": Schemas.id(ClaimID.self).orNull,
                    "outcome": .enumeration(["accepted", "rejected", "undetermined"]),
                    "status?": Schema.enumeration(ClaimStatus.self).orNull, "message": .string(maxLength: nil),
                ], title: "AcknowledgedClaim"), maxItems: nil)]),
                errors: updateErrors, policy: writers
            ) { (params: ImportParams, context) in
                let results = try await AcknowledgmentService().importX12(
                    params.x12, practiceID: try context.practiceID, in: context.transaction)
                return ["claims": results.map {
                    AckView(patientControlNumber: $0.patientControlNumber, claimId: $0.claimID, outcome: $0.outcome,
                            status: $0.status, message: $0.message)
                }]
            },
            LedgerlineMethod(
                "era.assign",
                summary: "Match a remitted claim from era.unmatched to one of the practice's claims by hand; it is posted exactly as the import would have (payment, write-offs, patient responsibility, claim status).",
                params: .object([
                    "remittanceClaimId": Schemas.id(RemittanceClaimID.self), "claimId": Schemas.id(ClaimID.self),
                    "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["remittanceClaim": RemittanceView.claimSchema]), errors: updateErrors, policy: writers
            ) { (params: AssignParams, context) in
                let row = try await RemittanceService().assign(
                    params.remittanceClaimId, to: params.claimId, practiceID: try context.practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                context.record(row.id)
                return ["remittanceClaim": RemittanceView.ClaimView(row)]
            },
            LedgerlineMethod(
                "insurancePayment.record",
                summary: "Record one insurance check or EFT by hand (a paper EOB, a payer without ERA) split across several claims of the same payer: every dollar must be assigned; each claim's adjustments (CARC with group CO/PR/OA/PI) must balance against its charge when given. Posted like an ERA — write-offs, patient responsibility to the client, claims Paid or Denied — and never twice for the same check number.",
                params: .object([
                    "checkNumber": .string(minLength: 1, maxLength: 50), "amountCents": .integer(minimum: 0),
                    "receivedOn": Schemas.date, "method?": .enumeration(["check", "eft", "card"]),
                    "payerName?": Schema.string(minLength: 1, maxLength: 60).orNull,
                    "claims": .array(.object([
                        "claimId": Schemas.id(ClaimID.self), "paidCents": .integer(minimum: 0),
                        "adjustments?": .array(adjustmentSchema, maxItems: 99),
                        "remarkCodes?": .array(.string(minLength: 1, maxLength: 5), maxItems: 20),
                        "payerClaimNumber?": Schema.string(minLength: 1, maxLength: 50).orNull, "denied?": .boolean(),
                    ], title: "ClaimPaymentShare"), minItems: 1, maxItems: 500),
                    "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["era": RemittanceView.schema]), errors: updateErrors, policy: writers
            ) { (params: RecordParams, context) in
                let payment = ManualInsurancePayment(
                    checkNumber: params.checkNumber, amountCents: params.amountCents, receivedOn: params.receivedOn,
                    method: params.method ?? "check", payerName: params.payerName,
                    claims: params.claims.map {
                        ManualClaimPayment(claimID: $0.claimId, paidCents: $0.paidCents, adjustments: $0.adjustments ?? [],
                                           remarkCodes: $0.remarkCodes ?? [], payerClaimNumber: $0.payerClaimNumber,
                                           denied: $0.denied ?? false)
                    })
                let recorded = try await InsurancePaymentService().record(
                    payment, practiceID: try context.practiceID, memberID: context.principal?.memberID,
                    in: context.transaction)
                context.record(recorded.remittance.id)
                return ["era": RemittanceView(recorded)]
            },
            LedgerlineMethod(
                "era.unmatched",
                summary: "Claims of imported remittances that match no claim of the practice (by patient control number), newest first.",
                params: .object(["limit?": Schemas.limit]),
                result: .object(["items": .array(RemittanceView.claimSchema, maxItems: nil)]), errors: memberErrors,
                policy: readers
            ) { (params: UnmatchedParams, context) in
                let rows = try await RemittanceService().unmatched(limit: params.limit ?? 50, in: context.transaction)
                return ["items": rows.map(RemittanceView.ClaimView.init)]
            },
        ]
    }

    struct AckView: Encodable, Sendable {
        let patientControlNumber: String
        let claimId: ClaimID?
        let outcome: String
        let status: ClaimStatus?
        let message: String
    }

    struct ImportResult: Encodable, Sendable {
        let era: RemittanceView
        let eras: [RemittanceView]
        let unmatched: [RemittanceView.ClaimView]
    }
}

/// One imported payment as the API shows it.
struct RemittanceView: Encodable, Sendable {
    let id: RemittanceID
    let duplicate: Bool
    let payerName: String
    let checkNumber: String
    let paymentMethod: String?
    let paidCents: Int64
    let paymentDate: CalendarDate?
    let balanceProblems: [String]
    let claims: [ClaimView]

    struct ClaimView: Encodable, Sendable {
        let id: RemittanceClaimID
        let eraId: RemittanceID
        let patientControlNumber: String
        let claimId: ClaimID?
        let statusCode: String
        let chargeCents: Int64
        let paidCents: Int64
        let patientResponsibilityCents: Int64
        let payerClaimNumber: String?
        let outcome: String?

        init(_ record: RemittanceClaimRecord) {
            id = record.id
            eraId = record.remittanceID
            patientControlNumber = record.patientControlNumber
            claimId = record.claimID
            statusCode = record.statusCode
            chargeCents = record.chargeCents
            paidCents = record.paidCents
            patientResponsibilityCents = record.patientResponsibilityCents
            payerClaimNumber = record.payerClaimNumber
            outcome = record.outcome
        }
    }

    init(_ item: RemittanceImport) {
        id = item.remittance.id
        duplicate = item.duplicate
        payerName = item.remittance.payerName
        checkNumber = item.remittance.traceNumber
        paymentMethod = item.remittance.paymentMethod
        paidCents = item.remittance.paidCents
        paymentDate = item.remittance.paymentDate
        balanceProblems = item.remittance.balanceProblems
        claims = item.claims.map(ClaimView.init)
    }

    static let claimSchema = Schema.object([
        "id": Schemas.id(RemittanceClaimID.self), "eraId": Schemas.id(RemittanceID.self),
        "patientControlNumber": .string(), "claimId?": Schemas.id(ClaimID.self).orNull, "statusCode": .string(),
        "chargeCents": .integer(), "paidCents": .integer(), "patientResponsibilityCents": .integer(),
        "payerClaimNumber?": Schema.string().orNull, "outcome?": Schema.string().orNull,
    ], title: "RemittanceClaim")

    static let schema = Schema.object([
        "id": Schemas.id(RemittanceID.self), "duplicate": .boolean(), "payerName": .string(), "checkNumber": .string(),
        "paymentMethod?": Schema.string().orNull, "paidCents": .integer(), "paymentDate?": Schemas.date.orNull,
        "balanceProblems": .array(.string(), maxItems: nil), "claims": .array(claimSchema, maxItems: nil),
    ], title: "Remittance")
}
