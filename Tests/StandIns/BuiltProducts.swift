import Foundation

/// Where `swift build` put this package's products, for tests that load the built plugins
/// exactly as the server does.
public enum BuiltProducts {
    /// SwiftPM's bin path: the folder of the running test binary (`LEDGERLINE_BIN_PATH` overrides it).
    public static let binPath: String = {
        if let path = ProcessInfo.processInfo.environment["LEDGERLINE_BIN_PATH"], !path.isEmpty { return path }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while folder.path.contains(".xctest") { folder.deleteLastPathComponent() }
        return folder.path
    }()

    /// The built shared library of product `name` (`LedgerlineEmailPlugin`).
    public static func library(_ name: String) -> String {
        #if os(macOS)
            return "\(binPath)/lib\(name).dylib"
        #else
            return "\(binPath)/lib\(name).so"
        #endif
    }

    /// The repository root.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}
