/// The lifecycle of a bill: Pended → Open → Complete (→ Open again if it owes again); Pended or
/// Open → Void when nothing has been allocated to it.
public enum BillStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case pended, open, complete, void

    /// The label the seed's product shows.
    public var label: String {
        switch self {
        case .pended: return "Pended"
        case .open: return "Open"
        case .complete: return "Complete"
        case .void: return "Void"
        }
    }

    /// `true` when the bill accepts client payments and yields superbills and statements.
    public var isPayable: Bool { self == .open }

    /// `true` when a superbill may include the bill (Open or Complete; a paid bill is the common case).
    public var isSuperbillEligible: Bool { self == .open || self == .complete }
}

/// The transition table for bills. Illegal transitions are errors naming both states.
public enum BillLifecycle {
    /// `bill.open`: Pended → Open, or straight to Complete when nothing is owed.
    public static func open(_ status: BillStatus, balanceCents: Int64) throws(DomainError) -> BillStatus {
        guard status == .pended else { throw refused(from: status, to: .open) }
        return balanceCents == 0 ? .complete : .open
    }

    /// The status after money moved on an Open or Complete bill.
    public static func afterPosting(_ status: BillStatus, balanceCents: Int64) -> BillStatus {
        switch status {
        case .open where balanceCents == 0: return .complete
        case .complete where balanceCents > 0: return .open
        default: return status
        }
    }

    /// `bill.void`: only Pended or Open bills with nothing allocated.
    public static func void(_ status: BillStatus, netAllocatedCents: Int64) throws(DomainError) -> BillStatus {
        guard status == .pended || status == .open else { throw refused(from: status, to: .void) }
        guard netAllocatedCents == 0 else {
            throw DomainError(.conflict, code: "bill.hasPayments",
                              message: "a bill with payments allocated to it cannot be voided; refund or reallocate first",
                              problems: [FieldProblem(pointer: "/id", reason: "has payments allocated", code: "hasPayments")])
        }
        return .void
    }

    /// The error for a refused transition.
    public static func refused(from: BillStatus, to: BillStatus) -> DomainError {
        DomainError(.conflict, code: "bill.invalidTransition",
                    message: "a \(from.label) bill cannot become \(to.label)",
                    problems: [FieldProblem(pointer: "/id", reason: "bill is \(from.label)", code: "invalidTransition")])
    }

    /// The error when money is posted to a bill that is not Open.
    public static func notPayable(_ status: BillStatus, pointer: String) -> DomainError {
        DomainError(.conflict, code: "bill.notOpen",
                    message: "only an Open bill accepts payments; this bill is \(status.label)",
                    problems: [FieldProblem(pointer: pointer, reason: "bill is \(status.label), not Open", code: "notOpen")])
    }
}
