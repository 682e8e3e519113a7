import BillingCore
import Foundation
import Storage

/// How sign-in behaves: session lifetimes, lockout, invitation lifetime, password KDF cost.
public struct SignInConfiguration: Sendable {
    /// A session ends after this long without a call (HIPAA automatic logoff). Default 15 minutes.
    public var idleSeconds: Int = 15 * 60
    /// A session ends this long after sign-in whatever happens. Default 12 hours.
    public var absoluteSeconds: Int = 12 * 3600
    /// Failed sign-ins (wrong password or code) after which the account locks. Default 5.
    public var lockAfterFailures: Int = 5
    /// How long a lock lasts unless an owner lifts it (`member.unlock`). Default 15 minutes.
    public var lockSeconds: Int = 15 * 60
    /// How long an invitation link works. Default 72 hours.
    public var invitationSeconds: Int = 72 * 3600
    /// The scrypt cost new password hashes get (older hashes are upgraded at sign-in).
    public var passwordCost: PasswordHasher.Cost = .default
    /// Where the front end accepts invitations; the token is appended as `?token=…`.
    public var acceptInvitationURL: String?
    /// Where the front end resets passwords; the token is appended as `?token=…`.
    public var resetPasswordURL: String?
    /// How long a password reset code works. Default 60 minutes.
    public var resetSeconds: Int = 3600
    /// Failed sign-ins from one source address within ``addressWindowSeconds`` after which that
    /// address is refused (whatever the account). Default 20 in 10 minutes.
    public var addressFailureLimit: Int = 20
    public var addressWindowSeconds: Int = 600

    /// The defaults.
    public init() {}

    /// Reads `LEDGERLINE_SESSION_IDLE_SECONDS`, `LEDGERLINE_SESSION_ABSOLUTE_SECONDS`,
    /// `LEDGERLINE_SIGNIN_LOCK_AFTER`, `LEDGERLINE_SIGNIN_LOCK_SECONDS`, `LEDGERLINE_INVITATION_HOURS`
    /// and `LEDGERLINE_ACCEPT_INVITATION_URL`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> SignInConfiguration
    {
        var configuration = SignInConfiguration()
        func positive(_ key: String) -> Int? { environment[key].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } }
        if let value = positive("LEDGERLINE_SESSION_IDLE_SECONDS") { configuration.idleSeconds = value }
        if let value = positive("LEDGERLINE_SESSION_ABSOLUTE_SECONDS") { configuration.absoluteSeconds = value }
        if let value = positive("LEDGERLINE_SIGNIN_LOCK_AFTER") { configuration.lockAfterFailures = value }
        if let value = positive("LEDGERLINE_SIGNIN_LOCK_SECONDS") { configuration.lockSeconds = value }
        if let value = positive("LEDGERLINE_INVITATION_HOURS") { configuration.invitationSeconds = value * 3600 }
        if let url = environment["LEDGERLINE_ACCEPT_INVITATION_URL"], !url.isEmpty { configuration.acceptInvitationURL = url }
        if let url = environment["LEDGERLINE_RESET_PASSWORD_URL"], !url.isEmpty { configuration.resetPasswordURL = url }
        if let value = positive("LEDGERLINE_SIGNIN_ADDRESS_LIMIT") { configuration.addressFailureLimit = value }
        return configuration
    }
}

/// What a successful sign-in answers.
public struct SignedIn: Sendable {
    /// The opaque session token (`lls_…`), sent as `Authorization: Bearer`; shown once.
    public var token: String
    public var sessionID: UserSessionID
    public var practiceID: PracticeID
    public var memberID: MemberID
    public var role: Role
    public var expiresAt: Date
    /// Every practice the person may switch to (`auth.switchPractice`).
    public var practices: [Membership]
    /// The practice requires two-factor sign-in and the person has not enrolled: until they do
    /// (`auth.enrollTotp`, `auth.confirmTotp`) the session can do nothing else.
    public var twoFactorEnrollmentRequired: Bool
}

