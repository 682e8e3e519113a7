import BillingCore
import Foundation
import Testing

/// The frozen claim value: it survives storage as JSON unchanged, and its rules hold.
@Suite struct ClaimSnapshotTests {
    @Test func snapshotRoundTripsThroughJSON() throws {
        var claim = ClaimFixtures.simpleClaim()
        claim.patient = ClaimFixtures.child
        claim.supervisingProvider = ClaimFixtures.supervisor
        claim.frequency = .replacement(payerClaimNumber: "2026ABC")
        claim.priorAuthorizationNumber = "PA1"
        let data = try JSONEncoder().encode(claim)
        #expect(try JSONDecoder().decode(ClaimSnapshot.self, from: data) == claim)
    }

    @Test func totalIsTheSumOfTheLines() {
        var claim = ClaimFixtures.simpleClaim()
        claim.lines.append(.init(procedureCode: "90785", chargeCents: 2_525, dateOfService: ClaimFixtures.dateOfService))
        #expect(claim.totalChargeCents == 20_525)
    }

    @Test func fixturesHaveNoProblems() {
        #expect(ClaimFixtures.simpleClaim().problems().isEmpty)
        #expect(PyX12MatrixTests.matrix.allSatisfy { $0.claim.problems().isEmpty })
    }

    @Test func frequencyCodesAndPayerClaimNumbers() {
        #expect(ClaimSnapshot.Frequency.original.code == "1")
        #expect(ClaimSnapshot.Frequency.original.payerClaimNumber == nil)
        #expect(ClaimSnapshot.Frequency.replacement(payerClaimNumber: "A").code == "7")
        #expect(ClaimSnapshot.Frequency.void(payerClaimNumber: "B").payerClaimNumber == "B")
    }

    @Test func linesNeedAPositiveChargeAndPointersIntoTheDiagnoses() {
        var claim = ClaimFixtures.simpleClaim()
        claim.lines[0].chargeCents = 0
        claim.lines[0].diagnosisPointers = [1, 2, 3, 4, 5]
        claim.lines[0].units = 0
        #expect(Set(claim.problems().map(\.pointer)) == ["/lines/0/chargeCents", "/lines/0/diagnosisPointers", "/lines/0/units"])
        claim.lines = []
        claim.diagnosisCodes = Array(repeating: "F411", count: 13)
        #expect(Set(claim.problems().map(\.pointer)) == ["/lines", "/diagnosisCodes"])
    }
}
