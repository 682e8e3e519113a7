import API
import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage
import Testing

/// A client with services, a location and a policy, ready for sessions.
struct SessionFixture: Sendable {
    let base: ClientFixture
    let services: [String: String]
    let locationID: String
    let clientID: String
    let policyID: String

    static func make(clientDiagnoses: [String] = ["F41.1"]) async throws -> SessionFixture {
        let base = try await ClientFixture.make()
        let services = try await base.services()
        let location = try await base.ok("location.create", ["name": "Main office", "placeOfService": "11",
                                                             "address": ClientFixture.address])
        let clientID = try await base.client(diagnoses: clientDiagnoses)
        let policy = try await base.ok("policy.create", [
            "clientId": .string(clientID), "payerId": .string(try await base.payer()), "order": "primary",
            "memberId": "W123456789", "relationshipToSubscriber": "self", "copayCents": 2500,
            "effectiveFrom": "2026-01-01",
        ])
        return SessionFixture(base: base, services: services,
                              locationID: try #require(location["location"]?["id"]?.stringValue), clientID: clientID,
                              policyID: try #require(policy["policy"]?["id"]?.stringValue))
    }

    /// `session.create` params for a self-pay 90837 session of the fixture's client rendered by its clinician.
    func params(_ changes: JSONObject = [:]) -> JSONValue {
        var params: JSONObject = [
            "clientId": .string(clientID), "renderingMemberId": .string(base.clinician.id),
            "locationId": .string(locationID), "dateOfService": "2026-11-20", "startTime": "14:00",
            "durationMinutes": 53, "placeOfService": "11", "billing": "selfPay", "attendance": "completed",
            "lines": [["serviceId": .string(services["90837"] ?? ""), "units": 1, "modifiers": []]],
        ]
        for (key, value) in changes.members { params[key] = value }
        return .object(params)
    }

    /// Creates a session (as the clinician unless `key` is given) and returns its id.
    func session(_ changes: JSONObject = [:], key: String? = nil) async throws -> String {
        let result = try await base.ok("session.create", params(changes), key: key ?? base.clinician.key)
        return try #require(result["session"]?["id"]?.stringValue)
    }
}

/// Sessions and signed notes through the API, against real PostgreSQL.
@Suite struct SessionTests {
    @Test func walkthroughSetupSelfPayAndInsuranceCallsWorkVerbatim() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Riverbend Counseling PLLC")
        let fixture = ClientFixture(environment: environment, practice: practice, clinician: ("", ""))
        let address = ClientFixture.address

        let samResult = try await fixture.ok("member.create", [
            "firstName": "Sam", "lastName": "Lee", "email": "sam@riverbend.example", "role": "clinician",
            "npi": "1245319599", "taxonomyCode": "1041C0700X", "credentials": "LCSW",
        ])
        let sam = try #require(samResult["member"]?["id"]?.stringValue)
        let samKey = try #require(try await fixture.ok("apiKey.create", ["memberId": .string(sam)])["apiKey"]?["secret"]?
            .stringValue)
        let imported = try await fixture.ok("service.importCommon", [:])
        let service90837 = try #require(imported["items"]?.arrayValue.first { $0["code"] == "90837" }?["id"]?.stringValue)
        try await fixture.ok("service.update", ["id": .string(service90837), "version": 1, "defaultRateCents": 15000])
        let location = try await fixture.ok("location.create", ["name": "Main office", "placeOfService": "11",
                                                                "address": address])
        let locationID = try #require(location["location"]?["id"]?.stringValue)

