/// What every plugin kind has in common: a manifest, creation from process-wide settings and the
/// host's capabilities, and `verify` of a practice's settings.
///
/// Conform to one of the kind protocols (`NotificationChannel`, `PaymentProcessor`,
/// `Clearinghouse`), not to this one alone, and export the type with `PluginExport`.
public protocol Plugin: Sendable {
    /// The plugin's manifest; `kind` must match the kind protocol the type conforms to.
    static var manifest: PluginManifest { get }

    /// Creates the plugin once per process.
    /// - Parameters:
    ///   - settings: the process-wide settings, already valid against `manifest.settingsSchema`.
    ///   - host: the host's capabilities (HTTP, log); valid for the life of the process.
    /// - Throws: any error to refuse the settings; the host reports it and does not load the plugin.
    init(settings: PluginJSON, host: HostCapabilities) throws

    /// Checks a practice's settings beyond their schema (which is checked before this is called),
    /// for example by asking the remote service whether the account key works.
    func verify(settings: PluginJSON) async -> VerifyResult
}

extension Plugin {
    /// By default settings that satisfy `manifest.practiceSettingsSchema` are good.
    public func verify(settings: PluginJSON) async -> VerifyResult { .ok }
}
