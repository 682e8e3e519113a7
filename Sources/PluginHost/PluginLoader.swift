import CPluginABI
import Foundation
import Logging
import PluginAPI

/// Loads plugins: opens the file, checks ABI and contract versions, validates the settings and
/// creates the plugin. Only this module calls `dlopen`.
public enum PluginLoader {
    /// Opens the plugin at `path` and returns its manifest without creating it
    /// (`ledgerline plugins check`).
    /// - Throws: `PluginLoadError` saying why the file is not a plugin this server can load.
    public static func inspect(path: String) throws(PluginLoadError) -> PluginManifest {
        try PluginLibrary.open(path).manifest
    }

    /// Loads one entry of the plugin list.
    /// - Throws: `PluginLoadError`: file missing, not a plugin, another ABI or contract version,
    ///   settings invalid, or refused by the plugin's create.
    public static func load(_ entry: PluginConfigurationEntry, logger: Logger = Logger(label: "ledgerline.plugins"))
        throws(PluginLoadError) -> LoadedPlugin
    {
        let library = try PluginLibrary.open(entry.path)
        let settings = entry.settings ?? .object([:])
        let problems = SettingsSchemaValidator.validate(settings, against: library.manifest.settingsSchema)
        guard problems.isEmpty else {
            throw PluginLoadError(
                .settingsInvalid,
                "settings invalid: \(problems.map(\.description).joined(separator: "; "))",
                path: entry.path)
        }
        let timeout = Duration.milliseconds(Int((entry.timeoutSeconds ?? 30) * 1000))
        let services = HostServices(
            pluginName: entry.name, logger: logger, allowedHosts: entry.allowedHosts,
            httpTimeout: timeout)
        let table = services.makeTable()
        let bytes = Array(settings.encoded())
        let handle = bytes.withUnsafeBufferPointer { buffer in
            library.create(buffer.baseAddress, buffer.count, table)
        }
        guard let handle else {
            let reason = services.takeLastError().map { ": \($0)" } ?? " (see the log)"
            throw PluginLoadError(.createFailed, "the plugin refused its settings\(reason)", path: entry.path)
        }
        logger.info(
            "plugin loaded",
            metadata: [
                "plugin": "\(entry.name)", "kind": "\(library.manifest.kind.rawValue)",
                "path": "\(entry.path)",
            ])
        return LoadedPlugin(name: entry.name, library: library, handle: handle, defaultTimeout: timeout, logger: logger)
    }

    /// Loads every entry of a plugin list, stopping at the first refusal.
    public static func loadAll(
        _ entries: [PluginConfigurationEntry],
        logger: Logger = Logger(label: "ledgerline.plugins")
    ) throws(PluginLoadError) -> LoadedPlugins {
        var plugins: [String: LoadedPlugin] = [:]
        for entry in entries {
            plugins[entry.name] = try load(entry, logger: logger)
        }
        return LoadedPlugins(plugins)
    }
}
