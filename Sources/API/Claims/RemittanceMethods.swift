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
