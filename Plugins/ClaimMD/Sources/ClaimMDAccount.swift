import Foundation
import PluginAPI

/// A practice's Claim.MD settings, read from the per-practice settings after the schema check.
///
/// One AccountKey is one Claim.MD account (Settings > Account Settings in the portal); keys seen
/// in public code look like `<account number>_<random>`, so the schema only asks for a non-empty
/// value without whitespace.
struct ClaimMDAccount: Sendable {
    /// The secret sent as the `AccountKey` form field; never logged, never put in an error message.
    let accountKey: String

    init(settings: PluginJSON) {
        accountKey = settings["accountKey"]?.stringValue ?? ""
    }

    /// `message` with every occurrence of the key replaced, for texts that may echo it (Claim.MD's
    /// own error messages, the host's transport errors).
    func redacting(_ message: String) -> String {
        guard !accountKey.isEmpty else { return message }
        return message.replacingOccurrences(of: accountKey, with: "(the AccountKey)")
    }

    /// `error` with the key redacted from its message.
    func redacting(_ error: PluginError) -> PluginError {
        PluginError(error.code, redacting(error.message), field: error.field)
    }

    /// The JSON Schema of these settings (`PluginManifest.practiceSettingsSchema`).
    static let schema: PluginJSON = [
        "type": "object",
        "required": ["accountKey"],
        "properties": [
            "accountKey": [
                "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^\\S+$", "writeOnly": true,
                "description":
                    "The Claim.MD AccountKey (portal: Settings > Account Settings); stored encrypted, not listed back.",
            ]
        ],
        "additionalProperties": false,
    ]
}
