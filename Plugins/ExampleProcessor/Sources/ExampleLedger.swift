import Foundation
import PluginAPI
import Synchronization

/// The example processor's records, kept per plugin instance behind a lock: the charges it made,
/// what has been refunded of each, and the answer it gave to every idempotency key.
///
/// Idempotency works as card processors document it: a key is scoped to the practice's account;
/// repeating a request with the same key returns the first answer (the same `ch_…` id, never a
/// second charge); reusing the key for a different request is an error. An unknown outcome
/// (`pm_card_processingError`) is not recorded, so a retry with the same key tries again.
final class ExampleLedger: Sendable {
    private struct Charge {
        let account: String
        let amountCents: Int64
        var refundedCents: Int64
    }

    private struct ChargeAnswer {
        let amountCents: Int64
        let paymentMethodToken: String
        let result: ChargeResult
    }

    private struct RefundAnswer {
        let processorChargeID: String
        let amountCents: Int64
        let result: RefundResult
    }

    private struct State {
        var charges: [String: Charge] = [:]
        var chargeAnswers: [String: ChargeAnswer] = [:]
        var refundAnswers: [String: RefundAnswer] = [:]
    }

    private let state = Mutex(State())

    /// Charges `card` once per idempotency key.
    /// - Throws: `invalidParams` naming `/idempotencyKey` when the key was used for another
    ///   request; `unavailable` for a card whose processing fails.
    func charge(_ request: ChargeRequest, account: String, card: TestCard) throws(PluginError) -> ChargeResult {
        let key = Self.scoped(request.idempotencyKey, account)
        return try state.withLock { (state: inout State) throws(PluginError) -> ChargeResult in
            if let earlier = state.chargeAnswers[key] {
                guard earlier.amountCents == request.amountCents,
                    earlier.paymentMethodToken == request.paymentMethodToken
                else {
                    throw PluginError(
                        .invalidParams,
                        "idempotency key \(request.idempotencyKey) was used for a charge of \(earlier.amountCents) "
                            + "cents to \(earlier.paymentMethodToken); a retry must repeat the same request",
                        field: "/idempotencyKey")
                }
                return earlier.result
            }
            let result: ChargeResult
            switch card {
            case .approves:
                let id = Self.newID("ch_")
                state.charges[id] = Charge(account: account, amountCents: request.amountCents, refundedCents: 0)
                result = ChargeResult(outcome: .approved, processorChargeID: id)
            case .declines(let reason):
                result = ChargeResult(outcome: .declined, declineReason: reason)
            case .failsProcessing:
                throw PluginError(
                    .unavailable, "processing_error: the card could not be processed; retry with the same key")
            }
            state.chargeAnswers[key] = ChargeAnswer(
                amountCents: request.amountCents, paymentMethodToken: request.paymentMethodToken, result: result)
            return result
        }
    }

    /// Refunds once per idempotency key; declines a refund beyond what is left of the charge.
    /// - Throws: `rejected` naming `/processorChargeID` for a charge this account did not make;
    ///   `invalidParams` naming `/idempotencyKey` when the key was used for another refund.
    func refund(_ request: RefundRequest, account: String) throws(PluginError) -> RefundResult {
        let key = Self.scoped(request.idempotencyKey, account)
        return try state.withLock { (state: inout State) throws(PluginError) -> RefundResult in
            if let earlier = state.refundAnswers[key] {
                guard earlier.processorChargeID == request.processorChargeID,
                    earlier.amountCents == request.amountCents
                else {
                    throw PluginError(
                        .invalidParams,
                        "idempotency key \(request.idempotencyKey) was used for a refund of \(earlier.amountCents) "
                            + "cents of \(earlier.processorChargeID); a retry must repeat the same request",
                        field: "/idempotencyKey")
                }
                return earlier.result
            }
            guard var charge = state.charges[request.processorChargeID], charge.account == account else {
                throw PluginError(
                    .rejected, "no such charge: \(request.processorChargeID.prefix(64))", field: "/processorChargeID")
            }
            let left = charge.amountCents - charge.refundedCents
            let result: RefundResult
            if request.amountCents > left {
                result = RefundResult(
                    outcome: .declined,
                    declineReason: "amount_too_large: \(request.amountCents) cents asked, \(left) of "
                        + "\(charge.amountCents) cents left to refund")
            } else {
                charge.refundedCents += request.amountCents
                state.charges[request.processorChargeID] = charge
                result = RefundResult(outcome: .approved, processorRefundID: Self.newID("re_"))
            }
            state.refundAnswers[key] = RefundAnswer(
                processorChargeID: request.processorChargeID, amountCents: request.amountCents, result: result)
            return result
        }
    }

    private static func scoped(_ key: String, _ account: String) -> String { "\(account)\u{0}\(key)" }

    /// `ch_` or `re_` and 24 random lowercase hex digits.
    private static func newID(_ prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }
}
