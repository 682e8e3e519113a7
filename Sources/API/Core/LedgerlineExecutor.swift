import Billing
import BillingCore
import Foundation
import JSONRPC
import Logging
import Storage

/// Per-HTTP-request facts the executor needs.
public struct RequestEnvironment: Sendable {
    /// The `Authorization` header, if any.
    public var authorization: String?
    /// The peer address, for logs and throttling.
    public var remoteAddress: String?
    /// The `User-Agent` header, recorded with sign-in sessions.
    public var userAgent: String?

    /// Creates an environment.
    public init(authorization: String?, remoteAddress: String? = nil, userAgent: String? = nil) {
        self.authorization = authorization
        self.remoteAddress = remoteAddress
        self.userAgent = userAgent
    }
}

/// Authenticates, authorizes, runs each call in its own transaction, audits it and maps every
/// failure to a JSON-RPC error that carries no internals.
public struct LedgerlineExecutor: RPCExecutor {
    public typealias Context = CallContext
    public typealias Policy = Access
    public typealias Environment = RequestEnvironment

    let services: Services
    let operatorKeyHash: [UInt8]?
    let logger: Logger
    let keys = APIKeyRepository()
    let signIn = SignInRepository()
    let audit = AuditRepository()
    let idempotency = IdempotencyRepository()
    /// Which practice each recently seen credential belongs to, so an over-limit practice is refused
    /// before its call takes a database connection.
    let credentialPractices = CredentialPracticeCache()

    /// Creates the executor; `operatorKey` enables operator methods.
    public init(services: Services, operatorKey: String?, logger: Logger) {
        self.services = services
        self.operatorKeyHash = operatorKey.flatMap { $0.isEmpty ? nil : Secrets.hash($0) }
        self.logger = logger
    }

    public func execute(_ call: RPCCall<CallContext, Access>, environment: RequestEnvironment) async
        -> Result<[UInt8], RPCError>
    {
        var callLogger = logger
        callLogger[metadataKey: "requestId"] = "\(call.requestID)"
        callLogger[metadataKey: "method"] = "\(call.method.name)"
        let token = Self.bearerToken(environment.authorization)
        let outcome = Outcome()
        do {
            let bytes: [UInt8]
            for attempt in 1...3 {
                do {
                    switch call.method.policy {
                    case .operator:
                        bytes = try await runOperator(call, token: token, logger: callLogger, outcome: outcome)
                    case .members(let roles):
                        bytes = try await runMember(call, token: token, roles: roles, logger: callLogger, outcome: outcome,
                                                    environment: environment)
                    case .public:
                        bytes = try await runPublic(call, logger: callLogger, environment: environment)
                    }
                    return .success(bytes)
                } catch StorageError.retryable(let state) where attempt < 3 {
                    callLogger.notice("retrying after a transient database conflict", metadata: ["sqlState": "\(state)"])
                    continue
                }
            }
            throw StorageError.retryable("gave up")
        } catch {
            let rpcError = map(error, requestID: call.requestID, logger: callLogger)
            await auditFailure(call, outcome: outcome, error: rpcError, logger: callLogger)
            return .failure(rpcError)
        }
    }

    /// Facts learned while running a call, kept for the failure audit.
    final class Outcome: @unchecked Sendable {
        let lock = NSLock()
        var principal: Principal?
        var entities: [String] = []
        /// The call took its token from the practice's bucket (once, whatever the retries).
        var rateCharged = false
        func set(_ principal: Principal) { lock.withLock { self.principal = principal } }
        /// Marks the call charged; `false` when it already was.
        func charge() -> Bool {
            lock.withLock {
                defer { rateCharged = true }
                return !rateCharged
            }
        }
    }

    /// Takes the call's token from the practice's bucket, or refuses it with −32029.
    private func chargeRate(_ practiceID: PracticeID, outcome: Outcome) throws {
        guard let limiter = services.rateLimiter, outcome.charge() else { return }
        if case .limited(let wait) = limiter.acquire(practiceID) {
            throw PracticeRateLimiter.error(retryAfterSeconds: wait)
        }
    }

    private func runOperator(_ call: RPCCall<CallContext, Access>, token: String?, logger: Logger, outcome: Outcome)
        async throws -> [UInt8]
    {
        guard let operatorKeyHash else {
            throw DomainError(.unauthenticated, code: "operator.notConfigured",
                              message: "operator methods are disabled: LEDGERLINE_OPERATOR_KEY is not set")
        }
        guard let token, Secrets.constantTimeEquals(Secrets.hash(token), operatorKeyHash) else {
            throw DomainError(.unauthenticated, code: "auth.operatorKeyRequired", message: "this method needs the operator key")
        }
        guard call.paramErrors.isEmpty else { throw RPCError.invalidParams(call.paramErrors) }
        return try await services.database.withTransaction { transaction in
            let context = CallContext(transaction: transaction, caller: .operator, principal: nil,
                                      requestID: call.requestID, services: services, logger: logger)
            let bytes = try await call.method.invoke(call.params, context)
            // practice.create leaves the new practice set on the transaction: audit there.
            if let practiceID = context.recordedEntities.first.flatMap(PracticeID.init) {
                try await audit.append(entry(call, caller: "operator", principal: nil, entities: context.recordedEntities,
                                             outcome: "ok", errorCode: nil), practiceID: practiceID, in: transaction)
            }
            return bytes
        }
    }