/// Member sign-in: invitations by email, passwords (scrypt with the cost kept in the hash, a minimum
/// length and a bundled list of common passwords), TOTP with one-time recovery codes, sessions with
/// idle and absolute limits, lockout after repeated failures. Failures never say whether the email
/// exists: an unknown email spends the same KDF work and answers the same error.
public struct SignInService: Sendable {
    let runtime: PluginRuntime
    let configuration: SignInConfiguration
    let database: Database
    let repository = SignInRepository()

    /// Creates the use cases; failed attempts are counted in their own transaction on `database`
    /// (the call's transaction rolls back with the error).
    public init(runtime: PluginRuntime, configuration: SignInConfiguration, database: Database) {
        self.runtime = runtime
        self.configuration = configuration
        self.database = database
    }

    /// Counts a failed attempt against the identity (when known) and the source address — committed
    /// even though the call fails — and answers the failure.
    private func failed(_ identityID: UUID?, email: String? = nil, source: String?) async throws -> DomainError {
        let lockAfter = configuration.lockAfterFailures
        let lockSeconds = configuration.lockSeconds
        let window = configuration.addressWindowSeconds
        let failures = try await database.withTransaction { transaction -> Int in
            let repository = SignInRepository()
            var failures = 0
            if let identityID {
                let recorded = try await repository.recordFailure(identityID, lockAfter: lockAfter, lockSeconds: lockSeconds,
                                                                  in: transaction)
                failures = recorded.failures
                // The moment an account locks is audited in every practice the person belongs to.
                if recorded.failures == lockAfter, let email {
                    for membership in try await repository.memberships(email: email, in: transaction) {
                        try await transaction.setTenant(membership.practiceID)
                        try await AuditRepository().append(
                            AuditEntry(id: .generate(), at: Date(), actorType: "system", memberId: membership.memberID,
                                       credentialId: nil, method: "auth.locked", entityIds: [membership.memberID.description],
                                       outcome: "error", errorCode: -32001, requestId: "signin-lock"),
                            practiceID: membership.practiceID, in: transaction)
                    }
                }
            }
            if let source {
                failures = max(failures, try await repository.recordAddressFailure(source, windowSeconds: window,
                                                                                    in: transaction))
            }
            return failures
        }
        // Repeated failures slow down before they lock: a quarter second per failure past the second, at most 2 s.
        if failures > 2 { try? await Task.sleep(for: .milliseconds(min(2000, (failures - 2) * 250))) }
        return Self.failure()
    }

    var hasher: PasswordHasher { PasswordHasher(cost: configuration.passwordCost) }

    static func failure() -> DomainError {
        DomainError(.unauthenticated, code: "auth.signInFailed",
                    message: "the email, password or code is wrong, or the account is locked for a while")
    }

    // MARK: - Invitations

    /// Invites a member of the current practice to sign in: a single-use, expiring token sent to the
    /// member's email through the practice's email channel.
    /// - Throws: not found on `/memberId`; −32009 for an inactive member; −32012 without email.
    public func invite(_ memberID: MemberID, practiceID: PracticeID, invitedBy: MemberID?, in transaction: Transaction,
                       now: Date = Date()) async throws -> (invitation: InvitationRecord, notification: DeliveredNotification) {
        guard let member = try await MemberRepository().find(memberID, in: transaction) else {
            throw DomainError.notFound("member", pointer: "/memberId")
        }
        guard member.active else {
            throw DomainError(.conflict, code: "member.inactive", message: "the member is deactivated",
                              problems: [FieldProblem(pointer: "/memberId", reason: "is deactivated", code: "inactive")])
        }
        _ = try await IntegrationService(runtime: runtime).resolve(.email, practiceID: practiceID, in: transaction)
        let token = Secrets.generate(prefix: "lli_")
        let invitation = InvitationRecord(
            id: .generate(), memberID: memberID, email: member.email.lowercased(),
            expiresAt: now.addingTimeInterval(Double(configuration.invitationSeconds)), acceptedAt: nil)
        try await repository.insertInvitation(invitation, tokenHash: Secrets.hash(token), invitedBy: invitedBy,
                                              practiceID: practiceID, now: now, in: transaction)
        guard let practice = try await PracticeRepository().current(in: transaction) else { throw DomainError.notFound("practice") }
        let link = configuration.acceptInvitationURL.map { "\($0)?token=\(token)" }
        var values: [String: Any] = [
            "firstName": member.firstName, "practiceName": practice.legalName, "role": member.role.rawValue,
            "token": token, "hours": String(configuration.invitationSeconds / 3600),
        ]
        if let link { values["link"] = link }
        let message = NotificationService.renderer.render(.memberInvitation, values)
        let notification = try await NotificationService(runtime: runtime).enqueue(
            NotificationDraft(template: .memberInvitation, channel: .email, recipient: member.email,
                              recipientKind: "member", clientID: nil, contactID: nil, billID: nil, message: message,
                              attachment: nil),
            practiceID: practiceID, requestedBy: invitedBy, in: transaction, now: now)
        return (invitation, notification)
    }

