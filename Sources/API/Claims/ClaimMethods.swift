import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// `claim.*` and `alert.list`: insurance claims out (generation, export, submission, tracking).
enum ClaimMethods {
    static let readers: Access = .members([.owner, .biller, .viewer])
    static let writers: Access = .members([.owner, .biller])
    static let claimErrors = updateErrors + [RPCErrorDoc(code: -32012, message: "Not configured")]

    struct GenerateParams: Decodable, Sendable {
        let billId: BillID
        let policyId: PolicyID?
        let idempotencyKey: String?
    }

    struct ListParams: Decodable, Sendable {
        let status: [ClaimStatus]?
        let payerId: PayerID?
        let clientId: ClientID?
        let billId: BillID?
        let from: CalendarDate?
        let to: CalendarDate?
        let limit: Int?
        let cursor: String?
    }

    struct SubmitParams: Decodable, Sendable {
        let claimIds: [ClaimID]
        let idempotencyKey: String
    }

    struct PendingParams: Decodable, Sendable { let limit: Int? }

    /// `claim.correct` and `claim.void`.
    static let successorParams = Schema.object([
        "id": Schemas.id(ClaimID.self), "payerClaimNumber?": Schema.string(minLength: 1, maxLength: 50).orNull,
        "submit?": .boolean(), "idempotencyKey?": Schemas.idempotencyKey,
    ])

    /// −32012 unless the practice has a clearinghouse to send the claim to.
    static func requireClearinghouse(_ context: CallContext) async throws {
        _ = try await IntegrationService(runtime: context.services.plugins).resolve(
            .clearinghouse, practiceID: try context.practiceID, in: context.transaction)
    }

    struct ResubmitParams: Decodable, Sendable {
        let id: ClaimID
        let idempotencyKey: String?
    }

    struct CorrectParams: Decodable, Sendable {
        let id: ClaimID
        let payerClaimNumber: String?
        let submit: Bool?
        let idempotencyKey: String?
    }
    struct AlertParams: Decodable, Sendable {
        let includeResolved: Bool?
        let limit: Int?
    }

