import Foundation
import PluginAPI
import PluginHost

/// Where the built plugin files are: the folder of the running test binary, which is SwiftPM's
/// bin path (`swift build --show-bin-path`), where `swift build` puts every `.so` product.
/// `LEDGERLINE_BIN_PATH` overrides it.
enum PluginFiles {
    static let binPath: String = {
        if let path = ProcessInfo.processInfo.environment["LEDGERLINE_BIN_PATH"], !path.isEmpty { return path }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On macOS the test binary sits inside a bundle: .build/debug/X.xctest/Contents/MacOS/X.
        while folder.path.contains(".xctest") { folder.deleteLastPathComponent() }
        return folder.path
    }()

    /// The path of the built library product `name` (`LedgerlineExamplePlugin`).
    static func library(_ name: String) -> String {
        #if os(macOS)
            return "\(binPath)/lib\(name).dylib"
        #else
            return "\(binPath)/lib\(name).so"
        #endif
    }

    static var example: String { library("LedgerlineExamplePlugin") }
    static var misbehaving: String { library("LedgerlineMisbehavingPlugin") }
    static var abi2: String { library("LedgerlineABI2Plugin") }
    static var notAPlugin: String { library("LedgerlineNotAPlugin") }
    static var server: String { "\(binPath)/ledgerline" }

    /// The repository root (for the template and the swift toolchain's package).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let exampleSettings: PluginJSON = ["senderName": "Ledgerline Tests", "mode": "test"]
    static let examplePracticeSettings: PluginJSON = ["accountKey": "key-12345678"]

    static func loadExample(settings: PluginJSON = exampleSettings, allowedHosts: [String]? = nil) throws
        -> LoadedPlugin
    {
        try PluginLoader.load(
            PluginConfigurationEntry(
                name: "example", path: example, settings: settings,
                allowedHosts: allowedHosts, timeoutSeconds: 10))
    }

    static func loadMisbehaving() throws -> LoadedPlugin {
        try PluginLoader.load(
            PluginConfigurationEntry(
                name: "misbehaving", path: misbehaving, settings: [:],
                timeoutSeconds: 5))
    }

    /// Waits (polling, at most `limit`) until `plugin` has had more than `count` answers dropped.
    static func waitForIgnoredAnswers(of plugin: LoadedPlugin, above count: Int, limit: Duration = .seconds(5)) async
        -> Bool
    {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if plugin.ignoredAnswers > count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return plugin.ignoredAnswers > count
    }
}
