import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Storage
import Testing

/// A random sequence of charges, payments, allocations, refunds, adjustments and voids driven
/// through the API; after every step the ledger invariants are checked in the database itself.
@Suite struct LedgerPropertyTests {
    /// Rows that break an invariant (empty when the ledger is sound).
    static func violations(_ environment: TestEnvironment, practiceID: PracticeID) async throws -> [String] {
        try await environment.admin.withConnection { transaction in
            let rows = try await transaction.rows("""
                with b as (
                    select b.id, b.number, b.status, b.opened_at,
                        coalesce((select sum(amount_cents) from bill_lines l where l.bill_id = b.id), 0) as charges,
                        coalesce((select sum(client_portion_cents) from bill_lines l where l.bill_id = b.id), 0) as client_charges,
                        coalesce((select sum(insurance_portion_cents) from bill_lines l where l.bill_id = b.id), 0) as insurance_charges,
                        coalesce((select sum(amount_cents) from allocations a where a.bill_id = b.id), 0) as allocated,
                        coalesce((select sum(amount_cents) from adjustments a where a.bill_id = b.id and responsibility = 'client'), 0) as client_adj,
                        coalesce((select sum(amount_cents) from adjustments a where a.bill_id = b.id and responsibility = 'insurance'), 0) as ins_adj
                    from bills b where b.practice_id = \(practiceID.uuid)
                ), p as (
                    select p.id, p.amount_cents,
                        coalesce((select sum(amount_cents) from allocations a where a.payment_id = p.id), 0) as allocated,
                        coalesce((select sum(amount_cents) from refunds r where r.payment_id = p.id), 0) as refunded
                    from payments p where p.practice_id = \(practiceID.uuid)
                )
                select 'bill ' || number || ' balance ' || (charges - allocated - client_adj - ins_adj) as problem from b
                    where charges - allocated - client_adj - ins_adj < 0
                union all select 'bill ' || number || ' client responsibility negative' from b
                    where client_charges - allocated - client_adj < 0
                union all select 'bill ' || number || ' insurance pending negative' from b where insurance_charges - ins_adj < 0
                union all select 'bill ' || number || ' is complete but owes ' || (charges - allocated - client_adj - ins_adj) from b
                    where status = 'complete' and (charges - allocated - client_adj - ins_adj <> 0 or opened_at is null)
                union all select 'bill ' || number || ' is open but owes nothing' from b
                    where status = 'open' and charges - allocated - client_adj - ins_adj = 0
                union all select 'bill ' || number || ' is ' || status || ' with allocations' from b
                    where status in ('pended', 'void') and allocated <> 0
                union all select 'payment ' || id || ' over-applied' from p where allocated + refunded > amount_cents
                union all select 'payment ' || id || ' negative allocation' from p where allocated < 0
                union all select 'allocation ' || a.id || ' reversed beyond itself' from allocations a
                    where a.practice_id = \(practiceID.uuid) and a.reverses_id is null
                      and a.amount_cents + coalesce((select sum(r.amount_cents) from allocations r where r.reverses_id = a.id), 0) < 0
                """)
            return try rows.map { try $0.decode(String.self) }
        }
    }

    /// Σ payments = credit + Σ net allocations + Σ refunds, read back through the API.
    static func moneyIsConserved(_ fixture: BillingFixture, _ environment: TestEnvironment, practiceID: PracticeID)
        async throws -> Bool
    {
        let total = try await environment.count(
            "select coalesce(sum(amount_cents), 0)::int from payments where practice_id = \(practiceID.uuid)")
        let allocated = try await environment.count(
            "select coalesce(sum(amount_cents), 0)::int from allocations where practice_id = \(practiceID.uuid)")
        let refunded = try await environment.count(
            "select coalesce(sum(amount_cents), 0)::int from refunds where practice_id = \(practiceID.uuid)")
        let balance = try await fixture.practice.call("client.balance", ["clientId": .string(fixture.clientID)])
        let credit = Int(balance["result"]?["creditCents"]?.int64Value ?? -1)
        return total == credit + allocated + refunded
    }

