import BillingCore
import Foundation
import PostgresNIO

/// An `integrations` row: the settings stay sealed here; Billing opens them.
public struct IntegrationRecord: Sendable {
    public var id: IntegrationID
    /// `clearinghouse`, `paymentProcessor`, `email` or `sms`.
    public var slot: String
    /// `clearinghouse`, `paymentProcessor` or `notificationChannel`.
    public var kind: String
    public var plugin: String
    /// SecretBox ciphertext of the settings JSON.
    public var sealedSettings: String
    /// JSON of the last `integration.test` outcome.
    public var lastCheckJSON: String?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a record.
    public init(id: IntegrationID, slot: String, kind: String, plugin: String, sealedSettings: String,
                lastCheckJSON: String?, version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.slot = slot
        self.kind = kind
        self.plugin = plugin
        self.sealedSettings = sealedSettings
        self.lastCheckJSON = lastCheckJSON
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Reads and writes the current practice's `integrations`.
public struct IntegrationRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, slot, kind, plugin, settings_sealed, last_test::text as last_test, version, created_at, updated_at
        """

    /// Inserts a new integration.
    public func insert(_ record: IntegrationRecord, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into integrations (practice_id, id, slot, kind, plugin, settings_sealed, version, created_at, updated_at)
            values (\(practiceID.uuid), \(record.id.uuid), \(record.slot), \(record.kind), \(record.plugin),
                    \(record.sealedSettings), \(record.version), \(record.createdAt), \(record.updatedAt))
            """)
    }

    /// Replaces plugin and settings of an integration, clearing its last check.
    public func replace(_ record: IntegrationRecord, in transaction: Transaction) async throws {
        try await transaction.query("""
            update integrations set plugin = \(record.plugin), kind = \(record.kind),
                settings_sealed = \(record.sealedSettings), last_test = null, version = \(record.version),
                updated_at = \(record.updatedAt)
            where id = \(record.id.uuid)
            """)
    }

    /// Stores the outcome of `integration.test`.
    public func recordCheck(_ json: String, for id: IntegrationID, in transaction: Transaction) async throws {
        try await transaction.query("update integrations set last_test = \(json)::jsonb where id = \(id.uuid)")
    }

    /// The integration filling `slot`, locked when `forUpdate`.
    public func find(slot: String, in transaction: Transaction, forUpdate: Bool = false) async throws -> IntegrationRecord? {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from integrations where slot = \(slot)\(unescaped: lock)")
        else { return nil }
        return try Self.decode(row)
    }

    /// Every integration of the practice, by slot.
    public func all(in transaction: Transaction) async throws -> [IntegrationRecord] {
        try await transaction.rows("select \(unescaped: Self.columns) from integrations order by slot").map(Self.decode)
    }

    /// Deletes the integration filling `slot`; `false` when there was none.
    public func delete(slot: String, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("delete from integrations where slot = \(slot) returning id") != nil
    }

    static func decode(_ row: PostgresRow) throws -> IntegrationRecord {
        let reader = RowReader(row)
        return IntegrationRecord(
            id: try reader.id(IntegrationID.self, "id"), slot: try reader.string("slot"), kind: try reader.string("kind"),
            plugin: try reader.string("plugin"), sealedSettings: try reader.string("settings_sealed"),
            lastCheckJSON: try reader.optionalString("last_test"), version: try reader.int("version"),
            createdAt: try reader.date("created_at"), updatedAt: try reader.date("updated_at"))
    }
}
