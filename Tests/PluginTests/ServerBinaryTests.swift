import Foundation
import Storage
import Testing

/// The server links no plugin code: its binary exports no `plugin_*` symbol, and it inspects
/// plugin files only by loading them.
@Suite struct ServerBinaryTests {
    @Test func serverBinaryExportsNoPluginSymbols() async throws {
        let symbols = try await Command.run("/usr/bin/nm", ["-D", "--defined-only", PluginFiles.server])
        let pluginSymbols = symbols.split(separator: "\n").compactMap { $0.split(separator: " ").last }
            .filter { $0.hasPrefix("plugin_") }
        #expect(pluginSymbols.isEmpty)
        #expect(!symbols.isEmpty)
    }

    @Test func pluginsCheckPrintsTheManifest() async throws {
        let output = try await Command.run(PluginFiles.server, ["plugins", "check", PluginFiles.example])
        #expect(output.contains(#""name" : "example""#))
        #expect(output.contains(#""kind" : "notificationChannel""#))
    }

    @Test func pluginsCheckValidatesSettingsWhenGiven() async {
        await #expect {
            try await Command.run(PluginFiles.server, ["plugins", "check", PluginFiles.example, "--settings", "{}"])
        } throws: { error in
            let failure = error as! ChildProcess.Failure
            return failure.status == 1 && failure.output.contains("settings invalid: /senderName is required")
        }
    }

    @Test func pluginsCheckPrintsWhyAnABI2PluginIsRefused() async {
        await #expect {
            try await Command.run(PluginFiles.server, ["plugins", "check", PluginFiles.abi2])
        } throws: { error in
            let failure = error as! ChildProcess.Failure
            return failure.status == 1
                && failure.output == "refused: \(PluginFiles.abi2): built for plugin ABI 2, this server speaks ABI 1\n"
        }
    }

    @Test func pluginsCheckPrintsWhyALibraryIsNotAPlugin() async {
        await #expect {
            try await Command.run(PluginFiles.server, ["plugins", "check", PluginFiles.notAPlugin])
        } throws: { error in
            (error as! ChildProcess.Failure).output.contains(
                "not a Ledgerline plugin: symbol plugin_abi_version not found")
        }
    }
}
