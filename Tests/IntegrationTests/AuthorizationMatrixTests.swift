import API
import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Testing

/// One practice with a member and key for every role, shared by the matrix cases.
struct RoleFixture: Sendable {
    let practice: TestPractice
    let keys: [Role: String]

    static let shared = Task { try await RoleFixture.make() }

    static func make() async throws -> RoleFixture {
        let practice = try await TestEnvironment.shared().createPractice(name: "Authorization Matrix")
        var keys: [Role: String] = [:]
        for role in Role.allCases {
            keys[role] = try await practice.member(role: role).key
        }
        return RoleFixture(practice: practice, keys: keys)
    }
}

@Suite struct AuthorizationMatrixTests {
    static let registry = LedgerlineAPI.registry()
    static let memberMethods: [String] = registry.methods.compactMap { method in
        if case .members = method.policy { return method.name }
        return nil
    }
    static let operatorMethods: [String] = registry.methods.compactMap { method in
        if case .operator = method.policy { return method.name }
        return nil
    }
    /// A member method every role may call, for the credential checks.
    static var openMemberMethod: String? {
        registry.methods.first { method in Role.allCases.allSatisfy { method.policy.allows($0) } }?.name
    }

    @Test func registryHasMethodsOfBothPolicies() {
        #expect(!Self.memberMethods.isEmpty)
        #expect(!Self.operatorMethods.isEmpty)
        #expect(Self.openMemberMethod != nil)
    }

