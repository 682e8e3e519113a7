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

    @Test func serverBinaryLinksNoPluginLibraryOrCode() async throws {
        let libraries = try await Command.run("/usr/bin/ldd", [PluginFiles.server])
        #expect(!libraries.contains("Plugin"))
        #expect(!libraries.contains("libcurl"))
        let symbols = try await Command.run("/usr/bin/nm", [PluginFiles.server])
        for module in ["EmailPlugin", "SMSPlugin", "ExampleProcessorPlugin", "ExamplePlugin", "curl_easy"] {
            #expect(!symbols.contains(module), "the server binary contains \(module) symbols")
        }
    }

    /// `ledgerline serve` with a plugin list naming `path`: the output of a start that must fail.
    func serveRefusal(loading path: String) async throws -> ChildProcess.Failure? {
        let folder = NSTemporaryDirectory() + "ll-serve-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let list = folder + "/plugins.json"
        try Data(#"[{"name": "refused", "path": "\#(path)", "settings": {}}]"#.utf8).write(to: URL(fileURLWithPath: list))
        defer {
            // It stopped before starting anything: no database cluster was created.
            #expect(!FileManager.default.fileExists(atPath: folder + "/data/pg"))
        }
        do {
            _ = try await Command.run("/usr/bin/env", [
                "LEDGERLINE_PLUGINS=\(list)", "LEDGERLINE_DATA_DIR=\(folder)/data", PluginFiles.server, "serve",
                "--port", "0",
            ])
            return nil
        } catch let failure as ChildProcess.Failure {
            return failure
        }
    }

    @Test func serveRefusesAPluginBuiltForABI2AtStart() async throws {
        let failure = try #require(try await serveRefusal(loading: PluginFiles.abi2), "the server started")
        #expect(failure.status != 0)
        #expect(failure.output.contains("built for plugin ABI 2, this server speaks ABI 1"), "\(failure.output)")
    }

    @Test func serveRefusesALibraryThatIsNotAPluginAtStart() async throws {
        let failure = try #require(try await serveRefusal(loading: PluginFiles.notAPlugin), "the server started")
        #expect(failure.status != 0)
        #expect(failure.output.contains("not a Ledgerline plugin: symbol plugin_abi_version not found"), "\(failure.output)")
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
