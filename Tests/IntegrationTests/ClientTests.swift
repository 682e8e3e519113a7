import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage
import Testing

/// A practice with a clinician, and helpers shared by the client and session suites.
struct ClientFixture: Sendable {
    static let address: JSONValue = ["line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701"]

    let environment: TestEnvironment
    let practice: TestPractice
    let clinician: (id: String, key: String)

    static func make(_ name: String = "Riverbend Counseling PLLC") async throws -> ClientFixture {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: name)
        let clinician = try await practice.member(role: .clinician, npi: "1245319599")
        return ClientFixture(environment: environment, practice: practice, clinician: clinician)
    }

    /// Calls `method` (as the owner unless `key` is given) and returns its result, recording the error otherwise.
    @discardableResult
    func ok(_ method: String, _ params: JSONValue = [:], key: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let response = try await environment.call(method, params, key: key ?? practice.ownerKey)
        guard let result = response["result"] else {
            Issue.record("\(method) failed: \(response.text)", sourceLocation: sourceLocation)
            throw TestSetupError("\(method) failed")
        }
        return result
    }

    /// Calls `method` and returns the whole response (for error checks).
    func call(_ method: String, _ params: JSONValue = [:], key: String? = nil) async throws -> JSONValue {
        try await environment.call(method, params, key: key ?? practice.ownerKey)
    }

    /// Creates a client and returns its id.
    func client(born dateOfBirth: String = "1990-05-01", assigned: [String]? = nil, diagnoses: [String] = [],
                firstName: String = "Jordan", lastName: String = "Park", externalId: String? = nil,
                key: String? = nil) async throws -> String {
        var params: JSONObject = [
            "firstName": .string(firstName), "lastName": .string(lastName), "dateOfBirth": .string(dateOfBirth),
            "sex": "U", "address": Self.address, "email": "client@example.com", "consents": ["email": true, "sms": false],
            "assignedMemberIds": .array((assigned ?? [clinician.id]).map { .string($0) }),
            "diagnoses": .array(diagnoses.map { .string($0) }),
        ]
        if let externalId { params["externalId"] = .string(externalId) }
        let result = try await ok("client.create", .object(params), key: key)
        return try #require(result["client"]?["id"]?.stringValue)
    }

    /// Imports the common services, sets 90837 to $150 and 96127 to $5, and returns code → id.
    func services() async throws -> [String: String] {
        let imported = try await ok("service.importCommon")
        var ids: [String: String] = [:]
        for item in imported["items"]?.arrayValue ?? [] {
            if let code = item["code"]?.stringValue, let id = item["id"]?.stringValue { ids[code] = id }
        }
        for (code, rate) in [("90837", 15000), ("96127", 500), ("90834", 12000)] {
            let id = try #require(ids[code], "service.importCommon has no \(code)")
            let current = try await ok("service.get", ["id": .string(id)])
            let version = try #require(current["service"]?["version"]?.int64Value)
            try await ok("service.update", ["id": .string(id), "version": .number(JSONNumber(version)),
                                            "defaultRateCents": .number(JSONNumber(Int64(rate)))])
        }
        return ids
    }

    /// The catalog payer matching `query` (first by name).
    func payer(_ query: String = "aetna") async throws -> String {
        let page = try await ok("payer.list", ["query": .string(query), "limit": 20])
        return try #require(page["items"]?.arrayValue.first?["id"]?.stringValue)
    }

    /// Runs `body` in a transaction of this practice, as the server's Billing layer would.
    func inPractice<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        let practiceID = try #require(PracticeID(practice.id))
        return try await environment.database.withTenant(practiceID) { try await body($0) }
    }
}

extension JSONValue {
    /// The JSON Pointers named by an error response (`data.errors[].pointer`, else `data.field`).
    var errorPointers: [String] {
        let listed = self["error"]?["data"]?["errors"]?.arrayValue.compactMap { $0["pointer"]?.stringValue } ?? []
        if !listed.isEmpty { return listed }
        return self["error"]?["data"]?["field"]?.stringValue.map { [$0] } ?? []
    }
}

/// Clients, contacts and insurance policies through the API, against real PostgreSQL.
@Suite struct ClientTests {
    // MARK: - Clients

