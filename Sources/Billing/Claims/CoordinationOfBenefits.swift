import BillingCore
import Foundation
import Storage
import X12

/// Secondary and tertiary claims: what the earlier payers decided on the same sessions, read back
/// from their remittances (the 835 line by line when there is one, the check recorded by hand
/// otherwise), for loops 2320/2330/2430.
struct CoordinationOfBenefits: Sendable {
    let claims = ClaimRepository()
    let remittances = RemittanceRepository()

    /// The earlier payers' adjudications for a claim to `sequence`, or the problems that keep it from
    /// being sent (an earlier claim not adjudicated yet, or none at all).
    func otherPayers(billID: BillID, sessionIDs: [SessionID], sequence: CoverageOrder, lines: [ClaimSnapshot.Line],
                     pointer: String, in transaction: Transaction) async throws
        -> (payers: [ClaimSnapshot.OtherPayer], problems: [FieldProblem])
    {
        let earlier: [String] = sequence == .tertiary ? ["primary", "secondary"] : ["primary"]
        var payers: [ClaimSnapshot.OtherPayer] = []
        var problems: [FieldProblem] = []
        for position in earlier {
            let candidates = try await claims.list(ClaimFilter(billID: billID), after: nil, limit: 200, in: transaction).items
                .filter { $0.payerSequence == position && $0.frequencyCode != "8" && $0.status != .void
                    && !Set($0.sessionIDs).isDisjoint(with: sessionIDs) }
            guard let claim = candidates.first(where: { $0.status == .paid || $0.status == .denied }) else {
                let reason = candidates.first.map { "the \(position) claim \($0.patientControlNumber) is \($0.status.label): wait until the \(position) payer has paid or denied it" }
                    ?? "no \(position) claim was sent for these sessions"
                problems.append(FieldProblem(pointer: pointer, reason: reason, code: "notAdjudicated"))
                continue
            }
            guard let other = try await adjudication(of: claim, lines: lines, in: transaction) else {
                problems.append(FieldProblem(pointer: pointer,
                                             reason: "the \(position) claim \(claim.patientControlNumber) has no posted remittance to report",
                                             code: "notAdjudicated"))
                continue
            }
            payers.append(other)
        }
        return (payers, problems)
    }

    /// The latest non-reversal posting for `claim`, as an ``ClaimSnapshot/OtherPayer``.
    private func adjudication(of claim: ClaimRecord, lines: [ClaimSnapshot.Line], in transaction: Transaction)
        async throws -> ClaimSnapshot.OtherPayer?
    {
        let rows = try await remittances.postings(claimID: claim.id, in: transaction)
        guard let row = rows.last(where: { $0.statusCode != "22" }),
              let remittance = try await remittances.remittance(row.remittanceID, in: transaction) else { return nil }
        let snapshot = claim.snapshot
        var claimAdjustments: [ClaimSnapshot.OtherPayer.Adjustment] = []
        var lineAdjudications: [ClaimSnapshot.OtherPayer.LineAdjudication] = []
        let total = lines.reduce(Int64(0)) { $0 + $1.chargeCents }
        // Line by line from the 835, when its service lines are ours one for one.
        if let x12 = try await remittances.x12(of: remittance.id, in: transaction),
           let remitted = Self.remittedClaim(x12, trace: remittance.traceNumber, position: row.position),
           remitted.serviceLines.count == lines.count,
           zip(remitted.serviceLines, lines).allSatisfy({ $0.procedure.code == $1.procedureCode && $0.chargeCents == $1.chargeCents }) {
            claimAdjustments = remitted.adjustments.map { .init(group: $0.group.rawValue, reason: $0.reasonCode, amountCents: $0.amountCents) }
            lineAdjudications = remitted.serviceLines.enumerated().map { index, line in
                .init(lineIndex: index, paidCents: line.paymentCents,
                      adjustments: line.adjustments.map { .init(group: $0.group.rawValue, reason: $0.reasonCode, amountCents: $0.amountCents) })
            }
        } else {
            let stored = (try? JSONDecoder().decode([Adjudication.Adjustment].self, from: Data(row.adjustmentsJSON.utf8))) ?? []
            claimAdjustments = stored.map { .init(group: $0.group, reason: $0.reason, amountCents: $0.amountCents) }
            // A check recorded without adjustments: the unpaid rest is the patient's share as far as we know.
            let adjusted = claimAdjustments.reduce(Int64(0)) { $0 + $1.amountCents }
            if total - adjusted != row.paidCents {
                claimAdjustments.append(.init(group: "PR", reason: "1", amountCents: total - adjusted - row.paidCents))
            }
        }
        return ClaimSnapshot.OtherPayer(
            payerResponsibility: snapshot.subscriber.payerResponsibility,
            relationship: snapshot.patient?.relationship.rawValue ?? "18",
            groupNumber: snapshot.subscriber.groupNumber, claimFilingIndicator: snapshot.subscriber.claimFilingIndicator,
            subscriberName: snapshot.subscriber.name, memberID: snapshot.subscriber.memberID, payer: snapshot.payer,
            paidCents: row.paidCents,
            adjudicationDate: remittance.paymentDate ?? CalendarDate(year: 2026, month: 1, day: 1)!,
            claimAdjustments: claimAdjustments, lines: lineAdjudications)
    }

    private static func remittedClaim(_ x12: String, trace: String, position: Int) -> RemittanceClaim? {
        guard let file = try? Reader835.read(x12),
              let payment = file.transactions.first(where: { $0.checkOrTraceNumber == trace }),
              payment.claims.indices.contains(position) else { return nil }
        return payment.claims[position]
    }
}