    @Test(arguments: [UInt64(7), 20_261_129])
    func randomMoneyMovementsKeepEveryInvariant(seed: UInt64) async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let practiceID = try #require(PracticeID(fixture.practice.id))
        var random = SeededGenerator(seed: seed)
        var bills: [String] = []
        var payments: [String] = []
        let codes = ["90837", "90834", "90791"]
        var day = 1

        func billState(_ id: String) async throws -> JSONValue? {
            try await fixture.practice.call("bill.get", ["id": .string(id)])["result"]?["bill"]
        }

        for step in 0..<160 {
            let action = Int.random(in: 0..<100, using: &random)
            var response: JSONValue = .null
            switch action {
            case 0..<18:
                day = day % 28 + 1
                let sessions = [try await fixture.completedSession(code: codes.randomElement(using: &random)!,
                                                                    date: String(format: "2026-10-%02d", day))]
                response = try await fixture.practice.call("bill.create", [
                    "clientId": .string(fixture.clientID), "sessionIds": .array(sessions.map { .string($0) }),
                ])
                if let id = response["result"]?["bill"]?["id"]?.stringValue { bills.append(id) }
            case 18..<33:
                guard let id = bills.randomElement(using: &random), let bill = try await billState(id) else { continue }
                response = try await fixture.practice.call("bill.open", ["id": .string(id), "version": bill["version"] ?? 1])
            case 33..<58:
                let amount = Int64.random(in: 1...20_000, using: &random)
                var params: JSONObject = ["clientId": .string(fixture.clientID), "amountCents": .number(JSONNumber(amount)),
                                          "method": "cash", "receivedOn": "2026-11-21"]
                if Bool.random(using: &random), let id = bills.randomElement(using: &random) {
                    params["allocations"] = [["billId": .string(id),
                                              "amountCents": .number(JSONNumber(Int64.random(in: 1...amount, using: &random)))]]
                }
                response = try await fixture.practice.call("payment.record", .object(params))
                if let id = response["result"]?["payment"]?["id"]?.stringValue { payments.append(id) }
            case 58..<68:
                response = try await fixture.practice.call("payment.allocate", ["clientId": .string(fixture.clientID)])
            case 68..<80:
                guard let id = payments.randomElement(using: &random) else { continue }
                response = try await fixture.practice.call("payment.refund", [
                    "paymentId": .string(id), "amountCents": .number(JSONNumber(Int64.random(in: 1...12_000, using: &random))),
                    "reason": "property test",
                ])
            case 80..<92:
                guard let id = bills.randomElement(using: &random) else { continue }
                response = try await fixture.practice.call("bill.adjust", [
                    "billId": .string(id), "kind": Bool.random(using: &random) ? "discount" : "writeOff",
                    "amountCents": .number(JSONNumber(Int64.random(in: 1...9_000, using: &random))), "reason": "courtesy",
                ])
            default:
                guard let id = bills.randomElement(using: &random), let bill = try await billState(id) else { continue }
                response = try await fixture.practice.call("bill.void", [
                    "id": .string(id), "version": bill["version"] ?? 1, "reason": "property test",
                ])
            }
            // Every refusal must be a clean business error, never an internal one.
            if let code = response.errorCode {
                #expect([-32602, -32009, -32004].contains(code), "step \(step): \(response.text)")
            }
            let problems = try await Self.violations(environment, practiceID: practiceID)
            #expect(problems.isEmpty, "step \(step) (seed \(seed)): \(problems)")
            if !problems.isEmpty { break }
        }
        #expect(try await Self.moneyIsConserved(fixture, environment, practiceID: practiceID))
        // The API's derived balances agree with the rows.
        for id in bills {
            guard let bill = try await billState(id), let billID = BillID(id) else { continue }
            let rowBalance = try await environment.count("""
                select ((select coalesce(sum(amount_cents), 0) from bill_lines where bill_id = \(billID.uuid))
                      - (select coalesce(sum(amount_cents), 0) from allocations where bill_id = \(billID.uuid))
                      - (select coalesce(sum(amount_cents), 0) from adjustments where bill_id = \(billID.uuid)))::int
                """)
            #expect(bill["balanceCents"]?.int64Value == Int64(rowBalance))
        }
    }
}
