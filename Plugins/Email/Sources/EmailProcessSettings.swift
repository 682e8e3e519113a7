import Foundation
import PluginAPI

/// The email plugin's process-wide settings (its `LEDGERLINE_PLUGINS` entry), already valid
/// against the manifest's `settingsSchema` when they arrive here.
struct EmailProcessSettings: Sendable {
    /// A PEM bundle of extra certificate authorities, for relays with a private CA. libcurl uses it
    /// as its CA file; the system's CA directory (`/etc/ssl/certs` on Debian) stays trusted.
    var caFile: String?
    /// The limit on one whole SMTP conversation, connection included.
    var timeoutSeconds: Int
    /// The name to greet the server with (`EHLO name`); libcurl's default when `nil`.
    var heloName: String?

    /// The default of `timeoutSeconds`.
    static let defaultTimeoutSeconds = 30

    /// Reads the settings and checks what the schema cannot: that `caFile` is a readable PEM file.
    /// - Throws: `PluginError` with code `invalidSettings`, naming the setting.
    init(_ settings: PluginJSON) throws(PluginError) {
        timeoutSeconds =
            settings["timeoutSeconds"]?.numberValue.map { Int($0.rounded(.up)) }
            ?? Self.defaultTimeoutSeconds
        heloName = settings["heloName"]?.stringValue
        caFile = settings["caFile"]?.stringValue
        if let caFile {
            guard let contents = FileManager.default.contents(atPath: caFile) else {
                throw PluginError(.invalidSettings, "caFile \(caFile) cannot be read", field: "/caFile")
            }
            guard String(decoding: contents, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                throw PluginError(
                    .invalidSettings, "caFile \(caFile) holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                    field: "/caFile")
            }
        }
    }
}
