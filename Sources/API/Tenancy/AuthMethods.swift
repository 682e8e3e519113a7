import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// `member.invite`, `member.unlock` and `auth.*`: people sign in as themselves; every method then
/// works with the session token exactly as with an API key.
enum AuthMethods {
    struct InviteParams: Decodable, Sendable {
        let memberId: MemberID
        let idempotencyKey: String?
    }

    struct AcceptParams: Decodable, Sendable {
        let token: String
        let password: String
    }

    struct SignInParams: Decodable, Sendable {
        let email: String
        let password: String
        let totpCode: String?
        let recoveryCode: String?
        let practiceId: PracticeID?
    }

    struct SwitchParams: Decodable, Sendable { let practiceId: PracticeID }
    struct ResetRequestParams: Decodable, Sendable { let email: String }
    struct CodeParams: Decodable, Sendable { let code: String }
    struct RevokeParams: Decodable, Sendable { let id: UserSessionID? }
    struct MemberParams: Decodable, Sendable { let memberId: MemberID }
    struct Empty: Decodable, Sendable {}

    struct SignedInView: Encodable, Sendable {
        struct Practice: Encodable, Sendable {
            let id: PracticeID
            let name: String
            let memberId: MemberID
            let role: Role
        }

        let token: String
        let sessionId: UserSessionID
        let practiceId: PracticeID
        let memberId: MemberID
        let role: Role
        let expiresAt: Date
        let twoFactorEnrollmentRequired: Bool
        let practices: [Practice]

        init(_ signedIn: SignedIn) {
            token = signedIn.token
            sessionId = signedIn.sessionID
            practiceId = signedIn.practiceID
            memberId = signedIn.memberID
            role = signedIn.role
            expiresAt = signedIn.expiresAt
            twoFactorEnrollmentRequired = signedIn.twoFactorEnrollmentRequired
            practices = signedIn.practices.map {
                Practice(id: $0.practiceID, name: $0.practiceName, memberId: $0.memberID, role: $0.role)
            }
        }

        static let schema = Schema.object([
            "token": .string(), "sessionId": Schemas.id(UserSessionID.self), "practiceId": Schemas.id(PracticeID.self),
            "memberId": Schemas.id(MemberID.self), "role": .enumeration(Role.self), "expiresAt": Schemas.dateTime,
            "twoFactorEnrollmentRequired": .boolean(),
            "practices": .array(.object([
                "id": Schemas.id(PracticeID.self), "name": .string(), "memberId": Schemas.id(MemberID.self),
                "role": .enumeration(Role.self),
            ]), maxItems: nil),
        ], title: "SignedIn")
    }

    struct SessionView: Encodable, Sendable {
        let id: UserSessionID
        let memberId: MemberID
        let current: Bool
        let userAgent: String?
        let sourceAddress: String?
        let createdAt: Date
        let lastUsedAt: Date
        let idleExpiresAt: Date
        let expiresAt: Date
        let revokedAt: Date?
    }

    static func service(_ context: CallContext) -> SignInService {
        SignInService(runtime: context.services.plugins, configuration: context.services.signIn,
                      database: context.services.database)
    }

    static func email(_ context: CallContext) async throws -> String {
        guard let principal = context.principal,
              let member = try await MemberRepository().find(principal.memberID, in: context.transaction) else {
            throw DomainError.notFound("member")
        }
        return member.email.lowercased()
    }

    static let authErrors = memberErrors + [RPCErrorDoc(code: -32602, message: "Invalid params")]

