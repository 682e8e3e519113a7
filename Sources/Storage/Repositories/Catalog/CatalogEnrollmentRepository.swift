import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes the practice × payer `enrollments` of the current practice.
public struct EnrollmentRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, payer_id, kind, status, submitted_on::text as submitted_on, decided_on::text as decided_on, note, version,
        created_at, updated_at
        """

    /// Inserts an enrollment into the current practice.
    public func insert(_ enrollment: Enrollment, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into enrollments (practice_id, id, payer_id, kind, status, submitted_on, decided_on, note, version,
                                     created_at, updated_at)
            values (\(practiceID.uuid), \(enrollment.id.uuid), \(enrollment.payerId.uuid), \(enrollment.kind.rawValue),
                    \(enrollment.status.rawValue), \(enrollment.submittedOn?.description)::date,
                    \(enrollment.decidedOn?.description)::date, \(enrollment.note), \(enrollment.version),
                    \(enrollment.createdAt), \(enrollment.updatedAt))
            """)
    }

    /// The enrollment with `id` in the current practice.
    public func find(_ id: EnrollmentID, in transaction: Transaction, forUpdate: Bool = false) async throws -> Enrollment? {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from enrollments where id = \(id.uuid)\(unescaped: lock)") else { return nil }
        return try Self.decode(row)
    }

    /// The practice's enrollment with `payerID` for `kind`, if it has one.
    public func find(payerID: PayerID, kind: EnrollmentKind, in transaction: Transaction) async throws -> Enrollment? {
        guard let row = try await transaction.firstRow("""
            select \(unescaped: Self.columns) from enrollments where payer_id = \(payerID.uuid) and kind = \(kind.rawValue)
            """) else { return nil }
        return try Self.decode(row)
    }

    /// A page of enrollments ordered by id (creation order), after `cursor`, optionally filtered.
    public func list(payerID: PayerID?, kind: EnrollmentKind?, status: EnrollmentStatus?, after cursor: EnrollmentID?,
                     limit: Int, in transaction: Transaction) async throws -> Page<Enrollment> {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from enrollments
            where (\(payerID?.uuid)::uuid is null or payer_id = \(payerID?.uuid))
              and (\(kind?.rawValue)::text is null or kind = \(kind?.rawValue))
              and (\(status?.rawValue)::text is null or status = \(status?.rawValue))
              and (\(cursor?.uuid)::uuid is null or id > \(cursor?.uuid))
            order by id limit \(limit + 1)
            """)
        var enrollments = try rows.map(Self.decode)
        var next: String? = nil
        if enrollments.count > limit {
            enrollments.removeLast()
            next = enrollments.last?.id.description
        }
        return Page(items: enrollments, nextCursor: next)
    }

    /// Writes `enrollment` if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ enrollment: Enrollment, expectedVersion: Int, in transaction: Transaction) async throws
        -> Enrollment?
    {
        let row = try await transaction.firstRow("""
            update enrollments set status = \(enrollment.status.rawValue),
                submitted_on = \(enrollment.submittedOn?.description)::date,
                decided_on = \(enrollment.decidedOn?.description)::date, note = \(enrollment.note),
                version = version + 1, updated_at = now()
            where id = \(enrollment.id.uuid) and version = \(expectedVersion)
            returning \(unescaped: Self.columns)
            """)
        return try row.map(Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> Enrollment {
        let reader = RowReader(row)
        return Enrollment(
            id: try reader.id(EnrollmentID.self, "id"),
            payerId: try reader.id(PayerID.self, "payer_id"),
            kind: EnrollmentKind(rawValue: try reader.string("kind")) ?? .claims,
            status: EnrollmentStatus(rawValue: try reader.string("status")) ?? .notStarted,
            submittedOn: try reader.optionalString("submitted_on").flatMap(CalendarDate.init),
            decidedOn: try reader.optionalString("decided_on").flatMap(CalendarDate.init),
            note: try reader.optionalString("note"),
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
