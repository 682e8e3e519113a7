import Foundation
import PluginAPI

/// Sends SMS through Twilio's Programmable Messaging REST API (API version 2010-04-01), or any
/// service that speaks its wire format, through the host's `http` capability.
///
/// `send` posts `To`, `From` and/or `MessagingServiceSid`, and `Body` form-encoded to
/// `{baseURL}/2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP Basic credentials
/// `AccountSid:AuthToken`; `verify` fetches `{baseURL}/2010-04-01/Accounts/{AccountSid}.json`.
///
/// Twilio takes no idempotency key when creating a message, so a retried `send` (after a timeout
/// or a crash) can send the same text twice; the kernel counts such duplicates.
struct SMSChannel: NotificationChannel {
    static let manifest = PluginManifest(
        name: "sms",
        kind: .notificationChannel,
        description: "Sends SMS through Twilio's Messages API (or a service speaking its wire format).",
        version: "1.0.0",
        settingsSchema: [
            "type": "object",
            "properties": [
                "baseURL": [
                    "type": "string", "pattern": "^https?://[^/?#\\s]+(/[^?#\\s]*)?$",
                    "description": "Where the Twilio API is; https://api.twilio.com unless set.",
                ],
                "timeoutSeconds": [
                    "type": "number", "minimum": 1, "maximum": 120,
                    "description": "How long one request to Twilio may take (15 unless set).",
                ],
            ],
            "additionalProperties": false,
        ],
        practiceSettingsSchema: TwilioAccount.schema)

    /// Twilio refuses bodies longer than this many characters (error 21617).
    static let bodyLimit = 1600

    let baseURL: String
    let timeoutSeconds: Double
    let host: HostCapabilities

    init(settings: PluginJSON, host: HostCapabilities) throws {
        var base = settings["baseURL"]?.stringValue ?? "https://api.twilio.com"
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), url.host?.isEmpty == false else {
            throw PluginError(.invalidSettings, "baseURL must be an absolute http(s) URL", field: "/baseURL")
        }
        baseURL = base
        timeoutSeconds = settings["timeoutSeconds"]?.numberValue ?? 15
        self.host = host
    }

    /// Checks that the practice names a sender and that Twilio accepts its Account SID and Auth Token.
    func verify(settings: PluginJSON) async -> VerifyResult {
        let account = TwilioAccount(settings: settings)
        var problems = account.problems
        let request = HostHTTPRequest(
            method: "GET", url: "\(baseURL)/2010-04-01/Accounts/\(account.accountSid).json",
            headers: [account.authorization, HostHTTPHeader(name: "Accept", value: "application/json")],
            timeoutSeconds: timeoutSeconds)
        do {
            let response = try await host.http(request)
            let error = try? JSONDecoder().decode(TwilioResponse.ErrorBody.self, from: response.body)
            let described = TwilioResponse.describe(error, status: response.status, recipient: nil)
            switch response.status {
            case 200...299:
                break
            case 401:
                problems.append(
                    SettingsProblem(
                        pointer: "/authToken", message: "was refused by Twilio for this Account SID (\(described))"))
            case 403:
                problems.append(
                    SettingsProblem(
                        pointer: "/accountSid", message: "is not usable with these credentials (\(described))"))
            case 404:
                problems.append(
                    SettingsProblem(pointer: "/accountSid", message: "is not a Twilio account (\(described))"))
            default:
                problems.append(
                    SettingsProblem(
                        pointer: "/accountSid", message: "could not be checked: Twilio answered \(described)"))
            }
        } catch let error as PluginError {
            problems.append(SettingsProblem(pointer: "/accountSid", message: "could not be checked: \(error.message)"))
        } catch {
            problems.append(SettingsProblem(pointer: "/accountSid", message: "could not be checked: \(error)"))
        }
        return .problems(problems)
    }

    /// Sends `message.text` to `message.to` (E.164); subject, HTML and attachments are not sent.
    func send(_ message: NotificationMessage, settings: PluginJSON) async throws -> DeliveryReceipt {
        guard PhoneNumber.isE164(message.to) else {
            throw PluginError(.rejected, "to must be an E.164 phone number such as +15551234567", field: "/to")
        }
        guard !message.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PluginError(.rejected, "the SMS body (text) is empty", field: "/text")
        }
        let length = message.text.unicodeScalars.count
        guard length <= Self.bodyLimit else {
            throw PluginError(
                .rejected, "the SMS body is \(length) characters; Twilio takes at most \(Self.bodyLimit)",
                field: "/text")
        }
        let account = TwilioAccount(settings: settings)
        if let problem = account.problems.first {
            throw PluginError(.invalidSettings, problem.description, field: "/settings" + problem.pointer)
        }

        var fields: [(name: String, value: String)] = [("To", message.to)]
        if let fromNumber = account.fromNumber { fields.append(("From", fromNumber)) }
        if let service = account.messagingServiceSid { fields.append(("MessagingServiceSid", service)) }
        fields.append(("Body", message.text))
        let request = HostHTTPRequest(
            method: "POST", url: "\(baseURL)/2010-04-01/Accounts/\(account.accountSid)/Messages.json",
            headers: [
                account.authorization,
                HostHTTPHeader(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                HostHTTPHeader(name: "Accept", value: "application/json"),
            ],
            body: FormEncoding.encode(fields), timeoutSeconds: timeoutSeconds)

        let response = try await host.http(request)
        guard (200...299).contains(response.status) else {
            let error = TwilioResponse.sendError(for: response, recipient: message.to)
            host.log(
                .notice, "Twilio answered HTTP \(response.status) to message \(message.idempotencyKey): \(error.code)")
            throw error
        }
        let receipt = try TwilioResponse.receipt(from: response)
        host.log(
            .info, "Twilio took message \(message.idempotencyKey) as \(receipt.providerMessageID) (\(receipt.status))")
        return receipt
    }
}

// The five C entry points of ABI v1.
@_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { PluginExport.abiVersion() }
@_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { PluginExport.manifest(SMSChannel.self) }
@_cdecl("plugin_v1_create") public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?) -> UnsafeMutableRawPointer? { PluginExport.create(SMSChannel.self, settings, length, host) }
@_cdecl("plugin_v1_call") public func pluginCall(_ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?) { PluginExport.call(handle, method, params, length, done, context) }
@_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) { PluginExport.destroy(handle) }
