import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes the `services` of the current practice.
public struct ServiceRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, code, code_type, name, description, default_rate_cents, default_duration_minutes, billed_in_units, may_repeat,
        addon_parent_codes, enabled, version, created_at, updated_at
        """

    /// Inserts a service into the current practice.
    public func insert(_ service: BillableService, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into services (practice_id, id, code, code_type, name, description, default_rate_cents,
                                  default_duration_minutes, billed_in_units, may_repeat, addon_parent_codes, enabled,
                                  version, created_at, updated_at)
            values (\(practiceID.uuid), \(service.id.uuid), \(service.code), \(service.codeType.rawValue), \(service.name),
                    \(service.description), \(service.defaultRateCents), \(service.defaultDurationMinutes),
                    \(service.billedInUnits), \(service.mayRepeat), \(service.addonParentCodes), \(service.enabled),
                    \(service.version), \(service.createdAt), \(service.updatedAt))
            """)
    }

    /// Inserts a service unless the practice already has one with the same code (which is left untouched).
    /// - Returns: `true` when the row was inserted.
    public func insertIfCodeIsNew(_ service: BillableService, practiceID: PracticeID, in transaction: Transaction)
        async throws -> Bool
    {
        let row = try await transaction.firstRow("""
            insert into services (practice_id, id, code, code_type, name, description, default_rate_cents,
                                  default_duration_minutes, billed_in_units, may_repeat, addon_parent_codes, enabled,
                                  version, created_at, updated_at)
            values (\(practiceID.uuid), \(service.id.uuid), \(service.code), \(service.codeType.rawValue), \(service.name),
                    \(service.description), \(service.defaultRateCents), \(service.defaultDurationMinutes),
                    \(service.billedInUnits), \(service.mayRepeat), \(service.addonParentCodes), \(service.enabled),
                    \(service.version), \(service.createdAt), \(service.updatedAt))
            on conflict (practice_id, code) do nothing
            returning id
            """)
        return row != nil
    }

    /// The service with `id` in the current practice.
    public func find(_ id: ServiceID, in transaction: Transaction, forUpdate: Bool = false) async throws
        -> BillableService?
    {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from services where id = \(id.uuid)\(unescaped: lock)") else { return nil }
        return try Self.decode(row)
    }

    /// `true` when another service of the practice already has `code`.
    public func codeTaken(_ code: String, except id: ServiceID?, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            select 1 from services where code = \(code) and (\(id?.uuid)::uuid is null or id <> \(id?.uuid))
            """) != nil
    }

    /// The services whose codes are in `codes`, ordered by code.
    public func withCodes(_ codes: [String], in transaction: Transaction) async throws -> [BillableService] {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from services where code = any(\(codes)::text[]) order by code
            """).map(Self.decode)
    }

    /// A page of services ordered by code, after the service coded `afterCode`.
    /// - Parameters:
    ///   - enabled: only services with this flag; `nil` for both.
    ///   - codeType: only services of this code type; `nil` for all.
    public func list(enabled: Bool?, codeType: ServiceCodeType?, afterCode: String?, limit: Int,
                     in transaction: Transaction) async throws -> Page<BillableService> {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from services
            where (\(enabled)::boolean is null or enabled = \(enabled))
              and (\(codeType?.rawValue)::text is null or code_type = \(codeType?.rawValue))
              and (\(afterCode)::text is null or code > \(afterCode))
            order by code limit \(limit + 1)
            """)
        var services = try rows.map(Self.decode)
        var next: String? = nil
        if services.count > limit {
            services.removeLast()
            next = services.last?.id.description
        }
        return Page(items: services, nextCursor: next)
    }

    /// Writes `service` if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ service: BillableService, expectedVersion: Int, in transaction: Transaction) async throws
        -> BillableService?
    {
        let row = try await transaction.firstRow("""
            update services set code = \(service.code), code_type = \(service.codeType.rawValue), name = \(service.name),
                description = \(service.description), default_rate_cents = \(service.defaultRateCents),
                default_duration_minutes = \(service.defaultDurationMinutes), billed_in_units = \(service.billedInUnits),
                may_repeat = \(service.mayRepeat), addon_parent_codes = \(service.addonParentCodes),
                enabled = \(service.enabled), version = version + 1, updated_at = now()
            where id = \(service.id.uuid) and version = \(expectedVersion)
            returning \(unescaped: Self.columns)
            """)
        return try row.map(Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> BillableService {
        let reader = RowReader(row)
        return BillableService(
            id: try reader.id(ServiceID.self, "id"),
            code: try reader.string("code"),
            codeType: ServiceCodeType(rawValue: try reader.string("code_type")) ?? .custom,
            name: try reader.string("name"),
            description: try reader.string("description"),
            defaultRateCents: try reader.int64("default_rate_cents"),
            defaultDurationMinutes: try reader.optionalInt("default_duration_minutes"),
            billedInUnits: try reader.bool("billed_in_units"),
            mayRepeat: try reader.bool("may_repeat"),
            addonParentCodes: try reader.strings("addon_parent_codes"),
            enabled: try reader.bool("enabled"),
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
