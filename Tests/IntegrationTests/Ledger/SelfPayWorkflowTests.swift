import BillingCore
import Foundation
import JSONRPC
import Testing

/// The seed's self-pay workflow over the API: add session → create bill → open → record payment → Complete.
@Suite struct SelfPayWorkflowTests {
    @Test func sessionToPaidBillFollowsTheSeedsSteps() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let session = try await fixture.completedSession()

        let created = try await fixture.practice.call("bill.create", [
            "clientId": .string(fixture.clientID), "sessionIds": [.string(session)],
        ])
        let bill = try #require(created["result"]?["bill"], "\(created.text)")
        #expect(bill["status"]?.stringValue == "pended")
        #expect(bill["statusLabel"]?.stringValue == "Pended")
        #expect(bill["totalCents"]?.int64Value == 15000)
        #expect(bill["balanceCents"]?.int64Value == 15000)
        #expect(bill["clientResponsibilityCents"]?.int64Value == 15000)
        #expect(bill["insurancePendingCents"]?.int64Value == 0)
        #expect(bill["number"]?.stringValue?.hasPrefix("B-") == true)
        #expect(bill["dueOn"]?.stringValue != nil)
        let billID = try #require(bill["id"]?.stringValue)

        // A Pended bill takes no payment.
        let early = try await fixture.practice.call("payment.record", [
            "clientId": .string(fixture.clientID), "amountCents": 15000, "method": "card", "receivedOn": "2026-11-21",
            "allocations": [["billId": .string(billID), "amountCents": 15000]],
        ])
        #expect(early.errorCode == -32009)
        #expect(early["error"]?["data"]?["type"]?.stringValue == "bill.notOpen")

        let opened = try await fixture.practice.call("bill.open", ["id": .string(billID), "version": 1])
        #expect(opened["result"]?["bill"]?["status"]?.stringValue == "open")

        let paid = try await fixture.practice.call("payment.record", [
            "clientId": .string(fixture.clientID), "amountCents": 15000, "method": "card", "receivedOn": "2026-11-21",
            "reference": "terminal 4411", "allocations": [["billId": .string(billID), "amountCents": 15000]],
            "idempotencyKey": .string(UUID().uuidString),
        ])
        #expect(paid["result"]?["payment"]?["unappliedCents"]?.int64Value == 0)
        #expect(paid["result"]?["bills"]?.arrayValue.first?["status"]?.stringValue == "complete")

