/// A way to reach a person: email, SMS. Contract v1: `send(message) → DeliveryReceipt`.
///
/// Messages are at-least-once: the kernel may send the same message again after a crash, with the
/// same `idempotencyKey`. Pass it to the provider when it supports one.
public protocol NotificationChannel: Plugin {
    /// Hands `message` to the provider.
    /// - Parameters:
    ///   - message: what to send and to whom.
    ///   - settings: the practice's settings, valid against `manifest.practiceSettingsSchema`.
    /// - Throws: `PluginError` (`rejected` for a refused recipient, `unavailable` when the provider
    ///   cannot be reached).
    func send(_ message: NotificationMessage, settings: PluginJSON) async throws -> DeliveryReceipt
}
