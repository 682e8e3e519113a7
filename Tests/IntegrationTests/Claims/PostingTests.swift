import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Testing

/// Money back beyond the plain ERA: reversals, checks recorded by hand, hand-matched remittances,
/// and corrected, resubmitted and void claims.
@Suite struct PostingTests {
    /// An 835 with one CLP per entry: `(pcn, status, charge, paid, co, pr)` in dollars (negative in a reversal).
    static func era(trace: String, claims: [(pcn: String, status: String, charge: Int, paid: Int, co: Int, pr: Int)],
                    payerID: String = "60054") -> String
    {
        let total = claims.reduce(0) { $0 + $1.paid }
        var segments = [
            "ST*835*0001", "BPR*I*\(total)*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261201",
            "TRN*1*\(trace)*1512345678", "DTM*405*20261201", "N1*PR*AETNA", "N3*PO BOX 981106", "N4*EL PASO*TX*79998",
            "REF*2U*\(payerID)", "N1*PE*SPRINGFIELD COUNSELING*XX*1234567893", "LX*1",
        ]
        for claim in claims {
            segments += [
                "CLP*\(claim.pcn)*\(claim.status)*\(claim.charge)*\(claim.paid)*\(claim.pr)*12*PAYER-\(claim.pcn)",
                "NM1*QC*1*PARK*JORDAN", "SVC*HC:90837*\(claim.charge)*\(claim.paid)**1", "DTM*472*20261120",
            ]
            if claim.co != 0 { segments.append("CAS*CO*45*\(claim.co)") }
            if claim.pr != 0 { segments.append("CAS*PR*3*\(claim.pr)") }
        }
        segments.append("SE*\(segments.count + 1)*0001")
        return "ISA*00*          *00*          *ZZ*AETNA          *ZZ*LEDGERLINE     *261201*1200*^*00501*000000101*0*T*:~"
            + "GS*HP*AETNA*LEDGERLINE*20261201*1200*101*X*005010X221A1~" + segments.joined(separator: "~")
            + "~GE*1*101~IEA*1*000000101~"
    }

    static func trace(_ prefix: String) -> String { "\(prefix)\(UInt32.random(in: 100_000...999_999))" }

    /// Sums of the ledger rows a practice's remittances wrote for one claim.
    static func ledger(_ fixture: ClaimFixture, claim: String) async throws -> (paid: Int64, writtenOff: Int64, moved: Int64) {
        let uuid = try #require(TableInspector.uuid(of: claim))
        let environment = fixture.practice.environment
        let paid = try await environment.count(
            "select coalesce(sum(amount_cents), 0)::int from insurance_payments where claim_id = \(uuid)")
        let writtenOff = try await environment.count(
            "select coalesce(sum(amount_cents), 0)::int from adjustments where claim_id = \(uuid)")
        let moved = try await environment.count(
            "select coalesce(sum(amount_cents), 0)::int from responsibility_transfers where claim_id = \(uuid)")
        return (Int64(paid), Int64(writtenOff), Int64(moved))
    }

    static func bill(_ fixture: ClaimFixture, _ id: String) async throws -> JSONValue {
        try #require(try await fixture.practice.call("bill.get", ["id": .string(id)])["result"]?["bill"])
    }

    static func claim(_ fixture: ClaimFixture, _ id: String) async throws -> JSONValue {
        try #require(try await fixture.practice.call("claim.get", ["id": .string(id)])["result"]?["claim"])
    }

