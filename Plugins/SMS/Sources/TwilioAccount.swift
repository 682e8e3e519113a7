import Foundation
import PluginAPI

/// A practice's Twilio settings, read from the per-practice settings after the schema check.
///
/// The schema cannot say "`fromNumber` or `messagingServiceSid`" (the supported subset has no
/// `oneOf`), so `problems` checks that here, for both `verify` and `send`.
struct TwilioAccount: Sendable {
    /// `AC` and 32 hex digits.
    let accountSid: String
    /// The secret half of the Basic credentials; never logged, never put in an error message.
    let authToken: String
    /// The sending number (E.164), when the practice sends from one number.
    let fromNumber: String?
    /// The Messaging Service (`MG…`) that picks the sender, when the practice uses one.
    let messagingServiceSid: String?

    init(settings: PluginJSON) {
        accountSid = settings["accountSid"]?.stringValue ?? ""
        authToken = settings["authToken"]?.stringValue ?? ""
        fromNumber = settings["fromNumber"]?.stringValue
        messagingServiceSid = settings["messagingServiceSid"]?.stringValue
    }

    /// What is wrong beyond the schema: a practice needs a sender, a number or a Messaging Service.
    var problems: [SettingsProblem] {
        guard fromNumber == nil, messagingServiceSid == nil else { return [] }
        return [
            SettingsProblem(
                pointer: "/fromNumber",
                message: "is required unless messagingServiceSid is set (one of them names the sender)")
        ]
    }

    /// `Authorization: Basic base64(AccountSid:AuthToken)`.
    var authorization: HostHTTPHeader {
        let credentials = Data("\(accountSid):\(authToken)".utf8).base64EncodedString()
        return HostHTTPHeader(name: "Authorization", value: "Basic \(credentials)")
    }

    /// The JSON Schema of these settings (`PluginManifest.practiceSettingsSchema`).
    static let schema: PluginJSON = [
        "type": "object",
        "required": ["accountSid", "authToken"],
        "properties": [
            "accountSid": [
                "type": "string", "pattern": "^AC[0-9a-fA-F]{32}$",
                "description": "The Twilio Account SID (AC followed by 32 hex digits).",
            ],
            "authToken": [
                "type": "string", "minLength": 1, "writeOnly": true,
                "description": "The account's Auth Token; stored encrypted and never listed back.",
            ],
            "fromNumber": [
                "type": "string", "pattern": "^\\+[1-9][0-9]{1,14}$",
                "description":
                    "The sending number in E.164 (+15551234567). Required unless messagingServiceSid is set.",
            ],
            "messagingServiceSid": [
                "type": "string", "pattern": "^MG[0-9a-fA-F]{32}$",
                "description": "A Messaging Service that picks the sender. Required unless fromNumber is set.",
            ],
        ],
        "additionalProperties": false,
    ]
}