    static var all: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "claim.generate",
                summary: "Generate a claim from a bill's insurance sessions and the client's policy (the primary unless policyId says otherwise). Every eligibility problem comes back at once in data.errors[]; the claim freezes everything it will send.",
                params: .object([
                    "billId": Schemas.id(BillID.self), "policyId?": Schemas.id(PolicyID.self).orNull,
                    "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["claim": ClaimView.schema]), errors: claimErrors, policy: writers
            ) { (params: GenerateParams, context) in
                let details = try await ClaimService().generate(
                    billID: params.billId, policyID: params.policyId, practiceID: try context.practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                context.record(details.claim.id)
                return ["claim": ClaimView(details)]
            },
            LedgerlineMethod(
                "claim.pending", summary: "Completed insurance sessions that are on no claim yet, oldest first, with their bill.",
                params: .object(["limit?": Schemas.limit]),
                result: .object(["items": .array(.object([
                    "sessionId": Schemas.id(SessionID.self), "clientId": Schemas.id(ClientID.self),
                    "dateOfService": Schemas.date, "billId?": Schemas.id(BillID.self).orNull,
                    "totalCents": Schemas.cents,
                ], title: "PendingClaimSession"), maxItems: nil)]),
                errors: memberErrors, policy: readers
            ) { (params: PendingParams, context) in
                let pending = try await ClaimService().pending(limit: params.limit ?? 50, in: context.transaction)
                return ["items": pending.map {
                    PendingView(sessionId: $0.session.id, clientId: $0.session.clientId,
                                dateOfService: $0.session.dateOfService, billId: $0.billID, totalCents: $0.session.totalCents)
                }]
            },
            LedgerlineMethod(
                "claim.get", summary: "A claim with what it sends and its timeline of status events.",
                params: .object(["id": Schemas.id(ClaimID.self)]), result: .object(["claim": ClaimView.schema]),
                errors: lookupErrors, policy: readers
            ) { (params: IDParams<ClaimID>, context) in
                ["claim": ClaimView(try await ClaimService().claim(params.id, in: context.transaction))]
            },
            LedgerlineMethod(
                "claim.list",
                summary: "Claims, newest first; filter by status (any of), payer, client, bill and first date of service.",
                params: .object([
                    "status?": .array(.enumeration(ClaimStatus.self), minItems: 1, maxItems: 9, uniqueItems: true),
                    "payerId?": Schemas.id(PayerID.self), "clientId?": Schemas.id(ClientID.self),
                    "billId?": Schemas.id(BillID.self), "from?": Schemas.date, "to?": Schemas.date,
                    "limit?": Schemas.limit, "cursor?": Schemas.cursor,
                ]),
                result: Schemas.page(ClaimView.schema), errors: lookupErrors, policy: readers
            ) { (params: ListParams, context) in
                let page = try await ClaimService().list(
                    ClaimFilter(statuses: params.status, payerID: params.payerId, clientID: params.clientId,
                                billID: params.billId, from: params.from, to: params.to),
                    after: try decodeCursor(params.cursor, as: ClaimID.self), limit: params.limit ?? 50,
                    in: context.transaction)
                return PageView(items: page.items.map(ClaimView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "claim.exportX12", summary: "The claim as an 837P (005010X222A1) interchange.",
                params: .object(["id": Schemas.id(ClaimID.self)]),
                result: .object(["x12": .string(maxLength: nil), "fileName": .string()]), errors: lookupErrors,
                policy: readers
            ) { (params: IDParams<ClaimID>, context) in
                let details = try await ClaimService().claim(params.id, in: context.transaction)
                let x12 = try await ClaimService().exportX12(params.id, practiceID: try context.practiceID,
                                                              in: context.transaction)
                return ["x12": x12, "fileName": "\(details.claim.patientControlNumber).837"]
            },
            LedgerlineMethod(
                "claim.submit",
                summary: "Queue claims for submission (Not Submitted or Needs Review → Queued For Submission). They are transmitted after the configured hold, in batches, by the practice's clearinghouse; claims already on their way are reported as they are.",
                params: .object([
                    "claimIds": .array(Schemas.id(ClaimID.self), minItems: 1, maxItems: 2000, uniqueItems: true),
                    "idempotencyKey": Schemas.idempotencyKey,
                ]),
                result: .object(["items": .array(.object([
                    "id": Schemas.id(ClaimID.self), "status": .enumeration(ClaimStatus.self), "statusLabel": .string(),
                ]), maxItems: nil)]),
                errors: claimErrors, policy: writers
            ) { (params: SubmitParams, context) in
                let practiceID = try context.practiceID
                // Unknown (or another practice's) claims answer not found before anything else.
                for (index, id) in params.claimIds.enumerated() {
                    _ = try await ClaimService().claim(id, pointer: "/claimIds/\(index)", in: context.transaction)
                }
                _ = try await IntegrationService(runtime: context.services.plugins).resolve(
                    .clearinghouse, practiceID: practiceID, in: context.transaction)
                let claims = try await ClaimService().submit(
                    params.claimIds, hold: context.services.claims.submissionHold, practiceID: practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                for claim in claims { context.record(claim.id) }
                return ["items": claims.map { StatusView(id: $0.id, status: $0.status, statusLabel: $0.status.label) }]
            },
            LedgerlineMethod(
                "claim.resubmit",
                summary: "Resubmit a claim the clearinghouse or the payer's front end rejected (Needs Review, never adjudicated): it is rebuilt from the current records — fix what the rejection named first — under the same patient control number and queued again.",
                params: .object(["id": Schemas.id(ClaimID.self), "idempotencyKey?": Schemas.idempotencyKey]),
                result: .object(["claim": ClaimView.schema]), errors: claimErrors, policy: writers
            ) { (params: ResubmitParams, context) in
                let practiceID = try context.practiceID
                _ = try await ClaimService().claim(params.id, in: context.transaction)
                try await requireClearinghouse(context)
                let details = try await ClaimCorrectionService().resubmit(
                    params.id, hold: context.services.claims.submissionHold, practiceID: practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                context.record(details.claim.id)
                return ["claim": ClaimView(details)]
            },
            LedgerlineMethod(
                "claim.correct",
                summary: "Send a corrected claim (frequency 7) for a claim the payer has adjudicated or is processing: a new claim built from the current records, carrying the payer's claim number, takes over the original's sessions; queued at once unless submit is false.",
                params: successorParams,
                result: .object(["claim": ClaimView.schema]), errors: claimErrors, policy: writers
            ) { (params: CorrectParams, context) in
                let practiceID = try context.practiceID
                _ = try await ClaimService().claim(params.id, in: context.transaction)
                if params.submit ?? true {
                    try await requireClearinghouse(context)
                }
                let details = try await ClaimCorrectionService().correct(
                    params.id, payerClaimNumber: params.payerClaimNumber, submit: params.submit ?? true,
                    hold: context.services.claims.submissionHold, practiceID: practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                context.record(details.claim.id)
                return ["claim": ClaimView(details)]
            },
            LedgerlineMethod(
                "claim.void",
                summary: "Void a claim. One the payer never had (Not Submitted, or rejected before adjudication) becomes Void; one the payer has gets a void claim (frequency 8 with the payer's claim number), queued unless submit is false. Either way the sessions can be claimed again.",
                params: successorParams,
                result: .object(["claim": ClaimView.schema]), errors: claimErrors, policy: writers
            ) { (params: CorrectParams, context) in
                let practiceID = try context.practiceID
                let current = try await ClaimService().claim(params.id, in: context.transaction).claim
                if params.submit ?? true, ![.notSubmitted, .needsReview].contains(current.status) {
                    try await requireClearinghouse(context)
                }
                let details = try await ClaimCorrectionService().void(
                    params.id, payerClaimNumber: params.payerClaimNumber, submit: params.submit ?? true,
                    hold: context.services.claims.submissionHold, practiceID: practiceID,
                    memberID: context.principal?.memberID, in: context.transaction)
                context.record(details.claim.id)
                return ["claim": ClaimView(details)]
            },
            LedgerlineMethod(
                "alert.list",
                summary: "The practice's alerts, newest first: claims stuck without acknowledgement, files the clearinghouse refused, claims needing review.",
                params: .object(["includeResolved?": .boolean(), "limit?": Schemas.limit]),
                result: .object(["items": .array(.object([
                    "id": .string(), "kind": .enumeration(["claimStuck", "batchRejected", "claimNeedsReview", "automation", "autoPayStopped"]),
                    "claimId?": Schemas.id(ClaimID.self).orNull, "message": .string(), "createdAt": Schemas.dateTime,
                    "resolvedAt?": Schemas.dateTime.orNull,
                ], title: "Alert"), maxItems: nil)]),
                errors: memberErrors, policy: readers
            ) { (params: AlertParams, context) in
                let alerts = try await ClaimService().alerts(includeResolved: params.includeResolved ?? false,
                                                             limit: params.limit ?? 50, in: context.transaction)
                return ["items": alerts.map {
                    AlertView(id: "alr_" + $0.id.uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                              kind: $0.kind, claimId: $0.claimID, message: $0.message, createdAt: $0.createdAt,
                              resolvedAt: $0.resolvedAt)
                }]
            },
        ]
    }
}

struct PendingView: Encodable, Sendable {
    let sessionId: SessionID
    let clientId: ClientID
    let dateOfService: CalendarDate
    let billId: BillID?
    let totalCents: Int64
}

struct StatusView: Encodable, Sendable {
    let id: ClaimID
    let status: ClaimStatus
    let statusLabel: String
}

struct AlertView: Encodable, Sendable {
    let id: String
    let kind: String
    let claimId: ClaimID?
    let message: String
    let createdAt: Date
    let resolvedAt: Date?
}

/// A claim as the API shows it: identity, money, status with its label, and the timeline.
struct ClaimView: Encodable, Sendable {
    let id: ClaimID
    let patientControlNumber: String
    let status: ClaimStatus
    let statusLabel: String
    let statusMessage: String?
    let clientId: ClientID
    let billId: BillID
    let policyId: PolicyID
    let payerId: PayerID
    let payerName: String
    let clearinghousePayerId: String
    let frequencyCode: String
    let originalClaimId: ClaimID?
    let payerSequence: String
    let totalCents: Int64
    let firstDateOfService: CalendarDate
    let sessionIds: [SessionID]
    let diagnosisCodes: [String]
    let lines: [Line]
    let clearinghouseClaimId: String?
    let payerClaimNumber: String?
    let version: Int
    let createdAt: Date
    let updatedAt: Date
    let events: [Event]

    struct Line: Encodable, Sendable {
        let procedureCode: String
        let modifiers: [String]
        let units: Int
        let chargeCents: Int64
        let dateOfService: CalendarDate
        let diagnosisPointers: [Int]
    }

    struct Event: Encodable, Sendable {
        let at: Date
        let from: ClaimStatus?
        let to: ClaimStatus
        let toLabel: String
        let source: ClaimEventSource
        let message: String?
        let memberId: MemberID?
    }

    init(_ details: ClaimDetails) {
        let claim = details.claim
        id = claim.id
        patientControlNumber = claim.patientControlNumber
        status = claim.status
        statusLabel = claim.status.label
        statusMessage = claim.statusMessage
        clientId = claim.clientID
        billId = claim.billID
        policyId = claim.policyID
        payerId = claim.payerID
        payerName = claim.snapshot.payer.name
        clearinghousePayerId = claim.snapshot.payer.payerID
        frequencyCode = claim.frequencyCode
        originalClaimId = claim.originalClaimID
        payerSequence = claim.payerSequence
        totalCents = claim.totalCents
        firstDateOfService = claim.firstDateOfService
        sessionIds = claim.sessionIDs
        diagnosisCodes = claim.snapshot.diagnosisCodes
        lines = claim.snapshot.lines.map {
            Line(procedureCode: $0.procedureCode, modifiers: $0.modifiers, units: $0.units, chargeCents: $0.chargeCents,
                 dateOfService: $0.dateOfService, diagnosisPointers: $0.diagnosisPointers)
        }
        clearinghouseClaimId = claim.clearinghouseClaimID
        payerClaimNumber = claim.payerClaimNumber
        version = claim.version
        createdAt = claim.createdAt
        updatedAt = claim.updatedAt
        events = details.events.map {
            Event(at: $0.at, from: $0.from, to: $0.to, toLabel: $0.to.label, source: $0.source, message: $0.message,
                  memberId: $0.memberID)
        }
    }

    static let schema = Schema.object([
        "id": Schemas.id(ClaimID.self), "patientControlNumber": .string(maxLength: 20),
        "status": .enumeration(ClaimStatus.self), "statusLabel": .string(), "statusMessage?": Schema.string().orNull,
        "clientId": Schemas.id(ClientID.self), "billId": Schemas.id(BillID.self), "policyId": Schemas.id(PolicyID.self),
        "payerId": Schemas.id(PayerID.self), "payerName": .string(), "clearinghousePayerId": .string(),
        "frequencyCode": .enumeration(["1", "7", "8"]), "originalClaimId?": Schemas.id(ClaimID.self).orNull,
        "payerSequence": .enumeration(["primary", "secondary", "tertiary"]), "totalCents": Schemas.cents, "firstDateOfService": Schemas.date,
        "sessionIds": .array(Schemas.id(SessionID.self), maxItems: nil), "diagnosisCodes": .array(.string(), maxItems: 12),
        "lines": .array(.object([
            "procedureCode": .string(), "modifiers": .array(.string(), maxItems: 4), "units": .integer(minimum: 1),
            "chargeCents": Schemas.cents, "dateOfService": Schemas.date,
            "diagnosisPointers": .array(.integer(minimum: 1, maximum: 12), maxItems: 4),
        ]), maxItems: 50),
        "clearinghouseClaimId?": Schema.string().orNull, "payerClaimNumber?": Schema.string().orNull,
        "version": .integer(minimum: 1), "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
        "events": .array(.object([
            "at": Schemas.dateTime, "from?": Schema.enumeration(ClaimStatus.self).orNull,
            "to": .enumeration(ClaimStatus.self), "toLabel": .string(), "source": .enumeration(ClaimEventSource.self),
            "message?": Schema.string().orNull, "memberId?": Schemas.id(MemberID.self).orNull,
        ]), maxItems: nil),
    ], title: "Claim")
}
