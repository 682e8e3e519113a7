import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes the current practice's bill and automation settings (`practice_settings`,
/// one JSON object with a version; no row until the practice first changes a setting).
public struct PracticeSettingsRepository: Sendable {
    /// Stored settings and their version.
    public struct Stored: Sendable, Hashable {
        public var settings: BillSettings
        public var version: Int

        /// Creates a stored value.
        public init(settings: BillSettings, version: Int) {
            self.settings = settings
            self.version = version
        }
    }

    /// Creates the repository.
    public init() {}

    /// The practice's stored settings, or `nil` when it never changed them.
    public func find(in transaction: Transaction, forUpdate: Bool = false) async throws -> Stored? {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select settings::text as settings, version from practice_settings\(unescaped: lock)") else { return nil }
        let reader = RowReader(row)
        return Stored(settings: try reader.json(BillSettings.self, "settings"), version: try reader.int("version"))
    }

    /// Stores the practice's first settings row with `version`.
    public func insert(_ settings: BillSettings, version: Int, practiceID: PracticeID, in transaction: Transaction)
        async throws
    {
        try await transaction.query("""
            insert into practice_settings (practice_id, settings, version, updated_at)
            values (\(practiceID.uuid), \(try jsonText(settings))::jsonb, \(version), now())
            """)
    }

    /// Replaces the settings if the stored version is `expectedVersion`; returns the new version, or `nil` when stale.
    public func update(_ settings: BillSettings, expectedVersion: Int, in transaction: Transaction) async throws -> Int? {
        let row = try await transaction.firstRow("""
            update practice_settings
            set settings = \(try jsonText(settings))::jsonb, version = version + 1, updated_at = now()
            where version = \(expectedVersion)
            returning version
            """)
        return try row.map { try RowReader($0).int("version") }
    }
}
