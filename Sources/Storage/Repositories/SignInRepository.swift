import BillingCore
import Foundation
import NIOCore
import PostgresNIO

/// A person's sign-in identity (one per email across practices).
public struct IdentityRecord: Sendable, Hashable {
    public var id: UUID
    public var passwordHash: String
    /// The TOTP secret, sealed by the server's secret box.
    public var sealedTOTPSecret: [UInt8]?
    public var totpEnabled: Bool
    public var totpLastStep: Int64?
    /// SHA-256 hashes of the unused recovery codes.
    public var recoveryCodeHashes: [[UInt8]]
    public var failedAttempts: Int
    public var lockedUntil: Date?
}

/// A practice an identity may sign in to.
public struct Membership: Sendable, Hashable {
    public var practiceID: PracticeID
    public var memberID: MemberID
    public var role: Role
    public var practiceName: String
}

/// A sign-in session as its owner lists it.
public struct UserSessionRecord: Sendable, Hashable {
    public var id: UserSessionID
    public var memberID: MemberID
    public var userAgent: String?
    public var sourceAddress: String?
    public var createdAt: Date
    public var lastUsedAt: Date
    public var idleSeconds: Int
    public var absoluteSeconds: Int
    public var revokedAt: Date?
}

/// An invitation to sign in to a practice.
public struct InvitationRecord: Sendable, Hashable {
    public var id: InvitationID
    public var memberID: MemberID
    public var email: String
    public var expiresAt: Date
    public var acceptedAt: Date?

    /// Creates a record.
    public init(id: InvitationID, memberID: MemberID, email: String, expiresAt: Date, acceptedAt: Date?) {
        self.id = id
        self.memberID = memberID
        self.email = email
        self.expiresAt = expiresAt
        self.acceptedAt = acceptedAt
    }
}

/// Identities (through their security-definer functions), invitations and sessions.
public struct SignInRepository: Sendable {
    /// Creates the repository.
    public init() {}

    // MARK: - Identities

    /// The identity of `email`, if any.
    public func identity(email: String, in transaction: Transaction) async throws -> IdentityRecord? {
        guard let row = try await transaction.firstRow("""
            select id, password_hash, totp_secret, totp_enabled, totp_last_step, recovery_codes, failed_attempts,
                   locked_until
            from ll_identity(\(email))
            """) else { return nil }
        let random = row.makeRandomAccess()
        return IdentityRecord(
            id: try random["id"].decode(UUID.self, context: .default),
            passwordHash: try random["password_hash"].decode(String.self, context: .default),
            sealedTOTPSecret: try random["totp_secret"].decode(ByteBuffer?.self, context: .default).map { Array(buffer: $0) },
            totpEnabled: try random["totp_enabled"].decode(Bool.self, context: .default),
            totpLastStep: try random["totp_last_step"].decode(Int64?.self, context: .default),
            recoveryCodeHashes: try random["recovery_codes"].decode([ByteBuffer].self, context: .default)
                .map { Array(buffer: $0) },
            failedAttempts: try random["failed_attempts"].decode(Int.self, context: .default),
            lockedUntil: try random["locked_until"].decode(Date?.self, context: .default))
    }

    /// The practices `email` may sign in to, by practice name.
    public func memberships(email: String, in transaction: Transaction) async throws -> [Membership] {
        try await transaction.rows("""
            select practice_id, member_id, role, practice_name from ll_identity_memberships(\(email))
            """).compactMap { row in
            let reader = RowReader(row)
            guard let role = Role(rawValue: try reader.string("role")) else { return nil }
            return Membership(practiceID: try reader.id(PracticeID.self, "practice_id"),
                              memberID: try reader.id(MemberID.self, "member_id"), role: role,
                              practiceName: try reader.string("practice_name"))
        }
    }

    /// Counts a failed sign-in; answers the failures so far and the lock, if it locked.
    public func recordFailure(_ id: UUID, lockAfter: Int, lockSeconds: Int, in transaction: Transaction) async throws
        -> (failures: Int, lockedUntil: Date?)
    {
        guard let row = try await transaction.firstRow(
            "select failed_attempts, locked_until from ll_identity_failed(\(id), \(lockAfter)::integer, \(lockSeconds)::integer)")
        else { return (0, nil) }
        let (failures, locked) = try row.decode((Int, Date?).self)
        return (failures, locked)
    }