        let balance = try await fixture.practice.call("client.balance", ["clientId": .string(fixture.clientID)])
        #expect(balance["result"] == ["balanceCents": 0, "creditCents": 0, "clientResponsibilityCents": 0,
                                      "insurancePendingCents": 0])
        let ledger = try await fixture.practice.call("client.ledger", ["clientId": .string(fixture.clientID)])
        let lines = ledger["result"]?["lines"]?.arrayValue ?? []
        #expect(lines.map { $0["kind"]?.stringValue } == ["charge", "payment"])
        #expect(lines.last?["runningBalanceCents"]?.int64Value == 0)
    }

    @Test func automaticAllocationPaysOldestBillFirstAndKeepsTheRestAsCredit() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let first = try await fixture.openBill(sessions: [try await fixture.completedSession(date: "2026-11-02")])
        let second = try await fixture.openBill(sessions: [try await fixture.completedSession(code: "90834", date: "2026-11-09")])
        let paid = try await fixture.practice.call("payment.record", [
            "clientId": .string(fixture.clientID), "amountCents": 30000, "method": "check", "receivedOn": "2026-11-21",
        ])
        let bills = paid["result"]?["bills"]?.arrayValue ?? []
        #expect(bills.count == 2)
        #expect(bills.first { $0["id"]?.stringValue == first }?["status"]?.stringValue == "complete")
        #expect(bills.first { $0["id"]?.stringValue == second }?["status"]?.stringValue == "complete")
        #expect(paid["result"]?["payment"]?["unappliedCents"]?.int64Value == 3000)
        let balance = try await fixture.practice.call("client.balance", ["clientId": .string(fixture.clientID)])
        #expect(balance["result"]?["creditCents"]?.int64Value == 3000)
    }

    @Test func refundReopensACompleteBillAndNeverExceedsThePayment() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let billID = try await fixture.openBill(sessions: [try await fixture.completedSession()])
        let paid = try await fixture.practice.call("payment.record", [
            "clientId": .string(fixture.clientID), "amountCents": 15000, "method": "cash", "receivedOn": "2026-11-21",
        ])
        let paymentID = try #require(paid["result"]?["payment"]?["id"]?.stringValue)
        let tooMuch = try await fixture.practice.call("payment.refund", [
            "paymentId": .string(paymentID), "amountCents": 15001, "reason": "error",
        ])
        #expect(tooMuch.errorCode == -32602)
        #expect(tooMuch["error"]?["data"]?["field"]?.stringValue == "/amountCents")
        let refunded = try await fixture.practice.call("payment.refund", [
            "paymentId": .string(paymentID), "amountCents": 5000, "reason": "partial refund",
        ])
        #expect(refunded["result"]?["bills"]?.arrayValue.first?["status"]?.stringValue == "open")
        let bill = try await fixture.practice.call("bill.get", ["id": .string(billID)])
        #expect(bill["result"]?["bill"]?["balanceCents"]?.int64Value == 5000)
        #expect(bill["result"]?["bill"]?["status"]?.stringValue == "open")
    }

    @Test func badMoneyInputIsRefusedAndNothingIsWritten() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let billID = try await fixture.openBill(sessions: [try await fixture.completedSession()])
        let practiceID = try #require(PracticeID(fixture.practice.id))
        func paymentCount() async throws -> Int {
            try await environment.count("select count(*)::int from payments where practice_id = \(practiceID.uuid)")
        }
        let before = try await paymentCount()
        for bad: JSONValue in [
            ["clientId": .string(fixture.clientID), "amountCents": 0, "method": "card", "receivedOn": "2026-11-21"],
            ["clientId": .string(fixture.clientID), "amountCents": -5, "method": "card", "receivedOn": "2026-11-21"],
            ["clientId": .string(fixture.clientID), "amountCents": 100, "method": "bitcoin", "receivedOn": "2026-11-21"],
            ["clientId": .string(fixture.clientID), "amountCents": 100, "method": "cash", "receivedOn": "2026-02-30"],
            ["clientId": .string(fixture.clientID), "amountCents": 100, "method": "cash", "receivedOn": "2026-11-21",
             "allocations": [["billId": .string(billID), "amountCents": 200]]],
            ["clientId": .string(fixture.clientID), "amountCents": 20000, "method": "cash", "receivedOn": "2026-11-21",
             "allocations": [["billId": .string(billID), "amountCents": 16000]]],
        ] {
            let response = try await fixture.practice.call("payment.record", bad)
            #expect(response.errorCode == -32602, "\(bad.text) → \(response.text)")
        }
        let otherClient = try await fixture.newClient(dateOfBirth: "1985-01-01", firstName: "Other")
        let wrongClient = try await fixture.practice.call("payment.record", [
            "clientId": .string(otherClient), "amountCents": 100, "method": "cash", "receivedOn": "2026-11-21",
            "allocations": [["billId": .string(billID), "amountCents": 100]],
        ])
        #expect(wrongClient.errorCode == -32004)
        #expect(try await paymentCount() == before)
    }

    @Test func voidedBillReleasesItsSessionsAndAPaidBillCannotBeVoided() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let session = try await fixture.completedSession()
        let created = try await fixture.practice.call("bill.create", [
            "clientId": .string(fixture.clientID), "sessionIds": [.string(session)],
        ])
        let billID = try #require(created["result"]?["bill"]?["id"]?.stringValue)
        let twice = try await fixture.practice.call("bill.create", [
            "clientId": .string(fixture.clientID), "sessionIds": [.string(session)],
        ])
        #expect(twice.errorCode == -32009)
        let voided = try await fixture.practice.call("bill.void", ["id": .string(billID), "version": 1, "reason": "wrong client"])
        #expect(voided["result"]?["bill"]?["status"]?.stringValue == "void")
        let again = try await fixture.openBill(sessions: [session])
        _ = try await fixture.practice.call("payment.record", [
            "clientId": .string(fixture.clientID), "amountCents": 1000, "method": "cash", "receivedOn": "2026-11-21",
        ])
        let bill = try await fixture.practice.call("bill.get", ["id": .string(again)])
        let refused = try await fixture.practice.call("bill.void", [
            "id": .string(again), "version": bill["result"]?["bill"]?["version"] ?? 1, "reason": "x",
        ])
        #expect(refused.errorCode == -32009)
        #expect(refused["error"]?["data"]?["type"]?.stringValue == "bill.hasPayments")
    }

    @Test func sameIdempotencyKeySentFiftyTimesAtOnceRecordsOnePayment() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let billID = try await fixture.openBill(sessions: [try await fixture.completedSession()])
        let key = "pay-\(UUID().uuidString)"
        let params: JSONValue = [
            "clientId": .string(fixture.clientID), "amountCents": 15000, "method": "card", "receivedOn": "2026-11-21",
            "allocations": [["billId": .string(billID), "amountCents": 15000]], "idempotencyKey": .string(key),
        ]
        let responses = try await withThrowingTaskGroup(of: JSONValue.self) { group in
            for _ in 0..<50 { group.addTask { try await fixture.practice.call("payment.record", params) } }
            var all: [JSONValue] = []
            for try await response in group { all.append(response) }
            return all
        }
        let results = responses.compactMap { $0["result"] }
        let inProgress = responses.filter { $0.errorCode == -32011 }
        #expect(results.count + inProgress.count == 50, "\(responses.filter { $0["result"] == nil }.map(\.text))")
        #expect(Set(results.map { $0.text }).count == 1)  // every replay is the stored result
        let practiceID = try #require(PracticeID(fixture.practice.id))
        #expect(try await environment.count("select count(*)::int from payments where practice_id = \(practiceID.uuid)") == 1)
        #expect(try await environment.count("select count(*)::int from allocations where practice_id = \(practiceID.uuid)") == 1)

        var changed = params
        if case .object(var object) = changed {
            object["amountCents"] = 14000
            object["allocations"] = [["billId": .string(billID), "amountCents": 14000]]
            changed = .object(object)
        }
        let reused = try await fixture.practice.call("payment.record", changed)
        #expect(reused.errorCode == -32010)
        #expect(try await environment.count("select count(*)::int from payments where practice_id = \(practiceID.uuid)") == 1)
    }
}
