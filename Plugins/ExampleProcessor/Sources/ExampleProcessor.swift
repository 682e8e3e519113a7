import Foundation
import PluginAPI

/// A payment processor that moves no money: it answers like a card processor's test mode, from the
/// payment-method token alone. Built from `Plugins/Template` to exercise the payment-processor
/// contract end to end; replace the body of `charge` and `refund` with calls to your processor
/// (through `host.http`).
///
/// Test tokens, as card processors name them:
/// - `pm_card_visa`, `pm_card_mastercard`: approved.
/// - `pm_card_chargeDeclined`: declined, `card_declined: generic decline`.
/// - `pm_card_insufficientFunds`: declined, `insufficient_funds: …`.
/// - `pm_card_processingError`: the outcome is unknown (`unavailable`); the kernel retries.
struct ExampleProcessor: PaymentProcessor {
    /// What the server reads before creating the plugin.
    static let manifest = PluginManifest(
        name: "example-processor",
        kind: .paymentProcessor,
        description:
            "Example payment processor that moves no money: answers test card tokens like a processor's test mode.",
        version: "0.1.0",
        // Process-wide settings: none.
        settingsSchema: [
            "type": "object",
            "properties": [:],
            "additionalProperties": false,
        ],
        // Per-practice settings, passed with every call.
        practiceSettingsSchema: [
            "type": "object",
            "required": ["accountId", "secretKey"],
            "properties": [
                "accountId": ["type": "string", "pattern": "^acct_[A-Za-z0-9]{6,}$"],
                "secretKey": ["type": "string", "pattern": "^sk_test_", "writeOnly": true],
            ],
            "additionalProperties": false,
        ])

    /// The secret key the example treats as revoked, to exercise `verify`.
    static let revokedSecretKey = "sk_test_revoked"
    /// Card networks cut statement descriptors at 22 characters.
    static let statementDescriptorLimit = 22

    let host: HostCapabilities
    /// Every charge and refund this instance made, and the answer given to each idempotency key.
    let ledger = ExampleLedger()

    /// Called once at start-up with settings already valid against `settingsSchema`.
    init(settings: PluginJSON, host: HostCapabilities) throws {
        self.host = host
    }

    /// Checks a practice's settings beyond the schema. A real adapter asks its processor here.
    func verify(settings: PluginJSON) async -> VerifyResult {
        guard settings["secretKey"]?.stringValue != Self.revokedSecretKey else {
            return .problems([SettingsProblem(pointer: "/secretKey", message: "was revoked by the processor")])
        }
        return .ok
    }

    /// Charges a test card. A decline is a result; an unknown outcome is an `unavailable` error.
    func charge(_ request: ChargeRequest, settings: PluginJSON) async throws -> ChargeResult {
        let account = try Self.account(settings)
        guard request.amountCents > 0 else {
            throw PluginError(.invalidParams, "amountCents must be positive", field: "/amountCents")
        }
        if let descriptor = request.statementDescriptor, descriptor.count > Self.statementDescriptorLimit {
            throw PluginError(
                .invalidParams, "statementDescriptor must be at most \(Self.statementDescriptorLimit) characters",
                field: "/statementDescriptor")
        }
        let card = try TestCard(token: request.paymentMethodToken)
        let result = try ledger.charge(request, account: account, card: card)
        host.log(.info, "charge \(request.idempotencyKey): \(result.outcome.rawValue)")
        return result
    }

    /// Refunds part or all of an earlier charge; refunding more than is left is declined.
    func refund(_ request: RefundRequest, settings: PluginJSON) async throws -> RefundResult {
        let account = try Self.account(settings)
        guard request.amountCents > 0 else {
            throw PluginError(.invalidParams, "amountCents must be positive", field: "/amountCents")
        }
        let result = try ledger.refund(request, account: account)
        host.log(.info, "refund \(request.idempotencyKey): \(result.outcome.rawValue)")
        return result
    }

    /// The practice's account id, once its secret key is known to work.
    private static func account(_ settings: PluginJSON) throws(PluginError) -> String {
        guard settings["secretKey"]?.stringValue != revokedSecretKey else {
            throw PluginError(
                .invalidSettings, "the secret key was revoked by the processor", field: "/settings/secretKey")
        }
        return settings["accountId"]?.stringValue ?? ""
    }
}

/// How a test token behaves.
enum TestCard: Sendable, Equatable {
    case approves
    case declines(reason: String)
    case failsProcessing

    /// The behaviour of `token`.
    /// - Throws: `rejected` naming `/paymentMethodToken` for a token the example does not know.
    init(token: String) throws(PluginError) {
        switch token {
        case "pm_card_visa", "pm_card_mastercard":
            self = .approves
        case "pm_card_chargeDeclined":
            self = .declines(reason: "card_declined: generic decline")
        case "pm_card_insufficientFunds":
            self = .declines(reason: "insufficient_funds: the card has insufficient funds")
        case "pm_card_processingError":
            self = .failsProcessing
        default:
            throw PluginError(.rejected, "no such payment method: \(token.prefix(64))", field: "/paymentMethodToken")
        }
    }
}

// The five C entry points of ABI v1. Keep them as they are; change only `ExampleProcessor` to your type.
@_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { PluginExport.abiVersion() }
@_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { PluginExport.manifest(ExampleProcessor.self) }
@_cdecl("plugin_v1_create") public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?) -> UnsafeMutableRawPointer? { PluginExport.create(ExampleProcessor.self, settings, length, host) }
@_cdecl("plugin_v1_call") public func pluginCall(_ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?) { PluginExport.call(handle, method, params, length, done, context) }
@_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) { PluginExport.destroy(handle) }
