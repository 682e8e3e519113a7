import Foundation

/// Identifies a claim: `clm_…`.
public struct ClaimID: EntityID {
    public static let prefix = "clm"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a batch of claims uploaded together: `cbt_…`.
public struct ClaimBatchID: EntityID {
    public static let prefix = "cbt"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a remittance (one 835 payment): `era_…`.
public struct RemittanceID: EntityID {
    public static let prefix = "era"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies one claim of a remittance: `erc_…`.
public struct RemittanceClaimID: EntityID {
    public static let prefix = "erc"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Where a claim stands (ARCHITECTURE.md §5): machine values in camelCase, labels exactly the seed's.
public enum ClaimStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case notSubmitted, queued, sent, received, inProcess, paid, needsReview, denied, void

    /// The label the seed's product shows.
    public var label: String {
        switch self {
        case .notSubmitted: "Not Submitted"
        case .queued: "Queued For Submission"
        case .sent: "Sent"
        case .received: "Received"
        case .inProcess: "In process"
        case .paid: "Paid"
        case .needsReview: "Needs Review"
        case .denied: "Denied"
        case .void: "Void"
        }
    }

    /// `true` while the claim is with the clearinghouse or the payer (a status report may move it).
    public var isOutstanding: Bool { [.sent, .received, .inProcess].contains(self) }
}

/// Who moved a claim.
public enum ClaimEventSource: String, Sendable, Codable, CaseIterable, Hashable {
    /// A member's call (`claim.generate`, `claim.submit`, …).
    case user
    /// The submission worker or the status sync (uploads, reconciliation, alerts).
    case system
    /// A report from the clearinghouse (its own edits, payer acknowledgements).
    case clearinghouse
    /// A remittance from the payer.
    case payer
}

/// The transition table for claims. An illegal transition is an error naming both states.
public enum ClaimLifecycle {
    /// Every allowed move.
    public static let transitions: [ClaimStatus: Set<ClaimStatus>] = [
        .notSubmitted: [.queued, .void],
        .queued: [.sent, .needsReview],
        .sent: [.received, .inProcess, .needsReview, .paid, .denied],
        .received: [.inProcess, .needsReview, .paid, .denied],
        .inProcess: [.needsReview, .paid, .denied],
        .paid: [.needsReview],
        .needsReview: [.queued, .received, .inProcess, .paid, .denied, .void],
        .denied: [.needsReview],
        .void: [],
    ]

    /// `true` when `from → to` is allowed.
    public static func allows(_ from: ClaimStatus, _ to: ClaimStatus) -> Bool {
        transitions[from]?.contains(to) ?? false
    }

    /// The new status, or the error a caller sees.
    public static func move(_ from: ClaimStatus, to: ClaimStatus) throws(DomainError) -> ClaimStatus {
        guard allows(from, to) else {
            throw DomainError(.conflict, code: "claim.invalidTransition",
                              message: "a claim that is \(from.label) cannot become \(to.label)",
                              problems: [FieldProblem(pointer: "/id", reason: "claim is \(from.label)", code: from.rawValue)])
        }
        return to
    }

    /// Where a clearinghouse status word takes a claim that is `current`, or `nil` when it changes
    /// nothing (an informational message, a report older than what we know, a word we do not know).
    /// Reports can arrive late and out of order: a claim never moves back from In process to
    /// Received, nor out of Paid/Denied except to Needs Review.
    public static func afterReport(_ word: String, current: ClaimStatus) -> ClaimStatus? {
        let target: ClaimStatus
        switch word {
        case "received": target = .received
        case "inProcess": target = .inProcess
        case "needsReview": target = .needsReview
        case "denied": target = .denied
        case "paid": target = .paid
        default: return nil
        }
        if target == current { return nil }
        if target == .received && current == .inProcess { return nil }
        if current == .queued && target != .needsReview { return allows(.sent, target) ? target : nil }
        return allows(current, target) ? target : nil
    }
}