    @Test func aReversalTakesThePaymentBackAndTheCorrectionPostsAgain() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (claim, number, bill) = try await RemittanceTests.sentClaim(fixture)
        let first = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: Self.trace("EFT"), claims: [(number, "1", 150, 96, 29, 25)])),
        ])
        #expect(first["result"] != nil, "\(first.text)")
        #expect(try await Self.ledger(fixture, claim: claim) == (9600, 2900, 0))  // the copay was the client's already

        // The payer reverses its payment and re-adjudicates in one ERA: −96 back, then 80 with CO-45 45.
        let second = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: Self.trace("EFT"), claims: [
                (number, "22", -150, -96, -29, -25), (number, "1", 150, 80, 45, 25),
            ])),
        ])
        let outcomes = second["result"]?["era"]?["claims"]?.arrayValue.compactMap { $0["outcome"]?.stringValue } ?? []
        #expect(outcomes.count == 2, "\(second.text)")
        #expect(outcomes.first?.contains("reversed") == true, "\(outcomes)")
        #expect(try await Self.ledger(fixture, claim: claim) == (8000, 4500, 0))
        let billed = try await Self.bill(fixture, bill)
        #expect(billed["insurancePendingCents"]?.int64Value == 0, "\(billed.text)")
        #expect(billed["balanceCents"]?.int64Value == 2500)
        let after = try await Self.claim(fixture, claim)
        #expect(after["status"]?.stringValue == "paid")
        let statuses = after["events"]?.arrayValue.compactMap { $0["to"]?.stringValue } ?? []
        #expect(statuses.suffix(3) == ["paid", "needsReview", "paid"], "\(statuses)")

        // A reversal of money never posted takes back only what was there, and says so.
        let (other, otherNumber, _) = try await RemittanceTests.sentClaim(fixture)
        let lone = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: Self.trace("REV"), claims: [(otherNumber, "22", -150, -96, -29, -25)])),
        ])
        let outcome = lone["result"]?["era"]?["claims"]?.arrayValue.first?["outcome"]?.stringValue ?? ""
        #expect(outcome.contains("left for review"), "\(lone.text)")
        #expect(try await Self.ledger(fixture, claim: other) == (0, 0, 0))
    }

    @Test func aCheckRecordedByHandSplitsAcrossClaimsOnce() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (first, firstNumber, firstBill) = try await RemittanceTests.sentClaim(fixture)
        let (second, _, secondBill) = try await RemittanceTests.sentClaim(fixture)
        let check = Self.trace("")
        let practice = try #require(TableInspector.uuid(of: fixture.practice.id))
        let rows = "select ((select count(*) from insurance_payments where practice_id = '\(practice)')"
            + " + (select count(*) from remittances where practice_id = '\(practice)')"
            + " + (select count(*) from adjustments where practice_id = '\(practice)'))"
        let untouched = try await fixture.practice.environment.count(PostgresQuery(unsafeSQL: rows + "::int"))

        // Every mistake at once, and nothing written.
        let wrong = try await fixture.practice.call("insurancePayment.record", [
            "checkNumber": .string(check), "amountCents": 20000, "receivedOn": "2026-12-02",
            "claims": [
                ["claimId": .string(first), "paidCents": 9600,
                 "adjustments": [["group": "CO", "reason": "45", "amountCents": 2900],
                                 ["group": "PR", "reason": "ZZ9", "amountCents": 2000]]],
                ["claimId": .string(first), "paidCents": 100],
            ],
        ])
        #expect(wrong.errorCode == -32602, "\(wrong.text)")
        let pointers = Set(wrong.errorPointers)
        #expect(pointers.isSuperset(of: ["/amountCents", "/claims/0", "/claims/0/adjustments/1/reason", "/claims/1/claimId"]),
                "\(wrong.text)")
        #expect(try await fixture.practice.environment.count(PostgresQuery(unsafeSQL: rows + "::int")) == untouched)

        // One check of $150: $96 on the first claim (CO-45 29, PR-3 25 — the copay), $54 on the second.
        let recorded = try await fixture.practice.call("insurancePayment.record", [
            "checkNumber": .string(check), "amountCents": 15000, "receivedOn": "2026-12-02",
            "claims": [
                ["claimId": .string(first), "paidCents": 9600, "payerClaimNumber": "AET-1",
                 "adjustments": [["group": "CO", "reason": "45", "amountCents": 2900],
                                 ["group": "PR", "reason": "3", "amountCents": 2500]]],
                ["claimId": .string(second), "paidCents": 5400],
            ],
        ])
        let era = try #require(recorded["result"]?["era"], "\(recorded.text)")
        #expect(era["paidCents"]?.int64Value == 15000)
        #expect(era["claims"]?.arrayValue.count == 2)
        #expect(try await Self.bill(fixture, firstBill)["balanceCents"]?.int64Value == 2500)
        let secondBilled = try await Self.bill(fixture, secondBill)
        #expect(secondBilled["insurancePendingCents"]?.int64Value == Int64(15000 - 2500 - 5400), "\(secondBilled.text)")
        let firstClaim = try await Self.claim(fixture, first)
        #expect(firstClaim["status"]?.stringValue == "paid")
        #expect(firstClaim["payerClaimNumber"]?.stringValue == "AET-1")
        #expect(firstClaim["statusMessage"]?.stringValue?.contains("check \(check)") == true, "\(firstClaim.text)")
        // The client's statement lists the insurance money and ends at what the bills still owe.
        let ledger = try await fixture.practice.call("client.ledger", ["clientId": .string(fixture.clientID)])
        #expect(ledger["result"]?["closingBalanceCents"]?.int64Value == Int64(2500 + 9600), "\(ledger.text)")
        #expect(ledger["result"]?["lines"]?.arrayValue.filter { $0["kind"] == "insurancePayment" }.count == 2)

        // The same check again is refused; its ERA arriving later posts nothing for these claims.
        let again = try await fixture.practice.call("insurancePayment.record", [
            "checkNumber": .string(check), "amountCents": 5400, "receivedOn": "2026-12-02",
            "claims": [["claimId": .string(second), "paidCents": 5400]],
        ])
        #expect(again.errorCode == -32602 || again.errorCode == -32009, "\(again.text)")
        // Same payer and check number: the whole ERA is the payment already recorded.
        let late = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: check, claims: [(firstNumber, "1", 150, 96, 29, 25)])),
        ])
        #expect(late["result"]?["era"]?["duplicate"] == true, "\(late.text)")
        // The payer identified differently in its ERA: each claim already paid by that check is refused.
        let renamed = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: check, claims: [(firstNumber, "1", 150, 96, 29, 25)], payerID: "AETNA2")),
        ])
        #expect(renamed["result"]?["era"]?["claims"]?.arrayValue.first?["outcome"]?.stringValue?.hasPrefix("not posted") == true,
                "\(renamed.text)")
        #expect(try await Self.ledger(fixture, claim: first) == (9600, 2900, 0))

        // A claim not sent yet cannot be paid.
        let fresh = try await fixture.generatedClaim(date: "2026-11-21")
        let unsent = try await fixture.practice.call("insurancePayment.record", [
            "checkNumber": .string(Self.trace("C")), "amountCents": 100, "receivedOn": "2026-12-02",
            "claims": [["claimId": fresh["id"] ?? "", "paidCents": 100]],
        ])
        #expect(unsent.errorPointers == ["/claims/0/claimId"], "\(unsent.text)")
    }

    @Test func anUnmatchedRemittanceIsAssignedByHandOnce() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (claim, _, bill) = try await RemittanceTests.sentClaim(fixture)
        let imported = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: Self.trace("UNM"), claims: [("TYPO1234", "1", 150, 96, 29, 25)])),
        ])
        let row = try #require(imported["result"]?["unmatched"]?.arrayValue.first?["id"]?.stringValue, "\(imported.text)")

        let other = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (foreign, _, _) = try await RemittanceTests.sentClaim(other)
        let crossed = try await fixture.practice.call("era.assign", ["remittanceClaimId": .string(row),
                                                                     "claimId": .string(foreign)])
        #expect(crossed.errorCode == -32004, "\(crossed.text)")
        let stolen = try await other.practice.call("era.assign", ["remittanceClaimId": .string(row),
                                                                  "claimId": .string(foreign)])
        #expect(stolen.errorCode == -32004, "\(stolen.text)")

        let assigned = try await fixture.practice.call("era.assign", ["remittanceClaimId": .string(row),
                                                                      "claimId": .string(claim)])
        #expect(assigned["result"]?["remittanceClaim"]?["claimId"]?.stringValue == claim, "\(assigned.text)")
        #expect(try await Self.bill(fixture, bill)["balanceCents"]?.int64Value == 2500)
        #expect(try await Self.claim(fixture, claim)["status"]?.stringValue == "paid")
        let twice = try await fixture.practice.call("era.assign", ["remittanceClaimId": .string(row),
                                                                   "claimId": .string(claim)])
        #expect(twice.errorCode == -32009, "\(twice.text)")
        #expect(try await Self.ledger(fixture, claim: claim) == (9600, 2900, 0))
        let listed = try await fixture.practice.call("era.unmatched")
        #expect(listed["result"]?["items"]?.arrayValue.contains { $0["id"]?.stringValue == row } == false)
    }

    @Test func aDeniedClaimIsCorrectedAsFrequencySevenAndAPaidOneVoidedAsEight() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (claim, number, _) = try await RemittanceTests.sentClaim(fixture)
        _ = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: Self.trace("DEN"), claims: [(number, "4", 150, 0, 150, 0)])),
        ])
        let denied = try await Self.claim(fixture, claim)
        #expect(denied["status"]?.stringValue == "denied")
        #expect(denied["statusMessage"]?.stringValue?.contains("Denied: CO-45") == true, "\(denied.text)")

        // Nothing to resubmit: the payer adjudicated it.
        let resubmit = try await fixture.practice.call("claim.resubmit", ["id": .string(claim)])
        #expect(resubmit.errorCode == -32009 || resubmit.errorCode == -32012, "\(resubmit.text)")

        let corrected = try await fixture.practice.call("claim.correct", ["id": .string(claim), "submit": false])
        let replacement = try #require(corrected["result"]?["claim"], "\(corrected.text)")
        #expect(replacement["frequencyCode"]?.stringValue == "7")
        #expect(replacement["originalClaimId"]?.stringValue == claim)
        #expect(replacement["patientControlNumber"]?.stringValue != number)
        let replacementID = try #require(replacement["id"]?.stringValue)
        let exported = try await fixture.practice.call("claim.exportX12", ["id": .string(replacementID)])
        let x12 = try #require(exported["result"]?["x12"]?.stringValue, "\(exported.text)")
        #expect(x12.contains(":7*Y*A*Y*Y"), "\(x12)")
        #expect(x12.contains("REF*F8*PAYER-\(number)~"))
        let checked = try await PyX12.validate(x12)
        #expect(checked.ok, "\(checked.output)")
        // The original is replaced once; its events say so.
        let twice = try await fixture.practice.call("claim.correct", ["id": .string(claim), "submit": false])
        #expect(twice.errorCode == -32009, "\(twice.text)")
        #expect(try await Self.claim(fixture, claim)["events"]?.arrayValue.last?["message"]?.stringValue?
            .contains("replaced by corrected claim") == true)

        // The replacement was never sent: voiding it is local, and the original can be corrected again.
        let dropped = try await fixture.practice.call("claim.void", ["id": .string(replacementID)])
        #expect(dropped["result"]?["claim"]?["status"]?.stringValue == "void", "\(dropped.text)")

        // A paid claim voided at the payer: frequency 8 with its number, and the sessions are free again.
        let (paid, paidNumber, _) = try await RemittanceTests.sentClaim(fixture)
        _ = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: Self.trace("PAY"), claims: [(paidNumber, "1", 150, 96, 29, 25)])),
        ])
        let voided = try await fixture.practice.call("claim.void", ["id": .string(paid), "submit": false])
        let voidClaim = try #require(voided["result"]?["claim"], "\(voided.text)")
        #expect(voidClaim["frequencyCode"]?.stringValue == "8")
        let voidX12 = try #require(try await fixture.practice.call(
            "claim.exportX12", ["id": voidClaim["id"] ?? ""])["result"]?["x12"]?.stringValue)
        #expect(voidX12.contains(":8*Y*A*Y*Y") && voidX12.contains("REF*F8*PAYER-\(paidNumber)~"), "\(voidX12)")
        #expect(try await PyX12.validate(voidX12).ok)
        let sessions = voidClaim["sessionIds"]?.arrayValue ?? []
        let paidBill = try #require(try await Self.claim(fixture, paid)["billId"]?.stringValue)
        #expect(!sessions.isEmpty)
        let regenerated = try await fixture.practice.call("claim.generate", ["billId": .string(paidBill)])
        #expect(regenerated["result"]?["claim"] != nil, "sessions freed by the void: \(regenerated.text)")

        // Without a payer claim number, the payer cannot be told.
        let (sent, _, _) = try await RemittanceTests.sentClaim(fixture)
        let unknown = try await fixture.practice.call("claim.correct", ["id": .string(sent), "submit": false])
        #expect(unknown.errorPointers == ["/payerClaimNumber"], "\(unknown.text)")
        let unknownVoid = try await fixture.practice.call("claim.void", ["id": .string(sent), "submit": false])
        #expect(unknownVoid.errorPointers == ["/payerClaimNumber"], "\(unknownVoid.text)")
        // Another practice cannot touch the claim.
        let other = try await ClaimFixture.make(try await TestEnvironment.shared())
        #expect(try await other.practice.call("claim.void", ["id": .string(sent)]).errorCode == -32004)
    }

    @Test func aRejectedClaimIsRebuiltFromTheFixedRecordsAndResubmitted() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (claim, number, _) = try await RemittanceTests.sentClaim(fixture)
        let uuid = try #require(TableInspector.uuid(of: claim))
        _ = try await fixture.practice.environment.admin.withConnection { connection in
            try await connection.query("update claims set status = 'needsReview' where id = \(uuid)")
        }
        // The biller fixes the subscriber's member ID the payer rejected.
        let policy = try await fixture.practice.call("policy.get", ["id": .string(fixture.policyID)])
        let updated = try await fixture.practice.call("policy.update", [
            "id": .string(fixture.policyID), "version": policy["result"]?["policy"]?["version"] ?? 1,
            "memberId": "W999999999",
        ])
        #expect(updated["result"] != nil, "\(updated.text)")
        let resubmitted = try await fixture.practice.call("claim.resubmit", ["id": .string(claim)])
        // The shared test practice has no clearinghouse: the call says so and changes nothing.
        #expect(resubmitted.errorCode == -32012, "\(resubmitted.text)")
        #expect(try await Self.claim(fixture, claim)["status"]?.stringValue == "needsReview")
        let exported = try #require(try await fixture.practice.call(
            "claim.exportX12", ["id": .string(claim)])["result"]?["x12"]?.stringValue)
        #expect(exported.contains("W123456789") && exported.contains("CLM*\(number)*"))
    }

    @Test func aSecondaryClaimCarriesThePrimarysAdjudicationAndItsPaymentComesFromTheClientsShare() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let payers = try await fixture.practice.call("payer.list", ["query": "cigna", "limit": 5])
        let cigna = try #require(payers["result"]?["items"]?.arrayValue.first?["id"]?.stringValue, "\(payers.text)")
        let secondaryPolicy = try await fixture.practice.call("policy.create", [
            "clientId": .string(fixture.clientID), "payerId": .string(cigna), "order": "secondary",
            "memberId": "C55501234", "relationshipToSubscriber": "self", "effectiveFrom": "2026-01-01",
        ])
        let policyID = try #require(secondaryPolicy["result"]?["policy"]?["id"]?.stringValue, "\(secondaryPolicy.text)")
        let (primary, number, bill) = try await RemittanceTests.sentClaim(fixture)

        // Not before the primary payer has decided.
        let early = try await fixture.practice.call("claim.generate", ["billId": .string(bill), "policyId": .string(policyID)])
        #expect(early.errorCode == -32602, "\(early.text)")
        #expect(early.errorPointers == ["/policyId"])

        // The primary allows $120: pays $60, CO-45 $30, and leaves $60 to the client (the $25 copay included).
        _ = try await fixture.practice.call("era.import", [
            "x12": .string(Self.era(trace: Self.trace("PRI"), claims: [(number, "1", 150, 60, 30, 60)])),
        ])
        #expect(try await Self.bill(fixture, bill)["clientResponsibilityCents"]?.int64Value == 6000)
        let generated = try await fixture.practice.call("claim.generate", ["billId": .string(bill), "policyId": .string(policyID)])
        let secondary = try #require(generated["result"]?["claim"], "\(generated.text)")
        #expect(secondary["payerSequence"]?.stringValue == "secondary")
        let secondaryID = try #require(secondary["id"]?.stringValue)
        let x12 = try #require(try await fixture.practice.call(
            "claim.exportX12", ["id": .string(secondaryID)])["result"]?["x12"]?.stringValue)
        #expect(x12.contains("SBR*S*18*"), "\(x12)")
        #expect(x12.contains("~SBR*P*18*G-77******CI~"), "\(x12)")
        #expect(x12.contains("~AMT*D*60~OI***Y***Y~NM1*IL*1*"), "\(x12)")
        #expect(x12.contains("~SVD*60054*60*HC:90837**1~CAS*CO*45*30~CAS*PR*3*60~DTP*573*D8*20261201~"), "\(x12)")
        let checked = try await PyX12.validate(x12)
        #expect(checked.ok, "\(checked.output)")
        // One secondary claim per session.
        let again = try await fixture.practice.call("claim.generate", ["billId": .string(bill), "policyId": .string(policyID)])
        #expect(again.errorCode == -32009, "\(again.text)")
        #expect(try await Self.claim(fixture, primary)["status"]?.stringValue == "paid")

        // The secondary pays $50 of the client's $60 (OA-23 reports the primary's part; PR-1 $10 stays the client's).
        let uuid = try #require(TableInspector.uuid(of: secondaryID))
        _ = try await fixture.practice.environment.admin.withConnection { connection in
            try await connection.query("update claims set status = 'sent' where id = \(uuid)")
        }
        let pcn = try #require(secondary["patientControlNumber"]?.stringValue)
        let trace = Self.trace("SEC")
        let secondaryERA = "ISA*00*          *00*          *ZZ*CIGNA          *ZZ*LEDGERLINE     *261210*1200*^*00501*000000102*0*T*:~"
            + "GS*HP*CIGNA*LEDGERLINE*20261210*1200*102*X*005010X221A1~ST*835*0001~"
            + "BPR*I*50*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261210~"
            + "TRN*1*\(trace)*1512345678~DTM*405*20261210~N1*PR*CIGNA~N3*PO BOX 188061~N4*CHATTANOOGA*TN*37422~"
            + "REF*2U*62308~N1*PE*SPRINGFIELD COUNSELING*XX*1234567893~LX*1~"
            + "CLP*\(pcn)*2*150*50*10*12*CIG-1~NM1*QC*1*PARK*JORDAN~SVC*HC:90837*150*50**1~DTM*472*20261120~"
            + "CAS*OA*23*90~CAS*PR*1*10~SE*16*0001~GE*1*102~IEA*1*000000102~"
        let posted = try await fixture.practice.call("era.import", ["x12": .string(secondaryERA)])
        #expect(posted["result"]?["era"]?["balanceProblems"]?.arrayValue.isEmpty == true, "\(posted.text)")
        let billed = try await Self.bill(fixture, bill)
        #expect(billed["insurancePendingCents"]?.int64Value == 0, "\(billed.text)")
        #expect(billed["clientResponsibilityCents"]?.int64Value == 1000, "\(billed.text)")
        #expect(billed["balanceCents"]?.int64Value == 1000)
        #expect(try await Self.claim(fixture, secondaryID)["status"]?.stringValue == "paid")
    }
}
