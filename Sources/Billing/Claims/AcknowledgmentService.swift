import BillingCore
import Foundation
import Storage
import X12

/// What a 277CA said about one claim.
public struct AcknowledgedClaim: Sendable {
    public var patientControlNumber: String
    /// Our claim, when one of the practice's claims has that patient control number.
    public var claimID: ClaimID?
    /// `accepted`, `rejected` or `undetermined`.
    public var outcome: String
    /// The claim's status after the acknowledgement (unchanged when it said nothing new).
    public var status: ClaimStatus?
    /// The payer's words, category and status codes in plain text.
    public var message: String
}

/// Payer acknowledgements (277CA) delivered as files: A1/A2 (accepted, forwarded) → Received;
/// A3/A4/A6/A7/A8 → Needs Review with the STC reason; anything else is kept on the timeline.
public struct AcknowledgmentService: Sendable {
    let claims = ClaimRepository()

    /// Creates the use cases.
    public init() {}

    /// Reads a 277CA and applies it to the practice's claims.
    /// - Throws: −32602 naming `/x12` when the text is not a readable 277CA.
    public func importX12(_ text: String, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> [AcknowledgedClaim]
    {
        let acknowledgment: Acknowledgment277CA
        do {
            acknowledgment = try Acknowledgment277CA.read(text)
        } catch {
            throw DomainError.invalid("/x12", "is not a readable 277CA: \(error)", code: "x12")
        }
        guard !acknowledgment.claims.isEmpty else {
            throw DomainError.invalid("/x12", "acknowledges no claim", code: "x12")
        }
        let found = try await claims.find(patientControlNumbers: acknowledgment.claims.map(\.patientControlNumber),
                                          in: transaction)
        var byNumber = Dictionary(found.map { ($0.patientControlNumber, $0) }, uniquingKeysWith: { first, _ in first })
        var results: [AcknowledgedClaim] = []
        for acknowledged in acknowledgment.claims {
            let reports = acknowledged.statuses + acknowledged.lines.flatMap(\.statuses)
            let words = reports.flatMap(\.statuses).map(\.summary) + acknowledged.messages
            let message = words.isEmpty ? "acknowledged" : words.joined(separator: "; ")
            let outcome = acknowledged.outcome.rawValue
            guard var claim = byNumber[acknowledged.patientControlNumber], claim.status != .void else {
                results.append(AcknowledgedClaim(patientControlNumber: acknowledged.patientControlNumber, claimID: nil,
                                                 outcome: outcome, status: nil, message: message))
                continue
            }
            let word = acknowledged.isRejected ? "needsReview" : acknowledged.isAccepted ? "received" : "info"
            let payerNumber = acknowledged.payerClaimControlNumber.flatMap { $0.isEmpty ? nil : $0 }
            if let target = ClaimLifecycle.afterReport(word, current: claim.status) {
                try await claims.transition(
                    claim.id, to: target,
                    event: ClaimEventRecord(at: max(now, claim.updatedAt), from: claim.status, to: target,
                                            source: .clearinghouse, message: "277CA: \(message)"),
                    practiceID: practiceID, payerClaimNumber: payerNumber, in: transaction)
                claim.status = target
                byNumber[acknowledged.patientControlNumber] = claim
            } else {
                try await claims.appendEvent(
                    ClaimEventRecord(at: max(now, claim.updatedAt), from: claim.status, to: claim.status,
                                     source: .clearinghouse, message: "277CA: \(message)"),
                    to: claim.id, practiceID: practiceID, in: transaction)
            }
            results.append(AcknowledgedClaim(patientControlNumber: acknowledged.patientControlNumber, claimID: claim.id,
                                             outcome: outcome, status: claim.status, message: message))
        }
        return results
    }
}
