import BillingCore
import Foundation
import Storage
import X12

/// What importing one 835 payment did.
public struct RemittanceImport: Sendable {
    public var remittance: RemittanceRecord
    /// `true` when this payer's trace number was already imported: nothing was posted again.
    public var duplicate: Bool
    public var claims: [RemittanceClaimRecord]
}

/// Remittances (ERA 835) in: parsed, checked for balance, stored once per payer and trace number,
/// and posted claim by claim — the insurance payment, contractual write-offs (CO/PI/OA) and patient
/// responsibility (PR) moved to the client — with the claim turning Paid, Denied or Needs Review.
/// Claims that match none of ours wait on the unmatched list.
public struct RemittanceService: Sendable {
    let remittances = RemittanceRepository()
    let claims = ClaimRepository()
    let poster = RemittancePoster()

    /// Creates the use cases.
    public init() {}

    /// Imports every payment (ST transaction) of an 835.
    /// - Throws: −32602 naming `/x12` when the text is not a readable 835.
    public func importX12(_ text: String, source: String, sourceID: String?, practiceID: PracticeID,
                          memberID: MemberID?, in transaction: Transaction, now: Date = Date()) async throws
        -> [RemittanceImport]
    {
        let file: RemittanceFile
        do {
            file = try Reader835.read(text)
        } catch {
            throw DomainError.invalid("/x12", "is not a readable 835: \(error)", code: "x12")
        }
        guard !file.transactions.isEmpty else { throw DomainError.invalid("/x12", "holds no 835 transaction", code: "x12") }
        // An ERA paying another provider is refused as a whole, before anything is stored.
        let practiceNPI = try await PracticeRepository().current(in: transaction)?.npi
        for (index, payment) in file.transactions.enumerated() {
            guard let payee = payment.payee?.npi, let practiceNPI, payee != practiceNPI else { continue }
            let billing = try await claims.find(patientControlNumbers: payment.claims.map(\.patientControlNumber),
                                                in: transaction).map(\.snapshot.billingProvider.npi)
            if !billing.contains(payee) {
                throw DomainError.invalid(
                    "/x12",
                    "transaction \(index + 1) pays NPI \(payee), not this practice's billing NPI \(practiceNPI): nothing was posted",
                    code: "otherPayee")
            }
        }
        var results: [RemittanceImport] = []
        for (index, payment) in file.transactions.enumerated() {
            guard let trace = payment.checkOrTraceNumber, !trace.isEmpty else {
                throw DomainError.invalid("/x12", "transaction \(index + 1) has no TRN trace (check or EFT) number", code: "x12")
            }
            let payerName = payment.payer?.name ?? "Unknown payer"
            let payerKey = payment.payer?.payerIdentifier ?? payment.trace?.originatorIdentifier ?? payerName
            if let existing = try await remittances.find(payerKey: payerKey, traceNumber: trace, in: transaction) {
                let stored = try await remittances.claims(of: existing, in: transaction)
                results.append(RemittanceImport(
                    remittance: RemittanceRecord(
                        id: existing, source: source, sourceID: sourceID, payerKey: payerKey, payerName: payerName,
                        traceNumber: trace, paymentMethod: payment.payment.method.rawValue,
                        paidCents: payment.payment.netAmountCents, paymentDate: payment.payment.date,
                        claimCount: payment.claims.count, unmatchedCount: stored.filter { $0.claimID == nil }.count,
                        balanceProblems: [], createdAt: now),
                    duplicate: true, claims: stored))
                continue
            }
            let found = try await claims.find(patientControlNumbers: payment.claims.map(\.patientControlNumber),
                                              in: transaction)
            var byNumber = Dictionary(found.map { ($0.patientControlNumber, $0) }, uniquingKeysWith: { first, _ in first })
            let record = RemittanceRecord(
                id: .generate(), source: source, sourceID: sourceID, payerKey: payerKey, payerName: payerName,
                traceNumber: trace, paymentMethod: payment.payment.method.rawValue,
                paidCents: payment.payment.netAmountCents, paymentDate: payment.payment.date,
                claimCount: payment.claims.count,
                unmatchedCount: payment.claims.filter { byNumber[$0.patientControlNumber] == nil }.count,
                balanceProblems: Reader835.balanceProblems(payment).map(\.description), createdAt: now)
            guard try await remittances.insert(record, x12: text, importedBy: memberID, practiceID: practiceID,
                                               in: transaction) else { continue }
            var posted: [RemittanceClaimRecord] = []
            let today = try await PracticeCalendar().today(in: transaction, now: now)
            let receivedOn = payment.payment.date ?? today
            for (position, remitted) in payment.claims.enumerated() {
                var row = RemittanceClaimRecord(
                    id: .generate(), remittanceID: record.id, position: position,
                    patientControlNumber: remitted.patientControlNumber, claimID: nil,
                    statusCode: remitted.status.rawValue, chargeCents: remitted.chargeCents,
                    paidCents: remitted.paymentCents, patientResponsibilityCents: remitted.patientResponsibilityCents ?? 0,
                    payerClaimNumber: remitted.payerClaimControlNumber.isEmpty ? nil : remitted.payerClaimControlNumber,
                    adjustmentsJSON: Self.adjustmentsJSON(Adjudication(remitted).adjustments), outcome: nil)
                if var claim = byNumber[remitted.patientControlNumber], claim.status != .void {
                    row.claimID = claim.id
                    let earlier = try await remittances.postingFromTrace(claimID: claim.id, traceNumber: trace,
                                                                         in: transaction)
                    try await remittances.insertClaim(row, practiceID: practiceID, now: now, in: transaction)
                    let outcome: String
                    if let earlier, earlier.source == "manual" {
                        // The same check was typed in by hand before its ERA arrived: never post twice.
                        outcome = "not posted: check \(trace) was already recorded by hand for this claim (\(earlier.id))"
                    } else {
                        let result = try await poster.post(
                            Adjudication(remitted), to: claim,
                            from: PostingSource(payerName: payerName, reference: "ERA \(trace)", receivedOn: receivedOn,
                                                remittanceClaimID: row.id, memberID: memberID),
                            practiceID: practiceID, in: transaction, now: now)
                        outcome = result.outcome
                        claim.status = result.status
                        claim.updatedAt = max(now, claim.updatedAt)
                        byNumber[remitted.patientControlNumber] = claim
                    }
                    try await remittances.setOutcome(outcome, of: row.id, in: transaction)
                    row.outcome = outcome
                } else {
                    row.outcome = "unmatched: no claim of this practice has patient control number \(remitted.patientControlNumber)"
                    try await remittances.insertClaim(row, practiceID: practiceID, now: now, in: transaction)
                }
                posted.append(row)
            }
            results.append(RemittanceImport(remittance: record, duplicate: false, claims: posted))
        }
        return results
    }