    static var all: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "member.invite",
                summary: "Invite a member to sign in as themselves: a single-use link (or code) that expires, sent to the member's email through the practice's email channel.",
                params: .object(["memberId": Schemas.id(MemberID.self), "idempotencyKey?": Schemas.idempotencyKey]),
                result: .object(["invitationId": Schemas.id(InvitationID.self), "expiresAt": Schemas.dateTime,
                                 "notificationId": .string()]),
                errors: updateErrors + [RPCErrorDoc(code: -32012, message: "Not configured")], policy: .owners
            ) { (params: InviteParams, context) in
                let sent = try await service(context).invite(
                    params.memberId, practiceID: try context.practiceID, invitedBy: context.principal?.memberID,
                    in: context.transaction)
                context.record(sent.invitation.id)
                return InviteResult(invitationId: sent.invitation.id, expiresAt: sent.invitation.expiresAt,
                                    notificationId: sent.notification.record.id.description)
            },
            LedgerlineMethod(
                "auth.acceptInvite",
                summary: "Accept an invitation with its token: choose a password (at least 12 characters, not a common or breached one, not your name or email) — or, if this email already signs in elsewhere, confirm that password. No credential needed.",
                params: .object(["token": .string(minLength: 1, maxLength: 100),
                                 "password": .string(minLength: 1, maxLength: 1024)]),
                result: .object(["practiceId": Schemas.id(PracticeID.self)]), errors: authErrors, policy: .public
            ) { (params: AcceptParams, context) in
                ["practiceId": try await service(context).acceptInvitation(
                    token: params.token, password: params.password, in: context.transaction)]
            },
            LedgerlineMethod(
                "auth.signIn",
                summary: "Sign in with email, password and — once enrolled — the authenticator code (or a recovery code). Answers a session token to send as Authorization: Bearer (it ends after the idle time or its lifetime), and every practice the person may switch to. Failures never say whether the email exists; repeated failures lock the account for a while.",
                params: .object([
                    "email": .string(minLength: 3, maxLength: 254), "password": .string(minLength: 1, maxLength: 1024),
                    "totpCode?": Schema.string(minLength: 6, maxLength: 10).orNull,
                    "recoveryCode?": Schema.string(minLength: 6, maxLength: 20).orNull,
                    "practiceId?": Schemas.id(PracticeID.self).orNull,
                ]),
                result: SignedInView.schema, errors: authErrors, policy: .public
            ) { (params: SignInParams, context) in
                SignedInView(try await service(context).signIn(
                    email: params.email, password: params.password, totpCode: params.totpCode,
                    recoveryCode: params.recoveryCode, practiceID: params.practiceId,
                    userAgent: context.environment.userAgent, sourceAddress: context.environment.remoteAddress,
                    in: context.transaction))
            },
            LedgerlineMethod(
                "auth.requestReset",
                summary: "Ask for a password reset: a single-use code (or link) is emailed to the person through one of their practices' email channel. The answer is the same whether or not the email signs in anywhere.",
                params: .object(["email": .string(minLength: 3, maxLength: 254)]),
                result: .object(["requested": .boolean()]), errors: authErrors, policy: .public
            ) { (params: ResetRequestParams, context) in
                try await service(context).requestReset(email: params.email, in: context.transaction)
                return ["requested": true]
            },
            LedgerlineMethod(
                "auth.reset",
                summary: "Choose a new password with a reset code (once, before it expires); every session of the person ends, in every practice.",
                params: .object(["token": .string(minLength: 1, maxLength: 100),
                                 "password": .string(minLength: 1, maxLength: 1024)]),
                result: .object(["sessionsEnded": .integer(minimum: 0)]), errors: authErrors, policy: .public
            ) { (params: AcceptParams, context) in
                ["sessionsEnded": try await service(context).reset(token: params.token, password: params.password,
                                                                   in: context.transaction)]
            },
            LedgerlineMethod(
                "auth.switchPractice",
                summary: "Move the session to another practice the person belongs to: the current session ends, a new token is answered.",
                params: .object(["practiceId": Schemas.id(PracticeID.self)]), result: SignedInView.schema,
                errors: authErrors, policy: .anyMember
            ) { (params: SwitchParams, context) in
                guard let principal = context.principal else { throw DomainError.notFound("member") }
                return SignedInView(try await service(context).switchPractice(
                    to: params.practiceId, from: principal, email: try await email(context),
                    userAgent: context.environment.userAgent, sourceAddress: context.environment.remoteAddress,
                    in: context.transaction))
            },
            LedgerlineMethod(
                "auth.signOut", summary: "End the current session.", params: .object([:]),
                result: .object(["signedOut": .boolean()]), errors: memberErrors, policy: .anyMember
            ) { (_: Empty, context) in
                guard let principal = context.principal else { throw DomainError.notFound("member") }
                try await service(context).revoke(nil, principal: principal, in: context.transaction)
                return ["signedOut": true]
            },
            LedgerlineMethod(
                "auth.sessions", summary: "The signed-in person's sessions in this practice, newest first.",
                params: .object([:]),
                result: .object(["items": .array(.object([
                    "id": Schemas.id(UserSessionID.self), "memberId": Schemas.id(MemberID.self), "current": .boolean(),
                    "userAgent?": Schema.string().orNull, "sourceAddress?": Schema.string().orNull,
                    "createdAt": Schemas.dateTime, "lastUsedAt": Schemas.dateTime, "idleExpiresAt": Schemas.dateTime,
                    "expiresAt": Schemas.dateTime, "revokedAt?": Schemas.dateTime.orNull,
                ], title: "UserSession"), maxItems: nil)]),
                errors: memberErrors, policy: .anyMember
            ) { (_: Empty, context) in
                guard let principal = context.principal else { throw DomainError.notFound("member") }
                let sessions = try await service(context).sessions(principal: principal, in: context.transaction)
                return ["items": sessions.map { session in
                    SessionView(id: session.id, memberId: session.memberID,
                                current: principal.credentialID == .session(session.id), userAgent: session.userAgent,
                                sourceAddress: session.sourceAddress, createdAt: session.createdAt,
                                lastUsedAt: session.lastUsedAt,
                                idleExpiresAt: session.lastUsedAt.addingTimeInterval(Double(session.idleSeconds)),
                                expiresAt: session.createdAt.addingTimeInterval(Double(session.absoluteSeconds)),
                                revokedAt: session.revokedAt)
                }]
            },
            LedgerlineMethod(
                "auth.revokeSession", summary: "End one of the signed-in person's sessions (another device).",
                params: .object(["id": Schemas.id(UserSessionID.self)]), result: .object(["revoked": .boolean()]),
                errors: lookupErrors, policy: .anyMember
            ) { (params: RevokeParams, context) in
                guard let principal = context.principal, let id = params.id else { throw DomainError.notFound("session") }
                try await service(context).revoke(id, principal: principal, in: context.transaction)
                return ["revoked": true]
            },
            LedgerlineMethod(
                "auth.enrollTotp",
                summary: "Start two-factor enrolment: a new authenticator secret as an otpauth:// URI (show it as a QR code) and in base32. It is required at sign-in once confirmed with auth.confirmTotp.",
                params: .object([:]), result: .object(["uri": .string(maxLength: nil), "secret": .string()]),
                errors: memberErrors + [RPCErrorDoc(code: -32012, message: "Not configured")], policy: .anyMember
            ) { (_: Empty, context) in
                guard let principal = context.principal else { throw DomainError.notFound("member") }
                let begun = try await service(context).beginTOTP(principal: principal, email: try await email(context),
                                                                 in: context.transaction)
                return ["uri": begun.uri, "secret": begun.secret]
            },
            LedgerlineMethod(
                "auth.confirmTotp",
                summary: "Confirm two-factor enrolment with the authenticator's current code; answers ten one-time recovery codes (shown once).",
                params: .object(["code": .string(minLength: 6, maxLength: 10)]),
                result: .object(["recoveryCodes": .array(.string(), maxItems: 20)]), errors: authErrors, policy: .anyMember
            ) { (params: CodeParams, context) in
                guard let principal = context.principal else { throw DomainError.notFound("member") }
                return ["recoveryCodes": try await service(context).confirmTOTP(
                    principal: principal, email: try await email(context), code: params.code, in: context.transaction)]
            },
            LedgerlineMethod(
                "member.unlock", summary: "Lift a member's sign-in lockout (after repeated failures).",
                params: .object(["memberId": Schemas.id(MemberID.self)]), result: .object(["unlocked": .boolean()]),
                errors: lookupErrors, policy: .owners
            ) { (params: MemberParams, context) in
                ["unlocked": try await service(context).unlock(params.memberId, in: context.transaction)]
            },
        ]
    }

    struct InviteResult: Encodable, Sendable {
        let invitationId: InvitationID
        let expiresAt: Date
        let notificationId: String
    }
}
