import Foundation
import PluginAPI
import PluginHost
import Testing

@Suite struct PluginLoadingTests {
    @Test func exampleLoadsFromItsBuiltSharedLibrary() throws {
        let plugin = try PluginFiles.loadExample()
        #expect(plugin.manifest.name == "example")
        #expect(plugin.manifest.kind == .notificationChannel)
        #expect(plugin.manifest.contractVersion == 1)
        #expect(plugin.path == PluginFiles.example)
    }

    @Test func inspectReturnsTheManifestWithoutCreating() throws {
        let manifest = try PluginLoader.inspect(path: PluginFiles.example)
        #expect(manifest.settingsSchema["required"] == ["senderName"])
        #expect(manifest.practiceSettingsSchema?["required"] == ["accountKey"])
    }

    @Test func missingFileIsRefused() {
        #expect {
            try PluginLoader.inspect(path: "/nonexistent/libNothing.so")
        } throws: { error in
            let error = error as! PluginLoadError
            return error.code == .fileMissing && error.description.hasPrefix("/nonexistent/libNothing.so: file missing")
        }
    }

    @Test func libraryThatIsNotAPluginIsRefusedReadably() {
        #expect {
            try PluginLoader.inspect(path: PluginFiles.notAPlugin)
        } throws: { error in
            let error = error as! PluginLoadError
            return error.code == .notAPlugin
                && error.message == "not a Ledgerline plugin: symbol plugin_abi_version not found"
        }
    }

    @Test func fileThatIsNotASharedLibraryIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ll-not-elf-\(UUID().uuidString).so")
            .path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: PluginLoadError.self) { try PluginLoader.inspect(path: path) }
        do {
            _ = try PluginLoader.inspect(path: path)
        } catch {
            #expect(error.code == .notLoadable)
            #expect(error.message.hasPrefix("cannot load as a shared library"))
        }
    }

    @Test func pluginBuiltForABI2IsRefusedReadably() {
        #expect {
            try PluginLoader.inspect(path: PluginFiles.abi2)
        } throws: { error in
            let error = error as! PluginLoadError
            return error.code == .abiMismatch && error.message == "built for plugin ABI 2, this server speaks ABI 1"
        }
    }

    @Test func settingsFailingTheSchemaAreRefusedNamingTheField() {
        #expect {
            try PluginFiles.loadExample(settings: ["mode": "staging"])
        } throws: { error in
            let error = error as! PluginLoadError
            return error.code == .settingsInvalid
                && error.message == "settings invalid: /senderName is required; /mode must be one of: test, live"
        }
    }

    @Test func unknownSettingIsRefused() {
        #expect {
            try PluginFiles.loadExample(settings: ["senderName": "x", "colour": "blue"])
        } throws: { error in
            (error as! PluginLoadError).message == "settings invalid: /colour is not a known setting"
        }
    }

    @Test func pluginRefusingItsSettingsAtCreateSaysWhy() {
        #expect {
            try PluginFiles.loadExample(settings: ["senderName": "refuse-at-create"])
        } throws: { error in
            let error = error as! PluginLoadError
            return error.code == .createFailed && error.message.contains("senderName refuse-at-create is refused")
        }
    }

    @Test func pluginListNamedByTheEnvironmentLoadsEveryEntry() throws {
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("ll-plugins-\(UUID().uuidString).json")
        let entries = [
            PluginConfigurationEntry(
                name: "email", path: PluginFiles.example,
                settings: PluginFiles.exampleSettings)
        ]
        try JSONEncoder().encode(entries).write(to: list)
        defer { try? FileManager.default.removeItem(at: list) }
        let read = try PluginConfiguration.fromEnvironment(["LEDGERLINE_PLUGINS": list.path])
        #expect(read == entries)
        let plugins = try PluginLoader.loadAll(read)
        #expect(plugins.names == ["email"])
        #expect(try plugins.plugin(named: "email").manifest.name == "example")
    }

    @Test func relativePluginPathIsTakenFromTheListFolder() throws {
        let list = URL(fileURLWithPath: PluginFiles.binPath).appendingPathComponent(
            "ll-plugins-\(UUID().uuidString).json")
        try Data(#"[{"name":"email","path":"libLedgerlineExamplePlugin.so"}]"#.utf8).write(to: list)
        defer { try? FileManager.default.removeItem(at: list) }
        let entries = try PluginConfiguration.read(file: list.path)
        #expect(entries.first?.path == PluginFiles.example)
    }

    @Test func duplicateNamesInThePluginListAreRefused() throws {
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("ll-plugins-\(UUID().uuidString).json")
        try Data(#"[{"name":"a","path":"/x.so"},{"name":"a","path":"/y.so"}]"#.utf8).write(to: list)
        defer { try? FileManager.default.removeItem(at: list) }
        #expect(throws: PluginLoadError(.duplicateName, "two plugins are named 'a'", path: list.path)) {
            try PluginConfiguration.read(file: list.path)
        }
    }

    @Test func unconfiguredPluginAnswersNotConfigured() {
        let plugins = LoadedPlugins([:])
        #expect {
            try plugins.plugin(named: "sms")
        } throws: { error in
            (error as! PluginLoadError).code == .notConfigured
        }
    }

    @Test func emptyEnvironmentMeansNoPlugins() throws {
        #expect(try PluginConfiguration.fromEnvironment([:]).isEmpty)
    }
}