    @Test func walkthroughClientCreateAnswersWithDerivedMinorAndNoRecipientYet() async throws {
        let fixture = try await ClientFixture.make()
        let result = try await fixture.ok("client.create", [
            "firstName": "Jordan", "lastName": "Park", "dateOfBirth": "2012-04-12", "sex": "M",
            "address": ClientFixture.address, "email": nil, "phone": nil, "consents": ["email": false, "sms": false],
            "assignedMemberIds": [.string(fixture.clinician.id)], "externalId": "ehr-8812",
        ])
        let client = try #require(result["client"])
        #expect(client["id"]?.stringValue?.hasPrefix("cli_") == true)
        #expect(client["isMinor"] == .bool(true))
        #expect(client["billingRecipient"] == .null)
        #expect(client["billingRecipientProblem"]?.stringValue == BillingRecipient.minorWithoutBillingContact)
        #expect(client["assignedMemberIds"] == [.string(fixture.clinician.id)])
        #expect(client["externalId"]?.stringValue == "ehr-8812")
        #expect(client["sex"]?.stringValue == "M")
        #expect(client["version"]?.int64Value == 1)
        #expect(client["email"] == nil)
    }

    @Test func adultIsTheirOwnBillingRecipient() async throws {
        let fixture = try await ClientFixture.make()
        let id = try await fixture.client(born: "1990-05-01")
        let client = try await fixture.ok("client.get", ["id": .string(id)])["client"]
        #expect(client?["isMinor"] == .bool(false))
        #expect(client?["billingRecipient"]?["kind"]?.stringValue == "client")
        #expect(client?["billingRecipient"]?["email"]?.stringValue == "client@example.com")
        #expect(client?["billingRecipientProblem"] == nil)
    }

    @Test func minorsBillingRecipientIsTheLinkedBillingContact() async throws {
        let fixture = try await ClientFixture.make()
        let clientID = try await fixture.client(born: "2012-04-12")
        let guardian = try await fixture.ok("contact.create", [
            "firstName": "Ana", "lastName": "Park", "consents": ["email": false, "sms": false],
            "links": [["clientId": .string(clientID), "roles": ["guardian"]]],
        ])
        #expect(try await fixture.ok("client.get", ["id": .string(clientID)])["client"]?["billingRecipient"] == .null)
        let created = try await fixture.ok("contact.create", [
            "firstName": "Mina", "lastName": "Park", "email": "mina@example.com", "phone": "+12175550199",
            "consents": ["email": true, "sms": true],
            "links": [["clientId": .string(clientID), "roles": ["guardian", "billingContact"]]],
        ])
        let contactID = try #require(created["contact"]?["id"]?.stringValue)
        #expect(created["contact"]?["links"]?.arrayValue.first?["roles"] == ["guardian", "billingContact"])
        #expect(guardian["contact"]?["id"]?.stringValue != contactID)

        let client = try #require(try await fixture.ok("client.get", ["id": .string(clientID)])["client"])
        #expect(client["billingRecipient"]?["kind"]?.stringValue == "contact")
        #expect(client["billingRecipient"]?["contactId"]?.stringValue == contactID)
        #expect(client["billingRecipient"]?["email"]?.stringValue == "mina@example.com")
        #expect(client["billingRecipient"]?["consents"] == ["email": true, "sms": true])
        #expect(client["billingRecipientProblem"] == nil)

        // The Billing-level function bill.send will call.
        let recipient = try await fixture.inPractice { transaction in
            try await ClientService().billingRecipient(for: try #require(ClientID(clientID)), in: transaction)
        }
        #expect(recipient.kind == .contact)
        #expect(recipient.contactId == ContactID(contactID))
        #expect(recipient.phone == "+12175550199")
    }

    @Test func billingRecipientFunctionRefusesAMinorWithoutBillingContact() async throws {
        let fixture = try await ClientFixture.make()
        let clientID = try #require(ClientID(try await fixture.client(born: "2015-01-01")))
        await #expect(throws: DomainError.self) {
            try await fixture.inPractice { try await ClientService().billingRecipient(for: clientID, in: $0) }
        }
        let resolution = try await fixture.inPractice {
            try await ClientService().billingRecipientResolution(for: clientID, in: $0)
        }
        #expect(resolution.problem == BillingRecipient.minorWithoutBillingContact)
    }

