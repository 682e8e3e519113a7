import BillingCore
import Foundation
import PluginAPI
import PluginHost
import Storage

/// The plugins this server loaded and the key that seals practices' integration settings.
public struct PluginRuntime: Sendable {
    /// The plugins named by `LEDGERLINE_PLUGINS`, loaded at start-up.
    public let plugins: LoadedPlugins
    /// Seals integration settings; `nil` when `LEDGERLINE_SECRET_KEY` is not set (integrations
    /// cannot then be configured, and the error says so).
    public let secretBox: SecretBox?

    /// Bundles the loaded plugins and the secret key.
    public init(plugins: LoadedPlugins, secretBox: SecretBox?) {
        self.plugins = plugins
        self.secretBox = secretBox
    }

    /// No plugins and no key: every integration feature answers "not configured".
    public static let none = PluginRuntime(plugins: LoadedPlugins([:]), secretBox: nil)

    /// Every loaded plugin by configured name, with its manifest.
    public var available: [(name: String, manifest: PluginManifest)] {
        plugins.names.compactMap { name in (try? plugins.plugin(named: name)).map { (name, $0.manifest) } }
    }

    /// The sealing key, or the error an operator can act on.
    func requireSecretBox() throws -> SecretBox {
        guard let secretBox else {
            throw DomainError(.notConfigured, code: "integration.noSecretKey",
                              message: "this server has no LEDGERLINE_SECRET_KEY, so integration settings cannot be stored")
        }
        return secretBox
    }
}

/// Where a practice plugs an integration in: one clearinghouse, one payment processor and one
/// plugin per notification channel.
public enum IntegrationSlot: String, Codable, Sendable, CaseIterable {
    case clearinghouse
    case paymentProcessor
    case email
    case sms

    /// The plugin kind that can fill the slot.
    public var kind: PluginKind {
        switch self {
        case .clearinghouse: .clearinghouse
        case .paymentProcessor: .paymentProcessor
        case .email, .sms: .notificationChannel
        }
    }
}

/// What `integration.test` found, kept on the integration.
public struct IntegrationCheck: Codable, Sendable, Hashable {
    /// When the check ran.
    public var at: Date
    /// `true` when the plugin accepted the settings.
    public var ok: Bool
    /// What the plugin (or the settings schema) objected to.
    public var problems: [SettingsProblem]
}

/// A practice's integration, its settings opened.
public struct Integration: Sendable {
    public var id: IntegrationID
    public var slot: IntegrationSlot
    public var plugin: String
    /// The full settings, secrets included: never return these to a caller (see `maskedSettings`).
    public var settings: PluginJSON
    public var lastCheck: IntegrationCheck?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// The kind of plugin serving the integration.
    public var kind: PluginKind { slot.kind }
}

/// What to configure (`integration.configure`).
public struct IntegrationRequest: Sendable {
    public var kind: PluginKind
    public var channel: IntegrationSlot?
    public var plugin: String
    public var settings: PluginJSON

    /// Creates a request.
    public init(kind: PluginKind, channel: IntegrationSlot?, plugin: String, settings: PluginJSON) {
        self.kind = kind
        self.channel = channel
        self.plugin = plugin
        self.settings = settings
    }
}

/// Per-practice integrations with the loaded plugins: settings validated against the plugin's
/// schema, sealed at rest with the practice bound in, masked when listed, verified on demand.
public struct IntegrationService: Sendable {
    let runtime: PluginRuntime
    let repository = IntegrationRepository()

    /// The text that stands for a secret when settings are shown.
    public static let mask = "********"

    /// Creates the use cases over the server's plugins.
    public init(runtime: PluginRuntime) { self.runtime = runtime }