    /// Accepts an invitation: a new person chooses a password (checked against the policy); someone
    /// who already signs in elsewhere confirms their existing password. The member may then sign in.
    /// - Throws: −32001 for an unknown, used or expired token (the same answer for each);
    ///   −32602 naming `/password` with every policy problem.
    public func acceptInvitation(token: String, password: String, in transaction: Transaction, now: Date = Date())
        async throws -> PracticeID
    {
        let refused = DomainError(.unauthenticated, code: "auth.invitationInvalid",
                                  message: "the invitation is unknown, already used or expired: ask for a new one")
        guard token.hasPrefix("lli_"), token.count <= 100,
              let found = try await repository.invitation(tokenHash: Secrets.hash(token), in: transaction),
              found.invitation.acceptedAt == nil, found.invitation.expiresAt > now,
              let member = try await MemberRepository().find(found.invitation.memberID, in: transaction), member.active
        else { throw refused }
        if let existing = try await repository.identity(email: found.invitation.email, in: transaction) {
            guard try hasher.verify(password, against: existing.passwordHash) else {
                throw DomainError.invalid("/password", "is not the password this email already signs in with", code: "mismatch")
            }
        } else {
            let problems = PasswordPolicy.problems(password, email: found.invitation.email,
                                                   names: [member.firstName, member.lastName])
            guard problems.isEmpty else {
                throw DomainError.validation(problems.map { FieldProblem(pointer: "/password", reason: $0, code: "weak") })
            }
            _ = try await repository.setPassword(email: found.invitation.email, passwordHash: try hasher.hash(password),
                                                 in: transaction)
        }
        try await repository.acceptInvitation(found.invitation.id, now: now, in: transaction)
        try await repository.enableSignIn(member.id, in: transaction)
        return found.practiceID
    }

    // MARK: - Password reset

    /// Emails a single-use reset code to the person with `email`, through the email channel of the
    /// first of their practices that has one. Answers the same whether the email exists or not.
    public func requestReset(email: String, in transaction: Transaction, now: Date = Date()) async throws {
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        let token = Secrets.generate(prefix: "llr_")
        guard try await repository.createReset(email: normalized, tokenHash: Secrets.hash(token),
                                               seconds: configuration.resetSeconds, in: transaction) != nil else { return }
        for membership in try await repository.memberships(email: normalized, in: transaction) {
            try await transaction.setTenant(membership.practiceID)
            guard (try? await IntegrationService(runtime: runtime).resolve(.email, practiceID: membership.practiceID,
                                                                           in: transaction)) != nil,
                  let practice = try await PracticeRepository().current(in: transaction) else { continue }
            var values: [String: Any] = [
                "practiceName": practice.legalName, "token": token, "minutes": String(configuration.resetSeconds / 60),
            ]
            if let url = configuration.resetPasswordURL { values["link"] = "\(url)?token=\(token)" }
            _ = try await NotificationService(runtime: runtime).enqueue(
                NotificationDraft(template: .passwordReset, channel: .email, recipient: normalized,
                                  recipientKind: "member", clientID: nil, contactID: nil, billID: nil,
                                  message: NotificationService.renderer.render(.passwordReset, values), attachment: nil),
                practiceID: membership.practiceID, requestedBy: nil, in: transaction, now: now)
            return
        }
    }

