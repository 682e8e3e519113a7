import Foundation
import PluginAPI
import PluginConformance
import PluginHost
import Storage
import Testing

@Suite struct ConformanceTests {
    @Test func examplePluginPassesTheConformanceKit() async {
        let kit = PluginConformanceKit(
            path: PluginFiles.example, settings: PluginFiles.exampleSettings,
            invalidSettings: [["senderName": ""], ["senderName": "x", "mode": "staging"]],
            practiceSettings: PluginFiles.examplePracticeSettings,
            invalidPracticeSettings: [["accountKey": "revoked-key"], ["accountKey": "short"]])
        #expect(await kit.run() == [])
    }

    @Test func kitReportsAPluginThatDoesNotKeepTheContract() async {
        let kit = PluginConformanceKit(path: PluginFiles.misbehaving, settings: [:], callTimeout: .seconds(1))
        let failures = await kit.run()
        #expect(failures.contains { $0.check == "happyPath" })
        #expect(failures.contains { $0.check == "timeoutHandling" })
    }

    @Test func kitReportsAFileThatIsNotAPlugin() async {
        let kit = PluginConformanceKit(path: PluginFiles.abi2, settings: [:])
        #expect(await kit.run().map(\.check) == ["manifestValid"])
    }
}

/// The integrator's path, end to end: copy the template out of the repository, build it there
/// against PluginAPI, load the `.so` by configuration and pass the kit.
@Suite struct TemplateOutOfTreeTests {
    @Test(.timeLimit(.minutes(10)))
    func templateBuiltOutOfTreePassesTheConformanceKit() async throws {
        let fileManager = FileManager.default
        let work = URL(fileURLWithPath: "/tmp/ledgerline-template-\(UUID().uuidString.prefix(8))")
        let package = work.appendingPathComponent("AcmeChannel")
        try fileManager.createDirectory(at: work, withIntermediateDirectories: true)
        defer {
            try? fileManager.removeItem(at: work)
            // SwiftPM leaves lock files for the scratch path beside it, named after the path.
            let lockPrefix = work.path.replacingOccurrences(of: "/", with: "_")
            for name in (try? fileManager.contentsOfDirectory(atPath: "/tmp")) ?? [] where name.hasPrefix(lockPrefix) {
                try? fileManager.removeItem(atPath: "/tmp/\(name)")
            }
        }
        try fileManager.copyItem(at: PluginFiles.repositoryRoot.appendingPathComponent("Plugins/Template"), to: package)
        try? fileManager.removeItem(at: package.appendingPathComponent(".build"))

        let manifestURL = package.appendingPathComponent("Package.swift")
        let manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        #expect(manifest.contains(#"path: "../..""#))
        try manifest.replacingOccurrences(of: #"path: "../..""#, with: "path: \"\(PluginFiles.repositoryRoot.path)\"")
            .write(to: manifestURL, atomically: true, encoding: .utf8)

        let scratch = work.appendingPathComponent("scratch").path
        let started = ContinuousClock.now
        let swift = ProcessInfo.processInfo.environment["SWIFT_EXEC_PATH"] ?? Self.swiftExecutable()
        do {
            _ = try await Command.run(
                swift,
                [
                    "build", "--package-path", package.path, "--scratch-path", scratch,
                    "--product", "TemplatePlugin",
                ])
        } catch let failure as ChildProcess.Failure {
            Issue.record("out-of-tree build failed: \(failure.output.suffix(3000))")
            return
        }
        let elapsed = ContinuousClock.now - started
        print("out-of-tree template build took \(elapsed)")

        let library = "\(scratch)/debug/libTemplatePlugin.so"
        let symbols = try await Command.run("/usr/bin/nm", ["-D", "--defined-only", library])
        let exported = symbols.split(separator: "\n").filter {
            $0.split(separator: " ").dropFirst().first?.first?.isUppercase == true
        }
        .compactMap { $0.split(separator: " ").last }.filter { !$0.hasPrefix("_") }
        #expect(
            Set(exported) == [
                "plugin_abi_version", "plugin_v1_manifest", "plugin_v1_create", "plugin_v1_call",
                "plugin_v1_destroy",
            ])

        let kit = PluginConformanceKit(
            path: library, settings: ["prefix": "acme"],
            invalidSettings: [["prefix": ""], ["prefix": "acme", "extra": true]],
            practiceSettings: ["accountKey": "test_12345678"],
            invalidPracticeSettings: [["accountKey": "12345678"]])
        #expect(await kit.run() == [])
    }

    static func swiftExecutable() -> String {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/swift"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/opt/swift/usr/bin/swift"
    }
}
