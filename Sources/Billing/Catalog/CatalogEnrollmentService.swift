import BillingCore
import Foundation
import Storage

/// Use cases for the practice's enrollments with payers, and the enrollment hold on claims.
public struct EnrollmentService: Sendable {
    let enrollments = EnrollmentRepository()
    let payers = PayerService()

    /// Creates the use cases.
    public init() {}

    /// Records an enrollment with a payer for claims or ERA.
    /// - Throws: not found on `/payerId`; a conflict when the practice already has an enrollment
    ///   of that kind with the payer; validation errors naming every bad date.
    public func create(_ input: NewEnrollment, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> Enrollment
    {
        _ = try await payers.payer(input.payerId, pointer: "/payerId", in: transaction)
        let enrollment = Enrollment(
            id: .generate(), payerId: input.payerId, kind: input.kind, status: input.status ?? .notStarted,
            submittedOn: input.submittedOn, decidedOn: input.decidedOn, note: input.note, version: 1, createdAt: now,
            updatedAt: now)
        let problems = enrollment.problems()
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if try await enrollments.find(payerID: input.payerId, kind: input.kind, in: transaction) != nil {
            throw DomainError(
                .conflict, code: "enrollment.duplicate",
                message: "the practice already has a \(input.kind.rawValue) enrollment with this payer; update it instead",
                problems: [FieldProblem(pointer: "/kind", reason: "already recorded for this payer", code: "duplicate")])
        }
        try await enrollments.insert(enrollment, practiceID: practiceID, in: transaction)
        return enrollment
    }

    /// An enrollment of the current practice.
    public func enrollment(_ id: EnrollmentID, in transaction: Transaction) async throws -> Enrollment {
        guard let enrollment = try await enrollments.find(id, in: transaction) else {
            throw DomainError.notFound("enrollment")
        }
        return enrollment
    }

    /// A page of the practice's enrollments in creation order, optionally for one payer, kind or status.
    /// - Throws: not found on `/payerId` when the payer does not exist.
    public func list(payerID: PayerID?, kind: EnrollmentKind?, status: EnrollmentStatus?, after cursor: EnrollmentID?,
                     limit: Int, in transaction: Transaction) async throws -> Page<Enrollment> {
        if let payerID { _ = try await payers.payer(payerID, pointer: "/payerId", in: transaction) }
        return try await enrollments.list(payerID: payerID, kind: kind, status: status, after: cursor, limit: limit,
                                          in: transaction)
    }

    /// Applies changes to an enrollment; a status change must follow ``EnrollmentStatus``'s table.
    /// - Throws: not found; a conflict for a stale version or a refused transition (both statuses
    ///   named); validation errors naming every bad date.
    public func update(_ changes: EnrollmentChanges, in transaction: Transaction) async throws -> Enrollment {
        guard var enrollment = try await enrollments.find(changes.id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("enrollment")
        }
        guard enrollment.version == changes.version else { throw DomainError.staleVersion("enrollment") }
        let next = changes.status.applied(to: enrollment.status)
        let previous = enrollment.status
        enrollment.status = try previous.transition(to: next)
        enrollment.submittedOn = changes.submittedOn.applied(to: enrollment.submittedOn)
        enrollment.decidedOn = changes.decidedOn.applied(to: enrollment.decidedOn)
        // A resubmission after a rejection starts a new wait: the old decision date no longer applies.
        if next != previous, !next.isDecided, !changes.decidedOn.isPresent { enrollment.decidedOn = nil }
        enrollment.note = changes.note.applied(to: enrollment.note)
        let problems = enrollment.problems()
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        guard let stored = try await enrollments.update(enrollment, expectedVersion: changes.version, in: transaction) else {
            throw DomainError.staleVersion("enrollment")
        }
        return stored
    }

    /// Why claims to `payerID` are held back, or `nil` when they may be sent: a payer that requires
    /// claims enrollment accepts claims only once the practice's claims enrollment is approved.
    /// - Throws: not found on `/payerId` when the payer does not exist.
    public func claimsBlockReason(payerID: PayerID, in transaction: Transaction) async throws -> String? {
        let payer = try await payers.payer(payerID, pointer: "/payerId", in: transaction)
        let enrollment = try await enrollments.find(payerID: payerID, kind: .claims, in: transaction)
        guard Enrollment.blocksClaims(claimsEnrollmentRequired: payer.claimsEnrollmentRequired,
                                      claimsEnrollment: enrollment?.status) else { return nil }
        guard let enrollment else { return "\(payer.name) requires claims enrollment and the practice has none on record" }
        return "\(payer.name) requires claims enrollment and the practice's enrollment is \(enrollment.status.label)"
    }

    /// `true` when claims to `payerID` are blocked: the payer requires claims enrollment and the
    /// practice has no approved claims enrollment with it. Used by claim eligibility.
    /// - Throws: not found on `/payerId` when the payer does not exist.
    public func blocksClaims(payerID: PayerID, in transaction: Transaction) async throws -> Bool {
        try await claimsBlockReason(payerID: payerID, in: transaction) != nil
    }
}
