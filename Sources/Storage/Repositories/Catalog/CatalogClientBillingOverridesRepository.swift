import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes one column of `clients`: `billing_overrides`, a client's overrides of the
/// practice's bill settings. The rest of the client record belongs to the clients repository.
public struct ClientBillingOverridesRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// The overrides of the client with `id`, or `nil` when the practice has no such client.
    public func find(_ id: ClientID, in transaction: Transaction, forUpdate: Bool = false) async throws
        -> BillSettingsOverrides?
    {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select billing_overrides::text as overrides from clients where id = \(id.uuid)\(unescaped: lock)")
        else { return nil }
        return try RowReader(row).json(BillSettingsOverrides.self, "overrides")
    }

    /// Replaces the client's overrides; `false` when the practice has no such client.
    public func replace(_ overrides: BillSettingsOverrides, of id: ClientID, in transaction: Transaction) async throws
        -> Bool
    {
        try await transaction.firstRow("""
            update clients set billing_overrides = \(try jsonText(overrides))::jsonb where id = \(id.uuid) returning id
            """) != nil
    }
}
