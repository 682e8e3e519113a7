import PluginAPI

/// Why an SMTP conversation failed: libcurl's result, the step it failed at and the server's reply.
///
/// None of the fields can hold the password: libcurl never puts credentials in its error texts,
/// ``SMTPTranscript`` records only command verbs, and the URL never carries a login.
struct SMTPFailure: Error, Sendable {
    /// What went wrong, in the terms callers act on.
    enum Reason: Sendable, Equatable {
        /// The server refused the username/password (`535`).
        case loginRefused
        /// The server wants a login and none was configured (`530` to `MAIL`).
        case loginRequired
        /// The server refused the recipient; `permanent` for a 5xx reply.
        case recipientRefused(permanent: Bool)
        /// The server refused the sender address.
        case senderRefused(permanent: Bool)
        /// The server refused the message itself (size, content) after `DATA`.
        case messageRefused(permanent: Bool)
        /// The server's certificate could not be verified.
        case certificate
        /// `security` is `starttls` but the server does not offer STARTTLS.
        case noStartTLS
        /// The TLS handshake failed for another reason.
        case tlsHandshake
        /// The host name does not resolve.
        case unresolvable
        /// Nothing accepts connections at the host and port.
        case unreachable
        /// The conversation did not finish within the timeout.
        case timedOut
        /// libcurl cannot use the URL.
        case badURL
        /// Anything else: the connection dropped, an unexpected reply.
        case other
    }

    /// What went wrong.
    var reason: Reason
    /// libcurl's description of its result code (`Couldn't connect to server`).
    var curlText: String
    /// libcurl's error buffer: the specific cause (`SSL certificate problem: self-signed certificate`).
    var detail: String
    /// The server's last reply line (`550 5.1.1 mailbox unavailable`), if any.
    var reply: String?
    /// The timeout in force, for the message of a timeout.
    var timeoutSeconds: Int

    /// libcurl's most specific account of the failure.
    private var cause: String { detail.isEmpty ? curlText : detail }

    /// The cause and, when the conversation got that far, the server's last words.
    private var causeAndReply: String {
        guard let reply, !reply.isEmpty else { return cause }
        return "\(cause) (last reply: \(reply))"
    }

    /// The server's reply, or libcurl's cause when there is none.
    private var serverWords: String { reply.flatMap { $0.isEmpty ? nil : $0 } ?? cause }

    /// The error `send` throws.
    var pluginError: PluginError {
        switch reason {
        case .loginRefused:
            PluginError(
                .invalidSettings, "the SMTP server refused the username/password: \(serverWords)",
                field: "/settings/password")
        case .loginRequired:
            PluginError(
                .invalidSettings, "the SMTP server requires a login; set username and password: \(serverWords)",
                field: "/settings/username")
        case .recipientRefused(let permanent):
            permanent
                ? PluginError(.rejected, "the SMTP server refused the recipient: \(serverWords)", field: "/to")
                : PluginError(
                    .unavailable, "the SMTP server temporarily refused the recipient: \(serverWords)", field: "/to")
        case .senderRefused(let permanent):
            permanent
                ? PluginError(
                    .invalidSettings, "the SMTP server refused the sender address: \(serverWords)",
                    field: "/settings/fromAddress")
                : PluginError(.unavailable, "the SMTP server temporarily refused the sender: \(serverWords)")
        case .messageRefused(let permanent):
            permanent
                ? PluginError(.rejected, "the SMTP server refused the message: \(serverWords)")
                : PluginError(.unavailable, "the SMTP server temporarily refused the message: \(serverWords)")
        case .certificate:
            PluginError(.unavailable, "cannot verify the SMTP server's TLS certificate: \(cause)")
        case .noStartTLS:
            PluginError(
                .unavailable, "the SMTP server does not offer STARTTLS, which security starttls requires: \(cause)")
        case .tlsHandshake:
            PluginError(.unavailable, "the TLS handshake with the SMTP server failed: \(cause)")
        case .unresolvable:
            PluginError(.unavailable, "cannot resolve the SMTP server's host name: \(cause)")
        case .unreachable:
            PluginError(.unavailable, "cannot connect to the SMTP server: \(cause)")
        case .timedOut:
            PluginError(.unavailable, "the SMTP server did not finish within \(timeoutSeconds) s: \(cause)")
        case .badURL:
            PluginError(.invalidSettings, "libcurl cannot use smtpURL: \(cause)", field: "/settings/smtpURL")
        case .other:
            PluginError(.unavailable, "the SMTP conversation failed: \(causeAndReply)")
        }
    }

    /// The problem `verify` reports, named by the practice setting to look at.
    var settingsProblem: SettingsProblem {
        switch reason {
        case .loginRefused:
            SettingsProblem(pointer: "/password", message: "the SMTP server refused the login: \(serverWords)")
        case .loginRequired:
            SettingsProblem(pointer: "/username", message: "the SMTP server requires a login: \(serverWords)")
        case .recipientRefused, .messageRefused, .other:
            SettingsProblem(pointer: "/smtpURL", message: "the SMTP conversation failed: \(causeAndReply)")
        case .senderRefused:
            SettingsProblem(pointer: "/fromAddress", message: "the SMTP server refused the sender: \(serverWords)")
        case .certificate:
            SettingsProblem(pointer: "/smtpURL", message: "cannot verify the server's TLS certificate: \(cause)")
        case .noStartTLS:
            SettingsProblem(pointer: "/security", message: "the server does not offer STARTTLS: \(cause)")
        case .tlsHandshake:
            SettingsProblem(pointer: "/smtpURL", message: "the TLS handshake failed: \(cause)")
        case .unresolvable:
            SettingsProblem(pointer: "/smtpURL", message: "cannot resolve the host name: \(cause)")
        case .unreachable:
            SettingsProblem(pointer: "/smtpURL", message: "cannot connect: \(cause)")
        case .timedOut:
            SettingsProblem(pointer: "/smtpURL", message: "no answer within \(timeoutSeconds) s: \(cause)")
        case .badURL:
            SettingsProblem(pointer: "/smtpURL", message: "libcurl cannot use it: \(cause)")
        }
    }
}