    /// Creates or replaces the practice's integration for a slot. A secret (a `writeOnly` setting)
    /// left out when the same plugin is reconfigured keeps its stored value, so a front end can
    /// change the sender address without asking for the password again.
    /// - Throws: validation errors naming `/plugin`, `/channel` or `/settings/…`; not configured
    ///   when the server has no secret key.
    public func configure(_ request: IntegrationRequest, practiceID: PracticeID, in transaction: Transaction,
                          now: Date = Date()) async throws -> Integration {
        let slot = try Self.slot(for: request)
        let plugin = try loadedPlugin(request.plugin, pointer: "/plugin")
        guard plugin.manifest.kind == request.kind else {
            throw DomainError.invalid("/plugin", "is a \(plugin.manifest.kind.rawValue) plugin, not a \(request.kind.rawValue)")
        }
        guard case .object(var settings) = request.settings else {
            throw DomainError.invalid("/settings", "must be an object")
        }
        let existing = try await repository.find(slot: slot.rawValue, in: transaction, forUpdate: true)
        let schema = plugin.manifest.practiceSettingsSchema ?? ["type": "object"]
        if let existing, existing.plugin == request.plugin, case .object(let stored)? = try? open(existing, practiceID) {
            for name in Self.secretNames(in: schema) where settings[name] == nil || settings[name] == .string(Self.mask) {
                if let value = stored[name] { settings[name] = value }
            }
        }
        let merged = PluginJSON.object(settings)
        let problems = SettingsSchemaValidator.validate(merged, against: schema)
        guard problems.isEmpty else {
            throw DomainError.validation(problems.map {
                FieldProblem(pointer: "/settings" + $0.pointer, reason: $0.message)
            })
        }
        let sealed = try runtime.requireSecretBox().seal(String(decoding: merged.encoded(), as: UTF8.self),
                                                         for: practiceID)
        let integration = Integration(
            id: existing?.id ?? .generate(), slot: slot, plugin: request.plugin, settings: merged, lastCheck: nil,
            version: (existing?.version ?? 0) + 1, createdAt: existing?.createdAt ?? now, updatedAt: now)
        let record = IntegrationRecord(
            id: integration.id, slot: slot.rawValue, kind: slot.kind.rawValue, plugin: request.plugin,
            sealedSettings: sealed, lastCheckJSON: nil, version: integration.version, createdAt: integration.createdAt,
            updatedAt: now)
        if existing == nil {
            try await repository.insert(record, practiceID: practiceID, in: transaction)
        } else {
            try await repository.replace(record, in: transaction)
        }
        if slot == .clearinghouse {
            // Start reading the clearinghouse's status feed (each poll schedules the next).
            try await ClaimStatusSync.schedule(practiceID: practiceID, after: 1, in: transaction, now: now)
        }
        return integration
    }

    /// The practice's integrations, in slot order.
    public func list(practiceID: PracticeID, in transaction: Transaction) async throws -> [Integration] {
        try await repository.all(in: transaction).map { try opened($0, practiceID) }
    }

    /// Removes the practice's integration for a slot (its features then answer "not configured").
    /// - Returns: `false` when there was none.
    public func remove(_ slot: IntegrationSlot, in transaction: Transaction) async throws -> Bool {
        try await repository.delete(slot: slot.rawValue, in: transaction)
    }

