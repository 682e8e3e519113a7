import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Storage
import Testing

/// `claim.generate`, `claim.get`, `claim.list`, `claim.pending`, `claim.exportX12` against real
/// PostgreSQL; every exported 837P checked by pyx12.
@Suite struct ClaimGenerationTests {
    func claimCount(_ practice: TestPractice) async throws -> Int {
        let id = try #require(TableInspector.uuid(of: practice.id))
        return try await practice.environment.count("select count(*)::int from claims where practice_id = \(id)")
    }

    @Test func walkthroughClaimIsGeneratedFrozenAndListed() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let session = try await fixture.insuranceSession()
        let pending = try await fixture.practice.call("claim.pending")
        #expect(pending["result"]?["items"]?.arrayValue.compactMap { $0["sessionId"]?.stringValue } == [session])
        let bill = try await fixture.openBill([session])
        let generated = try await fixture.practice.call("claim.generate", ["billId": .string(bill)])
        let claim = try #require(generated["result"]?["claim"], "\(generated.text)")
        #expect(claim["status"]?.stringValue == "notSubmitted")
        #expect(claim["statusLabel"]?.stringValue == "Not Submitted")
        #expect(claim["totalCents"]?.int64Value == 15000)
        #expect(claim["clearinghousePayerId"]?.stringValue == "60054")
        #expect(claim["diagnosisCodes"] == ["F411", "F321"])
        #expect(claim["lines"]?.arrayValue.first?["diagnosisPointers"] == [1, 2])
        let number = try #require(claim["patientControlNumber"]?.stringValue)
        #expect(number.count <= 20 && number.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) })
        #expect(claim["events"]?.arrayValue.map { $0["to"]?.stringValue } == ["notSubmitted"])
        // The session is claimed now.
        #expect(try await fixture.practice.call("claim.pending")["result"]?["items"]?.arrayValue.isEmpty == true)
        // A second claim for the same sessions is refused.
        let again = try await fixture.practice.call("claim.generate", ["billId": .string(bill)])
        #expect(again.errorCode == -32009)
        #expect(again["error"]?["data"]?["type"]?.stringValue == "claim.exists")

        // Later edits do not change the claim: it sends what was frozen.
        let member = try await fixture.practice.call("member.get", ["id": .string(fixture.billing.clinicianID)])
        _ = try await fixture.practice.call("member.update", [
            "id": .string(fixture.billing.clinicianID), "version": member["result"]?["member"]?["version"] ?? 1,
            "lastName": "Renamed",
        ])
        let id = try #require(claim["id"]?.stringValue)
        let exported = try await fixture.practice.call("claim.exportX12", ["id": .string(id)])
        let x12 = try #require(exported["result"]?["x12"]?.stringValue, "\(exported.text)")
        #expect(x12.contains("CLM*\(number)*150***11:B:1"))
        #expect(!x12.contains("RENAMED") && !x12.contains("Renamed"))
        let validation = try await PyX12.validate(x12)
        #expect(validation.ok, "\(validation.output)")

