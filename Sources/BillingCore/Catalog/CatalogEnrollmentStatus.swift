/// Where a practice × payer enrollment stands, with its transition table.
///
/// ```
/// notStarted ──▶ pending ──▶ approved
///                  ▲   │
///                  │   ▼
///                  rejected          (rejected → pending: resubmitted)
/// ```
/// Staying in the same status is always allowed (an update that only changes the note or dates).
/// Every other move is refused with both states named; in particular an approved enrollment
/// never goes back to pending.
public enum EnrollmentStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// Nothing has been sent to the payer yet.
    case notStarted
    /// Submitted and waiting for the payer (often several weeks).
    case pending
    /// The payer accepts the practice's claims or sends it ERAs.
    case approved
    /// The payer refused; fix and resubmit (→ pending).
    case rejected

    /// The statuses reachable from this one in one step.
    public var successors: Set<EnrollmentStatus> {
        switch self {
        case .notStarted: return [.pending]
        case .pending: return [.approved, .rejected]
        case .rejected: return [.pending]
        case .approved: return []
        }
    }

    /// `true` once the payer has answered (approved or rejected).
    public var isDecided: Bool { self == .approved || self == .rejected }

    /// A human label for messages.
    public var label: String {
        switch self {
        case .notStarted: return "not started"
        case .pending: return "pending"
        case .approved: return "approved"
        case .rejected: return "rejected"
        }
    }

    /// `true` when an enrollment may move from this status to `next` (or stay).
    public func allows(_ next: EnrollmentStatus) -> Bool { next == self || successors.contains(next) }

    /// The status after moving to `next`.
    /// - Throws: a ``DomainError`` of kind conflict, code `enrollment.invalidTransition`, naming both
    ///   statuses and the field `/status`, when the table does not allow the move.
    public func transition(to next: EnrollmentStatus) throws -> EnrollmentStatus {
        guard allows(next) else {
            throw DomainError(
                .conflict, code: "enrollment.invalidTransition",
                message: "an enrollment cannot go from \(rawValue) to \(next.rawValue)",
                problems: [FieldProblem(pointer: "/status",
                                        reason: "cannot change from \(rawValue) to \(next.rawValue)"
                                            + (successors.isEmpty ? "" : "; allowed: "
                                                + successors.map(\.rawValue).sorted().joined(separator: ", ")),
                                        code: "invalidTransition")])
        }
        return next
    }
}
