import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes the `practices` table (one row per tenant, visible only to itself).
public struct PracticeRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        practice_id, legal_name, tax_id, tax_id_type, npi, taxonomy_code, billing_provider_type, address::text as address,
        phone, time_zone, version, created_at, updated_at, require_two_factor
        """

    /// Inserts a new practice; the transaction's tenant must already be the practice's id.
    public func insert(_ practice: Practice, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into practices (practice_id, legal_name, tax_id, tax_id_type, npi, taxonomy_code, billing_provider_type,
                                   address, phone, time_zone, version, created_at, updated_at)
            values (\(practice.id.uuid), \(practice.legalName), \(practice.taxId), \(practice.taxIdType.rawValue),
                    \(practice.npi), \(practice.taxonomyCode), \(practice.billingProviderType.rawValue),
                    \(try jsonText(practice.address))::jsonb, \(practice.phone), \(practice.timeZone), \(practice.version),
                    \(practice.createdAt), \(practice.updatedAt))
            """)
    }

    /// The current tenant's practice.
    public func current(in transaction: Transaction) async throws -> Practice? {
        guard let row = try await transaction.firstRow("select \(unescaped: Self.columns) from practices") else { return nil }
        return try Self.decode(row)
    }

    /// Writes `practice` if its stored version is `expectedVersion`; returns the stored row or `nil` on a stale version.
    public func update(_ practice: Practice, expectedVersion: Int, in transaction: Transaction) async throws -> Practice? {
        let row = try await transaction.firstRow("""
            update practices set legal_name = \(practice.legalName), tax_id = \(practice.taxId),
                tax_id_type = \(practice.taxIdType.rawValue), npi = \(practice.npi), taxonomy_code = \(practice.taxonomyCode),
                billing_provider_type = \(practice.billingProviderType.rawValue),
                address = \(try jsonText(practice.address))::jsonb, phone = \(practice.phone),
                time_zone = \(practice.timeZone), require_two_factor = \(practice.requireTwoFactor),
                version = version + 1, updated_at = now()
            where practice_id = \(practice.id.uuid) and version = \(expectedVersion)
            returning \(unescaped: Self.columns)
            """)
        return try row.map(Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> Practice {
        let reader = RowReader(row)
        var practice = Practice(
            id: try reader.id(PracticeID.self, "practice_id"),
            legalName: try reader.string("legal_name"),
            taxId: try reader.string("tax_id"),
            taxIdType: TaxID.Kind(rawValue: try reader.string("tax_id_type")) ?? .ein,
            npi: try reader.string("npi"),
            taxonomyCode: try reader.string("taxonomy_code"),
            billingProviderType: BillingProviderType(rawValue: try reader.string("billing_provider_type")) ?? .organization,
            address: try reader.json(Address.self, "address"),
            phone: try reader.string("phone"),
            timeZone: try reader.string("time_zone"),
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
        practice.requireTwoFactor = try reader.bool("require_two_factor")
        return practice
    }
}