    /// Sets a new password with a reset code (once, before it expires) and ends every session of the
    /// person in every practice.
    /// - Throws: −32001 for an unknown, used or expired code; −32602 naming `/password`.
    public func reset(token: String, password: String, in transaction: Transaction) async throws -> Int {
        guard token.hasPrefix("llr_"), token.count <= 100,
              let email = try await repository.useReset(tokenHash: Secrets.hash(token), in: transaction) else {
            throw DomainError(.unauthenticated, code: "auth.resetInvalid",
                              message: "the reset code is unknown, already used or expired: ask for a new one")
        }
        let problems = PasswordPolicy.problems(password, email: email, names: [])
        guard problems.isEmpty else {
            throw DomainError.validation(problems.map { FieldProblem(pointer: "/password", reason: $0, code: "weak") })
        }
        _ = try await repository.setPassword(email: email, passwordHash: try hasher.hash(password), in: transaction)
        return try await repository.revokeAllSessions(email: email, in: transaction)
    }

    // MARK: - Sign-in

    /// Signs in with email, password and (when enrolled) a TOTP or recovery code, into `practiceID`
    /// or the first practice by name.
    /// - Throws: −32001 `auth.signInFailed` for every failure (unknown email, wrong password or code,
    ///   locked); −32001 `auth.totpRequired` when the password was right and a code is needed.
    public func signIn(email: String, password: String, totpCode: String?, recoveryCode: String?,
                       practiceID: PracticeID?, userAgent: String?, sourceAddress: String?,
                       in transaction: Transaction, now: Date = Date()) async throws -> SignedIn {
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        // An address that keeps failing is refused for a while, whichever accounts it tries.
        if let sourceAddress, try await repository.addressFailures(
            sourceAddress, windowSeconds: configuration.addressWindowSeconds, in: transaction)
            >= configuration.addressFailureLimit {
            hasher.verifyDummy(password)
            throw Self.failure()
        }
        guard let identity = try await repository.identity(email: normalized, in: transaction) else {
            hasher.verifyDummy(password)
            throw try await failed(nil, source: sourceAddress)
        }
        if let locked = identity.lockedUntil, locked > now {
            hasher.verifyDummy(password)
            throw try await failed(nil, source: sourceAddress)
        }
        guard try hasher.verify(password, against: identity.passwordHash) else {
            throw try await failed(identity.id, email: normalized, source: sourceAddress)
        }
        var step: Int64?
        var spentRecovery: [UInt8]?
        if identity.totpEnabled {
            if let code = totpCode?.filter(\.isNumber), !code.isEmpty {
                guard let totp = try openTOTP(identity),
                      let matched = totp.verify(code, at: now), Int64(matched) > (identity.totpLastStep ?? -1) else {
                    throw try await failed(identity.id, email: normalized, source: sourceAddress)
                }
                step = Int64(matched)
            } else if let typed = recoveryCode, let recovery = RecoveryCodes.normalized(typed) {
                let hash = Secrets.hash(recovery)
                guard identity.recoveryCodeHashes.contains(where: { Secrets.constantTimeEquals($0, hash) }) else {
                    throw try await failed(identity.id, email: normalized, source: sourceAddress)
                }
                spentRecovery = hash
            } else {
                throw DomainError(.unauthenticated, code: "auth.totpRequired",
                                  message: "enter the code from your authenticator app (or a recovery code)")
            }
        }
        let memberships = try await repository.memberships(email: normalized, in: transaction)
        let chosen = practiceID.flatMap { id in memberships.first { $0.practiceID == id } } ?? (practiceID == nil ? memberships.first : nil)
        guard let membership = chosen else {
            if practiceID != nil {
                throw DomainError.invalid("/practiceId", "is not a practice this person may sign in to", code: "notMember")
            }
            throw Self.failure()
        }
        try await repository.recordSuccess(identity.id, totpStep: step, recoveryCodeHash: spentRecovery, in: transaction)
        if hasher.needsRehash(identity.passwordHash) {
            _ = try await repository.setPassword(email: normalized, passwordHash: try hasher.hash(password), in: transaction)
        }
        return try await startSession(identityID: identity.id, membership: membership, memberships: memberships,
                                      userAgent: userAgent, sourceAddress: sourceAddress,
                                      twoFactorEnrolled: identity.totpEnabled, in: transaction, now: now)
    }