    @Test func siblingsShareOneBillingContact() async throws {
        let fixture = try await ClientFixture.make()
        let older = try await fixture.client(born: "2012-04-12", firstName: "Jordan")
        let younger = try await fixture.client(born: "2016-09-03", firstName: "Riley")
        let created = try await fixture.ok("contact.create", [
            "firstName": "Mina", "lastName": "Park", "email": "mina@example.com", "consents": ["email": true, "sms": false],
            "links": [["clientId": .string(older), "roles": ["guardian", "billingContact"]],
                      ["clientId": .string(younger), "roles": ["billingContact"]]],
        ])
        let contactID = try #require(created["contact"]?["id"]?.stringValue)
        #expect(created["contact"]?["links"]?.arrayValue.count == 2)
        for sibling in [older, younger] {
            let client = try await fixture.ok("client.get", ["id": .string(sibling)])["client"]
            #expect(client?["billingRecipient"]?["contactId"]?.stringValue == contactID)
            let contacts = try await fixture.ok("contact.list", ["clientId": .string(sibling)])
            #expect(contacts["items"]?.arrayValue.map { $0["id"]?.stringValue } == [contactID])
        }
    }

    @Test func contactLinkUpsertsRolesAndUnlinkRemovesTheLink() async throws {
        let fixture = try await ClientFixture.make()
        let first = try await fixture.client(born: "2012-04-12")
        let second = try await fixture.client(born: "2014-04-12")
        let created = try await fixture.ok("contact.create", [
            "firstName": "Mina", "lastName": "Park", "links": [["clientId": .string(first), "roles": ["emergency"]]],
        ])
        let contactID = try #require(created["contact"]?["id"]?.stringValue)
        #expect(created["contact"]?["consents"] == ["email": false, "sms": false])
        let relinked = try await fixture.ok("contact.link", ["contactId": .string(contactID), "clientId": .string(first),
                                                             "roles": ["billingContact", "guardian"]])
        #expect(relinked["contact"]?["links"]?.arrayValue.map { $0["roles"] ?? .null } == [["guardian", "billingContact"]])
        #expect(relinked["contact"]?["version"]?.int64Value == 2)
        let both = try await fixture.ok("contact.link", ["contactId": .string(contactID), "clientId": .string(second),
                                                         "roles": ["billingContact"]])
        #expect(both["contact"]?["links"]?.arrayValue.count == 2)
        let unlinked = try await fixture.ok("contact.unlink", ["contactId": .string(contactID), "clientId": .string(first)])
        #expect(unlinked["contact"]?["links"]?.arrayValue.map { $0["clientId"]?.stringValue } == [second])
        let again = try await fixture.call("contact.unlink", ["contactId": .string(contactID), "clientId": .string(first)])
        #expect(again.errorCode == -32004)
        let updated = try await fixture.ok("contact.update", ["id": .string(contactID), "version": 4,
                                                              "email": "mina@example.com", "lastName": "Park-Lee"])
        #expect(updated["contact"]?["lastName"]?.stringValue == "Park-Lee")
        #expect(updated["contact"]?["email"]?.stringValue == "mina@example.com")
        let stale = try await fixture.call("contact.update", ["id": .string(contactID), "version": 4, "email": nil])
        #expect(stale.errorCode == -32009)
    }

    @Test func contactLinkedTwiceToOneClientOrToAnUnknownClientIsRefused() async throws {
        let fixture = try await ClientFixture.make()
        let clientID = try await fixture.client()
        let twice = try await fixture.call("contact.create", [
            "firstName": "Mina", "lastName": "Park",
            "links": [["clientId": .string(clientID), "roles": ["guardian"]],
                      ["clientId": .string(clientID), "roles": ["billingContact"]]],
        ])
        #expect(twice.errorCode == -32602)
        #expect(twice.errorPointers == ["/links/1/clientId"])
        let unknown = try await fixture.call("contact.create", [
            "firstName": "Mina", "lastName": "Park",
            "links": [["clientId": .string(ParamsGenerator.randomID(prefix: "cli")), "roles": ["guardian"]]],
        ])
        #expect(unknown.errorCode == -32004)
        #expect(unknown.errorPointers == ["/links/0/clientId"])
        #expect(try await fixture.ok("contact.list")["items"]?.arrayValue.isEmpty == true)
    }

