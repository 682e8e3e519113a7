import Foundation
import PluginAPI

/// One entry of the plugin list: which file to load under which name, with which global settings.
public struct PluginConfigurationEntry: Codable, Sendable, Hashable {
    /// The name practices' integrations refer to (`email`).
    public var name: String
    /// The shared library; relative paths are taken from the list file's folder.
    public var path: String
    /// Process-wide settings, validated against the manifest's `settingsSchema`.
    public var settings: PluginJSON?
    /// Hosts the plugin may reach through the host's `http`; `nil` allows any.
    public var allowedHosts: [String]?
    /// The default timeout of a call, in seconds (30 unless set).
    public var timeoutSeconds: Double?

    /// Creates an entry.
    public init(
        name: String, path: String, settings: PluginJSON? = nil, allowedHosts: [String]? = nil,
        timeoutSeconds: Double? = nil
    ) {
        self.name = name
        self.path = path
        self.settings = settings
        self.allowedHosts = allowedHosts
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The plugin list: a JSON file (named by `LEDGERLINE_PLUGINS`) holding an array of entries.
public enum PluginConfiguration {
    /// The environment variable naming the list file.
    public static let environmentKey = "LEDGERLINE_PLUGINS"

    /// Reads the list file at `path`, resolving relative plugin paths against its folder.
    /// - Throws: `PluginLoadError` (`configurationInvalid`, `duplicateName`).
    public static func read(file path: String) throws(PluginLoadError) -> [PluginConfigurationEntry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginLoadError(.configurationInvalid, "plugin list file missing or unreadable", path: path)
        }
        let entries: [PluginConfigurationEntry]
        do {
            entries = try JSONDecoder().decode([PluginConfigurationEntry].self, from: data)
        } catch {
            throw PluginLoadError(
                .configurationInvalid,
                "not a plugin list ([{\"name\", \"path\", \"settings\"}]): \(error)", path: path)
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var seen: Set<String> = []
        return try entries.map {
            (entry: PluginConfigurationEntry) throws(PluginLoadError) -> PluginConfigurationEntry in
            guard seen.insert(entry.name).inserted else {
                throw PluginLoadError(.duplicateName, "two plugins are named '\(entry.name)'", path: path)
            }
            var resolved = entry
            if !entry.path.hasPrefix("/") {
                resolved.path = folder.appendingPathComponent(entry.path).standardizedFileURL.path
            }
            return resolved
        }
    }

    /// The entries of the list file named by `LEDGERLINE_PLUGINS`; none when it is unset or empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(PluginLoadError) -> [PluginConfigurationEntry]
    {
        guard let path = environment[environmentKey], !path.isEmpty else { return [] }
        return try read(file: path)
    }
}