    private func runPublic(_ call: RPCCall<CallContext, Access>, logger: Logger, environment: RequestEnvironment)
        async throws -> [UInt8]
    {
        guard call.paramErrors.isEmpty else { throw RPCError.invalidParams(call.paramErrors) }
        return try await services.database.withTransaction { transaction in
            let context = CallContext(transaction: transaction, caller: .anonymous, principal: nil,
                                      requestID: call.requestID, services: services, logger: logger,
                                      environment: environment)
            return try await call.method.invoke(call.params, context)
        }
    }

    private func runMember(_ call: RPCCall<CallContext, Access>, token: String?, roles: Set<Role>, logger: Logger,
                           outcome: Outcome, environment: RequestEnvironment) async throws -> [UInt8] {
        guard let token, token.hasPrefix("llk_") || token.hasPrefix("lls_") else {
            throw DomainError(.unauthenticated, code: "auth.required",
                              message: "send Authorization: Bearer with an API key or session token")
        }
        let hash = Secrets.hash(token)
        if services.rateLimiter != nil, let practiceID = credentialPractices.practice(for: hash) {
            try chargeRate(practiceID, outcome: outcome)
        }
        return try await services.database.withTransaction { transaction in
            let found = token.hasPrefix("lls_")
                ? try await signIn.authenticate(sessionTokenHash: hash, in: transaction)
                : try await keys.authenticate(secretHash: hash, in: transaction)
            guard let principal = found else {
                throw DomainError(.unauthenticated, code: "auth.invalidCredential",
                                  message: "the credential is unknown, revoked or expired (sessions end after the idle time and at their absolute lifetime): sign in again")
            }
            if services.rateLimiter != nil {
                credentialPractices.remember(hash, practiceID: principal.practiceID)
                try chargeRate(principal.practiceID, outcome: outcome)
            }
            outcome.set(principal)
            var memberLogger = logger
            memberLogger[metadataKey: "practice"] = "\(principal.practiceID)"
            if principal.restricted, !["auth.enrollTotp", "auth.confirmTotp", "auth.signOut", "auth.sessions"]
                .contains(call.method.name) {
                throw DomainError(.forbidden, code: "auth.twoFactorEnrollmentRequired",
                                  message: "this practice requires two-factor sign-in: enrol with auth.enrollTotp and auth.confirmTotp first")
            }
            guard roles.contains(principal.role) else {
                throw DomainError(.forbidden, code: "auth.roleNotAllowed",
                                  message: "the \(principal.role.rawValue) role may not call \(call.method.name)")
            }
            guard call.paramErrors.isEmpty else { throw RPCError.invalidParams(call.paramErrors) }
            let context = CallContext(
                transaction: transaction,
                caller: .member(practiceID: principal.practiceID, memberID: principal.memberID, role: principal.role,
                                credentialID: principal.credentialID),
                principal: principal, requestID: call.requestID, services: services, logger: memberLogger,
                environment: environment)
            let bytes: [UInt8]
            if case .string(let key)? = call.params["idempotencyKey"], call.method.params.property("idempotencyKey") != nil {
                let hash = Self.requestHash(method: call.method.name, params: call.params)
                switch try await idempotency.begin(key: key, method: call.method.name, requestHash: hash,
                                                   practiceID: principal.practiceID, in: transaction) {
                case .proceed:
                    bytes = try await call.method.invoke(call.params, context)
                    try await idempotency.complete(key, response: bytes, in: transaction)
                case .replay(let stored):
                    bytes = stored
                case .mismatch:
                    throw DomainError(.idempotencyMismatch, code: "idempotency.keyReused",
                                      message: "this idempotency key was used for a different request",
                                      problems: [FieldProblem(pointer: "/idempotencyKey", reason: "was used with other params",
                                                              code: "keyReused")])
                }
            } else {
                bytes = try await call.method.invoke(call.params, context)
            }
            let entities = Self.entityIDs(in: call.params) + context.recordedEntities
            try await audit.append(entry(call, caller: "member", principal: principal, entities: entities, outcome: "ok",
                                         errorCode: nil), practiceID: principal.practiceID, in: transaction)
            return bytes
        }
    }

    private func entry(_ call: RPCCall<CallContext, Access>, caller: String, principal: Principal?, entities: [String],
                       outcome: String, errorCode: Int?) -> AuditEntry {
        var unique: [String] = []
        for entity in entities where !unique.contains(entity) && unique.count < 50 { unique.append(entity) }
        return AuditEntry(id: .generate(), at: Date(), actorType: caller, memberId: principal?.memberID,
                          credentialId: principal?.credentialID.description, method: call.method.name,
                          entityIds: unique, outcome: outcome, errorCode: errorCode, requestId: call.requestID)
    }

