import Foundation
import PluginAPI

/// A notification channel that "sends" by echoing the message back in its receipt: deterministic,
/// no network. Replace the body of `send` with calls to your provider (through `host.http`).
struct EchoChannel: NotificationChannel {
    /// What the server reads before creating the plugin. Rename `name`; describe your settings.
    static let manifest = PluginManifest(
        name: "template-echo",
        kind: .notificationChannel,
        description: "Echoes messages back instead of sending them (template for new adapters).",
        version: "0.1.0",
        // Process-wide settings: the `settings` of this plugin's LEDGERLINE_PLUGINS entry.
        settingsSchema: [
            "type": "object",
            "required": ["prefix"],
            "properties": [
                "prefix": ["type": "string", "minLength": 1, "maxLength": 16],
            ],
            "additionalProperties": false,
        ],
        // Per-practice settings, passed with every call (API keys, sender address, …).
        practiceSettingsSchema: [
            "type": "object",
            "required": ["accountKey"],
            "properties": [
                "accountKey": ["type": "string", "minLength": 8],
            ],
        ])

    let prefix: String
    let host: HostCapabilities

    /// Called once at start-up with settings already valid against `settingsSchema`.
    init(settings: PluginJSON, host: HostCapabilities) throws {
        prefix = settings["prefix"]?.stringValue ?? "echo"
        self.host = host
    }

    /// Checks a practice's settings beyond the schema. A real adapter asks its provider here.
    func verify(settings: PluginJSON) async -> VerifyResult {
        guard let key = settings["accountKey"]?.stringValue, key.hasPrefix("test_") || key.hasPrefix("live_") else {
            return .problems([SettingsProblem(pointer: "/accountKey", message: "must start with test_ or live_")])
        }
        return .ok
    }

    /// "Sends" `message`: refuses an empty recipient, otherwise echoes it into the receipt.
    func send(_ message: NotificationMessage, settings: PluginJSON) async throws -> DeliveryReceipt {
        guard !message.to.isEmpty else { throw PluginError(.rejected, "recipient is empty", field: "/to") }
        host.log(.debug, "echoing message \(message.idempotencyKey)")
        return DeliveryReceipt(providerMessageID: "\(prefix)-\(message.idempotencyKey)", status: "echoed")
    }
}

// The five C entry points of ABI v1. Keep them as they are; change only `EchoChannel` to your type.
@_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { PluginExport.abiVersion() }
@_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { PluginExport.manifest(EchoChannel.self) }
@_cdecl("plugin_v1_create") public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?) -> UnsafeMutableRawPointer? { PluginExport.create(EchoChannel.self, settings, length, host) }
@_cdecl("plugin_v1_call") public func pluginCall(_ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?) { PluginExport.call(handle, method, params, length, done, context) }
@_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) { PluginExport.destroy(handle) }
