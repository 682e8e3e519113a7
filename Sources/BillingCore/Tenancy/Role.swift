/// What a member may do in a practice.
public enum Role: String, Sendable, Codable, CaseIterable, Hashable {
    /// Runs the practice: members, keys, settings, everything else.
    case owner
    /// Bills, payments, claims.
    case biller
    /// Their own clients' sessions and notes.
    case clinician
    /// Read-only.
    case viewer
}

/// Who is making a call.
public enum Caller: Sendable, Hashable {
    /// A platform operator using the operator key from configuration.
    case `operator`
    /// A member of a practice, through an API key or a sign-in session.
    case member(practiceID: PracticeID, memberID: MemberID, role: Role, credentialID: CredentialID)
    /// The server itself (background jobs).
    case system(practiceID: PracticeID)
    /// Someone not signed in yet (`auth.signIn`, `auth.acceptInvite`).
    case anonymous

    /// The practice the actor acts in, if any.
    public var practiceID: PracticeID? {
        switch self {
        case .operator: return nil
        case .member(let practiceID, _, _, _): return practiceID
        case .system(let practiceID): return practiceID
        case .anonymous: return nil
        }
    }
}
