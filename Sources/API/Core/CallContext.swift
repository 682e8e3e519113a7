import Billing
import BillingCore
import Foundation
import Logging
import Storage
import Synchronization

/// Everything a method handler gets: its transaction, who is calling, and the services.
public final class CallContext: Sendable {
    /// The call's transaction; for member calls its practice is already set.
    public let transaction: Transaction
    /// The caller.
    public let caller: Caller
    /// The member principal for member calls.
    public let principal: Principal?
    /// The request id for logs and errors.
    public let requestID: String
    /// The server's services.
    public let services: Services
    /// A logger carrying the request id and practice.
    public let logger: Logger
    /// The HTTP request's facts (peer address, user agent) for sign-in records and throttling.
    public let environment: RequestEnvironment
    private let touched = Mutex<[String]>([])

    init(transaction: Transaction, caller: Caller, principal: Principal?, requestID: String, services: Services,
         logger: Logger, environment: RequestEnvironment = RequestEnvironment(authorization: nil)) {
        self.transaction = transaction
        self.caller = caller
        self.principal = principal
        self.requestID = requestID
        self.services = services
        self.logger = logger
        self.environment = environment
    }

    /// The practice of a member call.
    /// - Throws: when called from an operator method (a programming error surfaced as forbidden).
    public var practiceID: PracticeID {
        get throws {
            guard let practiceID = principal?.practiceID else {
                throw DomainError(.forbidden, code: "practice.required", message: "this method needs a practice member's key")
            }
            return practiceID
        }
    }

    /// Records an entity id the call created or changed, for the audit row.
    public func record(_ id: some EntityID) { touched.withLock { $0.append(id.description) } }

    var recordedEntities: [String] { touched.withLock { $0 } }
}

/// The services shared by all calls.
public struct Services: Sendable {
    public let database: Database
    public let tenancy: TenancyService
    /// The loaded plugins and the key sealing integration settings.
    public let plugins: PluginRuntime
    /// How claims are held, batched and tracked.
    public let claims: ClaimConfiguration
    /// Session lifetimes, lockout, password cost.
    public let signIn: SignInConfiguration
    /// Per-practice request limits; `nil` means unlimited.
    public let rateLimiter: PracticeRateLimiter?
    public let logger: Logger

    /// Creates the service bundle; without `plugins` every integration feature answers "not configured".
    public init(database: Database, logger: Logger, plugins: PluginRuntime = .none,
                claims: ClaimConfiguration = ClaimConfiguration(), signIn: SignInConfiguration = SignInConfiguration(),
                rateLimiter: PracticeRateLimiter? = nil) {
        self.database = database
        self.tenancy = TenancyService()
        self.plugins = plugins
        self.claims = claims
        self.signIn = signIn
        self.rateLimiter = rateLimiter
        self.logger = logger
    }
}