    @Test func duplicateExternalIdIsAConflict() async throws {
        let fixture = try await ClientFixture.make()
        _ = try await fixture.client(externalId: "ehr-8812")
        let again = try await fixture.call("client.create", [
            "firstName": "Other", "lastName": "Client", "dateOfBirth": "1980-01-01", "sex": "F",
            "consents": ["email": false, "sms": false], "assignedMemberIds": [], "externalId": "ehr-8812",
        ])
        #expect(again.errorCode == -32009)
        #expect(again.errorPointers == ["/externalId"])
        // Another practice may use the same EHR id.
        let other = try await ClientFixture.make("Other Practice")
        _ = try await other.client(externalId: "ehr-8812")
    }

    @Test func categoryDiagnosisIsRefusedWithTheReason() async throws {
        let fixture = try await ClientFixture.make()
        let response = try await fixture.call("client.create", [
            "firstName": "Jordan", "lastName": "Park", "dateOfBirth": "1990-01-01", "sex": "M",
            "consents": ["email": false, "sms": false], "assignedMemberIds": [], "diagnoses": ["F41", "F41.1"],
        ])
        #expect(response.errorCode == -32602)
        #expect(response.errorPointers == ["/diagnoses/0"])
        #expect(response["error"]?["data"]?["reason"]?.stringValue?.contains("category") == true, "\(response.text)")
    }