    @Test(arguments: AuthorizationMatrixTests.memberMethods, Role.allCases)
    func memberMethodAnswersEachRoleAsItsPolicySays(method name: String, role: Role) async throws {
        let fixture = try await RoleFixture.shared.value
        let method = try #require(Self.registry[name])
        let response = try await TestEnvironment.shared().call(name, [:], key: fixture.keys[role])
        if method.policy.allows(role) {
            // Past authorization, empty params may succeed or be refused as invalid or unknown — never forbidden.
            let code = response.errorCode
            #expect(code == nil || code == -32602 || code == -32004,
                    "\(name) as \(role.rawValue) (allowed) answered \(response.text)")
            #expect(response["result"] != nil || response["error"] != nil)
        } else {
            #expect(response.errorCode == -32003, "\(name) as \(role.rawValue) (not allowed) answered \(response.text)")
            #expect(response["error"]?["data"]?["type"]?.stringValue == "auth.roleNotAllowed")
        }
    }

    @Test(arguments: AuthorizationMatrixTests.operatorMethods, Role.allCases)
    func operatorMethodRefusesMemberKeys(method name: String, role: Role) async throws {
        let fixture = try await RoleFixture.shared.value
        let response = try await TestEnvironment.shared().call(name, [:], key: fixture.keys[role])
        #expect(response.errorCode == -32001, "\(name) with a \(role.rawValue) key answered \(response.text)")
    }

    @Test(arguments: AuthorizationMatrixTests.operatorMethods)
    func operatorMethodRefusesCallsWithoutKey(method name: String) async throws {
        let response = try await TestEnvironment.shared().call(name, [:], key: nil)
        #expect(response.errorCode == -32001, "\(name) without a key answered \(response.text)")
    }

    @Test(arguments: AuthorizationMatrixTests.operatorMethods)
    func operatorMethodAcceptsTheOperatorKeyPastAuthentication(method name: String) async throws {
        // Empty params: authenticated, then refused as invalid — proves the -32001 above is about the key.
        let response = try await TestEnvironment.shared().call(name, [:], key: TestEnvironment.operatorKey)
        #expect(response.errorCode == -32602, "\(name) with the operator key answered \(response.text)")
    }

    @Test(arguments: AuthorizationMatrixTests.memberMethods)
    func memberMethodRefusesCallsWithoutKey(method name: String) async throws {
        let response = try await TestEnvironment.shared().call(name, [:], key: nil)
        #expect(response.errorCode == -32001, "\(name) without a key answered \(response.text)")
    }

    @Test(arguments: [
        "llk_", "llk_not-a-real-key", "llk_" + String(repeating: "a", count: 43), "garbage", "Bearer llk_x",
        String(repeating: "k", count: 500), TestEnvironment.operatorKey,
    ])
    func memberMethodRefusesUnknownKeys(key: String) async throws {
        let method = try #require(Self.openMemberMethod)
        let response = try await TestEnvironment.shared().call(method, [:], key: key)
        #expect(response.errorCode == -32001, "\(method) with key \(key.prefix(40)) answered \(response.text)")
    }

    @Test(arguments: [nil, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer", "Token llk_abc"] as [String?])
    func memberMethodRefusesMalformedAuthorizationHeaders(header: String?) async throws {
        let method = try #require(Self.openMemberMethod)
        let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": [:]]
        let response = try await TestEnvironment.shared().processor.handle(
            body: JSONWriter.encode(request), environment: RequestEnvironment(authorization: header))
        let parsed = try JSONParser.parse(try #require(response.body))
        #expect(parsed.errorCode == -32001, "header \(String(describing: header)) answered \(parsed.text)")
    }

    @Test func memberMethodAcceptsAValidOwnerKey() async throws {
        // The positive control for the refusals above.
        let fixture = try await RoleFixture.shared.value
        let method = try #require(Self.openMemberMethod)
        let response = try await TestEnvironment.shared().call(method, [:], key: fixture.keys[.owner])
        #expect(response.errorCode != -32001 && response.errorCode != -32003, "\(response.text)")
    }

    @Test func revokedKeyIsRefused() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Revoked Key")
        let method = try #require(Self.openMemberMethod)
        let created = try await practice.call("apiKey.create", ["name": "to revoke"])
        let keyID = try #require(created["result"]?["apiKey"]?["id"]?.stringValue)
        let secret = try #require(created["result"]?["apiKey"]?["secret"]?.stringValue)
        #expect(try await environment.call(method, key: secret).errorCode == nil, "the key works before revocation")
        let revoked = try await practice.call("apiKey.revoke", ["id": .string(keyID)])
        #expect(revoked["result"]?["apiKey"]?["status"]?.stringValue == "revoked")
        let response = try await environment.call(method, key: secret)
        #expect(response.errorCode == -32001, "revoked key answered \(response.text)")
    }

    @Test func deactivatedMembersKeyIsRefused() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Deactivated Member")
        let method = try #require(Self.openMemberMethod)
        let member = try await practice.member(role: .biller)
        #expect(try await environment.call(method, key: member.key).errorCode == nil, "the key works before deactivation")
        let deactivated = try await practice.call("member.deactivate", ["id": .string(member.id)])
        #expect(deactivated["result"]?["member"]?["active"] == .bool(false), "\(deactivated.text)")
        let response = try await environment.call(method, key: member.key)
        #expect(response.errorCode == -32001, "deactivated member's key answered \(response.text)")
    }

    @Test func deactivatedMembersUnrevokedKeyIsStillRefused() async throws {
        // Defence in depth: even if a key of an inactive member escaped revocation, the member check refuses it.
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Inactive Member Key")
        let method = try #require(Self.openMemberMethod)
        let member = try await practice.member(role: .viewer)
        let deactivated = try await practice.call("member.deactivate", ["id": .string(member.id)])
        #expect(deactivated["result"]?["member"]?["active"] == .bool(false), "\(deactivated.text)")
        let memberUUID = try #require(TableInspector.uuid(of: member.id))
        try await environment.admin.withConnection { connection in
            _ = try await connection.query("update api_keys set revoked_at = null where member_id = \(memberUUID)")
        }
        let response = try await environment.call(method, key: member.key)
        #expect(response.errorCode == -32001, "inactive member's unrevoked key answered \(response.text)")
    }
}
