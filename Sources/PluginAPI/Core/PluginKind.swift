/// The contracts a plugin can implement, each versioned on its own.
public enum PluginKind: String, Codable, Sendable, CaseIterable {
    case clearinghouse
    case paymentProcessor
    case notificationChannel

    /// The contract version of this kind that this PluginAPI (and so the server built with it) speaks.
    public var contractVersion: Int { 1 }

    /// The methods of this kind's contract, besides `verify` and `ping` that every kind has.
    public var methods: [String] {
        switch self {
        case .clearinghouse:
            ["payers", "submit", "lookupSubmission", "statusUpdates", "remittances", "eligibility", "enrollment"]
        case .paymentProcessor: ["charge", "refund"]
        case .notificationChannel: ["send"]
        }
    }
}

/// The C ABI version this PluginAPI implements (`plugin_abi_version()`).
public let pluginABIVersion: UInt32 = 1
