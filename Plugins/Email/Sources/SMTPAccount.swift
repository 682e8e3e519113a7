import Foundation
import PluginAPI

/// A practice's SMTP account: where to connect, how to secure the connection, who sends.
///
/// Built from the practice settings (valid against `practiceSettingsSchema`), with the checks the
/// schema cannot express: a URL libcurl can use without surprises, credentials that come in pairs,
/// and no password sent in clear text to a remote server.
struct SMTPAccount: Sendable {
    /// How the connection is protected.
    enum Security: String, Sendable {
        /// Plain connection upgraded with STARTTLS; the transfer fails if the server cannot.
        case starttls
        /// TLS from the first byte (`smtps://`, usually port 465).
        case tls
        /// No TLS at all: only for a relay on the same machine or private network.
        case none
    }

    /// Every problem found in a practice's settings, each named by JSON Pointer.
    struct Invalid: Error, Sendable {
        /// The problems, all at once.
        var problems: [SettingsProblem]

        /// The problems as one `invalidSettings` error naming the first field (as `/settings/…`).
        var pluginError: PluginError {
            PluginError(
                .invalidSettings, problems.map(\.description).joined(separator: "; "),
                field: problems.first.map { "/settings" + $0.pointer })
        }
    }

    /// The URL handed to libcurl: `smtp(s)://host[:port]/` plus the EHLO name as the path.
    var curlURL: String
    /// The server's host name, for messages and logs.
    var host: String
    /// How the connection is protected.
    var security: Security
    /// Whether the server's certificate and host name are checked.
    var verifyCertificates: Bool
    /// The envelope and `From:` sender.
    var fromAddress: EmailAddress
    /// The sender's display name (`Riverside Physio`).
    var fromName: String?
    /// The login, when the server wants one.
    var username: String?
    /// The password; never logged and never part of any message.
    var password: String?

    /// Reads a practice's settings.
    /// - Parameters:
    ///   - settings: the practice settings, valid against the manifest's `practiceSettingsSchema`.
    ///   - heloName: the process-wide EHLO name, if any.
    /// - Throws: ``Invalid`` with every problem found.
    init(settings: PluginJSON, heloName: String?) throws(Invalid) {
        var problems: [SettingsProblem] = []
        func problem(_ pointer: String, _ message: String) {
            problems.append(SettingsProblem(pointer: pointer, message: message))
        }
        func nonEmptyString(_ key: String) -> String? {
            settings[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }

        let requested = settings["security"]?.stringValue.flatMap(Security.init(rawValue:)) ?? .starttls
        let username = nonEmptyString("username")
        let password = nonEmptyString("password")
        let fromName = nonEmptyString("fromName")
        let fromAddress = EmailAddress(settings["fromAddress"]?.stringValue ?? "")
        if fromAddress == nil { problem("/fromAddress", "must be one email address such as billing@example.com") }
        if let fromName, fromName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problem("/fromName", "must be one line without control characters")
        }
        if username != nil, password == nil { problem("/password", "is required with a username") }
        if password != nil, username == nil { problem("/username", "is required with a password") }

        var endpoint: (scheme: String, host: String, port: Int?)?
        switch Self.endpoint(settings["smtpURL"]?.stringValue ?? "", requested: requested) {
        case .success(let parsed): endpoint = parsed
        case .failure(let urlProblem): problem("/smtpURL", urlProblem.text)
        }
        let security = endpoint?.scheme == "smtps" ? .tls : requested
        if let endpoint {
            if requested == .none, endpoint.scheme == "smtps" {
                problem("/security", "is none but smtpURL is smtps:// (TLS from the first byte)")
            }
            if security == .none, password != nil, !Self.isLocal(endpoint.host) {
                problem(
                    "/security", "none would send the password unencrypted to \(endpoint.host); use starttls or tls")
            }
        }
        guard problems.isEmpty, let endpoint, let fromAddress else { throw Invalid(problems: problems) }

        let hostPart = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        let portPart = endpoint.port.map { ":\($0)" } ?? ""
        curlURL = "\(endpoint.scheme)://\(hostPart)\(portPart)/\(heloName ?? "")"
        host = endpoint.host
        self.security = security
        verifyCertificates = settings["verifyCertificates"] != .bool(false)
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.username = username
        self.password = password
    }

    /// Why a `smtpURL` is not usable.
    private struct URLProblem: Error {
        var text: String
    }

    /// The scheme, host and port of `text`; `tls` turns `smtp://` into `smtps://`.
    private static func endpoint(_ text: String, requested: Security)
        -> Result<(scheme: String, host: String, port: Int?), URLProblem>
    {
        guard let components = URLComponents(string: text), let rawScheme = components.scheme?.lowercased(),
            rawScheme == "smtp" || rawScheme == "smtps"
        else {
            return .failure(URLProblem(text: "must be a URL such as smtp://mail.example.com:587"))
        }
        guard let rawHost = components.host, !rawHost.isEmpty else {
            return .failure(URLProblem(text: "has no host name"))
        }
        if components.user != nil || components.password != nil {
            return .failure(URLProblem(text: "must not contain a login; use the username and password settings"))
        }
        if !(components.path.isEmpty || components.path == "/") || components.query != nil
            || components.fragment != nil
        {
            return .failure(URLProblem(text: "must be only smtp(s)://host[:port]; set the EHLO name with heloName"))
        }
        if let port = components.port, !(1...65535).contains(port) {
            return .failure(URLProblem(text: "has port \(port), outside 1–65535"))
        }
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-:"))
        guard host.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            return .failure(URLProblem(text: "has a host name with characters other than letters, digits, '.' and '-'"))
        }
        let scheme = requested == .tls ? "smtps" : rawScheme
        return .success((scheme: scheme, host: host, port: components.port))
    }

    /// Whether `host` names this machine, where a relay without TLS is acceptable.
    private static func isLocal(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }
}
