import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Testing

/// `era.import`: 835 payments posted claim by claim, once per payer and trace number.
@Suite struct RemittanceTests {
    /// An 835 paying one claim: `paid` by the payer, contractual `co` (CO-45) and patient `pr` (PR group
    /// with `prReason`) at line level, so claim and line both balance.
    static func era(pcn: String, trace: String, charge: Int = 150, paid: Int, co: Int, pr: Int, prReason: String = "3",
                    status: String = "1") -> String {
        var segments = [
            "ST*835*0001", "BPR*I*\(paid)*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261201",
            "TRN*1*\(trace)*1512345678", "DTM*405*20261201", "N1*PR*AETNA", "N3*PO BOX 981106", "N4*EL PASO*TX*79998",
            "REF*2U*60054", "N1*PE*SPRINGFIELD COUNSELING*XX*1234567893", "LX*1",
            "CLP*\(pcn)*\(status)*\(charge)*\(paid)*\(pr)*12*PAYER\(trace)", "NM1*QC*1*PARK*JORDAN",
            "SVC*HC:90837*\(charge)*\(paid)**1", "DTM*472*20261120",
        ]
        if co > 0 { segments.append("CAS*CO*45*\(co)") }
        if pr > 0 { segments.append("CAS*PR*\(prReason)*\(pr)") }
        segments.append("SE*\(segments.count + 1)*0001")
        let body = segments.joined(separator: "~") + "~"
        return "ISA*00*          *00*          *ZZ*AETNA          *ZZ*LEDGERLINE     *261201*1200*^*00501*000000101*0*T*:~"
            + "GS*HP*AETNA*LEDGERLINE*20261201*1200*101*X*005010X221A1~" + body + "GE*1*101~IEA*1*000000101~"
    }

