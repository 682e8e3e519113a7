import Foundation

/// What a practice × payer enrollment is for.
public enum EnrollmentKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// Permission to send electronic claims (837P) to the payer.
    case claims
    /// Electronic remittance advice (835) from the payer.
    case era
}

/// A practice's enrollment with one payer for claims or ERA. Enrollment can take weeks, so the
/// record tracks where it stands and when it was submitted and decided.
public struct Enrollment: Sendable, Hashable, Codable {
    public var id: EnrollmentID
    public var payerId: PayerID
    public var kind: EnrollmentKind
    public var status: EnrollmentStatus
    /// When the enrollment request went to the payer (or clearinghouse).
    public var submittedOn: CalendarDate?
    /// When the payer approved or rejected it.
    public var decidedOn: CalendarDate?
    /// A free-text note for the practice (tracking number, contact, reason for a rejection).
    public var note: String?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates an enrollment value.
    public init(id: EnrollmentID, payerId: PayerID, kind: EnrollmentKind, status: EnrollmentStatus,
                submittedOn: CalendarDate?, decidedOn: CalendarDate?, note: String?, version: Int, createdAt: Date,
                updatedAt: Date) {
        self.id = id
        self.payerId = payerId
        self.kind = kind
        self.status = status
        self.submittedOn = submittedOn
        self.decidedOn = decidedOn
        self.note = note
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Every problem with the dates of the record, named by JSON Pointers under `pointerPrefix`:
    /// a not-started enrollment has no dates, only a decided (approved or rejected) one has a
    /// decision date, and a decision never precedes the submission.
    public func problems(pointerPrefix: String = "") -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if status == .notStarted, submittedOn != nil {
            problems.append(FieldProblem(pointer: pointerPrefix + "/submittedOn",
                                         reason: "must be empty while the enrollment is not started", code: "status"))
        }
        if decidedOn != nil, !status.isDecided {
            problems.append(FieldProblem(pointer: pointerPrefix + "/decidedOn",
                                         reason: "is only set once the payer approved or rejected the enrollment",
                                         code: "status"))
        }
        if let submittedOn, let decidedOn, decidedOn < submittedOn {
            problems.append(FieldProblem(pointer: pointerPrefix + "/decidedOn", reason: "must not be before submittedOn",
                                         code: "order"))
        }
        return problems
    }

    /// `true` when claims to a payer that requires claims enrollment are held back by this record
    /// (pass `nil` when the practice has no claims enrollment with the payer).
    public static func blocksClaims(claimsEnrollmentRequired: Bool, claimsEnrollment: EnrollmentStatus?) -> Bool {
        claimsEnrollmentRequired && claimsEnrollment != .approved
    }
}
