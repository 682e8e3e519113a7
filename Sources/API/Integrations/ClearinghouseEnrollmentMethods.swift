import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// `enrollment.request` and `integration.webhook`: payer enrollment through the clearinghouse.
enum ClearinghouseEnrollmentMethods {
    static let writers: Access = .members([.owner, .biller])

    struct RequestParams: Decodable, Sendable {
        let payerId: PayerID
        let kind: EnrollmentKind
        let idempotencyKey: String?
    }

    struct WebhookParams: Decodable, Sendable {
        let plugin: String
        let idempotencyKey: String?
    }

    struct Requested: Encodable, Sendable {
        let enrollment: EnrollmentView
        let link: String?
    }

    static var all: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "enrollment.request",
                summary: "Ask the practice's clearinghouse to enroll the practice (its NPI and tax ID) with a payer for claims or ERA. The enrollment is recorded as pending with the form link the clearinghouse answers (complete it there); progress then arrives on the webhook (integration.webhook). Claims to a payer that requires enrollment wait until it is approved.",
                params: .object([
                    "payerId": Schemas.id(PayerID.self), "kind": .enumeration(EnrollmentKind.self),
                    "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["enrollment": EnrollmentView.schema, "link?": Schema.string(maxLength: nil).orNull]),
                errors: updateErrors + [RPCErrorDoc(code: -32012, message: "Not configured"),
                                        RPCErrorDoc(code: -32013, message: "Integration failed")],
                policy: writers
            ) { (params: RequestParams, context) in
                let requested = try await ClearinghouseEnrollmentService(runtime: context.services.plugins).request(
                    payerID: params.payerId, kind: params.kind, practiceID: try context.practiceID, in: context.transaction)
                context.record(requested.enrollment.id)
                return Requested(enrollment: EnrollmentView(requested.enrollment), link: requested.link)
            },
            LedgerlineMethod(
                "integration.webhook",
                summary: "Create (or replace) the practice's webhook endpoint for its clearinghouse plugin and answer its secret path, POST /webhooks/{plugin}/{token} — shown once; give it to the clearinghouse (Claim.MD: enrollment and appeal events). The previous path stops working.",
                params: .object([
                    "plugin": .string(minLength: 1, maxLength: 64),
                    "idempotencyKey?": Schemas.idempotencyKey,
                ]),
                result: .object(["path": .string(maxLength: nil)]),
                errors: updateErrors + [RPCErrorDoc(code: -32012, message: "Not configured")],
                policy: .members([.owner])
            ) { (params: WebhookParams, context) in
                let practiceID = try context.practiceID
                let (plugin, _) = try await IntegrationService(runtime: context.services.plugins).resolve(
                    .clearinghouse, practiceID: practiceID, in: context.transaction)
                guard plugin.name == params.plugin else {
                    throw DomainError.invalid("/plugin", "the practice's clearinghouse is \(plugin.name)")
                }
                let path = try await ClearinghouseEnrollmentService(runtime: context.services.plugins).registerWebhook(
                    plugin: params.plugin, practiceID: practiceID, in: context.transaction)
                return ["path": path]
            },
        ]
    }
}