    @Test func everyDomainProblemIsReportedAtOnceAndNothingIsWritten() async throws {
        let fixture = try await ClientFixture.make()
        let biller = try await fixture.practice.member(role: .biller)
        let practiceUUID = try #require(TableInspector.uuid(of: fixture.practice.id))
        let response = try await fixture.call("client.create", [
            "firstName": "Jordan", "lastName": "Park", "dateOfBirth": "2099-01-01", "sex": "M",
            "consents": ["email": false, "sms": false], "assignedMemberIds": [.string(biller.id)],
            "diagnoses": ["F41.1", "f411"],
        ])
        #expect(response.errorCode == -32602)
        #expect(Set(response.errorPointers) == ["/assignedMemberIds/0", "/dateOfBirth", "/diagnoses/1"])
        #expect(try await fixture.environment.count(
            "select count(*)::int from clients where practice_id = \(practiceUUID)") == 0)
    }

    @Test func unknownAssignedMemberIsNotFound() async throws {
        let fixture = try await ClientFixture.make()
        let response = try await fixture.call("client.create", [
            "firstName": "Jordan", "lastName": "Park", "dateOfBirth": "1990-01-01", "sex": "M",
            "consents": ["email": false, "sms": false],
            "assignedMemberIds": [.string(fixture.clinician.id), .string(ParamsGenerator.randomID(prefix: "mem"))],
        ])
        #expect(response.errorCode == -32004)
        #expect(response.errorPointers == ["/assignedMemberIds/1"])
    }

    @Test func updateAppliesPresentFieldsClearsNullsAndRefusesStaleVersions() async throws {
        let fixture = try await ClientFixture.make()
        let id = try await fixture.client(diagnoses: ["F41.1"])
        let updated = try await fixture.ok("client.update", [
            "id": .string(id), "version": 1, "preferredName": "Jo", "email": nil, "diagnoses": ["F32.1", "f411"],
            "assignedMemberIds": [],
        ])
        let client = try #require(updated["client"])
        #expect(client["preferredName"]?.stringValue == "Jo")
        #expect(client["email"] == nil)
        #expect(client["firstName"]?.stringValue == "Jordan")
        #expect(client["diagnoses"] == ["F32.1", "F41.1"])
        #expect(client["assignedMemberIds"] == [])
        #expect(client["billingRecipient"]?["email"] == nil)
        #expect(client["version"]?.int64Value == 2)
        let stale = try await fixture.call("client.update", ["id": .string(id), "version": 1, "lastName": "Other"])
        #expect(stale.errorCode == -32009)
        #expect(stale.errorPointers == ["/version"])
        let cleared = try await fixture.ok("client.update", ["id": .string(id), "version": 2, "diagnoses": nil])
        #expect(cleared["client"]?["diagnoses"] == [])
    }

    @Test func deactivateAndReactivate() async throws {
        let fixture = try await ClientFixture.make()
        let id = try await fixture.client()
        let off = try await fixture.ok("client.deactivate", ["id": .string(id), "version": 1])
        #expect(off["client"]?["active"] == .bool(false))
        let stale = try await fixture.call("client.reactivate", ["id": .string(id), "version": 1])
        #expect(stale.errorCode == -32009)
        let on = try await fixture.ok("client.reactivate", ["id": .string(id)])
        #expect(on["client"]?["active"] == .bool(true))
        #expect(on["client"]?["version"]?.int64Value == 3)
    }

    @Test func listFiltersByNameAssignedMemberAndActivityWithCursorPaging() async throws {
        let fixture = try await ClientFixture.make()
        let other = try await fixture.practice.member(role: .clinician)
        let jordan = try await fixture.client(firstName: "Jordan", lastName: "Park")
        let riley = try await fixture.client(assigned: [other.id], firstName: "Riley", lastName: "Parkes")
        let sam = try await fixture.client(firstName: "Sam", lastName: "100%_Real", externalId: "ehr-1")
        _ = try await fixture.ok("client.deactivate", ["id": .string(sam)])

        func ids(_ params: JSONValue) async throws -> [String] {
            try await fixture.ok("client.list", params)["items"]?.arrayValue.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try await ids([:]) == [jordan, riley, sam])
        #expect(try await ids(["query": "park"]) == [jordan, riley])
        #expect(try await ids(["query": "riley PARK"]) == [riley])
        #expect(try await ids(["query": "100%_"]) == [sam])
        #expect(try await ids(["query": "%"]) == [sam])
        #expect(try await ids(["query": "ehr-1"]) == [sam])
        #expect(try await ids(["assignedMemberId": .string(other.id)]) == [riley])
        #expect(try await ids(["active": false]) == [sam])
        #expect(try await ids(["active": true]) == [jordan, riley])

        let first = try await fixture.ok("client.list", ["limit": 2])
        #expect(first["items"]?.arrayValue.count == 2)
        let cursor = try #require(first["nextCursor"]?.stringValue)
        let second = try await fixture.ok("client.list", ["limit": 2, "cursor": .string(cursor)])
        #expect(second["items"]?.arrayValue.compactMap { $0["id"]?.stringValue } == [sam])
        #expect(second["nextCursor"] == .null)

        let unknown = try await fixture.call("client.list", ["assignedMemberId": .string(ParamsGenerator.randomID(prefix: "mem"))])
        #expect(unknown.errorCode == -32004)
    }

    // MARK: - Roles

    @Test func clinicianSeesAndChangesOnlyAssignedClients() async throws {
        let fixture = try await ClientFixture.make()
        let mine = try await fixture.client()
        let colleague = try await fixture.practice.member(role: .clinician)
        let theirs = try await fixture.client(assigned: [colleague.id])
        let key = fixture.clinician.key

        #expect(try await fixture.ok("client.get", ["id": .string(mine)], key: key)["client"]?["id"]?.stringValue == mine)
        let hidden = try await fixture.call("client.get", ["id": .string(theirs)], key: key)
        let missing = try await fixture.call("client.get", ["id": .string(ParamsGenerator.randomID(prefix: "cli"))],
                                             key: key)
        #expect(hidden.errorCode == -32004)
        #expect(IsolationRun.comparable(hidden) == IsolationRun.comparable(missing))
        #expect(try await fixture.ok("client.list", key: key)["items"]?.arrayValue.compactMap { $0["id"]?.stringValue } == [mine])
        #expect(try await fixture.call("client.update", ["id": .string(theirs), "version": 1, "firstName": "X"],
                                       key: key).errorCode == -32004)
        #expect(try await fixture.call("policy.list", ["clientId": .string(theirs)], key: key).errorCode == -32004)
        #expect(try await fixture.call("contact.create", [
            "firstName": "Mina", "lastName": "Park", "links": [["clientId": .string(theirs), "roles": ["guardian"]]],
        ], key: key).errorCode == -32004)

        // A clinician adds clients only assigned to themselves.
        let unassigned = try await fixture.call("client.create", [
            "firstName": "New", "lastName": "Client", "dateOfBirth": "1990-01-01", "sex": "F",
            "consents": ["email": false, "sms": false], "assignedMemberIds": [.string(colleague.id)],
        ], key: key)
        #expect(unassigned.errorCode == -32602)
        #expect(unassigned.errorPointers == ["/assignedMemberIds"])
        _ = try await fixture.client(key: key)
    }

    @Test func clinicianSeesOnlyTheLinksOfContactsToTheirClients() async throws {
        let fixture = try await ClientFixture.make()
        let colleague = try await fixture.practice.member(role: .clinician)
        let mine = try await fixture.client(born: "2012-04-12")
        let theirs = try await fixture.client(born: "2014-04-12", assigned: [colleague.id])
        let onlyTheirs = try await fixture.client(born: "2015-04-12", assigned: [colleague.id])
        let shared = try await fixture.ok("contact.create", [
            "firstName": "Mina", "lastName": "Park",
            "links": [["clientId": .string(mine), "roles": ["billingContact"]],
                      ["clientId": .string(theirs), "roles": ["billingContact"]]],
        ])
        let hidden = try await fixture.ok("contact.create", [
            "firstName": "Lee", "lastName": "Park", "links": [["clientId": .string(onlyTheirs), "roles": ["guardian"]]],
        ])
        let sharedID = try #require(shared["contact"]?["id"]?.stringValue)
        let hiddenID = try #require(hidden["contact"]?["id"]?.stringValue)
        let seen = try await fixture.ok("contact.get", ["id": .string(sharedID)], key: fixture.clinician.key)
        #expect(seen["contact"]?["links"]?.arrayValue.compactMap { $0["clientId"]?.stringValue } == [mine])
        #expect(try await fixture.call("contact.get", ["id": .string(hiddenID)], key: fixture.clinician.key).errorCode == -32004)
        let listed = try await fixture.ok("contact.list", key: fixture.clinician.key)
        #expect(listed["items"]?.arrayValue.compactMap { $0["id"]?.stringValue } == [sharedID])
    }

    @Test func viewerReadsButCannotWrite() async throws {
        let fixture = try await ClientFixture.make()
        let viewer = try await fixture.practice.member(role: .viewer)
        let id = try await fixture.client()
        #expect(try await fixture.ok("client.get", ["id": .string(id)], key: viewer.key)["client"] != nil)
        #expect(try await fixture.ok("client.list", key: viewer.key)["items"]?.arrayValue.count == 1)
        let writes: [(String, JSONValue)] = [
            ("client.create", ["firstName": "A", "lastName": "B", "dateOfBirth": "1990-01-01", "sex": "U",
                               "consents": ["email": false, "sms": false], "assignedMemberIds": []]),
            ("client.update", ["id": .string(id), "version": 1, "firstName": "X"]),
            ("client.deactivate", ["id": .string(id)]),
            ("contact.create", ["firstName": "A", "lastName": "B", "links": [["clientId": .string(id), "roles": ["guardian"]]]]),
            ("policy.create", ["clientId": .string(id), "payerId": .string(try await fixture.payer()), "order": "primary",
                               "memberId": "W1", "relationshipToSubscriber": "self", "effectiveFrom": "2026-01-01"]),
        ]
        for (method, params) in writes {
            let response = try await fixture.call(method, params, key: viewer.key)
            #expect(response.errorCode == -32003, "\(method) as viewer answered \(response.text)")
        }
        #expect(try await fixture.ok("client.get", ["id": .string(id)])["client"]?["version"]?.int64Value == 1)
    }

    @Test func anotherPracticesClientBehavesAsNonexistent() async throws {
        let fixture = try await ClientFixture.make()
        let other = try await ClientFixture.make("Other Practice")
        let foreign = try await other.client()
        let crossTenant = try await fixture.call("client.get", ["id": .string(foreign)])
        let missing = try await fixture.call("client.get", ["id": .string(ParamsGenerator.randomID(prefix: "cli"))])
        #expect(crossTenant.errorCode == -32004)
        #expect(IsolationRun.comparable(crossTenant) == IsolationRun.comparable(missing))
        #expect(try await fixture.call("client.update", ["id": .string(foreign), "version": 1, "firstName": "X"])
            .errorCode == -32004)
        #expect(try await fixture.call("contact.create", [
            "firstName": "A", "lastName": "B", "links": [["clientId": .string(foreign), "roles": ["guardian"]]],
        ]).errorCode == -32004)
        #expect(try await other.ok("client.get", ["id": .string(foreign)])["client"]?["firstName"]?.stringValue == "Jordan")
    }

    // MARK: - Policies

    @Test func walkthroughPolicyCreateForAChildWithTheParentAsSubscriber() async throws {
        let fixture = try await ClientFixture.make()
        let clientID = try await fixture.client(born: "2012-04-12")
        let payerID = try await fixture.payer("aetna")
        let result = try await fixture.ok("policy.create", [
            "clientId": .string(clientID), "payerId": .string(payerID), "order": "primary",
            "memberId": "W123456789", "groupNumber": "G-77", "relationshipToSubscriber": "child",
            "subscriber": ["firstName": "Mina", "lastName": "Park", "dateOfBirth": "1984-02-02", "sex": "F",
                           "address": ClientFixture.address],
            "copayCents": 2500, "effectiveFrom": "2026-01-01",
        ])
        let policy = try #require(result["policy"])
        #expect(policy["id"]?.stringValue?.hasPrefix("pol_") == true)
        #expect(policy["relationshipCode"]?.stringValue == "19")
        #expect(policy["payerName"]?.stringValue == "Aetna")
        #expect(policy["clearinghousePayerId"]?.stringValue == "60054")
        #expect(policy["subscriber"]?["dateOfBirth"]?.stringValue == "1984-02-02")
        #expect(policy["copayCents"]?.int64Value == 2500)
        #expect(policy["coinsurancePercent"]?.int64Value == 0)
        #expect(policy["effectiveTo"] == nil)
        let listed = try await fixture.ok("policy.list", ["clientId": .string(clientID)])
        #expect(listed["items"]?.arrayValue.count == 1)
        let viewer = try await fixture.practice.member(role: .viewer)
        let id = try #require(policy["id"]?.stringValue)
        #expect(try await fixture.ok("policy.get", ["id": .string(id)], key: viewer.key)["policy"]?["memberId"]
            == "W123456789")
    }

    @Test func subscriberRulesDateRangesAndUnknownPayers() async throws {
        let fixture = try await ClientFixture.make()
        let clientID = try await fixture.client()
        let payerID = try await fixture.payer()
        let base: JSONObject = ["clientId": .string(clientID), "payerId": .string(payerID), "order": "primary",
                                "memberId": "W123456789", "effectiveFrom": "2026-01-01"]
        func attempt(_ changes: JSONObject) async throws -> JSONValue {
            var params = base
            for (key, value) in changes.members { params[key] = value }
            return try await fixture.call("policy.create", .object(params))
        }
        let childWithoutSubscriber = try await attempt(["relationshipToSubscriber": "child"])
        #expect(childWithoutSubscriber.errorCode == -32602)
        #expect(childWithoutSubscriber.errorPointers == ["/subscriber"])
        let selfWithSubscriber = try await attempt([
            "relationshipToSubscriber": "self",
            "subscriber": ["firstName": "Mina", "lastName": "Park", "dateOfBirth": "1984-02-02", "sex": "F",
                           "address": ClientFixture.address],
        ])
        #expect(selfWithSubscriber.errorCode == -32602)
        #expect(selfWithSubscriber.errorPointers == ["/subscriber"])
        let incompleteSubscriber = try await attempt([
            "relationshipToSubscriber": "spouse", "subscriber": ["firstName": "Mina", "lastName": "Park"],
        ])
        #expect(incompleteSubscriber.errorCode == -32602)
        #expect(Set(incompleteSubscriber.errorPointers) == ["/subscriber/dateOfBirth", "/subscriber/sex", "/subscriber/address"])
        let backwards = try await attempt([
            "relationshipToSubscriber": "self", "effectiveTo": "2025-12-31", "coinsurancePercent": 101,
            "priorAuthorization": ["number": "PA-1", "visitsAllowed": 12, "from": "2026-03-01", "to": "2026-02-01"],
        ])
        #expect(backwards.errorCode == -32602)
        #expect(backwards.errorPointers == ["/coinsurancePercent"])  // schema problems first
        let backwardsDates = try await attempt([
            "relationshipToSubscriber": "self", "effectiveTo": "2025-12-31",
            "priorAuthorization": ["number": "PA-1", "visitsAllowed": 12, "from": "2026-03-01", "to": "2026-02-01"],
        ])
        #expect(backwardsDates.errorPointers == ["/effectiveTo", "/priorAuthorization/to"])
        let unknownPayer = try await attempt(["relationshipToSubscriber": "self",
                                              "payerId": .string(ParamsGenerator.randomID(prefix: "pyr"))])
        #expect(unknownPayer.errorCode == -32004)
        #expect(unknownPayer.errorPointers == ["/payerId"])
        #expect(try await fixture.ok("policy.list", ["clientId": .string(clientID)])["items"]?.arrayValue.isEmpty == true)
    }

    @Test func overlappingPoliciesOfOneOrderAreAConflictUntilTheFirstEnds() async throws {
        let fixture = try await ClientFixture.make()
        let clientID = try await fixture.client()
        let aetna = try await fixture.payer("aetna")
        let cigna = try await fixture.payer("cigna")
        func create(_ payer: String, _ order: String, from: String, to: String? = nil) async throws -> JSONValue {
            var params: JSONObject = ["clientId": .string(clientID), "payerId": .string(payer), "order": .string(order),
                                      "memberId": "W123", "relationshipToSubscriber": "self", "effectiveFrom": .string(from)]
            if let to { params["effectiveTo"] = .string(to) }
            return try await fixture.call("policy.create", .object(params))
        }
        let first = try await create(aetna, "primary", from: "2026-01-01")
        let firstID = try #require(first["result"]?["policy"]?["id"]?.stringValue)
        let overlap = try await create(cigna, "primary", from: "2026-07-01")
        #expect(overlap.errorCode == -32009)
        #expect(overlap["error"]?["data"]?["type"]?.stringValue == "policy.overlap")
        #expect(try await create(cigna, "secondary", from: "2026-03-01")["result"] != nil)
        #expect(try await create(cigna, "primary", from: "2025-01-01", to: "2025-12-31")["result"] != nil)

        let before = try await fixture.call("policy.end", ["id": .string(firstID), "effectiveTo": "2025-12-30"])
        #expect(before.errorCode == -32602)
        #expect(before.errorPointers == ["/effectiveTo"])
        let ended = try await fixture.ok("policy.end", ["id": .string(firstID), "effectiveTo": "2026-06-30", "version": 1])
        #expect(ended["policy"]?["effectiveTo"]?.stringValue == "2026-06-30")
        let next = try await create(cigna, "primary", from: "2026-07-01")
        #expect(next["result"] != nil, "\(next.text)")

        // The Billing-level lookup claims will use.
        let client = try #require(ClientID(clientID))
        let (june, july, none) = try await fixture.inPractice { transaction in
            let service = PolicyService()
            return (try await service.activePolicy(for: client, order: .primary, on: CalendarDate("2026-06-30")!, in: transaction),
                    try await service.activePolicy(for: client, order: .primary, on: CalendarDate("2026-07-01")!, in: transaction),
                    try await service.activePolicy(for: client, order: .tertiary, on: CalendarDate("2026-07-01")!, in: transaction))
        }
        #expect(june?.id == PolicyID(firstID))
        #expect(july?.payerId == PayerID(cigna))
        #expect(none == nil)
    }

    @Test func policyUpdateSwitchingToSelfClearsTheSubscriber() async throws {
        let fixture = try await ClientFixture.make()
        let clientID = try await fixture.client()
        let created = try await fixture.ok("policy.create", [
            "clientId": .string(clientID), "payerId": .string(try await fixture.payer()), "order": "primary",
            "memberId": "W123", "relationshipToSubscriber": "spouse",
            "subscriber": ["firstName": "Mina", "lastName": "Park", "dateOfBirth": "1984-02-02", "sex": "F",
                           "address": ClientFixture.address],
            "effectiveFrom": "2026-01-01",
        ])
        let id = try #require(created["policy"]?["id"]?.stringValue)
        let updated = try await fixture.ok("policy.update", ["id": .string(id), "version": 1,
                                                             "relationshipToSubscriber": "self", "copayCents": 3000])
        #expect(updated["policy"]?["subscriber"] == nil)
        #expect(updated["policy"]?["relationshipCode"]?.stringValue == "18")
        #expect(updated["policy"]?["copayCents"]?.int64Value == 3000)
        let other = try await fixture.call("policy.update", ["id": .string(id), "version": 2,
                                                             "relationshipToSubscriber": "other"])
        #expect(other.errorCode == -32602)
        #expect(other.errorPointers == ["/subscriber"])
        let biller = try await fixture.practice.member(role: .biller)
        let byBiller = try await fixture.ok("policy.update", ["id": .string(id), "version": 2, "planName": "Gold PPO"],
                                            key: biller.key)
        #expect(byBiller["policy"]?["planName"]?.stringValue == "Gold PPO")
        let byClinician = try await fixture.call("policy.update", ["id": .string(id), "version": 3, "planName": "X"],
                                                 key: fixture.clinician.key)
        #expect(byClinician.errorCode == -32003)
    }
}
