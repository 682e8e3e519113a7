import Foundation
import PluginAPI

/// The email notification channel: sends each message through the practice's SMTP server with
/// libcurl, as a MIME message with a `Message-ID` derived from the idempotency key.
///
/// Process-wide settings: `caFile`, `timeoutSeconds`, `heloName`. Per-practice settings: the
/// server (`smtpURL`, `security`, `verifyCertificates`), the sender (`fromAddress`, `fromName`) and
/// the login (`username`, `password`; the password is write-only).
struct EmailChannel: NotificationChannel {
    static let manifest = PluginManifest(
        name: "email",
        kind: .notificationChannel,
        description: "Sends email through the practice's SMTP server (libcurl; STARTTLS, TLS, AUTH).",
        version: "1.0.0",
        settingsSchema: [
            "type": "object",
            "properties": [
                "caFile": [
                    "type": "string", "minLength": 1,
                    "description": "Path of a PEM bundle of extra certificate authorities.",
                ],
                "timeoutSeconds": [
                    "type": "number", "minimum": 1, "maximum": 120, "default": 30,
                    "description": "Limit on one whole SMTP conversation.",
                ],
                "heloName": [
                    "type": "string", "pattern": "^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$",
                    "description": "The host name to greet SMTP servers with (EHLO).",
                ],
            ],
            "additionalProperties": false,
        ],
        practiceSettingsSchema: [
            "type": "object",
            "required": ["smtpURL", "fromAddress"],
            "properties": [
                "smtpURL": [
                    "type": "string", "pattern": "^smtps?://",
                    "description": "The SMTP server, such as smtp://mail.example.com:587.",
                ],
                "fromAddress": [
                    "type": "string", "format": "email", "pattern": "^[^@\\s]+@[^@\\s]+$",
                    "description": "The sender address.",
                ],
                "fromName": [
                    "type": "string", "maxLength": 200, "pattern": "^[^\\r\\n]*$",
                    "description": "The sender's display name.",
                ],
                "username": ["type": "string", "description": "The SMTP login."],
                "password": ["type": "string", "writeOnly": true, "description": "The SMTP password."],
                "security": [
                    "enum": ["starttls", "tls", "none"], "default": "starttls",
                    "description":
                        "starttls: require STARTTLS; tls: TLS from the first byte (smtps); none: plain, local relays only.",
                ],
                "verifyCertificates": [
                    "type": "boolean", "default": true,
                    "description": "Check the server's certificate and host name.",
                ],
            ],
            "additionalProperties": false,
        ])

    let settings: EmailProcessSettings
    let host: HostCapabilities

    init(settings: PluginJSON, host: HostCapabilities) throws {
        self.settings = try EmailProcessSettings(settings)
        guard SMTPTransfer.libraryReady else {
            throw PluginError(.internal, "libcurl could not be initialised (curl_global_init failed)")
        }
        self.host = host
    }

    /// Connects to the server, greets it, upgrades to TLS and logs in as configured, without sending.
    func verify(settings practiceSettings: PluginJSON) async -> VerifyResult {
        let account: SMTPAccount
        do {
            account = try SMTPAccount(settings: practiceSettings, heloName: settings.heloName)
        } catch {
            return .problems(error.problems)
        }
        switch await SMTPTransfer(account: account, settings: settings).run(.check) {
        case .success:
            return .ok
        case .failure(let failure):
            host.log(.notice, "verify of \(account.host): \(failure.settingsProblem)")
            return .problems([failure.settingsProblem])
        }
    }

    /// Sends `message`; the receipt's `providerMessageID` is its `Message-ID`.
    func send(_ message: NotificationMessage, settings practiceSettings: PluginJSON) async throws -> DeliveryReceipt {
        let account: SMTPAccount
        do {
            account = try SMTPAccount(settings: practiceSettings, heloName: settings.heloName)
        } catch {
            throw error.pluginError
        }
        guard !message.to.contains(where: \.isNewline), let recipient = EmailAddress(message.to) else {
            throw PluginError(.invalidParams, "to must be one email address such as client@example.com", field: "/to")
        }
        let mime = try MIMEMessage(
            message, recipient: recipient, from: account.fromAddress, fromName: account.fromName, date: Date())
        let transfer = SMTPTransfer(account: account, settings: settings)
        switch await transfer.run(.deliver(from: account.fromAddress, to: recipient, message: mime.bytes)) {
        case .success:
            host.log(.info, "message \(mime.messageID) accepted by \(account.host)")
            return DeliveryReceipt(providerMessageID: mime.messageID, status: "accepted")
        case .failure(let failure):
            let error = failure.pluginError
            host.log(.warning, "message \(mime.messageID) not sent through \(account.host): \(error)")
            throw error
        }
    }
}

// The five C entry points of ABI v1, one line each as in Plugins/Template.
@_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { PluginExport.abiVersion() }
@_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { PluginExport.manifest(EmailChannel.self) }
@_cdecl("plugin_v1_create") public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?) -> UnsafeMutableRawPointer? { PluginExport.create(EmailChannel.self, settings, length, host) }
@_cdecl("plugin_v1_call") public func pluginCall(_ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?) { PluginExport.call(handle, method, params, length, done, context) }
@_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) { PluginExport.destroy(handle) }
