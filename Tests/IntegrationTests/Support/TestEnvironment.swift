import API
import Billing
import BillingCore
import Foundation
import JSONRPC
import Logging
import PostgresNIO
import Storage

/// The shared test database: one fresh database per test process on the cluster `make test`
/// started (`LEDGERLINE_TEST_ADMIN_URL`), migrated as the owner role; tests reach it as the
/// application role, exactly like the server, and use the superuser only to inspect.
final class TestEnvironment: Sendable {
    static let operatorKey = "test-operator-key"
    private static let sharedTask = Task { try await TestEnvironment.make() }

    /// The environment, created on first use.
    static func shared() async throws -> TestEnvironment { try await sharedTask.value }

    /// A database of its own, for tests that run workers or server processes against it (no other
    /// test's worker takes its jobs), reached with `plugins` and `claims`.
    static func isolated(plugins: PluginRuntime, claims: ClaimConfiguration) async throws -> TestEnvironment {
        let fresh = try await make()
        return TestEnvironment(sharing: fresh, plugins: plugins, claims: claims)
    }

    let adminURL: DatabaseURL
    let ownerURL: DatabaseURL
    let applicationURL: DatabaseURL
    /// Application-role pool (what the server uses).
    let database: Database
    /// Superuser pool on the same database, for assertions only (bypasses RLS).
    let admin: Database
    let services: Services
    let processor: RPCProcessor<LedgerlineExecutor>
    let logger: Logger

    private init(adminURL: DatabaseURL, ownerURL: DatabaseURL, applicationURL: DatabaseURL, logger: Logger) {
        self.adminURL = adminURL
        self.ownerURL = ownerURL
        self.applicationURL = applicationURL
        self.logger = logger
        database = Database(url: applicationURL, maximumConnections: 30, logger: logger)
        admin = Database(url: adminURL, maximumConnections: 4, logger: logger)
        services = Services(database: database, logger: logger, signIn: .tests)
        processor = LedgerlineAPI.processor(services: services, operatorKey: Self.operatorKey, limits: RPCLimits(),
                                            logger: logger)
    }

    /// Another front door to the same database, with plugins loaded (see `PluginTestEnvironment`).
    init(sharing base: TestEnvironment, plugins: PluginRuntime, claims: ClaimConfiguration = ClaimConfiguration()) {
        adminURL = base.adminURL
        ownerURL = base.ownerURL
        applicationURL = base.applicationURL
        logger = base.logger
        database = base.database
        admin = base.admin
        services = Services(database: base.database, logger: base.logger, plugins: plugins, claims: claims,
                            signIn: .tests)
        processor = LedgerlineAPI.processor(services: services, operatorKey: Self.operatorKey, limits: RPCLimits(),
                                            logger: base.logger)
    }

    private static func make() async throws -> TestEnvironment {
        guard let text = ProcessInfo.processInfo.environment["LEDGERLINE_TEST_ADMIN_URL"] else {
            throw TestSetupError("LEDGERLINE_TEST_ADMIN_URL is not set: run the tests with `make test`, which starts PostgreSQL")
        }
        var logger = Logger(label: "ledgerline-test")
        logger.logLevel = ProcessInfo.processInfo.environment["LEDGERLINE_TEST_LOG"] == "1" ? .debug : .critical
        let clusterAdmin = try DatabaseURL(text)
        let name = "ledgerline_test_\(ProcessInfo.processInfo.processIdentifier)_\(UInt32.random(in: 0...UInt32.max))"
        try await Bootstrap.ensureRolesAndDatabase(adminURL: clusterAdmin, database: name, logger: logger)
        let owner = clusterAdmin.with(username: "ledgerline_owner", database: name)
        try await MigrationRunner(logger: logger).migrate(ownerURL: owner)
        let environment = TestEnvironment(adminURL: clusterAdmin.with(database: name), ownerURL: owner,
                                          applicationURL: clusterAdmin.with(username: "ledgerline_app", database: name),
                                          logger: logger)
        Task { try await environment.database.run() }
        Task { try await environment.admin.run() }
        return environment
    }

