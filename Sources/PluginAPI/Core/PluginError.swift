/// An error that crosses the plugin boundary as `{"code", "message", "field"?}`.
///
/// Plugins throw it from their methods; the host turns every failure of a call (the plugin's own
/// error, a timeout, an answer that is not JSON) into one, so callers handle one type.
public struct PluginError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// A stable machine-readable error code. New codes can be added without breaking plugins.
    public struct Code: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
        /// The code as it appears on the wire (`timeout`).
        public let rawValue: String
        /// A code from its wire form.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The raw value.
        public var description: String { rawValue }

        /// The settings (global or per practice) do not satisfy the plugin's schema or checks.
        public static let invalidSettings = Code(rawValue: "invalidSettings")
        /// The method's input is missing a field or has one of the wrong type.
        public static let invalidParams = Code(rawValue: "invalidParams")
        /// The plugin does not implement the method.
        public static let unsupportedMethod = Code(rawValue: "unsupportedMethod")
        /// The remote service rejected the request (a recipient refused, a claim rejected).
        public static let rejected = Code(rawValue: "rejected")
        /// The remote service could not be reached or answered with a server error; retrying may help.
        public static let unavailable = Code(rawValue: "unavailable")
        /// The plugin did not answer within the call's timeout.
        public static let timeout = Code(rawValue: "timeout")
        /// Bytes that should have been JSON were not.
        public static let malformedJSON = Code(rawValue: "malformedJSON")
        /// The plugin answered with something other than the contract's result or error object.
        public static let malformedResponse = Code(rawValue: "malformedResponse")
        /// The call was cancelled by its caller.
        public static let cancelled = Code(rawValue: "cancelled")
        /// Anything else; the message says what.
        public static let `internal` = Code(rawValue: "internal")
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence a person can act on. Never carries secrets or PHI.
    public var message: String
    /// The offending field as a JSON Pointer (`/to`), when there is one.
    public var field: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
