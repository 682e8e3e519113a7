import BillingCore
import Foundation
import JSONRPC
import Testing

/// `ack.import`: payer acknowledgements (277CA) move claims to Received or Needs Review.
@Suite struct AcknowledgmentTests {
    /// The rejected fixture's shape (A7 562 85 at claim level) with our claim's patient control number,
    /// or an A2 acceptance.
    static func ack(pcn: String, accepted: Bool) -> String {
        let status = accepted ? "STC*A2|20*20261202*WQ*150" : "STC*A7|562|85*20261202*WQ*150"
        let segments = [
            "ST*277*0001*005010X214", "BHT*0085*08*392039*20261202*051225*TH", "HL*1**20*1",
            "NM1*PR*2*AETNA*****PI*60054", "TRN*1*0001", "DTP*050*D8*20261202", "DTP*009*D8*20261202",
            "HL*2*1*21*1", "NM1*41*2*SPRINGFIELD COUNSELING*****46*LL1234567893", "TRN*2*77", "STC*A1|20*20261202*WQ*150",
            "HL*3*2*19*1", "NM1*85*2*SPRINGFIELD COUNSELING*****XX*1234567893", "TRN*1*77", "HL*4*3*PT",
            "NM1*QC*1*PARK*JORDAN****MI*W123456789", "TRN*2*\(pcn)", status, "REF*1K*PAYER\(pcn)", "DTP*472*D8*20261120",
        ]
        let body = (segments + ["SE*\(segments.count + 1)*0001"]).joined(separator: "~") + "~"
        return "ISA*00*          *00*          *ZZ*AETNA          *ZZ*LEDGERLINE     *261202*0512*^*00501*000000777*0*T*|~"
            + "GS*HN*AETNA*LEDGERLINE*20261202*051225*777*X*005010X214~" + body + "GE*1*777~IEA*1*000000777~"
    }

    @Test func acceptedClaimsAreReceivedRejectedOnesNeedReviewWithTheReason() async throws {
        let fixture = try await ClaimFixture.make(try await TestEnvironment.shared())
        let (accepted, acceptedNumber, _) = try await RemittanceTests.sentClaim(fixture)
        let (rejected, rejectedNumber, _) = try await RemittanceTests.sentClaim(fixture)
        let first = try await fixture.practice.call("ack.import", ["x12": .string(Self.ack(pcn: acceptedNumber, accepted: true))])
        #expect(first["result"]?["claims"]?.arrayValue.first?["status"]?.stringValue == "received", "\(first.text)")
        let second = try await fixture.practice.call("ack.import", ["x12": .string(Self.ack(pcn: rejectedNumber, accepted: false))])
        let answer = try #require(second["result"]?["claims"]?.arrayValue.first, "\(second.text)")
        #expect(answer["outcome"]?.stringValue == "rejected")
        #expect(answer["status"]?.stringValue == "needsReview")
        #expect(answer["message"]?.stringValue?.contains("562") == true)

        let got = try await fixture.practice.call("claim.get", ["id": .string(rejected)])
        #expect(got["result"]?["claim"]?["statusLabel"]?.stringValue == "Needs Review")
        #expect(got["result"]?["claim"]?["statusMessage"]?.stringValue?.contains("277CA") == true)
        #expect(got["result"]?["claim"]?["payerClaimNumber"]?.stringValue == "PAYER\(rejectedNumber)")
        let kept = try await fixture.practice.call("claim.get", ["id": .string(accepted)])
        #expect(kept["result"]?["claim"]?["status"]?.stringValue == "received")

        // Unknown claims are reported, not applied; garbage is refused naming the field.
        let unknown = try await fixture.practice.call("ack.import", ["x12": .string(Self.ack(pcn: "QQQ00001", accepted: true))])
        #expect(unknown["result"]?["claims"]?.arrayValue.first?["claimId"] == .null || unknown["result"]?["claims"]?.arrayValue.first?["claimId"] == nil, "\(unknown.text)")
        #expect(try await fixture.practice.call("ack.import", ["x12": "not a 277 at all"]).errorPointers == ["/x12"])
    }
}