        let listed = try await fixture.practice.call("claim.list", ["status": ["notSubmitted"]])
        #expect(listed["result"]?["items"]?.arrayValue.compactMap { $0["id"]?.stringValue } == [id])
        #expect(try await fixture.practice.call("claim.list", ["status": ["paid"]])["result"]?["items"]?.arrayValue.isEmpty == true)
        #expect(try await fixture.practice.call("claim.get", ["id": .string(id)])["result"]?["claim"]?["id"]?.stringValue == id)
    }

    @Test func everyEligibilityProblemComesBackAtOnce() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared(), zipPlusFour: false, taxonomy: false,
                                                  subscriberID: "W1")
        let unsigned = try await fixture.insuranceSession(sign: false)
        let free = try await fixture.insuranceSession(date: "2026-11-21", rateCents: 0)
        let bill = try await fixture.openBill([unsigned, free])
        let before = try await claimCount(fixture.practice)
        let response = try await fixture.practice.call("claim.generate", ["billId": .string(bill)])
        #expect(response.errorCode == -32602, "\(response.text)")
        let pointers = Set(response.errorPointers)
        #expect(pointers.contains("/sessions/0/note"), "\(response.text)")
        #expect(pointers.contains("/sessions/1/lines/0/rateCents"), "\(response.text)")
        #expect(pointers.contains("/sessions/0/renderingProvider/taxonomyCode"), "\(response.text)")
        #expect(pointers.contains("/practice/address/postalCode"), "\(response.text)")
        let reasons = response["error"]?["data"]?["errors"]?.arrayValue.compactMap { $0["reason"]?.stringValue } ?? []
        #expect(reasons.contains("note is not signed"))
        #expect(reasons.contains("must be greater than 0"))
        #expect(try await claimCount(fixture.practice) == before)
    }

    @Test func pendedBillsAndOtherPracticesBillsAreRefused() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await ClaimFixture.make(environment)
        let session = try await fixture.insuranceSession()
        let created = try await fixture.practice.call("bill.create", ["clientId": .string(fixture.clientID),
                                                                      "sessionIds": [.string(session)]])
        let pended = try #require(created["result"]?["bill"]?["id"]?.stringValue)
        let refused = try await fixture.practice.call("claim.generate", ["billId": .string(pended)])
        #expect(refused.errorCode == -32009)
        #expect(refused.errorPointers == ["/billId"])
        let other = try await environment.createPractice()
        #expect(try await other.call("claim.generate", ["billId": .string(pended)]).errorCode == -32004)
        #expect(try await fixture.practice.call("claim.generate", ["billId": "bil_x"]).errorPointers == ["/billId"])
        // Self-pay only bills have nothing to claim.
        let selfPay = try await fixture.billing.openBill(sessions: [try await fixture.billing.completedSession()])
        let nothing = try await fixture.practice.call("claim.generate", ["billId": .string(selfPay)])
        #expect(nothing["error"]?["data"]?["type"]?.stringValue == "bill.noInsuranceSessions")
        #expect(try await claimCount(fixture.practice) == 0)
    }

    @Test func submittingWithoutAClearinghouseIsNotConfigured() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let claim = try await fixture.generatedClaim()
        let response = try await fixture.practice.call("claim.submit", [
            "claimIds": [claim["id"] ?? .null], "idempotencyKey": .string("submit-\(UUID().uuidString)"),
        ])
        #expect(response.errorCode == -32012, "\(response.text)")
        let after = try await fixture.practice.call("claim.get", ["id": claim["id"] ?? .null])
        #expect(after["result"]?["claim"]?["status"]?.stringValue == "notSubmitted")
    }

    @Test func aPolicyOfAnotherClientIsNotFound() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let other = try await fixture.billing.newClient(dateOfBirth: "1975-03-03", firstName: "Other")
        let payers = try await fixture.practice.call("payer.list", ["query": "aetna", "limit": 1])
        let payerID = try #require(payers["result"]?["items"]?.arrayValue.first?["id"]?.stringValue)
        let policy = try await fixture.practice.call("policy.create", [
            "clientId": .string(other), "payerId": .string(payerID), "order": "primary", "memberId": "Z999",
            "relationshipToSubscriber": "self", "effectiveFrom": "2026-01-01",
        ])
        let otherPolicy = try #require(policy["result"]?["policy"]?["id"]?.stringValue, "\(policy.text)")
        let bill = try await fixture.openBill([try await fixture.insuranceSession()])
        let response = try await fixture.practice.call("claim.generate", ["billId": .string(bill),
                                                                          "policyId": .string(otherPolicy)])
        #expect(response.errorCode == -32004, "\(response.text)")
        #expect(response.errorPointers == ["/policyId"])
        #expect(try await claimCount(fixture.practice) == 0)
    }

    @Test func patientControlNumbersAreUniqueAndNeverReused() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        var numbers: Set<String> = []
        for day in 10..<16 {
            let claim = try await fixture.generatedClaim(date: "2026-11-\(day)")
            numbers.insert(try #require(claim["patientControlNumber"]?.stringValue))
        }
        #expect(numbers.count == 6)
    }
}

/// Runs pyx12's validator on an 837 (it exits 1 whatever happens: judge by its `OK` line).
enum PyX12 {
    static func validate(_ x12: String) async throws -> (ok: Bool, output: String) {
        let path = NSTemporaryDirectory() + "ll-claim-\(UUID().uuidString).837"
        try Data(x12.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output: String
        do {
            output = try await ChildProcess.runDetached(BuiltRepository.root + "/.venv/bin/x12valid", ["-q", path])
        } catch let failure as ChildProcess.Failure {
            output = failure.output  // pyx12 exits 1 whether or not the file is valid
        }
        let lines = output.split(whereSeparator: \.isNewline).map(String.init)
        return (lines.contains("\(path): OK") && !lines.contains { $0.contains("ERROR") }, output)
    }
}

enum BuiltRepository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}
