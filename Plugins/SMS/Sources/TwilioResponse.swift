import Foundation
import PluginAPI

/// Twilio's answers to the Messages and Accounts calls, decoded, and its errors mapped to
/// `PluginError` codes the kernel acts on.
///
/// Twilio answers errors as `{"code": 21211, "message": "…", "more_info": "…", "status": 400}`.
/// Refusals of this message are `rejected` naming the field at fault; refusals of the practice's
/// settings are `invalidSettings` naming the setting; rate limits and server errors are
/// `unavailable`, which the kernel retries.
enum TwilioResponse {
    /// The part of Twilio's Message resource a receipt needs.
    struct Message: Decodable {
        let sid: String
        let status: String
    }

    /// Twilio's error object.
    struct ErrorBody: Decodable {
        let code: Int?
        let message: String?
        let moreInfo: String?

        enum CodingKeys: String, CodingKey {
            case code
            case message
            case moreInfo = "more_info"
        }
    }

    /// Error codes that refuse the recipient (`/to`): not a valid number, opted out, not a mobile,
    /// unreachable from this sender or region, the sender itself, missing.
    static let recipientCodes: Set<Int> = [21211, 21265, 21266, 21408, 21604, 21610, 21612, 21614]
    /// Error codes that refuse the body (`/text`): missing, or longer than 1600 characters.
    static let bodyCodes: Set<Int> = [21602, 21617, 21618]
    /// Error codes that refuse the sending number (`fromNumber`).
    static let senderCodes: Set<Int> = [21212, 21603, 21606, 21659, 21660]
    /// Error codes that refuse the Messaging Service (`messagingServiceSid`).
    static let messagingServiceCodes: Set<Int> = [21701, 21703, 21704, 21705]

    /// The receipt in a 2xx answer to `POST …/Messages.json`.
    /// - Throws: `malformedResponse` when the body is not a Message resource (the message may
    ///   have been accepted, so this is not worth an immediate retry).
    static func receipt(from response: HostHTTPResponse) throws(PluginError) -> DeliveryReceipt {
        guard let message = try? JSONDecoder().decode(Message.self, from: response.body), !message.sid.isEmpty else {
            throw PluginError(
                .malformedResponse,
                "Twilio answered HTTP \(response.status) without a Message resource; the message may have been sent")
        }
        return DeliveryReceipt(providerMessageID: message.sid, status: message.status)
    }

    /// The error for a non-2xx answer to `POST …/Messages.json`.
    /// - Parameter recipient: the `To` number, removed from Twilio's message (it is the patient's).
    static func sendError(for response: HostHTTPResponse, recipient: String) -> PluginError {
        let error = try? JSONDecoder().decode(ErrorBody.self, from: response.body)
        let described = describe(error, status: response.status, recipient: recipient)
        switch response.status {
        case 400:
            guard let code = error?.code else {
                return PluginError(.rejected, "Twilio refused the message: \(described)")
            }
            if recipientCodes.contains(code) {
                return PluginError(.rejected, "Twilio refused the recipient: \(described)", field: "/to")
            }
            if bodyCodes.contains(code) {
                return PluginError(.rejected, "Twilio refused the message body: \(described)", field: "/text")
            }
            if senderCodes.contains(code) {
                return PluginError(
                    .invalidSettings, "Twilio refused the sending number: \(described)", field: "/settings/fromNumber")
            }
            if messagingServiceCodes.contains(code) {
                return PluginError(
                    .invalidSettings, "Twilio refused the Messaging Service: \(described)",
                    field: "/settings/messagingServiceSid")
            }
            return PluginError(.rejected, "Twilio refused the message: \(described)")
        case 401:
            return PluginError(
                .invalidSettings, "Twilio refused the Account SID and Auth Token: \(described)",
                field: "/settings/authToken")
        case 403:
            return PluginError(
                .invalidSettings, "Twilio denied this account the Messages API: \(described)",
                field: "/settings/accountSid")
        case 404:
            return PluginError(
                .invalidSettings, "Twilio does not know this Account SID: \(described)", field: "/settings/accountSid")
        case 429:
            return PluginError(.unavailable, "Twilio is rate limiting this account; retry later: \(described)")
        case 500...599:
            return PluginError(.unavailable, "Twilio is unavailable: \(described)")
        case 400...499:
            return PluginError(.rejected, "Twilio refused the request: \(described)")
        default:
            return PluginError(.unavailable, "Twilio answered an unexpected HTTP status: \(described)")
        }
    }

    /// `error 21610 (HTTP 400): Attempt to send to unsubscribed recipient`, or the HTTP status
    /// alone when the body is not Twilio's error object (a proxy's HTML page).
    static func describe(_ error: ErrorBody?, status: Int, recipient: String?) -> String {
        guard let error, error.code != nil || error.message != nil else { return "HTTP \(status)" }
        var text = error.code.map { "error \($0) (HTTP \(status))" } ?? "HTTP \(status)"
        if var message = error.message, !message.isEmpty {
            if let recipient, !recipient.isEmpty {
                message = message.replacingOccurrences(of: recipient, with: "(the recipient)")
            }
            text += ": \(message.prefix(300))"
        }
        return text
    }
}