    /// Matches a remitted claim that matched none of ours (`era.unmatched`) to one of the practice's
    /// claims, and posts it exactly as the import would have.
    /// - Throws: not found on `/remittanceClaimId` or `/claimId`; −32009 when the remitted claim is
    ///   already matched, or the claim is Void, not yet sent, or already carries this trace number.
    public func assign(_ id: RemittanceClaimID, to claimID: ClaimID, practiceID: PracticeID, memberID: MemberID?,
                       in transaction: Transaction, now: Date = Date()) async throws -> RemittanceClaimRecord {
        guard var row = try await remittances.remittanceClaim(id, forUpdate: true, in: transaction),
              let remittance = try await remittances.remittance(row.remittanceID, in: transaction) else {
            throw DomainError.notFound("remitted claim", pointer: "/remittanceClaimId")
        }
        if let matched = row.claimID {
            throw DomainError(.conflict, code: "era.alreadyMatched", message: "this remitted claim is already posted to claim \(matched)",
                              problems: [FieldProblem(pointer: "/remittanceClaimId", reason: "already matched to \(matched)",
                                                      code: "matched")])
        }
        guard let claim = try await claims.find(claimID, forUpdate: true, in: transaction) else {
            throw DomainError.notFound("claim", pointer: "/claimId")
        }
        try Self.checkPostable(claim, pointer: "/claimId")
        if let earlier = try await remittances.postingFromTrace(claimID: claim.id, traceNumber: remittance.traceNumber,
                                                                in: transaction) {
            throw DomainError(.conflict, code: "era.alreadyPosted",
                              message: "payment \(remittance.traceNumber) was already posted to this claim (\(earlier.id))",
                              problems: [FieldProblem(pointer: "/claimId", reason: "already has \(remittance.traceNumber) posted",
                                                      code: "duplicate")])
        }
        let adjustments = try JSONDecoder().decode([Adjudication.Adjustment].self, from: Data(row.adjustmentsJSON.utf8))
        try await remittances.assign(id, to: claim.id, now: now, in: transaction)
        let today = try await PracticeCalendar().today(in: transaction, now: now)
        let result = try await poster.post(
            Adjudication(statusCode: row.statusCode, paymentCents: row.paidCents, adjustments: adjustments,
                         payerClaimNumber: row.payerClaimNumber),
            to: claim,
            from: PostingSource(payerName: remittance.payerName, reference: "ERA \(remittance.traceNumber)",
                                receivedOn: remittance.paymentDate ?? today, remittanceClaimID: row.id, memberID: memberID),
            practiceID: practiceID, in: transaction, now: now)
        let outcome = "assigned by hand; " + result.outcome
        try await remittances.setOutcome(outcome, of: row.id, in: transaction)
        row.claimID = claim.id
        row.outcome = outcome
        return row
    }

    /// Refuses posting to a claim the payer cannot have adjudicated.
    static func checkPostable(_ claim: ClaimRecord, pointer: String) throws {
        switch claim.status {
        case .void, .notSubmitted, .queued:
            let reason = claim.status == .void ? "is Void" : "has not been sent to the payer"
            throw DomainError(.conflict, code: "claim.notPostable", message: "claim \(claim.patientControlNumber) \(reason)",
                              problems: [FieldProblem(pointer: pointer, reason: "claim is \(claim.status.label)",
                                                      code: claim.status.rawValue)])
        default: return
        }
    }

    /// Claims of imported remittances that match no claim of the practice.
    public func unmatched(limit: Int, in transaction: Transaction) async throws -> [RemittanceClaimRecord] {
        try await remittances.unmatched(limit: limit, in: transaction)
    }

    static func adjustmentsJSON(_ adjustments: [Adjudication.Adjustment]) -> String {
        let items = adjustments.map { adjustment -> String in
            let group = adjustment.group.filter { $0.isLetter }
            let reason = adjustment.reason.filter { $0.isLetter || $0.isNumber }
            return #"{"group":"\#(group)","reason":"\#(reason)","amountCents":\#(adjustment.amountCents)}"#
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