    /// Asks the plugin to check the practice's settings (credentials, reachability) and keeps the answer.
    /// - Throws: not found when the slot is empty; not configured when its plugin is not loaded.
    public func test(_ slot: IntegrationSlot, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> (Integration, IntegrationCheck)
    {
        guard let row = try await repository.find(slot: slot.rawValue, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("integration", pointer: "/slot")
        }
        var integration = try opened(row, practiceID)
        let plugin = try loadedPlugin(integration.plugin, pointer: "/slot", stored: true)
        let check: IntegrationCheck
        do {
            let result = try await plugin.verify(settings: integration.settings)
            check = IntegrationCheck(at: now, ok: result.ok, problems: result.problems)
        } catch {
            check = IntegrationCheck(at: now, ok: false, problems: [SettingsProblem(pointer: "", message: error.message)])
        }
        try await repository.recordCheck(String(decoding: try Self.encoder.encode(check), as: UTF8.self),
                                         for: integration.id, in: transaction)
        integration.lastCheck = check
        return (integration, check)
    }

    /// The plugin and settings serving a slot, for the features that use it.
    /// - Throws: −32012 not configured when the practice has no integration for the slot or the
    ///   server no longer loads its plugin.
    public func resolve(_ slot: IntegrationSlot, practiceID: PracticeID, in transaction: Transaction) async throws
        -> (plugin: LoadedPlugin, settings: PluginJSON)
    {
        guard let row = try await repository.find(slot: slot.rawValue, in: transaction) else {
            throw DomainError(.notConfigured, code: "integration.notConfigured",
                              message: "the practice has no \(slot.rawValue) integration; configure one with integration.configure")
        }
        let integration = try opened(row, practiceID)
        let plugin = try loadedPlugin(integration.plugin, pointer: "/plugin", stored: true)
        return (plugin, integration.settings)
    }

    /// `settings` with every secret (`writeOnly` in the plugin's schema) replaced by `mask`.
    public func maskedSettings(of integration: Integration) -> PluginJSON {
        let schema = (try? runtime.plugins.plugin(named: integration.plugin))?.manifest.practiceSettingsSchema
        return Self.masked(integration.settings, schema: schema)
    }

    /// `settings` with the secrets of `schema` masked; with no schema every string value is masked.
    public static func masked(_ settings: PluginJSON, schema: PluginJSON?) -> PluginJSON {
        guard case .object(var members) = settings else { return settings }
        if let schema {
            for name in secretNames(in: schema) where members[name] != nil && members[name] != .null {
                members[name] = .string(mask)
            }
        } else {
            for (name, value) in members where value.stringValue != nil { members[name] = .string(mask) }
        }
        return .object(members)
    }

    /// The top-level properties a schema marks `writeOnly: true` (or `x-secret: true`).
    static func secretNames(in schema: PluginJSON) -> [String] {
        guard let properties = schema["properties"]?.objectValue else { return [] }
        return properties.compactMap { name, property in
            property["writeOnly"] == .bool(true) || property["x-secret"] == .bool(true) ? name : nil
        }.sorted()
    }

    static func slot(for request: IntegrationRequest) throws -> IntegrationSlot {
        switch request.kind {
        case .clearinghouse:
            if let channel = request.channel, channel != .clearinghouse {
                throw DomainError.invalid("/channel", "is only for notification channels")
            }
            return .clearinghouse
        case .paymentProcessor:
            if let channel = request.channel, channel != .paymentProcessor {
                throw DomainError.invalid("/channel", "is only for notification channels")
            }
            return .paymentProcessor
        case .notificationChannel:
            guard let channel = request.channel, channel == .email || channel == .sms else {
                throw DomainError.invalid("/channel", "must be email or sms for a notification channel", code: "required")
            }
            return channel
        }
    }

    private func loadedPlugin(_ name: String, pointer: String, stored: Bool = false) throws -> LoadedPlugin {
        do {
            return try runtime.plugins.plugin(named: name)
        } catch {
            if stored {
                throw DomainError(.notConfigured, code: "integration.pluginNotLoaded",
                                  message: "the integration uses plugin '\(name)', which this server does not load")
            }
            let loaded = runtime.plugins.names
            throw DomainError.invalid(pointer, loaded.isEmpty
                ? "names no plugin this server loads (it loads none)"
                : "names no plugin this server loads (it loads: \(loaded.joined(separator: ", ")))", code: "unknownPlugin")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private func open(_ row: IntegrationRecord, _ practiceID: PracticeID) throws -> PluginJSON {
        let text = try runtime.requireSecretBox().open(row.sealedSettings, for: practiceID)
        return try PluginJSON(parsing: Data(text.utf8))
    }

    private func opened(_ row: IntegrationRecord, _ practiceID: PracticeID) throws -> Integration {
        guard let slot = IntegrationSlot(rawValue: row.slot) else {
            throw DomainError(.conflict, code: "integration.unknownSlot", message: "integration slot \(row.slot) is unknown")
        }
        var lastCheck: IntegrationCheck?
        if let json = row.lastCheckJSON {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            lastCheck = try? decoder.decode(IntegrationCheck.self, from: Data(json.utf8))
        }
        let settings: PluginJSON
        do {
            settings = try open(row, practiceID)
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError(.notConfigured, code: "integration.unreadable",
                              message: "the \(row.slot) integration's settings cannot be opened: \(error); configure it again")
        }
        return Integration(id: row.id, slot: slot, plugin: row.plugin, settings: settings, lastCheck: lastCheck,
                           version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt)
    }
}

extension DomainError {
    /// The JSON-RPC error for a failed plugin call: −32602 naming the field for bad input or a
    /// refused recipient, −32012 for settings the provider refuses, −32013 otherwise.
    public static func plugin(_ error: PluginError, pointerPrefix: String = "") -> DomainError {
        switch error.code {
        case .invalidParams where true, .rejected where error.field != nil:  // a refusal without a field is upstream
            return DomainError(.validation, code: "integration.\(error.code.rawValue)", message: error.message,
                               problems: [FieldProblem(pointer: pointerPrefix + (error.field ?? ""), reason: error.message,
                                                       code: error.code.rawValue)])
        case .invalidSettings:
            return DomainError(.notConfigured, code: "integration.invalidSettings",
                               message: "the integration's settings were refused: \(error.message); fix them with integration.configure")
        default:
            return DomainError(.upstream, code: "integration.\(error.code.rawValue)", message: error.message)
        }
    }
}
