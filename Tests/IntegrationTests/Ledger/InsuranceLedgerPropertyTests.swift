import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Storage
import Testing

/// The ledger property test with insurance money: random ERAs (payments, write-offs, patient
/// responsibility, denials, reversals, the same ERA again), checks recorded by hand, client payments
/// and adjustments, driven through the API; every invariant is checked in the database after every step.
@Suite struct InsuranceLedgerPropertyTests {
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
                        coalesce((select sum(amount_cents) from adjustments a where a.bill_id = b.id and responsibility = 'insurance'), 0) as ins_adj,
                        coalesce((select sum(amount_cents) from insurance_payments p where p.bill_id = b.id), 0) as ins_paid,
                        coalesce((select sum(amount_cents) from responsibility_transfers t where t.bill_id = b.id), 0) as moved
                    from bills b where b.practice_id = \(practiceID.uuid)
                ), c as (
                    select c.id, c.patient_control_number as pcn,
                        coalesce((select sum(amount_cents) from insurance_payments p where p.claim_id = c.id), 0) as paid,
                        coalesce((select sum(amount_cents) from adjustments a where a.claim_id = c.id), 0) as written_off,
                        coalesce((select sum(amount_cents) from responsibility_transfers t where t.claim_id = c.id), 0) as moved
                    from claims c where c.practice_id = \(practiceID.uuid)
                )
                select 'bill ' || number || ' insurance pending ' || (insurance_charges - ins_adj - ins_paid - moved) from b
                    where insurance_charges - ins_adj - ins_paid - moved < 0
                union all select 'bill ' || number || ' client responsibility ' || (client_charges + moved - allocated - client_adj)
                    from b where client_charges + moved - allocated - client_adj < 0
                union all select 'bill ' || number || ' is complete but owes ' || (charges - allocated - client_adj - ins_adj - ins_paid)
                    from b where status = 'complete' and charges - allocated - client_adj - ins_adj - ins_paid <> 0
                union all select 'bill ' || number || ' is open but owes nothing' from b
                    where status = 'open' and charges - allocated - client_adj - ins_adj - ins_paid = 0
                union all select 'claim ' || pcn || ' paid ' || paid || ' written off ' || written_off || ' moved ' || moved
                    from c where paid < 0 or written_off < 0 or moved < 0
                union all select 'remittance claim ' || rc.id || ' posted ' || count(p.id) || ' payments'
                    from remittance_claims rc join insurance_payments p on p.remittance_claim_id = rc.id
                    where rc.practice_id = \(practiceID.uuid) group by rc.id having count(p.id) > 1
                union all select 'trace ' || trace_number || ' recorded ' || count(*) || ' times'
                    from remittances where practice_id = \(practiceID.uuid)
                    group by payer_key, trace_number having count(*) > 1
                """)
            return try rows.map { try $0.decode(String.self) }
        }
    }

    @Test(arguments: [UInt64(11), 20_261_130])
    func randomInsuranceMoneyKeepsEveryInvariant(seed: UInt64) async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await ClaimFixture.make(environment)
        let practiceID = try #require(PracticeID(fixture.practice.id))
        var random = SeededGenerator(seed: seed)
        var claims: [(id: String, number: String, bill: String)] = []
        var eras: [String] = []
        var day = 1

        for step in 0..<70 {
            let action = Int.random(in: 0..<100, using: &random)
            var response: JSONValue = .null
            switch action {
            case 0..<20:
                day = day % 28 + 1
                let bill = try await fixture.openBill([try await fixture.insuranceSession(
                    date: String(format: "2026-10-%02d", day))])
                let generated = try await fixture.practice.call("claim.generate", ["billId": .string(bill)])
                guard let id = generated["result"]?["claim"]?["id"]?.stringValue,
                      let number = generated["result"]?["claim"]?["patientControlNumber"]?.stringValue,
                      let uuid = TableInspector.uuid(of: id) else { continue }
                _ = try await environment.admin.withConnection { connection in
                    try await connection.query("update claims set status = 'sent' where id = \(uuid)")
                }
                claims.append((id, number, bill))
            case 20..<50:
                // An ERA for one to three claims: allowed amount, patient share, denials and reversals at random.
                guard !claims.isEmpty else { continue }
                var entries: [(pcn: String, status: String, charge: Int, paid: Int, co: Int, pr: Int)] = []
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let claim = claims.randomElement(using: &random)!
                    let kind = Int.random(in: 0..<10, using: &random)
                    if kind < 6 {
                        let allowed = Int.random(in: 40...150, using: &random)
                        let pr = Int.random(in: 0...min(allowed, 60), using: &random)
                        entries.append((claim.number, "1", 150, allowed - pr, 150 - allowed, pr))
                    } else if kind < 8 {
                        entries.append((claim.number, "4", 150, 0, 150, 0))
                    } else {
                        let paid = Int.random(in: 10...120, using: &random)
                        let pr = Int.random(in: 0...20, using: &random)
                        entries.append((claim.number, "22", -150, -paid, -(150 - paid - pr), -pr))
                    }
                }
                let x12 = PostingTests.era(trace: "PT\(seed % 1000)S\(step)", claims: entries)
                eras.append(x12)
                response = try await fixture.practice.call("era.import", ["x12": .string(x12)])
            case 50..<60:
                // The same ERA again: never posted twice.
                guard let x12 = eras.randomElement(using: &random) else { continue }
                response = try await fixture.practice.call("era.import", ["x12": .string(x12)])
                #expect(response["result"]?["era"]?["duplicate"] == true, "step \(step): \(response.text)")
            case 60..<72:
                guard let claim = claims.randomElement(using: &random) else { continue }
                let paid = Int64.random(in: 0...15_000, using: &random)
                response = try await fixture.practice.call("insurancePayment.record", [
                    "checkNumber": .string("CHK\(seed % 1000)S\(step)"), "amountCents": .number(JSONNumber(paid)),
                    "receivedOn": "2026-11-25", "claims": [["claimId": .string(claim.id), "paidCents": .number(JSONNumber(paid))]],
                ])
            case 72..<88:
                let amount = Int64.random(in: 1...9_000, using: &random)
                response = try await fixture.practice.call("payment.record", [
                    "clientId": .string(fixture.clientID), "amountCents": .number(JSONNumber(amount)), "method": "card",
                    "receivedOn": "2026-11-21",
                ])
            default:
                guard let claim = claims.randomElement(using: &random) else { continue }
                response = try await fixture.practice.call("bill.adjust", [
                    "billId": .string(claim.bill), "kind": "writeOff",
                    "amountCents": .number(JSONNumber(Int64.random(in: 1...3_000, using: &random))), "reason": "courtesy",
                ])
            }
            if let code = response.errorCode {
                #expect([-32602, -32009, -32004].contains(code), "step \(step): \(response.text)")
            }
            let problems = try await Self.violations(environment, practiceID: practiceID)
            #expect(problems.isEmpty, "step \(step) (seed \(seed)): \(problems)")
            if !problems.isEmpty { break }
        }
        // Every bill's balance from the API equals its rows, insurance included.
        for claim in claims {
            guard let bill = try await fixture.practice.call("bill.get", ["id": .string(claim.bill)])["result"]?["bill"],
                  let billID = BillID(claim.bill) else { continue }
            let rowBalance = try await environment.count("""
                select ((select coalesce(sum(amount_cents), 0) from bill_lines where bill_id = \(billID.uuid))
                      - (select coalesce(sum(amount_cents), 0) from allocations where bill_id = \(billID.uuid))
                      - (select coalesce(sum(amount_cents), 0) from adjustments where bill_id = \(billID.uuid))
                      - (select coalesce(sum(amount_cents), 0) from insurance_payments where bill_id = \(billID.uuid)))::int
                """)
            #expect(bill["balanceCents"]?.int64Value == Int64(rowBalance))
        }
        // The A/R aging report sums to the same balances.
        let aging = try await fixture.practice.call("report.aging", ["asOf": "2026-12-31"])
        let insurance = try await environment.count("""
            select coalesce(sum(greatest(p, 0)), 0)::int from (
              select (select coalesce(sum(insurance_portion_cents), 0) from bill_lines l where l.bill_id = b.id)
                   - (select coalesce(sum(amount_cents), 0) from adjustments a where a.bill_id = b.id and a.responsibility = 'insurance')
                   - (select coalesce(sum(amount_cents), 0) from insurance_payments p where p.bill_id = b.id)
                   - (select coalesce(sum(amount_cents), 0) from responsibility_transfers t where t.bill_id = b.id) as p
              from bills b where b.practice_id = \(practiceID.uuid) and b.status in ('open', 'complete')) x
            """)
        #expect(aging["result"]?["insurance"]?["totalCents"]?.int64Value == Int64(insurance), "\(aging.text)")
    }
}
