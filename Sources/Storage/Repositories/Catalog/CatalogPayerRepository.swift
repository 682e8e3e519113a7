import BillingCore
import Foundation
import PostgresNIO

/// Reads the global payer catalog (`payers`, reference data without `practice_id`).
public struct PayerRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, name, clearinghouse_payer_id, payer_type, address::text as address, phone, claims_enrollment_required,
        era_enrollment_required, active
        """

    /// The payer with `id`, active or not.
    public func find(_ id: PayerID, in transaction: Transaction) async throws -> Payer? {
        guard let row = try await transaction.firstRow("select \(unescaped: Self.columns) from payers where id = \(id.uuid)")
        else { return nil }
        return try Self.decode(row)
    }

    /// The payer the clearinghouse knows by `clearinghousePayerID` (case-insensitive).
    public func find(clearinghousePayerID: String, in transaction: Transaction) async throws -> Payer? {
        guard let row = try await transaction.firstRow("""
            select \(unescaped: Self.columns) from payers where upper(clearinghouse_payer_id) = upper(\(clearinghousePayerID))
            order by id limit 1
            """) else { return nil }
        return try Self.decode(row)
    }

    /// A page of active payers whose name or clearinghouse payer id contains `query` (case-insensitive),
    /// ordered by name then id, after `cursor`.
    public func search(_ query: String?, after cursor: Payer?, limit: Int, in transaction: Transaction) async throws
        -> Page<Payer>
    {
        // position() rather than LIKE, so `%` and `_` in the query are plain characters.
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from payers
            where active
              and (\(query)::text is null
                   or position(lower(\(query)::text) in lower(name)) > 0
                   or position(lower(\(query)::text) in lower(clearinghouse_payer_id)) > 0)
              and (\(cursor?.id.uuid)::uuid is null
                   or (lower(name), id) > (lower(\(cursor?.name)::text), \(cursor?.id.uuid)::uuid))
            order by lower(name), id limit \(limit + 1)
            """)
        var payers = try rows.map(Self.decode)
        var next: String? = nil
        if payers.count > limit {
            payers.removeLast()
            next = payers.last?.id.description
        }
        return Page(items: payers, nextCursor: next)
    }

    static func decode(_ row: PostgresRow) throws -> Payer {
        let reader = RowReader(row)
        let addressText = try reader.optionalString("address")
        return Payer(
            id: try reader.id(PayerID.self, "id"),
            name: try reader.string("name"),
            clearinghousePayerId: try reader.string("clearinghouse_payer_id"),
            payerType: PayerType(rawValue: try reader.string("payer_type")) ?? .other,
            address: try addressText.map { try JSONDecoder().decode(Address.self, from: Data($0.utf8)) },
            phone: try reader.optionalString("phone"),
            claimsEnrollmentRequired: try reader.bool("claims_enrollment_required"),
            eraEnrollmentRequired: try reader.bool("era_enrollment_required"),
            active: try reader.bool("active"))
    }
}
