/// Which clients a caller may see and change: everything in the practice, or only the clients
/// assigned to one clinician. Clinicians see unassigned clients as if they did not exist.
public enum ClientVisibility: Sendable, Hashable {
    /// Owners, billers, viewers and the system.
    case all
    /// A clinician: only clients assigned to this member (and sessions they render or supervise).
    case assigned(to: MemberID)

    /// The visibility of `caller`.
    public init(_ caller: Caller) {
        if case .member(_, let memberID, let role, _) = caller, role == .clinician {
            self = .assigned(to: memberID)
        } else {
            self = .all
        }
    }

    /// The clinician this visibility is restricted to, if any.
    public var restrictedTo: MemberID? {
        if case .assigned(let memberID) = self { return memberID }
        return nil
    }

    /// `true` when `client` is visible.
    public func allows(_ client: Client) -> Bool {
        guard let memberID = restrictedTo else { return true }
        return client.isAssigned(to: memberID)
    }
}
