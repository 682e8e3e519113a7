/// A card or bank processor. Contract v1: `charge` and `refund`, both idempotent by key.
///
/// A decline is a result (`ChargeResult.outcome == .declined`), not an error: errors mean the
/// outcome is unknown, and the kernel retries with the same idempotency key.
public protocol PaymentProcessor: Plugin {
    /// Charges a stored payment method.
    /// - Throws: `PluginError` when the outcome is unknown (`unavailable`) or the request is wrong.
    func charge(_ request: ChargeRequest, settings: PluginJSON) async throws -> ChargeResult
    /// Refunds all or part of an earlier charge.
    func refund(_ request: RefundRequest, settings: PluginJSON) async throws -> RefundResult
}
