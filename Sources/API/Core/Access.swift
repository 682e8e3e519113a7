import BillingCore

/// Who may call a method: the single method × role table, declared with each method.
public enum Access: Sendable, Hashable {
    /// Platform operators with the operator key (`practice.create`).
    case `operator`
    /// Members of a practice with one of these roles.
    case members(Set<Role>)
    /// Anyone, without a credential (signing in, accepting an invitation): the method authenticates
    /// the caller itself.
    case `public`

    /// Every member role.
    public static let anyMember = Access.members(Set(Role.allCases))
    /// Owners only.
    public static let owners = Access.members([.owner])

    /// `true` when `role` may call the method.
    public func allows(_ role: Role) -> Bool {
        switch self {
        case .operator, .public: return false
        case .members(let roles): return roles.contains(role)
        }
    }

    /// The roles allowed, for documentation.
    public var roleNames: [String] {
        switch self {
        case .operator: return ["operator"]
        case .public: return ["anyone"]
        case .members(let roles): return Role.allCases.filter(roles.contains).map(\.rawValue)
        }
    }
}