    private func auditFailure(_ call: RPCCall<CallContext, Access>, outcome: Outcome, error: RPCError, logger: Logger) async {
        // A refused over-limit call did nothing; writing an audit row for each would hand the
        // database the very load the limit keeps away (the metrics count them).
        if error.code == PracticeRateLimiter.errorCode { return }
        guard let principal = outcome.lock.withLock({ outcome.principal }) else {
            logger.notice("call refused", metadata: ["code": "\(error.code)"])
            return
        }
        do {
            try await services.database.withTenant(principal.practiceID) { transaction in
                try await audit.append(entry(call, caller: "member", principal: principal,
                                             entities: Self.entityIDs(in: call.params), outcome: "error", errorCode: error.code),
                                       practiceID: principal.practiceID, in: transaction)
            }
        } catch {
            logger.error("could not write the failure audit row", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Maps any error to a JSON-RPC error with `data.requestId`; unknown errors are logged, never exposed.
    func map(_ error: any Error, requestID: String, logger: Logger) -> RPCError {
        if let rpcError = error as? RPCError { return rpcError.withRequestID(requestID) }
        if let domain = error as? DomainError { return Self.rpcError(domain).withRequestID(requestID) }
        if let storage = StorageError.classify(error) {
            switch storage {
            case .uniqueViolation:
                return RPCError(code: -32009, message: "Conflict",
                                data: ["type": "conflict", "reason": "a record with the same unique value already exists"])
                    .withRequestID(requestID)
            case .foreignKeyViolation:
                return RPCError(code: -32004, message: "Not found",
                                data: ["type": "notFound", "reason": "a referenced record does not exist"])
                    .withRequestID(requestID)
            case .lockTimeout:
                return Self.rpcError(DomainError(.idempotencyInProgress, code: "idempotency.inProgress",
                                                 message: "a request with this idempotency key is still running; retry later"))
                    .withRequestID(requestID)
            default:
                break
            }
        }
        logger.error("internal error", metadata: ["error": "\(String(reflecting: error))"])
        return RPCError.internalError().withRequestID(requestID)
    }

    /// The JSON-RPC form of a domain error.
    static func rpcError(_ error: DomainError) -> RPCError {
        if error.kind == .validation {
            let fields = error.problems.map { FieldError(pointer: $0.pointer, reason: $0.reason, code: $0.code) }
            var rpc = RPCError.invalidParams(fields)
            if case .object(var object) = rpc.data {
                object["type"] = .string(error.code == "validation" ? "validation" : error.code)
                rpc.data = .object(object)
            }
            return rpc
        }
        let code: Int
        let message: String
        switch error.kind {
        case .unauthenticated: (code, message) = (-32001, "Unauthenticated")
        case .forbidden: (code, message) = (-32003, "Forbidden")
        case .notFound: (code, message) = (-32004, "Not found")
        case .conflict: (code, message) = (-32009, "Conflict")
        case .idempotencyMismatch: (code, message) = (-32010, "Idempotency key reused with different params")
        case .idempotencyInProgress: (code, message) = (-32011, "Request with this idempotency key in progress")
        case .notConfigured: (code, message) = (-32012, "Not configured")
        case .upstream: (code, message) = (-32013, "Integration failed")
        default: (code, message) = (-32603, "Internal error")
        }
        var data: JSONObject = ["type": .string(error.code), "reason": .string(error.message)]
        if let first = error.problems.first { data["field"] = .string(first.pointer) }
        if error.problems.count > 1 {
            data["errors"] = .array(error.problems.map { ["pointer": .string($0.pointer), "reason": .string($0.reason)] })
        }
        return RPCError(code: code, message: message, data: .object(data))
    }

    /// SHA-256 over the method name and the params in canonical form (sorted keys), without the key itself.
    static func requestHash(method: String, params: JSONValue) -> [UInt8] {
        var stripped = params
        if case .object(var object) = params {
            object["idempotencyKey"] = nil
            stripped = .object(object)
        }
        var bytes = Array(method.utf8)
        bytes.append(0)
        JSONWriter.writeCanonical(stripped, into: &bytes)
        return Secrets.hash(bytes)
    }

    /// The token from `Authorization: Bearer …`.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.count > 200 ? nil : token
    }

    /// Ids named in params (`id`, `…Id`, `…Ids`), for the audit row.
    static func entityIDs(in params: JSONValue) -> [String] {
        guard case .object(let object) = params else { return [] }
        var ids: [String] = []
        for (key, value) in object.members where key == "id" || key.hasSuffix("Id") || key.hasSuffix("Ids") {
            switch value {
            case .string(let text) where text.count <= 40 && text.contains("_"): ids.append(text)
            case .array(let elements):
                for case .string(let text) in elements.prefix(50) where text.count <= 40 && text.contains("_") {
                    ids.append(text)
                }
            default: break
            }
        }
        return ids
    }
}