    /// Moves the signed-in person to another of their practices: the current session ends and a new
    /// one starts there (the same identity, never a wider one).
    public func switchPractice(to practiceID: PracticeID, from principal: Principal, email: String,
                               userAgent: String?, sourceAddress: String?, in transaction: Transaction,
                               now: Date = Date()) async throws -> SignedIn {
        let memberships = try await repository.memberships(email: email, in: transaction)
        guard let membership = memberships.first(where: { $0.practiceID == practiceID }) else {
            throw DomainError.notFound("practice", pointer: "/practiceId")
        }
        guard case .session(let current) = principal.credentialID, let identityID = principal.identityID else {
            throw Self.sessionRequired()
        }
        _ = try await repository.revoke(current, identityID: identityID, now: now, in: transaction)
        let enrolled = try await repository.identity(email: email, in: transaction)?.totpEnabled ?? false
        let started = try await startSession(identityID: identityID, membership: membership, memberships: memberships,
                                             userAgent: userAgent, sourceAddress: sourceAddress,
                                             twoFactorEnrolled: enrolled, in: transaction, now: now)
        // The call itself is audited in the practice it was made in.
        try await transaction.setTenant(principal.practiceID)
        return started
    }

    private func startSession(identityID: UUID, membership: Membership, memberships: [Membership], userAgent: String?,
                              sourceAddress: String?, twoFactorEnrolled: Bool, in transaction: Transaction, now: Date)
        async throws -> SignedIn
    {
        try await transaction.setTenant(membership.practiceID)
        // A practice that requires two-factor sign-in lets a person who has not enrolled do only that.
        let practiceRequires = try await PracticeRepository().current(in: transaction)?.requireTwoFactor ?? false
        let restricted = !twoFactorEnrolled && practiceRequires
        let token = Secrets.generate(prefix: "lls_")
        let id = UserSessionID.generate()
        try await repository.insertSession(
            id: id, memberID: membership.memberID, identityID: identityID, tokenHash: Secrets.hash(token),
            userAgent: userAgent, sourceAddress: sourceAddress, idleSeconds: configuration.idleSeconds,
            absoluteSeconds: configuration.absoluteSeconds, restricted: restricted, practiceID: membership.practiceID,
            now: now, in: transaction)
        try await AuditRepository().append(
            AuditEntry(id: .generate(), at: now, actorType: "member", memberId: membership.memberID,
                       credentialId: id.description, method: "auth.signIn", entityIds: [id.description], outcome: "ok",
                       errorCode: nil, requestId: id.description),
            practiceID: membership.practiceID, in: transaction)
        return SignedIn(token: token, sessionID: id, practiceID: membership.practiceID, memberID: membership.memberID,
                        role: membership.role, expiresAt: now.addingTimeInterval(Double(configuration.absoluteSeconds)),
                        practices: memberships, twoFactorEnrollmentRequired: restricted)
    }

    // MARK: - TOTP

    /// Starts TOTP enrolment for the signed-in person: a new secret (not active until confirmed).
    /// - Returns: the `otpauth://` provisioning URI and the secret in base32.
    /// - Throws: −32012 when the server has no secret key to seal it with.
    public func beginTOTP(principal: Principal, email: String, in transaction: Transaction) async throws
        -> (uri: String, secret: String)
    {
        let identityID = try sessionIdentity(principal)
        let totp = TOTP(secret: TOTP.generateSecret())
        try await repository.setTOTP(identityID, sealedSecret: try seal(totp.secret, identityID: identityID),
                                     enabled: false, recoveryCodeHashes: nil, in: transaction)
        guard let practice = try await PracticeRepository().current(in: transaction) else { throw DomainError.notFound("practice") }
        _ = practice
        return (totp.provisioningURI(issuer: "Ledgerline", account: email), totp.base32Secret)
    }