    /// Clears failures; remembers the TOTP step; spends a recovery code.
    public func recordSuccess(_ id: UUID, totpStep: Int64?, recoveryCodeHash: [UInt8]?, in transaction: Transaction)
        async throws
    {
        try await transaction.query("""
            select ll_identity_succeeded(\(id), \(totpStep), \(recoveryCodeHash.map { ByteBuffer(bytes: $0) }))
            """)
    }

    /// Creates the identity of `email` or changes its password.
    public func setPassword(email: String, passwordHash: String, in transaction: Transaction) async throws -> UUID {
        guard let row = try await transaction.firstRow("select ll_identity_set_password(\(email), \(passwordHash))") else {
            throw StorageError.configuration("ll_identity_set_password returned nothing")
        }
        return try row.decode(UUID.self)
    }

    /// Stores a TOTP enrolment (sealed secret, enabled or pending confirmation, recovery code hashes).
    public func setTOTP(_ id: UUID, sealedSecret: [UInt8]?, enabled: Bool, recoveryCodeHashes: [[UInt8]]?,
                        in transaction: Transaction) async throws {
        let codes = recoveryCodeHashes?.map { ByteBuffer(bytes: $0) }
        try await transaction.query("""
            select ll_identity_set_totp(\(id), \(sealedSecret.map { ByteBuffer(bytes: $0) }), \(enabled), \(codes))
            """)
    }

    /// Lifts the lockout of a member of the current practice; `false` when there is none to lift.
    public func unlock(email: String, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("select ll_identity_unlock(\(email))")?.decode(Bool?.self) ?? false
    }

    /// Lets a member of the current practice sign in (their invitation was accepted).
    public func enableSignIn(_ memberID: MemberID, in transaction: Transaction) async throws {
        try await transaction.query("update members set sign_in_enabled = true where id = \(memberID.uuid)")
    }

    // MARK: - Password reset and throttling

    /// Stores a reset token for `email`; `nil` when no identity has that email.
    public func createReset(email: String, tokenHash: [UInt8], seconds: Int, in transaction: Transaction) async throws
        -> UUID?
    {
        try await transaction.firstRow("""
            select ll_reset_create(\(email), \(ByteBuffer(bytes: tokenHash)), \(seconds)::integer)
            """)?.decode(UUID?.self)
    }

    /// Spends a reset token: the identity's email, once, before it expires.
    public func useReset(tokenHash: [UInt8], in transaction: Transaction) async throws -> String? {
        try await transaction.firstRow("select ll_reset_use(\(ByteBuffer(bytes: tokenHash)))")?.decode(String?.self)
    }

    /// Ends every session of the identity of `email`, in every practice.
    public func revokeAllSessions(email: String, in transaction: Transaction) async throws -> Int {
        try await transaction.firstRow("select ll_identity_revoke_sessions(\(email))")?.decode(Int?.self) ?? 0
    }

    /// Counts a failed sign-in from `source`; answers the failures from it within the window.
    public func recordAddressFailure(_ source: String, windowSeconds: Int, in transaction: Transaction) async throws -> Int {
        try await transaction.firstRow("select ll_sign_in_failure(\(source), \(windowSeconds)::integer)")?
            .decode(Int?.self) ?? 0
    }

    /// Failed sign-ins from `source` within the window.
    public func addressFailures(_ source: String, windowSeconds: Int, in transaction: Transaction) async throws -> Int {
        try await transaction.firstRow("select ll_sign_in_failures(\(source), \(windowSeconds)::integer)")?
            .decode(Int?.self) ?? 0
    }

    // MARK: - Invitations

