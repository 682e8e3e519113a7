import CPluginABI
import Foundation
import PluginAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An opened plugin file: its five entry points and its manifest.
///
/// Each file is `dlopen`ed once per process (`RTLD_NOW | RTLD_LOCAL`, so two plugins' symbols never
/// clash) and never closed: a closed library's code could still be running a late callback.
struct PluginLibrary: @unchecked Sendable {
    let path: String
    let manifest: PluginManifest
    let manifestJSON: PluginJSON
    let create: plugin_v1_create_fn
    let call: plugin_v1_call_fn
    let destroy: plugin_v1_destroy_fn

    private static let opened = Mutex<[String: PluginLibrary]>([:])

    /// Opens `path` (or returns the library opened before) after checking the ABI and contract versions.
    static func open(_ path: String) throws(PluginLoadError) -> PluginLibrary {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PluginLoadError(.fileMissing, "file missing (check the path in the plugin list)", path: path)
        }
        let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let library = opened.withLock({ $0[key] }) { return library }

        let library = try load(key, shownAs: path)
        opened.withLock { $0[key] = library }
        return library
    }

    private static func load(_ path: String, shownAs shownPath: String) throws(PluginLoadError) -> PluginLibrary {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw PluginLoadError(.notLoadable, "cannot load as a shared library: \(reason)", path: shownPath)
        }
        func symbol<T>(_ name: String, as type: T.Type) throws(PluginLoadError) -> T {
            guard let address = dlsym(handle, name) else {
                throw PluginLoadError(.notAPlugin, "not a Ledgerline plugin: symbol \(name) not found", path: shownPath)
            }
            return unsafeBitCast(address, to: type)
        }
        let abiVersion = try symbol("plugin_abi_version", as: plugin_abi_version_fn.self)()
        guard abiVersion == pluginABIVersion else {
            throw PluginLoadError(
                .abiMismatch,
                "built for plugin ABI \(abiVersion), this server speaks ABI \(pluginABIVersion)",
                path: shownPath)
        }
        let manifestFunction = try symbol("plugin_v1_manifest", as: plugin_v1_manifest_fn.self)
        let create = try symbol("plugin_v1_create", as: plugin_v1_create_fn.self)
        let call = try symbol("plugin_v1_call", as: plugin_v1_call_fn.self)
        let destroy = try symbol("plugin_v1_destroy", as: plugin_v1_destroy_fn.self)

        guard let text = manifestFunction() else {
            throw PluginLoadError(.invalidManifest, "plugin_v1_manifest returned no manifest", path: shownPath)
        }
        let (manifest, json) = try parseManifest(Data(String(cString: text).utf8), path: shownPath)
        return PluginLibrary(
            path: shownPath, manifest: manifest, manifestJSON: json, create: create, call: call,
            destroy: destroy)
    }

    private static func parseManifest(_ data: Data, path: String) throws(PluginLoadError) -> (
        PluginManifest, PluginJSON
    ) {
        let json: PluginJSON
        do {
            json = try PluginJSON(parsing: data)
        } catch {
            throw PluginLoadError(.invalidManifest, "manifest is not JSON: \(error.message)", path: path)
        }
        let kinds = PluginKind.allCases.map(\.rawValue)
        guard let kindName = json["kind"]?.stringValue, let kind = PluginKind(rawValue: kindName) else {
            throw PluginLoadError(
                .invalidManifest,
                "manifest kind \(json["kind"].map { "'\($0.stringValue ?? "?")'" } ?? "missing"); "
                    + "this server knows \(kinds.joined(separator: ", "))", path: path)
        }
        if let version = json["contractVersion"]?.numberValue, Int(version) != kind.contractVersion {
            throw PluginLoadError(
                .contractMismatch,
                "built for \(kind.rawValue) contract \(Int(version)), this server speaks contract "
                    + "\(kind.contractVersion)", path: path)
        }
        let manifest: PluginManifest
        do {
            manifest = try json.decode(as: PluginManifest.self)
        } catch {
            throw PluginLoadError(.invalidManifest, "manifest invalid: \(error.message)", path: path)
        }
        let problems = manifest.problems()
        guard problems.isEmpty else {
            throw PluginLoadError(.invalidManifest, "manifest invalid: \(problems.joined(separator: "; "))", path: path)
        }
        return (manifest, json)
    }
}