    /// Confirms enrolment with a current code: TOTP becomes required at sign-in and ten one-time
    /// recovery codes are answered (shown once).
    /// - Throws: −32602 on `/code` when it does not match.
    public func confirmTOTP(principal: Principal, email: String, code: String, in transaction: Transaction,
                            now: Date = Date()) async throws -> [String] {
        let identityID = try sessionIdentity(principal)
        guard let identity = try await repository.identity(email: email, in: transaction), identity.id == identityID,
              let totp = try openTOTP(identity), totp.verify(code.filter(\.isNumber), at: now) != nil else {
            throw DomainError.invalid("/code", "does not match the authenticator's current code", code: "mismatch")
        }
        let codes = RecoveryCodes.generate()
        try await repository.setTOTP(identityID, sealedSecret: identity.sealedTOTPSecret, enabled: true,
                                     recoveryCodeHashes: codes.map { Secrets.hash(RecoveryCodes.normalized($0) ?? $0) },
                                     in: transaction)
        try await repository.unrestrictSessions(identityID: identityID, in: transaction)
        return codes
    }

    private func sessionIdentity(_ principal: Principal) throws -> UUID {
        guard case .session = principal.credentialID, let identity = principal.identityID else {
            throw Self.sessionRequired()
        }
        return identity
    }

    static func sessionRequired() -> DomainError {
        DomainError(.validation, code: "auth.sessionRequired", message: "this needs a sign-in session, not an API key",
                    problems: [FieldProblem(pointer: "/", reason: "call it with the session token from auth.signIn",
                                            code: "sessionRequired")])
    }

    private func seal(_ secret: [UInt8], identityID: UUID) throws -> [UInt8] {
        guard let box = runtime.secretBox else {
            throw DomainError(.notConfigured, code: "auth.noSecretKey",
                              message: "two-factor sign-in needs LEDGERLINE_SECRET_KEY to seal authenticator secrets")
        }
        return Array(try box.seal(Data(secret).base64EncodedString(), for: PracticeID(uuid: identityID)).utf8)
    }

    private func openTOTP(_ identity: IdentityRecord) throws -> TOTP? {
        guard let sealed = identity.sealedTOTPSecret, let box = runtime.secretBox else { return nil }
        let text = try box.open(String(decoding: sealed, as: UTF8.self), for: PracticeID(uuid: identity.id))
        guard let bytes = Data(base64Encoded: text) else { return nil }
        return TOTP(secret: Array(bytes))
    }

    // MARK: - Sessions

    /// The person's sessions in the current practice.
    public func sessions(principal: Principal, in transaction: Transaction) async throws -> [UserSessionRecord] {
        try await repository.sessions(identityID: try sessionIdentity(principal), in: transaction)
    }

    /// Ends one of the person's sessions (their current one when `id` is nil).
    /// - Throws: not found on `/id` for a session that is not theirs or already ended.
    public func revoke(_ id: UserSessionID?, principal: Principal, in transaction: Transaction, now: Date = Date())
        async throws
    {
        // An API key has no sessions: any id is not found.
        if id != nil, case .apiKey = principal.credentialID { throw DomainError.notFound("session", pointer: "/id") }
        let identity = try sessionIdentity(principal)
        guard case .session(let current) = principal.credentialID else { return }
        guard try await repository.revoke(id ?? current, identityID: identity, now: now, in: transaction) else {
            throw DomainError.notFound("session", pointer: "/id")
        }
    }

    /// An owner lifts a member's lockout.
    /// - Throws: not found on `/memberId`.
    public func unlock(_ memberID: MemberID, in transaction: Transaction) async throws -> Bool {
        guard let member = try await MemberRepository().find(memberID, in: transaction) else {
            throw DomainError.notFound("member", pointer: "/memberId")
        }
        return try await repository.unlock(email: member.email, in: transaction)
    }
}
