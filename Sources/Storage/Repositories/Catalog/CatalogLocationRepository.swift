import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes the `service_locations` of the current practice.
public struct LocationRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, name, place_of_service, address::text as address, active, version, created_at, updated_at
        """

    /// Inserts a location into the current practice.
    public func insert(_ location: ServiceLocation, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into service_locations (practice_id, id, name, place_of_service, address, active, version, created_at,
                                           updated_at)
            values (\(practiceID.uuid), \(location.id.uuid), \(location.name), \(location.placeOfService),
                    \(try jsonText(location.address))::jsonb, \(location.active), \(location.version),
                    \(location.createdAt), \(location.updatedAt))
            """)
    }

    /// The location with `id` in the current practice.
    public func find(_ id: LocationID, in transaction: Transaction, forUpdate: Bool = false) async throws
        -> ServiceLocation?
    {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from service_locations where id = \(id.uuid)\(unescaped: lock)")
        else { return nil }
        return try Self.decode(row)
    }

    /// A page of locations ordered by name then id, after `cursor` (a location of the practice).
    public func list(after cursor: ServiceLocation?, limit: Int, includeInactive: Bool, in transaction: Transaction)
        async throws -> Page<ServiceLocation>
    {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from service_locations
            where (\(includeInactive) or active)
              and (\(cursor?.id.uuid)::uuid is null or (name, id) > (\(cursor?.name)::text, \(cursor?.id.uuid)::uuid))
            order by name, id limit \(limit + 1)
            """)
        var locations = try rows.map(Self.decode)
        var next: String? = nil
        if locations.count > limit {
            locations.removeLast()
            next = locations.last?.id.description
        }
        return Page(items: locations, nextCursor: next)
    }

    /// Writes `location` if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ location: ServiceLocation, expectedVersion: Int, in transaction: Transaction) async throws
        -> ServiceLocation?
    {
        let row = try await transaction.firstRow("""
            update service_locations set name = \(location.name), place_of_service = \(location.placeOfService),
                address = \(try jsonText(location.address))::jsonb, active = \(location.active), version = version + 1,
                updated_at = now()
            where id = \(location.id.uuid) and version = \(expectedVersion)
            returning \(unescaped: Self.columns)
            """)
        return try row.map(Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> ServiceLocation {
        let reader = RowReader(row)
        return ServiceLocation(
            id: try reader.id(LocationID.self, "id"),
            name: try reader.string("name"),
            placeOfService: try reader.string("place_of_service"),
            address: try reader.json(Address.self, "address"),
            active: try reader.bool("active"),
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
