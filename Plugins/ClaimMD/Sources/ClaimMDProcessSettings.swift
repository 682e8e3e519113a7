import Foundation
import PluginAPI

/// The Claim.MD plugin's process-wide settings (its `LEDGERLINE_PLUGINS` entry), already valid
/// against ``schema`` when they arrive here.
struct ClaimMDProcessSettings: Sendable {
    /// Which format to ask Claim.MD for. Answers are read in either format whatever was asked.
    enum Format: String, Sendable {
        /// `Accept: application/json`.
        case json
        /// `Accept: application/xml` (Claim.MD's default format).
        case xml

        /// The `Accept` header value.
        var acceptHeader: String {
            switch self {
            case .json: "application/json"
            case .xml: "application/xml"
            }
        }
    }

    /// Claim.MD's documented limit: 100 requests per minute per account.
    static let maximumRequestsPerMinute = 100
    /// The default of `timeoutSeconds`.
    static let defaultTimeoutSeconds = 30.0

    /// `https://svc.claim.md/services` unless set, without a trailing slash.
    let baseURL: String
    /// Requests per rolling minute per account that the plugin allows itself.
    let requestsPerMinute: Int
    /// The answer format to ask for.
    let format: Format
    /// The limit on one HTTP request to Claim.MD.
    let timeoutSeconds: Double

    /// Reads the settings and checks what the schema cannot: that `baseURL` is an absolute URL.
    /// - Throws: `PluginError` with code `invalidSettings`, naming the setting.
    init(_ settings: PluginJSON) throws(PluginError) {
        var base = settings["baseURL"]?.stringValue ?? "https://svc.claim.md/services"
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), url.host?.isEmpty == false else {
            throw PluginError(.invalidSettings, "baseURL must be an absolute http(s) URL", field: "/baseURL")
        }
        baseURL = base
        requestsPerMinute =
            settings["requestsPerMinute"]?.numberValue.map { Int($0) }
            ?? Self.maximumRequestsPerMinute
        format = settings["format"]?.stringValue.flatMap(Format.init(rawValue:)) ?? .json
        timeoutSeconds = settings["timeoutSeconds"]?.numberValue ?? Self.defaultTimeoutSeconds
    }

    /// The JSON Schema of these settings (`PluginManifest.settingsSchema`).
    static let schema: PluginJSON = [
        "type": "object",
        "properties": [
            "baseURL": [
                "type": "string", "pattern": "^https?://[^/?#\\s]+(/[^?#\\s]*)?$",
                "description": "Where Claim.MD's API is; https://svc.claim.md/services unless set.",
            ],
            "requestsPerMinute": [
                "type": "integer", "minimum": 1, "maximum": .number(Double(maximumRequestsPerMinute)),
                "description": "Requests per rolling minute per account (Claim.MD allows 100; 100 unless set).",
            ],
            "format": [
                "type": "string", "enum": ["json", "xml"],
                "description": "The answer format to ask for (json unless set); both are read either way.",
            ],
            "timeoutSeconds": [
                "type": "number", "minimum": 1, "maximum": 300,
                "description": "How long one request to Claim.MD may take (30 unless set).",
            ],
        ],
        "additionalProperties": false,
    ]
}