        let client = try await fixture.ok("client.create", [
            "firstName": "Jordan", "lastName": "Park", "dateOfBirth": "2012-04-12", "sex": "M", "address": address,
            "email": nil, "phone": nil, "consents": ["email": false, "sms": false], "assignedMemberIds": [.string(sam)],
            "externalId": "ehr-8812",
        ])
        let clientID = try #require(client["client"]?["id"]?.stringValue)
        let contact = try await fixture.ok("contact.create", [
            "firstName": "Mina", "lastName": "Park", "email": "mina@example.com", "phone": "+12175550199",
            "consents": ["email": true, "sms": true],
            "links": [["clientId": .string(clientID), "roles": ["guardian", "billingContact"]]],
        ])
        let contactID = try #require(contact["contact"]?["id"]?.stringValue)
        let payers = try await fixture.ok("payer.list", ["query": "aetna", "limit": 20])
        let aetna = try #require(payers["items"]?.arrayValue.first)
        #expect(aetna["clearinghousePayerId"] == "60054")
        let policy = try await fixture.ok("policy.create", [
            "clientId": .string(clientID), "payerId": aetna["id"] ?? .null, "order": "primary",
            "memberId": "W123456789", "groupNumber": "G-77", "relationshipToSubscriber": "child",
            "subscriber": ["firstName": "Mina", "lastName": "Park", "dateOfBirth": "1984-02-02", "sex": "F",
                           "address": address],
            "copayCents": 2500, "effectiveFrom": "2026-01-01",
        ])
        let policyID = try #require(policy["policy"]?["id"]?.stringValue)
        let recipient = try await fixture.ok("client.get", ["id": .string(clientID)])["client"]?["billingRecipient"]
        #expect(recipient?["contactId"]?.stringValue == contactID)

        // Self-pay: add the session, sign the note.
        let created = try await fixture.ok("session.create", [
            "clientId": .string(clientID), "renderingMemberId": .string(sam), "locationId": .string(locationID),
            "dateOfService": "2026-11-20", "startTime": "14:00", "durationMinutes": 53, "placeOfService": "11",
            "billing": "selfPay", "attendance": "completed",
            "lines": [["serviceId": .string(service90837), "units": 1, "modifiers": []]],
        ], key: samKey)
        let session = try #require(created["session"])
        let sessionID = try #require(session["id"]?.stringValue)
        #expect(sessionID.hasPrefix("ses_"))
        #expect(session["lines"]?.arrayValue.first?["rateCents"]?.int64Value == 15000)
        #expect(session["lines"]?.arrayValue.first?["code"]?.stringValue == "90837")
        #expect(session["totalCents"]?.int64Value == 15000)
        #expect(session["startTime"]?.stringValue == "14:00")
        #expect(session["note"] == .null)
        #expect(session["billed"] == .bool(false))

        let signed = try await fixture.ok("note.sign", ["sessionId": .string(sessionID), "diagnoses": ["F41.1", "F32.1"]],
                                          key: samKey)
        let note = try #require(signed["note"])
        #expect(note["sessionId"]?.stringValue == sessionID)
        #expect(note["diagnoses"] == ["F41.1", "F32.1"])
        #expect(note["signedBy"]?.stringValue == sam)
        #expect(note["signedAt"]?.stringValue.flatMap(Formats.parseDateTime) != nil)
        #expect(note["version"]?.int64Value == 1)
        let got = try await fixture.ok("session.get", ["id": .string(sessionID)])
        #expect(got["session"]?["note"]?["diagnoses"] == ["F41.1", "F32.1"])

