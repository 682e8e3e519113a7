import Foundation

/// What a plugin says about itself: `plugin_v1_manifest()` returns it as JSON.
///
/// The host reads it before creating the plugin, refuses a kind or contract version it does not
/// speak, and validates the process-wide settings against `settingsSchema`.
public struct PluginManifest: Codable, Sendable, Hashable {
    /// A short identifier, lowercase letters, digits, `-` and `_` (`email`, `claimmd`).
    public var name: String
    /// Which contract the plugin implements.
    public var kind: PluginKind
    /// The version of that contract the plugin was built for.
    public var contractVersion: Int
    /// One sentence for operators (`ledgerline plugins check` prints it).
    public var description: String
    /// The plugin's own version, for logs and support.
    public var version: String?
    /// JSON Schema of the process-wide settings (the `settings` of its `LEDGERLINE_PLUGINS` entry).
    public var settingsSchema: PluginJSON
    /// JSON Schema of the per-practice settings passed with every call (account keys, sender address).
    public var practiceSettingsSchema: PluginJSON?

    /// Creates a manifest for the current contract version of `kind`.
    public init(
        name: String, kind: PluginKind, description: String, version: String? = nil,
        settingsSchema: PluginJSON = ["type": "object"], practiceSettingsSchema: PluginJSON? = nil,
        contractVersion: Int? = nil
    ) {
        self.name = name
        self.kind = kind
        self.contractVersion = contractVersion ?? kind.contractVersion
        self.description = description
        self.version = version
        self.settingsSchema = settingsSchema
        self.practiceSettingsSchema = practiceSettingsSchema
    }

    /// What is wrong with this manifest (empty when it is well formed).
    public func problems() -> [String] {
        var problems: [String] = []
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        if name.isEmpty || name.count > 64 || !name.allSatisfy(allowed.contains) {
            problems.append("name '\(name)' must be 1–64 lowercase letters, digits, '-' or '_'")
        }
        if description.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("description is empty")
        }
        for (label, schema) in [("settingsSchema", settingsSchema), ("practiceSettingsSchema", practiceSettingsSchema)]
        {
            guard let schema else { continue }
            if schema["type"] != .string("object") {
                problems.append("\(label) must be a JSON Schema with \"type\": \"object\"")
            }
        }
        return problems
    }
}
