import BillingCore
import Foundation
import JSONRPC
import Testing

/// `report.*`: aging, payments received, unpaid insurance sessions and claims by status, from the ledger.
@Suite struct ReportTests {
    @Test func agingPaymentsUnpaidSessionsAndClaimsByStatusAddUp() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await ClaimFixture.make(environment)
        // Two insurance sessions 75 days apart: the older one's claim is paid by ERA, the newer waits.
        let (paidClaim, paidNumber, paidBill) = try await RemittanceTests.sentClaim(fixture)  // 2026-11-20
        let waitingClaim = try await fixture.generatedClaim(date: "2026-09-06")
        let waitingBill = try #require(waitingClaim["billId"]?.stringValue)
        let imported = try await fixture.practice.call("era.import", [
            "x12": .string(PostingTests.era(trace: "RPT\(UInt32.random(in: 100_000...999_999))",
                                            claims: [(paidNumber, "1", 150, 80, 30, 40)])),
        ])
        #expect(imported["result"] != nil, "\(imported.text)")
        // The client pays $10 of what they owe on the paid claim's bill.
        let payment = try await fixture.practice.call("payment.record", [
            "clientId": .string(fixture.clientID), "amountCents": 1000, "method": "card", "receivedOn": "2026-12-01",
            "allocations": [["billId": .string(paidBill), "amountCents": 1000]],
        ])
        #expect(payment["result"] != nil, "\(payment.text)")

        let aging = try await fixture.practice.call("report.aging", ["asOf": "2026-12-01"])
        let result = try #require(aging["result"], "\(aging.text)")
        // Waiting bill: $125 insurance pending, DOS 2026-09-06 → 86 days → 61–90.
        #expect(result["insurance"]?["days61To90Cents"]?.int64Value == 12_500, "\(aging.text)")
        #expect(result["insurance"]?["totalCents"]?.int64Value == 12_500)
        #expect(result["byPayer"]?.arrayValue.first?["name"]?.stringValue?.isEmpty == false)
        // Client: $25 copay (waiting bill, 61–90) + $40 PR − $10 paid on the paid bill (11 days, current).
        #expect(result["client"]?["days61To90Cents"]?.int64Value == 2_500)
        #expect(result["client"]?["currentCents"]?.int64Value == 3_000, "\(aging.text)")
        #expect(result["byClient"]?.arrayValue.first?["id"]?.stringValue == fixture.clientID)

        let payments = try await fixture.practice.call("report.payments", ["from": "2026-11-01", "to": "2026-12-31"])
        let received = try #require(payments["result"], "\(payments.text)")
        #expect(received["insuranceCents"]?.int64Value == 8_000)
        #expect(received["clientCents"]?.int64Value == 1_000)
        #expect(received["netCents"]?.int64Value == 9_000)
        #expect(received["totals"]?.arrayValue.contains { $0["source"] == "client" && $0["label"] == "card" } == true)

        let unpaid = try await fixture.practice.call("report.unpaidInsuranceSessions")
        let items = unpaid["result"]?["items"]?.arrayValue ?? []
        #expect(items.contains { $0["claimId"]?.stringValue == waitingClaim["id"]?.stringValue }, "\(unpaid.text)")
        #expect(!items.contains { $0["claimId"]?.stringValue == paidClaim })
        #expect(items.first { $0["billId"]?.stringValue == waitingBill }?["insuranceChargeCents"]?.int64Value == 12_500)

        let byStatus = try await fixture.practice.call("report.claimsByStatus")
        let rows = byStatus["result"]?["items"]?.arrayValue ?? []
        #expect(rows.first { $0["status"] == "paid" }?["count"]?.int64Value == 1, "\(byStatus.text)")
        #expect(rows.first { $0["status"] == "notSubmitted" }?["totalCents"]?.int64Value == 15_000)

        // Another practice sees none of it.
        let other = try await ClaimFixture.make(environment)
        let empty = try await other.practice.call("report.aging")
        #expect(empty["result"]?["insurance"]?["totalCents"]?.int64Value == 0, "\(empty.text)")
        #expect(empty["result"]?["byClient"]?.arrayValue.isEmpty == true)
    }

    @Test func badRangesAreRefusedWithTheField() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let backwards = try await fixture.practice.call("report.payments", ["from": "2026-12-01", "to": "2026-11-01"])
        #expect(backwards.errorCode == -32602)
        #expect(backwards.errorPointers == ["/to"])
        let tooLong = try await fixture.practice.call("report.payments", ["from": "2024-01-01", "to": "2026-11-01"])
        #expect(tooLong.errorPointers == ["/to"])
        let badDate = try await fixture.practice.call("report.aging", ["asOf": "2026-02-30"])
        #expect(badDate.errorCode == -32602)
        #expect(badDate.errorPointers == ["/asOf"])
        let missing = try await fixture.practice.call("report.payments", ["from": "2026-11-01"])
        #expect(missing.errorPointers == ["/to"], "\(missing.text)")
    }
}