        // Insurance: the same session shape with billing insurance and the policy.
        let insured = try await fixture.ok("session.create", [
            "clientId": .string(clientID), "renderingMemberId": .string(sam), "locationId": .string(locationID),
            "dateOfService": "2026-11-21", "startTime": "14:00", "durationMinutes": 53, "placeOfService": "11",
            "billing": "insurance", "policyId": .string(policyID), "attendance": "completed",
            "lines": [["serviceId": .string(service90837), "units": 1, "modifiers": []]],
        ], key: samKey)
        let insuredID = try #require(insured["session"]?["id"]?.stringValue)
        #expect(insured["session"]?["policyId"]?.stringValue == policyID)
        try await fixture.ok("note.sign", ["sessionId": .string(insuredID), "diagnoses": ["F41.1"]], key: samKey)
    }

    @Test func rateDefaultsFromTheServiceAndLinesKeepTheirSnapshot() async throws {
        let fixture = try await SessionFixture.make()
        let created = try await fixture.base.ok("session.create", fixture.params([
            "lines": [["serviceId": .string(fixture.services["90837"]!), "units": 1],
                      ["serviceId": .string(fixture.services["96127"]!), "units": 2, "rateCents": 700,
                       "modifiers": ["95"]],
                      ["serviceId": .string(fixture.services["96127"]!), "units": 1]],
        ]), key: fixture.base.clinician.key)
        let lines = created["session"]?["lines"]?.arrayValue ?? []
        #expect(lines.map { $0["rateCents"]?.int64Value } == [15000, 700, 500])
        #expect(lines.map { $0["amountCents"]?.int64Value } == [15000, 1400, 500])
        #expect(lines.map { $0["lineNumber"]?.int64Value } == [1, 2, 3])
        #expect(lines[1]["modifiers"] == ["95"])
        #expect(created["session"]?["totalCents"]?.int64Value == 16900)

        // A later rate change in the catalog does not reach an existing session.
        let service = try await fixture.base.ok("service.get", ["id": .string(fixture.services["90837"]!)])
        try await fixture.base.ok("service.update", ["id": .string(fixture.services["90837"]!),
                                                     "version": service["service"]?["version"] ?? 1,
                                                     "defaultRateCents": 18000])
        let id = try #require(created["session"]?["id"]?.stringValue)
        let reread = try await fixture.base.ok("session.get", ["id": .string(id)])
        #expect(reread["session"]?["lines"]?.arrayValue.first?["rateCents"]?.int64Value == 15000)
    }

    @Test func serviceReferencesAreCheckedLineByLineAndNothingIsWritten() async throws {
        let fixture = try await SessionFixture.make()
        let practiceUUID = try #require(TableInspector.uuid(of: fixture.base.practice.id))
        let psychotherapy = JSONValue.string(fixture.services["90837"]!)
        let unknown = try await fixture.base.call("session.create", fixture.params([
            "lines": [["serviceId": psychotherapy, "units": 1],
                      ["serviceId": .string(ParamsGenerator.randomID(prefix: "svc")), "units": 1]],
        ]))
        #expect(unknown.errorCode == -32004)
        #expect(unknown.errorPointers == ["/lines/1/serviceId"])

        try await fixture.base.ok("service.disable", ["id": .string(fixture.services["90834"]!)])
        let invalid = try await fixture.base.call("session.create", fixture.params([
            "lines": [["serviceId": .string(fixture.services["90834"]!), "units": 1],
                      ["serviceId": psychotherapy, "units": 1],
                      ["serviceId": psychotherapy, "units": 1],
                      ["serviceId": .string(fixture.services["90785"]!), "units": 1]],
        ]))
        #expect(invalid.errorCode == -32602)
        #expect(invalid.errorPointers == ["/lines/0/serviceId", "/lines/2/serviceId"])

        let orphanAddOn = try await fixture.base.call("session.create", fixture.params([
            "lines": [["serviceId": .string(fixture.services["90785"]!), "units": 1]],
        ]))
        #expect(orphanAddOn.errorCode == -32602)
        #expect(orphanAddOn.errorPointers == ["/lines/0/serviceId"])

        let noLines = try await fixture.base.call("session.create", fixture.params(["lines": []]))
        #expect(noLines.errorPointers == ["/lines"])
        let tooManyModifiers = try await fixture.base.call("session.create", fixture.params([
            "lines": [["serviceId": psychotherapy, "units": 0, "modifiers": ["95", "GT", "HJ", "25", "59"]]],
        ]))
        #expect(Set(tooManyModifiers.errorPointers) == ["/lines/0/units", "/lines/0/modifiers"])
        #expect(try await fixture.base.environment.count(
            "select count(*)::int from sessions where practice_id = \(practiceUUID)") == 0)
    }

    @Test func insuranceNeedsAnActivePolicyOfTheSameClient() async throws {
        let fixture = try await SessionFixture.make()
        let missing = try await fixture.base.call("session.create", fixture.params(["billing": "insurance"]))
        #expect(missing.errorCode == -32602)
        #expect(missing.errorPointers == ["/policyId"])
        let beforeCoverage = try await fixture.base.call("session.create", fixture.params([
            "billing": "insurance", "policyId": .string(fixture.policyID), "dateOfService": "2025-12-31",
        ]))
        #expect(beforeCoverage.errorCode == -32602)
        #expect(beforeCoverage.errorPointers == ["/policyId"])

        let sibling = try await fixture.base.client(firstName: "Riley")
        let otherClients = try await fixture.base.call("session.create", fixture.params([
            "clientId": .string(sibling), "billing": "insurance", "policyId": .string(fixture.policyID),
        ]))
        #expect(otherClients.errorCode == -32602)
        #expect(otherClients["error"]?["data"]?["reason"]?.stringValue == "is not a policy of this client")
        let selfPayWithPolicy = try await fixture.base.call("session.create", fixture.params([
            "policyId": .string(fixture.policyID),
        ]))
        #expect(selfPayWithPolicy.errorPointers == ["/policyId"])

        let unknownLocation = try await fixture.base.call("session.create", fixture.params([
            "locationId": .string(ParamsGenerator.randomID(prefix: "loc")),
        ]))
        #expect(unknownLocation.errorCode == -32004)
        #expect(unknownLocation.errorPointers == ["/locationId"])

        let id = try await fixture.session(["billing": "insurance", "policyId": .string(fixture.policyID)])
        // The policy cannot end before a session billed to it.
        let policy = try await fixture.base.call("policy.end", ["id": .string(fixture.policyID), "effectiveTo": "2026-11-19"])
        #expect(policy.errorCode == -32009)
        #expect(policy["error"]?["data"]?["type"]?.stringValue == "policy.inUse")
        // Switching to self-pay drops the policy.
        let switched = try await fixture.base.ok("session.update", ["id": .string(id), "version": 1, "billing": "selfPay"])
        #expect(switched["session"]?["policyId"] == nil)
        #expect(switched["session"]?["billing"]?.stringValue == "selfPay")
    }

    @Test func anotherPracticesIdsBehaveAsNonexistent() async throws {
        let fixture = try await SessionFixture.make()
        let other = try await ClientFixture.make("Other Practice")
        let foreignClient = try await other.client()
        let crossTenant = try await fixture.base.call("session.create", fixture.params(["clientId": .string(foreignClient)]))
        let missing = try await fixture.base.call("session.create", fixture.params([
            "clientId": .string(ParamsGenerator.randomID(prefix: "cli")),
        ]))
        #expect(crossTenant.errorCode == -32004)
        #expect(crossTenant.errorPointers == ["/clientId"])
        #expect(IsolationRun.comparable(crossTenant) == IsolationRun.comparable(missing))
        let foreignMember = try await fixture.base.call("session.create", fixture.params([
            "renderingMemberId": .string(other.clinician.id),
        ]))
        #expect(foreignMember.errorCode == -32004)
        #expect(foreignMember.errorPointers == ["/renderingMemberId"])
        let id = try await fixture.session()
        #expect(try await other.call("session.get", ["id": .string(id)]).errorCode == -32004)
        #expect(try await other.call("note.get", ["sessionId": .string(id)]).errorCode == -32004)
    }

    // MARK: - Notes

    @Test func noteSnapshotIsNotChangedByLaterClientDiagnosisUpdates() async throws {
        let fixture = try await SessionFixture.make(clientDiagnoses: ["F41.1", "Z63.0"])
        let id = try await fixture.session()
        let signed = try await fixture.base.ok("note.sign", ["sessionId": .string(id)], key: fixture.base.clinician.key)
        #expect(signed["note"]?["diagnoses"] == ["F41.1", "Z63.0"])

        let client = try await fixture.base.ok("client.get", ["id": .string(fixture.clientID)])
        try await fixture.base.ok("client.update", ["id": .string(fixture.clientID),
                                                    "version": client["client"]?["version"] ?? 1,
                                                    "diagnoses": ["F32.1"]])
        let note = try await fixture.base.ok("note.get", ["sessionId": .string(id)])
        #expect(note["note"]?["diagnoses"] == ["F41.1", "Z63.0"])
        let sessionID = try #require(SessionID(id))
        let forClaims = try await fixture.base.inPractice { transaction in
            try await NoteService().signedDiagnoses(for: sessionID, in: transaction)
        }
        #expect(forClaims == ["F41.1", "Z63.0"])

        // Immutable at the database too.
        let practiceUUID = try #require(TableInspector.uuid(of: fixture.base.practice.id))
        await #expect(throws: (any Error).self) {
            try await fixture.base.environment.admin.withConnection { connection in
                try await connection.query("update notes set diagnoses = '{F32.1}' where practice_id = \(practiceUUID)")
            }
        }
    }

    @Test func categoryCodeIsRefusedAndAMissingListIsRequired() async throws {
        let fixture = try await SessionFixture.make(clientDiagnoses: [])
        let id = try await fixture.session()
        let category = try await fixture.base.call("note.sign", ["sessionId": .string(id), "diagnoses": ["F41"]],
                                                   key: fixture.base.clinician.key)
        #expect(category.errorCode == -32602)
        #expect(category.errorPointers == ["/diagnoses/0"])
        #expect(category["error"]?["data"]?["reason"]?.stringValue == "F41 is a category, not a billable code; use a more specific code")
        let none = try await fixture.base.call("note.sign", ["sessionId": .string(id)], key: fixture.base.clinician.key)
        #expect(none.errorCode == -32602)
        #expect(none.errorPointers == ["/diagnoses"])
        let empty = try await fixture.base.call("note.sign", ["sessionId": .string(id), "diagnoses": []],
                                                key: fixture.base.clinician.key)
        #expect(empty.errorPointers == ["/diagnoses"])
        let note = try await fixture.base.ok("note.get", ["sessionId": .string(id)])
        #expect(note["note"] == .null)
        #expect(note["versions"] == [])
    }

    @Test func signingTwiceIsRefusedAndAmendSignsVersionTwo() async throws {
        let fixture = try await SessionFixture.make()
        let id = try await fixture.session()
        let key = fixture.base.clinician.key
        let notSigned = try await fixture.base.call("note.amend", ["sessionId": .string(id), "diagnoses": ["F32.1"]], key: key)
        #expect(notSigned.errorCode == -32009)
        try await fixture.base.ok("note.sign", ["sessionId": .string(id), "diagnoses": ["F41.1"]], key: key)
        let twice = try await fixture.base.call("note.sign", ["sessionId": .string(id), "diagnoses": ["F32.1"]], key: key)
        #expect(twice.errorCode == -32009)
        #expect(twice["error"]?["data"]?["type"]?.stringValue == "note.alreadySigned")
        let amended = try await fixture.base.ok("note.amend", ["sessionId": .string(id), "diagnoses": ["F32.1", "f411"]],
                                                key: key)
        #expect(amended["note"]?["version"]?.int64Value == 2)
        #expect(amended["note"]?["diagnoses"] == ["F32.1", "F41.1"])
        let history = try await fixture.base.ok("note.get", ["sessionId": .string(id)])
        #expect(history["note"]?["version"]?.int64Value == 2)
        #expect(history["versions"]?.arrayValue.map { $0["version"]?.int64Value } == [1, 2])
        #expect(history["versions"]?.arrayValue.first?["diagnoses"] == ["F41.1"])
        let billing = try await fixture.base.inPractice { transaction in
            try await SessionService().sessionsForBilling([try #require(SessionID(id))], in: transaction)
        }
        #expect(billing.first?.note?.version == 2)
        #expect(billing.first?.note?.claimDiagnoses == ["F321", "F411"])
        #expect(billing.first?.session.lines.first?.code == "90837")
    }

    @Test func onlyTheRenderingOrSupervisingMemberSigns() async throws {
        let fixture = try await SessionFixture.make()
        let colleague = try await fixture.base.practice.member(role: .clinician)
        let supervisor = try await fixture.base.practice.member(role: .clinician)
        let client = try await fixture.base.ok("client.get", ["id": .string(fixture.clientID)])
        try await fixture.base.ok("client.update", ["id": .string(fixture.clientID),
                                                    "version": client["client"]?["version"] ?? 1,
                                                    "assignedMemberIds": [.string(fixture.base.clinician.id),
                                                                          .string(colleague.id)]])
        let id = try await fixture.session(["supervisingMemberId": .string(supervisor.id)])
        let byColleague = try await fixture.base.call("note.sign", ["sessionId": .string(id)], key: colleague.key)
        #expect(byColleague.errorCode == -32003)
        #expect(byColleague["error"]?["data"]?["type"]?.stringValue == "note.notSessionClinician")
        let byOwner = try await fixture.base.call("note.sign", ["sessionId": .string(id)])
        #expect(byOwner.errorCode == -32003)
        let biller = try await fixture.base.practice.member(role: .biller)
        #expect(try await fixture.base.call("note.sign", ["sessionId": .string(id)], key: biller.key).errorCode == -32003)
        let bySupervisor = try await fixture.base.ok("note.sign", ["sessionId": .string(id)], key: supervisor.key)
        #expect(bySupervisor["note"]?["signedBy"]?.stringValue == supervisor.id)
    }

    // MARK: - Roles

    @Test func clinicianWorksOnlyWithAssignedClientsAndTheirOwnSessions() async throws {
        let fixture = try await SessionFixture.make()
        let colleague = try await fixture.base.practice.member(role: .clinician)
        let theirClient = try await fixture.base.client(assigned: [colleague.id], firstName: "Riley")
        let refused = try await fixture.base.call("session.create", fixture.params([
            "clientId": .string(theirClient), "renderingMemberId": .string(fixture.base.clinician.id),
        ]), key: fixture.base.clinician.key)
        #expect(refused.errorCode == -32004)
        #expect(refused.errorPointers == ["/clientId"])

        let mine = try await fixture.session()
        let theirs = try await fixture.session(["clientId": .string(theirClient), "renderingMemberId": .string(colleague.id)],
                                               key: colleague.key)
        let hidden = try await fixture.base.call("session.get", ["id": .string(theirs)], key: fixture.base.clinician.key)
        let missing = try await fixture.base.call("session.get", ["id": .string(ParamsGenerator.randomID(prefix: "ses"))],
                                                  key: fixture.base.clinician.key)
        #expect(hidden.errorCode == -32004)
        #expect(IsolationRun.comparable(hidden) == IsolationRun.comparable(missing))
        #expect(try await fixture.base.call("session.update", ["id": .string(theirs), "version": 1, "durationMinutes": 60],
                                            key: fixture.base.clinician.key).errorCode == -32004)
        #expect(try await fixture.base.call("note.sign", ["sessionId": .string(theirs)],
                                            key: fixture.base.clinician.key).errorCode == -32004)
        let listed = try await fixture.base.ok("session.list", key: fixture.base.clinician.key)
        #expect(listed["items"]?.arrayValue.compactMap { $0["id"]?.stringValue } == [mine])
        #expect(try await fixture.base.call("session.list", ["clientId": .string(theirClient)],
                                            key: fixture.base.clinician.key).errorCode == -32004)

        // Supervising a session makes it visible without the client being assigned.
        let supervised = try await fixture.session(["clientId": .string(theirClient),
                                                    "renderingMemberId": .string(colleague.id),
                                                    "supervisingMemberId": .string(fixture.base.clinician.id)],
                                                   key: colleague.key)
        #expect(try await fixture.base.ok("session.get", ["id": .string(supervised)],
                                          key: fixture.base.clinician.key)["session"] != nil)
        #expect(try await fixture.base.ok("note.sign", ["sessionId": .string(supervised), "diagnoses": ["F43.23"]],
                                          key: fixture.base.clinician.key)["note"] != nil)
    }

    @Test func viewerReadsSessionsButCannotWrite() async throws {
        let fixture = try await SessionFixture.make()
        let viewer = try await fixture.base.practice.member(role: .viewer)
        let id = try await fixture.session()
        #expect(try await fixture.base.ok("session.get", ["id": .string(id)], key: viewer.key)["session"] != nil)
        #expect(try await fixture.base.ok("note.get", ["sessionId": .string(id)], key: viewer.key)["versions"] == [])
        for (method, params) in [("session.create", fixture.params()),
                                 ("session.update", ["id": .string(id), "version": 1, "durationMinutes": 60] as JSONValue),
                                 ("note.sign", ["sessionId": .string(id), "diagnoses": ["F41.1"]] as JSONValue),
                                 ("note.amend", ["sessionId": .string(id), "diagnoses": ["F41.1"]] as JSONValue)] {
            let response = try await fixture.base.call(method, params, key: viewer.key)
            #expect(response.errorCode == -32003, "\(method) as viewer answered \(response.text)")
        }
    }

    // MARK: - Updates and lists

    @Test func updateReplacesLinesChecksVersionsAndIsRefusedOnceBilled() async throws {
        let fixture = try await SessionFixture.make()
        let id = try await fixture.session(["externalId": "appt-1"])
        let updated = try await fixture.base.ok("session.update", [
            "id": .string(id), "version": 1, "durationMinutes": 45, "startTime": nil,
            "lines": [["serviceId": .string(fixture.services["90834"]!), "units": 1, "modifiers": ["95"]]],
        ])
        let session = try #require(updated["session"])
        #expect(session["version"]?.int64Value == 2)
        #expect(session["durationMinutes"]?.int64Value == 45)
        #expect(session["startTime"] == nil)
        #expect(session["lines"]?.arrayValue.map { $0["code"]?.stringValue } == ["90834"])
        #expect(session["totalCents"]?.int64Value == 12000)
        #expect(session["externalId"]?.stringValue == "appt-1")
        let stale = try await fixture.base.call("session.update", ["id": .string(id), "version": 1, "durationMinutes": 50])
        #expect(stale.errorCode == -32009)
        #expect(stale.errorPointers == ["/version"])
        let duplicate = try await fixture.base.call("session.create", fixture.params(["externalId": "appt-1"]))
        #expect(duplicate.errorCode == -32009)
        #expect(duplicate.errorPointers == ["/externalId"])

        // Put the session on a live bill (the bills module's tables), then try to change it.
        let practiceUUID = try #require(TableInspector.uuid(of: fixture.base.practice.id))
        let sessionUUID = try #require(TableInspector.uuid(of: id))
        let clientUUID = try #require(TableInspector.uuid(of: fixture.clientID))
        let billID = BillID.generate()
        try await fixture.base.environment.admin.withConnection { connection in
            try await connection.query("""
                insert into bills (practice_id, id, number, client_id, status, due_on)
                values (\(practiceUUID), \(billID.uuid), 'B-TEST-1', \(clientUUID), 'pended', '2026-12-20')
                """)
            try await connection.query("""
                insert into bill_sessions (practice_id, session_id, bill_id, active)
                values (\(practiceUUID), \(sessionUUID), \(billID.uuid), true)
                """)
        }
        let got = try await fixture.base.ok("session.get", ["id": .string(id)])
        #expect(got["session"]?["billed"] == .bool(true))
        #expect(got["session"]?["billId"]?.stringValue == billID.description)
        let billed = try await fixture.base.call("session.update", ["id": .string(id), "version": 2, "durationMinutes": 50])
        #expect(billed.errorCode == -32009)
        #expect(billed["error"]?["data"]?["type"]?.stringValue == "session.billed")
    }

    @Test func listFiltersByClientDatesBillingAndAttendanceNewestFirst() async throws {
        let fixture = try await SessionFixture.make()
        let early = try await fixture.session(["dateOfService": "2026-10-01"])
        let middle = try await fixture.session(["dateOfService": "2026-10-15", "billing": "insurance",
                                                "policyId": .string(fixture.policyID)])
        let noShow = try await fixture.session(["dateOfService": "2026-11-01", "attendance": "noShow", "lines": []])
        let other = try await fixture.base.client(firstName: "Riley")
        let otherSession = try await fixture.session(["clientId": .string(other), "dateOfService": "2026-10-20"])

        func ids(_ params: JSONValue) async throws -> [String] {
            try await fixture.base.ok("session.list", params)["items"]?.arrayValue.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try await ids([:]) == [noShow, otherSession, middle, early])
        #expect(try await ids(["clientId": .string(fixture.clientID)]) == [noShow, middle, early])
        #expect(try await ids(["from": "2026-10-15", "to": "2026-10-31"]) == [otherSession, middle])
        #expect(try await ids(["billing": "insurance"]) == [middle])
        #expect(try await ids(["attendance": "noShow"]) == [noShow])
        let first = try await fixture.base.ok("session.list", ["limit": 3])
        let cursor = try #require(first["nextCursor"]?.stringValue)
        #expect(try await ids(["limit": 3, "cursor": .string(cursor)]) == [early])
    }
}
