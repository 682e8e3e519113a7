import PluginAPI

/// The plugins a server loaded, by configured name.
public struct LoadedPlugins: Sendable {
    private let plugins: [String: LoadedPlugin]

    /// Wraps loaded plugins.
    public init(_ plugins: [String: LoadedPlugin]) { self.plugins = plugins }

    /// The configured names, sorted.
    public var names: [String] { plugins.keys.sorted() }

    /// The plugin configured under `name`.
    /// - Throws: `PluginLoadError` `notConfigured` naming the setting to change.
    public func plugin(named name: String) throws(PluginLoadError) -> LoadedPlugin {
        guard let plugin = plugins[name] else {
            throw PluginLoadError(
                .notConfigured,
                "plugin '\(name)' is not configured (add it to the \(PluginConfiguration.environmentKey) list)")
        }
        return plugin
    }
}