    /// Stores an invitation (the trigger indexes its token).
    public func insertInvitation(_ invitation: InvitationRecord, tokenHash: [UInt8], invitedBy: MemberID?,
                                 practiceID: PracticeID, now: Date, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into invitations (practice_id, id, member_id, email, token_hash, expires_at, invited_by, created_at)
            values (\(practiceID.uuid), \(invitation.id.uuid), \(invitation.memberID.uuid), \(invitation.email),
                    \(ByteBuffer(bytes: tokenHash)), \(invitation.expiresAt), \(invitedBy?.uuid), \(now))
            """)
    }

    /// The invitation behind a token, with its practice set on the transaction; `nil` when unknown.
    public func invitation(tokenHash: [UInt8], in transaction: Transaction) async throws
        -> (practiceID: PracticeID, invitation: InvitationRecord)?
    {
        guard let row = try await transaction.firstRow(
            "select practice_id, invitation_id from ll_invitation(\(ByteBuffer(bytes: tokenHash)))") else { return nil }
        let (practice, id) = try row.decode((UUID, UUID).self)
        guard let found = try await transaction.firstRow("""
            select id, member_id, email, expires_at, accepted_at from invitations where id = \(id) for update
            """) else { return nil }
        let reader = RowReader(found)
        return (PracticeID(uuid: practice), InvitationRecord(
            id: try reader.id(InvitationID.self, "id"), memberID: try reader.id(MemberID.self, "member_id"),
            email: try reader.string("email"), expiresAt: try reader.date("expires_at"),
            acceptedAt: try reader.optionalDate("accepted_at")))
    }

    /// Marks an invitation used.
    public func acceptInvitation(_ id: InvitationID, now: Date, in transaction: Transaction) async throws {
        try await transaction.query("update invitations set accepted_at = \(now) where id = \(id.uuid)")
    }

    // MARK: - Sessions

    /// Stores a session (the trigger indexes its token).
    public func insertSession(id: UserSessionID, memberID: MemberID, identityID: UUID, tokenHash: [UInt8],
                              userAgent: String?, sourceAddress: String?, idleSeconds: Int, absoluteSeconds: Int,
                              restricted: Bool = false, practiceID: PracticeID, now: Date, in transaction: Transaction)
        async throws
    {
        try await transaction.query("""
            insert into user_sessions (practice_id, id, member_id, identity_id, token_hash, user_agent, source_address,
                                       created_at, last_used_at, idle_seconds, absolute_seconds, restricted)
            values (\(practiceID.uuid), \(id.uuid), \(memberID.uuid), \(identityID), \(ByteBuffer(bytes: tokenHash)),
                    \(userAgent), \(sourceAddress), \(now), \(now), \(idleSeconds), \(absoluteSeconds), \(restricted))
            """)
    }

    /// Lifts the restriction of the identity's sessions in the current practice (two-factor enrolled).
    public func unrestrictSessions(identityID: UUID, in transaction: Transaction) async throws {
        try await transaction.query("update user_sessions set restricted = false where identity_id = \(identityID)")
    }

    /// The member, role and session of a live session token, with its practice set on the transaction.
    public func authenticate(sessionTokenHash: [UInt8], in transaction: Transaction) async throws -> Principal? {
        guard let row = try await transaction.firstRow("""
            select practice_id, session_id, member_id, role, identity_id, restricted
            from ll_authenticate_session(\(ByteBuffer(bytes: sessionTokenHash)))
            """) else { return nil }
        let reader = RowReader(row)
        guard let role = Role(rawValue: try reader.string("role")) else { return nil }
        var principal = Principal(practiceID: try reader.id(PracticeID.self, "practice_id"),
                                  credentialID: .session(try reader.id(UserSessionID.self, "session_id")),
                                  memberID: try reader.id(MemberID.self, "member_id"), role: role,
                                  identityID: try reader.uuid("identity_id"))
        principal.restricted = try reader.bool("restricted")
        return principal
    }

    /// The identity's sessions in the current practice, newest first.
    public func sessions(identityID: UUID, in transaction: Transaction) async throws -> [UserSessionRecord] {
        try await transaction.rows("""
            select id, member_id, user_agent, source_address, created_at, last_used_at, idle_seconds, absolute_seconds,
                   revoked_at
            from user_sessions where identity_id = \(identityID) order by created_at desc limit 100
            """).map { row in
            let reader = RowReader(row)
            return UserSessionRecord(
                id: try reader.id(UserSessionID.self, "id"), memberID: try reader.id(MemberID.self, "member_id"),
                userAgent: try reader.optionalString("user_agent"), sourceAddress: try reader.optionalString("source_address"),
                createdAt: try reader.date("created_at"), lastUsedAt: try reader.date("last_used_at"),
                idleSeconds: try reader.int("idle_seconds"), absoluteSeconds: try reader.int("absolute_seconds"),
                revokedAt: try reader.optionalDate("revoked_at"))
        }
    }

    /// Revokes one of the identity's sessions in the current practice; `false` when there is no such live session.
    public func revoke(_ id: UserSessionID, identityID: UUID, now: Date, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            update user_sessions set revoked_at = \(now)
            where id = \(id.uuid) and identity_id = \(identityID) and revoked_at is null returning id
            """) != nil
    }
}
