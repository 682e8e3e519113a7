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
            let byNumber = Dictionary(found.map { ($0.patientControlNumber, $0) }, uniquingKeysWith: { first, _ in first })
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
                    adjustmentsJSON: Self.adjustmentsJSON(remitted.allAdjustments), outcome: nil)
                if let claim = byNumber[remitted.patientControlNumber], claim.status != .void {
                    row.claimID = claim.id
                    try await remittances.insertClaim(row, practiceID: practiceID, now: now, in: transaction)
                    let outcome = try await post(remitted, to: claim, row: row, payerName: payerName, trace: trace,
                                                 receivedOn: receivedOn, practiceID: practiceID, memberID: memberID,
                                                 in: transaction, now: now)
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

    /// Posts one remitted claim to the claim's bill and moves the claim.
    func post(_ remitted: RemittanceClaim, to claim: ClaimRecord, row: RemittanceClaimRecord, payerName: String,
              trace: String, receivedOn: CalendarDate, practiceID: PracticeID, memberID: MemberID?,
              in transaction: Transaction, now: Date) async throws -> String {
        let ledger = LedgerService()
        let bill = try await ledger.bill(claim.billID, in: transaction, pointer: "/x12")
        var pending = bill.balance.insurancePendingCents
        var notes: [String] = []
        // 1. The payer's money.
        var paid = remitted.paymentCents
        if paid > pending {
            notes.append("overpayment of \(MoneyText.dollars(paid - pending)) not posted (more than insurance still owed)")
            paid = pending
        }
        if paid != 0 {
            try await remittances.insertInsurancePayment(
                billID: bill.id, claimID: claim.id, remittanceClaimID: row.id, amountCents: paid, payerName: payerName,
                reference: "ERA \(trace)", receivedOn: receivedOn, createdBy: memberID, practiceID: practiceID, now: now,
                in: transaction)
            pending -= paid
            notes.append("paid \(MoneyText.dollars(paid))")
        }
        // 2. Contractual and payer reductions are written off; 3. patient responsibility moves to the client.
        var responsibility: Int64 = 0
        var writeOffs: [(group: String, reason: String, cents: Int64)] = []
        for adjustment in remitted.allAdjustments {
            switch adjustment.group.rawValue {
            case "PR": responsibility += adjustment.amountCents
            case "CO", "PI", "OA":
                if let index = writeOffs.firstIndex(where: { $0.group == adjustment.group.rawValue && $0.reason == adjustment.reasonCode }) {
                    writeOffs[index].cents += adjustment.amountCents
                } else {
                    writeOffs.append((adjustment.group.rawValue, adjustment.reasonCode, adjustment.amountCents))
                }
            default: notes.append("\(adjustment.group.rawValue)-\(adjustment.reasonCode) \(MoneyText.dollars(adjustment.amountCents)) left for review")
            }
        }
        for writeOff in writeOffs where writeOff.cents > 0 {
            let cents = min(writeOff.cents, pending)
            guard cents > 0 else { continue }
            try await remittances.insertInsuranceWriteOff(
                billID: bill.id, amountCents: cents, reason: "ERA \(trace): \(writeOff.group)-\(writeOff.reason)",
                groupCode: writeOff.group, reasonCode: writeOff.reason, createdBy: memberID, practiceID: practiceID,
                now: now, in: transaction)
            pending -= cents
            notes.append("\(writeOff.group)-\(writeOff.reason) write-off \(MoneyText.dollars(cents))")
        }
        // The copay is already the client's; only what insurance still carries moves over.
        let transfer = min(max(responsibility, 0), pending)
        if transfer > 0 {
            try await remittances.insertTransfer(
                billID: bill.id, claimID: claim.id, remittanceClaimID: row.id, amountCents: transfer,
                reason: "ERA \(trace): patient responsibility", practiceID: practiceID, now: now, in: transaction)
            pending -= transfer
            notes.append("patient responsibility \(MoneyText.dollars(transfer)) moved to the client")
        }
        _ = try await ledger.settle(bill.id, in: transaction)
        // The claim's new status.
        let word: String
        switch remitted.status.rawValue {
        case "4": word = "denied"
        case "22": word = "needsReview"
        default: word = remitted.paymentCents > 0 || responsibility > 0 ? "paid" : "denied"
        }
        let summary = "\(payerName) ERA \(trace): " + (notes.isEmpty ? "no amounts" : notes.joined(separator: "; "))
            + (remitted.remarkCodes.isEmpty ? "" : " (remarks \(remitted.remarkCodes.joined(separator: ", ")))")
        if let target = ClaimLifecycle.afterReport(word, current: claim.status) {
            try await claims.transition(
                claim.id, to: target,
                event: ClaimEventRecord(at: now, from: claim.status, to: target, source: .payer, message: summary),
                practiceID: practiceID,
                payerClaimNumber: remitted.payerClaimControlNumber.isEmpty ? nil : remitted.payerClaimControlNumber,
                in: transaction)
            return "\(target.rawValue): \(summary)"
        }
        try await claims.appendEvent(
            ClaimEventRecord(at: now, from: claim.status, to: claim.status, source: .payer, message: summary),
            to: claim.id, practiceID: practiceID, in: transaction)
        return "\(claim.status.rawValue): \(summary)"
    }

    /// Claims of imported remittances that match no claim of the practice.
    public func unmatched(limit: Int, in transaction: Transaction) async throws -> [RemittanceClaimRecord] {
        try await remittances.unmatched(limit: limit, in: transaction)
    }

    static func adjustmentsJSON(_ adjustments: [ClaimAdjustment]) -> String {
        let items = adjustments.map { adjustment -> String in
            let group = adjustment.group.rawValue.filter { $0.isLetter }
            let reason = adjustment.reasonCode.filter { $0.isLetter || $0.isNumber }
            return #"{"group":"\#(group)","reason":"\#(reason)","amountCents":\#(adjustment.amountCents)}"#
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
