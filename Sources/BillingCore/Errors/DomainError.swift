/// One problem with one input field, named by a JSON Pointer (`/lines/2/units`).
public struct FieldProblem: Sendable, Hashable {
    public var pointer: String
    public var reason: String
    public var code: String

    /// Creates a field problem.
    public init(pointer: String, reason: String, code: String = "invalid") {
        self.pointer = pointer
        self.reason = reason
        self.code = code
    }
}

/// A business-rule failure with a stable machine code, a human message and the fields involved.
///
/// The API layer maps ``Kind`` to a JSON-RPC error code; ``code`` is what clients switch on.
public struct DomainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The family of failure, which decides the JSON-RPC code.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No valid credential (−32001).
        public static let unauthenticated = Kind("unauthenticated")
        /// Credential valid, action not allowed for its role (−32003).
        public static let forbidden = Kind("forbidden")
        /// The entity does not exist in this practice (−32004).
        public static let notFound = Kind("notFound")
        /// Stale version, duplicate, or a transition the state machine refuses (−32009).
        public static let conflict = Kind("conflict")
        /// Input breaks a rule (−32602).
        public static let validation = Kind("validation")
        /// Idempotency key reused with different params (−32010).
        public static let idempotencyMismatch = Kind("idempotencyMismatch")
        /// A request with the same idempotency key is still running (−32011).
        public static let idempotencyInProgress = Kind("idempotencyInProgress")
        /// A feature whose integration is not configured (−32012).
        public static let notConfigured = Kind("notConfigured")
        /// A plugin or the service behind it failed or refused (−32013); `code` says which, e.g.
        /// `integration.unavailable` (retrying may help) or `integration.rejected`.
        public static let upstream = Kind("upstream")
    }

    public var kind: Kind
    /// A stable machine code such as `member.lastOwner`.
    public var code: String
    /// A plain-language explanation.
    public var message: String
    /// The fields involved (empty when the error concerns the whole request).
    public var problems: [FieldProblem]

    /// Creates an error.
    public init(_ kind: Kind, code: String, message: String, problems: [FieldProblem] = []) {
        self.kind = kind
        self.code = code
        self.message = message
        self.problems = problems
    }

    public var description: String { "\(kind): \(code): \(message)" }

    /// The entity named by `pointer` does not exist in this practice.
    public static func notFound(_ entity: String, pointer: String = "/id") -> DomainError {
        DomainError(.notFound, code: "\(entity).notFound", message: "\(entity) not found",
                    problems: [FieldProblem(pointer: pointer, reason: "no such \(entity)", code: "notFound")])
    }

    /// The record changed since the caller read it.
    public static func staleVersion(_ entity: String) -> DomainError {
        DomainError(.conflict, code: "\(entity).staleVersion",
                    message: "\(entity) was changed by someone else; reload it and try again",
                    problems: [FieldProblem(pointer: "/version", reason: "does not match the current version", code: "stale")])
    }

    /// Input problems found by domain rules.
    public static func validation(_ problems: [FieldProblem]) -> DomainError {
        DomainError(.validation, code: "validation", message: "invalid params", problems: problems)
    }

    /// A single invalid field.
    public static func invalid(_ pointer: String, _ reason: String, code: String = "invalid") -> DomainError {
        validation([FieldProblem(pointer: pointer, reason: reason, code: code)])
    }
}