    /// A generated claim marked as sent (as if the clearinghouse took it), with its bill.
    static func sentClaim(_ fixture: ClaimFixture) async throws -> (claim: String, number: String, bill: String) {
        let claim = try await fixture.generatedClaim()
        let id = try #require(claim["id"]?.stringValue)
        let uuid = try #require(TableInspector.uuid(of: id))
        _ = try await fixture.practice.environment.admin.withConnection { connection in
            try await connection.query("update claims set status = 'sent' where id = \(uuid)")
        }
        return (id, try #require(claim["patientControlNumber"]?.stringValue), try #require(claim["billId"]?.stringValue))
    }

    @Test func paymentWriteOffAndCopayPostOnceAndTheClaimIsPaid() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (claim, number, bill) = try await Self.sentClaim(fixture)
        let trace = "EFT\(UInt32.random(in: 100_000...999_999))"
        let x12 = Self.era(pcn: number, trace: trace, paid: 96, co: 29, pr: 25)
        let imported = try await fixture.practice.call("era.import", ["x12": .string(x12)])
        let era = try #require(imported["result"]?["era"], "\(imported.text)")
        #expect(era["paidCents"]?.int64Value == 9600)
        #expect(era["checkNumber"]?.stringValue == trace)
        #expect(era["duplicate"] == false)
        #expect(era["balanceProblems"]?.arrayValue.isEmpty == true, "\(era.text)")
        #expect(era["claims"]?.arrayValue.first?["claimId"]?.stringValue == claim)
        #expect(imported["result"]?["unmatched"]?.arrayValue.isEmpty == true)

        let billed = try #require(try await fixture.practice.call("bill.get", ["id": .string(bill)])["result"]?["bill"])
        #expect(billed["insurancePendingCents"]?.int64Value == 0, "\(billed.text)")
        #expect(billed["clientResponsibilityCents"]?.int64Value == 2500)  // the copay
        #expect(billed["balanceCents"]?.int64Value == 2500)
        let after = try await fixture.practice.call("claim.get", ["id": .string(claim)])
        #expect(after["result"]?["claim"]?["status"]?.stringValue == "paid", "\(after.text)")
        #expect(after["result"]?["claim"]?["payerClaimNumber"]?.stringValue == "PAYER\(trace)")
        #expect(after["result"]?["claim"]?["events"]?.arrayValue.last?["source"]?.stringValue == "payer")

        // The same payment twice more (by hand, or the poller after a hand import): it posts once.
        let again = try await fixture.practice.call("era.import", ["x12": .string(x12)])
        #expect(again["result"]?["era"]?["duplicate"] == true, "\(again.text)")
        let third = try await fixture.practice.call("era.import", ["x12": .string(x12)])
        #expect(third["result"]?["era"]?["duplicate"] == true, "\(third.text)")
        let practice = try #require(TableInspector.uuid(of: fixture.practice.id))
        #expect(try await fixture.practice.environment.count(
            "select count(*)::int from insurance_payments where practice_id = \(practice)") == 1)
        let rebilled = try await fixture.practice.call("bill.get", ["id": .string(bill)])
        #expect(rebilled["result"]?["bill"]?["balanceCents"]?.int64Value == 2500)
    }

    @Test func deductibleMovesEverythingToTheClient() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (claim, number, bill) = try await Self.sentClaim(fixture)
        let imported = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(pcn: number, trace: "CHK\(UInt32.random(in: 100_000...999_999))", paid: 0, co: 0,
                                    pr: 150, prReason: "1")),
        ])
        #expect(imported["result"] != nil, "\(imported.text)")
        let billed = try #require(try await fixture.practice.call("bill.get", ["id": .string(bill)])["result"]?["bill"])
        #expect(billed["insurancePendingCents"]?.int64Value == 0)
        #expect(billed["clientResponsibilityCents"]?.int64Value == 15000)
        #expect(try await fixture.practice.call("claim.get", ["id": .string(claim)])["result"]?["claim"]?["status"]?
            .stringValue == "paid")
    }

    @Test func deniedClaimsUnmatchedClaimsAndGarbage() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (claim, number, bill) = try await Self.sentClaim(fixture)
        let denied = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(pcn: number, trace: "DEN\(UInt32.random(in: 100_000...999_999))", paid: 0, co: 150,
                                    pr: 0, status: "4")),
        ])
        #expect(denied["result"] != nil, "\(denied.text)")
        #expect(try await fixture.practice.call("claim.get", ["id": .string(claim)])["result"]?["claim"]?["status"]?
            .stringValue == "denied")
        // A denial's write-off leaves nothing pending from insurance.
        let billed = try await fixture.practice.call("bill.get", ["id": .string(bill)])
        #expect(billed["result"]?["bill"]?["insurancePendingCents"]?.int64Value == 0)

        let unknown = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(pcn: "ZZZ99999", trace: "UNM\(UInt32.random(in: 100_000...999_999))", paid: 96, co: 29,
                                    pr: 25)),
        ])
        #expect(unknown["result"]?["unmatched"]?.arrayValue.first?["patientControlNumber"]?.stringValue == "ZZZ99999",
                "\(unknown.text)")
        let listed = try await fixture.practice.call("era.unmatched")
        #expect(listed["result"]?["items"]?.arrayValue.contains { $0["patientControlNumber"]?.stringValue == "ZZZ99999" } == true)
        // Another practice's claim numbers are just unmatched for this one.
        let other = try await ClaimFixture.make(try await TestEnvironment.shared())
        let foreign = try await other.practice.call("era.import", [
            "x12": .string(Self.era(pcn: number, trace: "FOR\(UInt32.random(in: 100_000...999_999))", paid: 96, co: 29,
                                    pr: 25)),
        ])
        #expect(foreign["result"]?["unmatched"]?.arrayValue.count == 1, "\(foreign.text)")

        // An ERA paying another provider's NPI is refused whole.
        let otherNPI = Self.era(pcn: number, trace: "NPI\(UInt32.random(in: 100_000...999_999))", paid: 96, co: 29, pr: 25)
            .replacingOccurrences(of: "XX*1234567893", with: "XX*1245319599")
        let refused = try await fixture.practice.call("era.import", ["x12": .string(otherNPI)])
        #expect(refused.errorPointers == ["/x12"], "\(refused.text)")
        #expect(refused["error"]?["message"]?.stringValue?.contains("1245319599") == true
            || refused.text.contains("1245319599"), "\(refused.text)")

        let garbage = try await fixture.practice.call("era.import", ["x12": "this is not an 835 file"])
        #expect(garbage.errorCode == -32602)
        #expect(garbage.errorPointers == ["/x12"])
    }
}
