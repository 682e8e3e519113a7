import Foundation
import PluginAPI

/// A well-behaved notification channel for the host's tests: `send` answers a receipt built from
/// the idempotency key, refuses `refuse@example.com`, and posts to `webhookURL` through the host's
/// HTTP when the practice settings name one.
struct ExampleChannel: NotificationChannel {
    static let manifest = PluginManifest(
        name: "example",
        kind: .notificationChannel,
        description: "Test channel that answers deterministically.",
        version: "1.0.0",
        settingsSchema: [
            "type": "object",
            "required": ["senderName"],
            "properties": [
                "senderName": ["type": "string", "minLength": 1],
                "mode": ["enum": ["test", "live"]],
            ],
            "additionalProperties": false,
        ],
        practiceSettingsSchema: [
            "type": "object",
            "required": ["accountKey"],
            "properties": [
                "accountKey": ["type": "string", "minLength": 8],
                "webhookURL": ["type": "string"],
            ],
        ])

    let senderName: String
    let host: HostCapabilities

    init(settings: PluginJSON, host: HostCapabilities) throws {
        senderName = settings["senderName"]?.stringValue ?? ""
        if senderName == "refuse-at-create" {
            host.log(.error, "senderName refuse-at-create is refused")
            throw PluginError(.invalidSettings, "senderName refuse-at-create is refused")
        }
        self.host = host
    }

    func verify(settings: PluginJSON) async -> VerifyResult {
        settings["accountKey"]?.stringValue == "revoked-key"
            ? .problems([SettingsProblem(pointer: "/accountKey", message: "was revoked by the provider")]) : .ok
    }

    func send(_ message: NotificationMessage, settings: PluginJSON) async throws -> DeliveryReceipt {
        if message.to == "refuse@example.com" {
            throw PluginError(.rejected, "recipient refused", field: "/to")
        }
        if let webhook = settings["webhookURL"]?.stringValue {
            let request = HostHTTPRequest(
                method: "POST", url: webhook, headers: [HostHTTPHeader(name: "Content-Type", value: "text/plain")],
                body: Data(message.text.utf8), timeoutSeconds: 2)
            let response = try await host.http(request)
            return DeliveryReceipt(providerMessageID: "http-\(response.status)", status: "sent")
        }
        host.log(.info, "sending \(message.idempotencyKey)")
        return DeliveryReceipt(providerMessageID: "example-\(message.idempotencyKey)", status: "accepted")
    }
}

@_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { PluginExport.abiVersion() }
@_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { PluginExport.manifest(ExampleChannel.self) }
@_cdecl("plugin_v1_create") public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?) -> UnsafeMutableRawPointer? { PluginExport.create(ExampleChannel.self, settings, length, host) }
@_cdecl("plugin_v1_call") public func pluginCall(_ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?) { PluginExport.call(handle, method, params, length, done, context) }
@_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) { PluginExport.destroy(handle) }
