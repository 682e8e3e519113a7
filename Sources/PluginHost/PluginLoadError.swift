/// Why a plugin was not loaded, in words an operator can act on.
public struct PluginLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable machine-readable reason.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name (`abiMismatch`).
        public let rawValue: String
        /// A code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The raw value.
        public var description: String { rawValue }

        /// The plugin list (`LEDGERLINE_PLUGINS`) cannot be read or is not a list of entries.
        public static let configurationInvalid = Code(rawValue: "configurationInvalid")
        /// No file at the path.
        public static let fileMissing = Code(rawValue: "fileMissing")
        /// `dlopen` refused the file (not a shared library, wrong architecture, missing dependency).
        public static let notLoadable = Code(rawValue: "notLoadable")
        /// A shared library without the plugin symbols.
        public static let notAPlugin = Code(rawValue: "notAPlugin")
        /// Built for another plugin ABI.
        public static let abiMismatch = Code(rawValue: "abiMismatch")
        /// The manifest is not valid JSON or not a valid manifest.
        public static let invalidManifest = Code(rawValue: "invalidManifest")
        /// Built for another version of its kind's contract.
        public static let contractMismatch = Code(rawValue: "contractMismatch")
        /// The settings do not satisfy the manifest's schema.
        public static let settingsInvalid = Code(rawValue: "settingsInvalid")
        /// The plugin's `create` refused its settings.
        public static let createFailed = Code(rawValue: "createFailed")
        /// Two entries in the plugin list share a name.
        public static let duplicateName = Code(rawValue: "duplicateName")
        /// A feature asked for a plugin that the configuration does not name.
        public static let notConfigured = Code(rawValue: "notConfigured")
    }

    /// What went wrong.
    public var code: Code
    /// The reason (`built for plugin ABI 2, this server speaks ABI 1`).
    public var message: String
    /// The plugin file or list file concerned.
    public var path: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// `PATH: reason`.
    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
