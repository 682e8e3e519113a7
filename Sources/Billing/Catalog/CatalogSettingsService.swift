import BillingCore
import Foundation
import Storage

/// A practice's bill settings as `settings.get` shows them.
public struct SettingsSnapshot: Sendable, Hashable {
    /// The practice's settings (defaults for fields never set).
    public var settings: BillSettings
    /// The version to send with `settings.update` (1 while the practice has never changed a setting).
    public var version: Int
    /// The settings that apply: the practice's, with the client's overrides when a client was named.
    public var effective: BillSettings
    /// The client's overrides, when a client was named.
    public var overrides: BillSettingsOverrides?

    /// Creates a snapshot.
    public init(settings: BillSettings, version: Int, effective: BillSettings, overrides: BillSettingsOverrides?) {
        self.settings = settings
        self.version = version
        self.effective = effective
        self.overrides = overrides
    }
}

/// Use cases for bill and billing-automation settings, per practice with per-client overrides.
public struct SettingsService: Sendable {
    let practiceSettings = PracticeSettingsRepository()
    let clientOverrides = ClientBillingOverridesRepository()

    /// Creates the use cases.
    public init() {}

    /// The practice's settings and their version; ``BillSettings/defaults`` at version 1 when never changed.
    public func practiceSettings(in transaction: Transaction, forUpdate: Bool = false) async throws
        -> PracticeSettingsRepository.Stored
    {
        try await practiceSettings.find(in: transaction, forUpdate: forUpdate)
            ?? PracticeSettingsRepository.Stored(settings: .defaults, version: 1)
    }

    /// The settings that apply to `clientID` (the practice's merged with that client's overrides),
    /// or the practice's own settings when `clientID` is `nil`. Bills use this for due dates and
    /// no-show fees; the automation schedulers for everything else.
    /// - Throws: not found on `/clientId` when the practice has no such client.
    public func effective(for clientID: ClientID?, in transaction: Transaction) async throws -> BillSettings {
        try await snapshot(for: clientID, in: transaction).effective
    }

    /// What `settings.get` answers.
    /// - Throws: not found on `/clientId` when the practice has no such client.
    public func snapshot(for clientID: ClientID?, in transaction: Transaction) async throws -> SettingsSnapshot {
        let stored = try await practiceSettings(in: transaction)
        guard let clientID else {
            return SettingsSnapshot(settings: stored.settings, version: stored.version, effective: stored.settings,
                                    overrides: nil)
        }
        guard let overrides = try await clientOverrides.find(clientID, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        return SettingsSnapshot(settings: stored.settings, version: stored.version,
                                effective: stored.settings.applying(overrides), overrides: overrides)
    }

    /// Applies changes to the practice's settings.
    /// - Throws: a conflict on a stale version; validation errors naming every bad field.
    public func update(_ changes: SettingsChanges, practiceID: PracticeID, in transaction: Transaction) async throws
        -> SettingsSnapshot
    {
        let existing = try await practiceSettings.find(in: transaction, forUpdate: true)
        let current = existing ?? PracticeSettingsRepository.Stored(settings: .defaults, version: 1)
        guard current.version == changes.version else { throw DomainError.staleVersion("settings") }
        var settings = changes.applied(to: current.settings)
        settings.noShowFee.appliesTo = Self.canonical(settings.noShowFee.appliesTo)
        let problems = settings.problems()
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        let version: Int
        if existing == nil {
            version = current.version + 1
            try await practiceSettings.insert(settings, version: version, practiceID: practiceID, in: transaction)
        } else {
            guard let stored = try await practiceSettings.update(settings, expectedVersion: current.version, in: transaction)
            else { throw DomainError.staleVersion("settings") }
            version = stored
        }
        return SettingsSnapshot(settings: settings, version: version, effective: settings, overrides: nil)
    }

    /// Applies changes to one client's overrides (`null` removes an override).
    /// - Throws: not found on `/clientId`; validation errors under `/overrides` naming every bad field.
    public func updateClient(_ update: ClientOverridesUpdate, in transaction: Transaction) async throws -> SettingsSnapshot {
        guard let existing = try await clientOverrides.find(update.clientId, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        var overrides = update.overrides.applied(to: existing)
        if let appliesTo = overrides.noShowFee?.appliesTo { overrides.noShowFee?.appliesTo = Self.canonical(appliesTo) }
        let stored = try await practiceSettings(in: transaction)
        let effective = stored.settings.applying(overrides)
        let problems = overrides.problems(pointerPrefix: "/overrides")
            + effective.combinationProblems(pointerPrefix: "/overrides")
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        guard try await clientOverrides.replace(overrides, of: update.clientId, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        return SettingsSnapshot(settings: stored.settings, version: stored.version, effective: effective,
                                overrides: overrides)
    }

    /// `kinds` in the canonical order (noShow, lateCancel); duplicates are kept for validation to report.
    static func canonical(_ kinds: [MissedSessionKind]) -> [MissedSessionKind] {
        Set(kinds).count == kinds.count ? MissedSessionKind.allCases.filter(kinds.contains) : kinds
    }
}