    /// Sends one JSON-RPC request object (built from `method` and `params`) and returns the parsed response.
    func call(_ method: String, _ params: JSONValue = .object(JSONObject()), key: String?) async throws -> JSONValue {
        let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params]
        return try await send(JSONWriter.encode(request), key: key) ?? .null
    }

    /// Sends raw bytes and returns the parsed response body, or `nil` for a 204.
    func send(_ body: [UInt8], key: String?) async throws -> JSONValue? {
        let response = await processor.handle(
            body: body, environment: RequestEnvironment(authorization: key.map { "Bearer \($0)" }))
        guard let bytes = response.body else { return nil }
        return try JSONParser.parse(bytes)
    }

    /// Runs a query as the superuser and returns the first column of the first row as Int.
    func count(_ query: PostgresQuery) async throws -> Int {
        try await admin.withConnection { transaction in
            guard let row = try await transaction.firstRow(query) else { return 0 }
            return try row.decode(Int.self)
        }
    }

    /// Creates a practice through the API with the operator key.
    func createPractice(name: String = "Test Practice \(UInt16.random(in: 0...UInt16.max))") async throws -> TestPractice {
        let response = try await call("practice.create", Fixtures.practiceParams(name: name), key: Self.operatorKey)
        guard let result = response["result"],
              let practiceID = result["practice"]?["id"]?.stringValue,
              let ownerID = result["owner"]?["id"]?.stringValue,
              let secret = result["apiKey"]?["secret"]?.stringValue
        else { throw TestSetupError("practice.create failed: \(String(decoding: JSONWriter.encode(response), as: UTF8.self))") }
        return TestPractice(id: practiceID, ownerID: ownerID, ownerKey: secret, environment: self)
    }
}

/// A practice created for one test, with its owner's key.
struct TestPractice: Sendable {
    let id: String
    let ownerID: String
    let ownerKey: String
    let environment: TestEnvironment

    /// Calls a method as the owner.
    func call(_ method: String, _ params: JSONValue = .object(JSONObject())) async throws -> JSONValue {
        try await environment.call(method, params, key: ownerKey)
    }

    /// Creates a member with `role` and returns its id and a key for it.
    func member(role: Role, npi: String? = nil) async throws -> (id: String, key: String) {
        var params: JSONObject = ["firstName": "Test", "lastName": .string(role.rawValue.capitalized),
                                  "email": .string("\(role.rawValue)-\(UUID().uuidString.prefix(8))@example.com"),
                                  "role": .string(role.rawValue)]
        if let npi { params["npi"] = .string(npi) }
        let created = try await call("member.create", .object(params))
        guard let memberID = created["result"]?["member"]?["id"]?.stringValue else {
            throw TestSetupError("member.create failed: \(String(decoding: JSONWriter.encode(created), as: UTF8.self))")
        }
        let key = try await call("apiKey.create", ["memberId": .string(memberID)])
        guard let secret = key["result"]?["apiKey"]?["secret"]?.stringValue else {
            throw TestSetupError("apiKey.create failed: \(String(decoding: JSONWriter.encode(key), as: UTF8.self))")
        }
        return (memberID, secret)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Valid sample inputs.
enum Fixtures {
    static func practiceParams(name: String) -> JSONValue {
        [
            "legalName": .string(name), "taxId": "12-3456789", "taxIdType": "ein", "npi": "1234567893",
            "taxonomyCode": "101YM0800X", "billingProviderType": "organization",
            "address": ["line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701"],
            "phone": "+12175550100", "timeZone": "America/Chicago",
            "owner": ["firstName": "Ana", "lastName": "Ruiz", "email": .string("owner-\(UUID().uuidString.prefix(8))@example.com")],
        ]
    }
}

extension JSONValue {
    /// The error code of a JSON-RPC response, if it is an error.
    var errorCode: Int? { self["error"]?["code"]?.int64Value.map(Int.init) }
    /// The elements of an array (empty for anything else).
    var arrayValue: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
    /// Compact JSON text (for failure messages).
    var text: String { String(decoding: JSONWriter.encode(self), as: UTF8.self) }
}

extension SignInConfiguration {
    /// Production limits with a lighter scrypt cost (ln=12: tests run a debug build, where the default
    /// costs ~0.7 s a hash); every path still spends the same KDF work.
    static var tests: SignInConfiguration {
        var configuration = SignInConfiguration()
        configuration.passwordCost = PasswordHasher.Cost(logN: 12, r: 8, p: 1)
        return configuration
    }
}
