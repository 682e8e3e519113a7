import BillingCore
import Foundation
import JSONRPC
import Testing

/// Practices, members and API keys through the API.
@Suite struct TenancyTests {
    @Test func practiceCreateReturnsPracticeOwnerAndWorkingKey() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Riverbend Counseling PLLC")
        let got = try await practice.call("practice.get")
        #expect(got["result"]?["practice"]?["id"]?.stringValue == practice.id)
        #expect(got["result"]?["practice"]?["legalName"]?.stringValue == "Riverbend Counseling PLLC")
        #expect(got["result"]?["practice"]?["version"]?.int64Value == 1)
    }

    @Test func practiceCreateNeedsTheOperatorKey() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let withOwnerKey = try await environment.call("practice.create", Fixtures.practiceParams(name: "X"),
                                                      key: practice.ownerKey)
        #expect(withOwnerKey.errorCode == -32001)
        let withoutKey = try await environment.call("practice.create", Fixtures.practiceParams(name: "X"), key: nil)
        #expect(withoutKey.errorCode == -32001)
    }

    @Test func invalidPracticeIsRefusedWithEveryFieldAndNothingWritten() async throws {
        let environment = try await TestEnvironment.shared()
        let name = "Bad \(UUID().uuidString)"
        guard case .object(var params) = Fixtures.practiceParams(name: name) else { return }
        params["npi"] = "1234567890"
        params["taxonomyCode"] = "101ym0800x"
        params["timeZone"] = "Mars/Olympus"
        params["address"] = ["line1": "1 A St", "city": "Springfield", "state": "ZZ", "postalCode": "6270"]
        let response = try await environment.call("practice.create", .object(params), key: TestEnvironment.operatorKey)
        #expect(response.errorCode == -32602)
        let pointers = Set(response["error"]?["data"]?["errors"]?.arrayValue.compactMap { $0["pointer"]?.stringValue } ?? [])
        #expect(pointers == ["/npi", "/taxonomyCode", "/timeZone", "/address/state", "/address/postalCode"])
        #expect(try await environment.count("select count(*)::int from practices where legal_name = \(name)") == 0)
    }

    @Test func staleVersionIsAConflictAndAbsentFieldsStayUnchanged() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Versioned")
        let updated = try await practice.call("practice.update", ["version": 1, "phone": "+12175550111"])
        #expect(updated["result"]?["practice"]?["version"]?.int64Value == 2)
        #expect(updated["result"]?["practice"]?["phone"]?.stringValue == "+12175550111")
        #expect(updated["result"]?["practice"]?["legalName"]?.stringValue == "Versioned")
        let stale = try await practice.call("practice.update", ["version": 1, "legalName": "Other"])
        #expect(stale.errorCode == -32009)
        #expect(stale["error"]?["data"]?["field"]?.stringValue == "/version")
    }

    @Test func nullClearsAnOptionalMemberFieldAndAbsentKeepsIt() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let created = try await practice.call("member.create", [
            "firstName": "Sam", "lastName": "Lee", "email": "sam@example.com", "role": "clinician",
            "npi": "1245319599", "credentials": "LCSW",
        ])
        let id = try #require(created["result"]?["member"]?["id"]?.stringValue)
        let cleared = try await practice.call("member.update", ["id": .string(id), "version": 1, "credentials": nil])
        #expect(cleared["result"]?["member"]?["credentials"] == nil)
        #expect(cleared["result"]?["member"]?["npi"]?.stringValue == "1245319599")
    }

    @Test func duplicateMemberEmailIsAConflict() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let params: JSONValue = ["firstName": "Sam", "lastName": "Lee", "email": "Sam@Example.com", "role": "biller"]
        #expect(try await practice.call("member.create", params)["result"] != nil)
        let again = try await practice.call("member.create", ["firstName": "S", "lastName": "L", "email": "sam@example.com",
                                                              "role": "viewer"])
        #expect(again.errorCode == -32009)
        #expect(again["error"]?["data"]?["field"]?.stringValue == "/email")
    }

    @Test func theLastOwnerCannotBeDemotedOrDeactivated() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let demote = try await practice.call("member.update", ["id": .string(practice.ownerID), "version": 1, "role": "biller"])
        #expect(demote.errorCode == -32009)
        let deactivate = try await practice.call("member.deactivate", ["id": .string(practice.ownerID)])
        #expect(deactivate.errorCode == -32009)
    }

    @Test func revokedKeyAndDeactivatedMemberLoseAccessAtOnce() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let biller = try await practice.member(role: .biller)
        #expect(try await environment.call("practice.get", key: biller.key)["result"] != nil)
        _ = try await practice.call("member.deactivate", ["id": .string(biller.id)])
        #expect(try await environment.call("practice.get", key: biller.key).errorCode == -32001)

        let viewer = try await practice.member(role: .viewer)
        let keys = try await practice.call("apiKey.list", ["memberId": .string(viewer.id)])
        guard case .array(let items)? = keys["result"]?["items"], let keyID = items.first?["id"]?.stringValue else {
            Issue.record("apiKey.list returned no key: \(keys.text)")
            return
        }
        #expect(items.allSatisfy { $0["secret"] == nil })
        _ = try await practice.call("apiKey.revoke", ["id": .string(keyID)])
        #expect(try await environment.call("practice.get", key: viewer.key).errorCode == -32001)
    }

    @Test func membersArePagedWithACursor() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        for _ in 0..<4 { _ = try await practice.member(role: .viewer) }
        var seen: [String] = []
        var cursor: JSONValue = .null
        repeat {
            let page = try await practice.call("member.list", ["limit": 2, "cursor": cursor])
            guard case .array(let items)? = page["result"]?["items"] else {
                Issue.record("member.list failed: \(page.text)")
                return
            }
            seen += items.compactMap { $0["id"]?.stringValue }
            cursor = page["result"]?["nextCursor"] ?? .null
        } while cursor != .null
        #expect(seen.count == 5)
        #expect(Set(seen).count == 5)
    }

    @Test func everyCallIsAuditedWithMemberKeyAndOutcome() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let biller = try await practice.member(role: .biller)
        _ = try await environment.call("practice.get", key: biller.key)
        _ = try await environment.call("member.create", ["firstName": "X"], key: biller.key)  // forbidden for billers
        let audit = try await practice.call("audit.list", ["memberId": .string(biller.id)])
        guard case .array(let items)? = audit["result"]?["items"] else {
            Issue.record("audit.list failed: \(audit.text)")
            return
        }
        #expect(items.count == 2)
        #expect(items[0]["method"]?.stringValue == "member.create")
        #expect(items[0]["outcome"]?.stringValue == "error")
        #expect(items[0]["errorCode"]?.int64Value == -32003)
        #expect(items[1]["method"]?.stringValue == "practice.get")
        #expect(items[1]["outcome"]?.stringValue == "ok")
        #expect(items.allSatisfy { $0["credentialId"]?.stringValue?.hasPrefix("key_") == true })
        let creation = try await environment.count("""
            select count(*)::int from audit_log where practice_id = \(try #require(PracticeID(practice.id)).uuid)
              and method = 'practice.create' and actor_type = 'operator'
            """)
        #expect(creation == 1)
    }

    @Test func auditLogCannotBeRewrittenEvenByItsOwner() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let practiceID = try #require(PracticeID(practice.id))
        await #expect(throws: (any Error).self) {
            try await environment.database.withTenant(practiceID) { transaction in
                try await transaction.query("update audit_log set outcome = 'error'")
            }
        }
        await #expect(throws: (any Error).self) {
            try await environment.admin.withConnection { transaction in
                try await transaction.query("delete from audit_log where practice_id = \(practiceID.uuid)")
            }
        }
    }

    @Test func preLicensedClinicianBillsUnderAnActiveSupervisorWithAnNPI() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let supervisor = try await practice.member(role: .clinician, npi: "1245319599")
        let created = try await practice.call("member.create", [
            "firstName": "Pat", "lastName": "Intern", "email": .string("intern-\(UUID().uuidString.prefix(6))@example.com"),
            "role": "clinician", "supervisorMemberId": .string(supervisor.id),
        ])
        #expect(created["result"]?["member"]?["supervisorMemberId"]?.stringValue == supervisor.id, "\(created.text)")
        let internID = try #require(created["result"]?["member"]?["id"]?.stringValue)

        let unlicensed = try await practice.member(role: .clinician)
        let noNPI = try await practice.call("member.update", ["id": .string(internID), "version": 1,
                                                              "supervisorMemberId": .string(unlicensed.id)])
        #expect(noNPI.errorCode == -32602)
        #expect(noNPI["error"]?["data"]?["field"]?.stringValue == "/supervisorMemberId")
        let selfSupervised = try await practice.call("member.update", ["id": .string(internID), "version": 1,
                                                                       "supervisorMemberId": .string(internID)])
        #expect(selfSupervised.errorCode == -32602)
        let cleared = try await practice.call("member.update", ["id": .string(internID), "version": 1,
                                                                "supervisorMemberId": nil])
        #expect(cleared["result"]?["member"]?["supervisorMemberId"] == nil)
    }
}
