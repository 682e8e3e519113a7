import BillingCore
import Foundation
import Storage
import X12

/// One claim's adjudication to post: read from an 835 CLP loop, or typed in by a biller from a
/// paper EOB (`insurancePayment.record`).
public struct Adjudication: Sendable, Hashable {
    /// One CAS triplet: group (CO, PR, OA, PI), CARC and amount (negative when the payer takes it back).
    public struct Adjustment: Sendable, Hashable, Codable {
        public var group: String
        public var reason: String
        public var amountCents: Int64

        /// Creates an adjustment.
        public init(group: String, reason: String, amountCents: Int64) {
            self.group = group
            self.reason = reason
            self.amountCents = amountCents
        }
    }

    /// CLP02: `1`/`2`/`3` processed as primary/secondary/tertiary, `4` denied, `22` reversal, …
    public var statusCode: String
    /// What the payer paid on the claim (negative in a reversal).
    public var paymentCents: Int64
    /// Claim-level and line-level adjustments together.
    public var adjustments: [Adjustment]
    /// RARCs (MOA and LQ) in the order the payer sent them.
    public var remarkCodes: [String]
    /// The payer's own number for the claim (CLP07), needed to correct or void it later.
    public var payerClaimNumber: String?

    /// Creates an adjudication.
    public init(statusCode: String, paymentCents: Int64, adjustments: [Adjustment], remarkCodes: [String] = [],
                payerClaimNumber: String? = nil) {
        self.statusCode = statusCode
        self.paymentCents = paymentCents
        self.adjustments = adjustments
        self.remarkCodes = remarkCodes
        self.payerClaimNumber = payerClaimNumber
    }

    /// The adjudication an 835 reports for a claim.
    public init(_ remitted: RemittanceClaim) {
        self.init(
            statusCode: remitted.status.rawValue, paymentCents: remitted.paymentCents,
            adjustments: remitted.allAdjustments.map {
                Adjustment(group: $0.group.rawValue, reason: $0.reasonCode, amountCents: $0.amountCents)
            },
            remarkCodes: remitted.remarkCodes,
            payerClaimNumber: remitted.payerClaimControlNumber.isEmpty ? nil : remitted.payerClaimControlNumber)
    }

    /// Patient responsibility (PR) the payer assigned.
    public var patientResponsibilityCents: Int64 {
        adjustments.filter { $0.group == "PR" }.reduce(0) { $0 + $1.amountCents }
    }

    /// `true` when the payer takes back an earlier payment (CLP02 = 22).
    public var isReversal: Bool { statusCode == "22" }
}

/// Where the money of a posting came from, for ledger references and claim timelines.
struct PostingSource: Sendable {
    var payerName: String
    /// "ERA 123456789" or "check 1001".
    var reference: String
    var receivedOn: CalendarDate
    var remittanceClaimID: RemittanceClaimID
    var memberID: MemberID?
}

/// Posts adjudications to a claim's bill — one code path for ERAs, hand-matched ERA claims and
/// checks recorded by hand — and moves the claim.
///
/// Rules, per claim:
/// - Negative amounts (a reversal, or a correction taking something back) go first and are bounded
///   by what earlier remittances posted for this claim; whatever cannot be taken back is named in
///   the outcome for a person to review, never forced into the ledger.
/// - The payment is bounded by what insurance still owes on the bill (an overpayment is named, not
///   posted); CO/PI/OA become insurance write-offs with their CARC; PR moves to the client, less
///   what the client already carries (the copay).
/// - The claim becomes Paid, Denied (CLP02 = 4, or nothing paid and nothing owed by the client) or
///   Needs Review (a reversal), with the reasons in words on its timeline.
struct RemittancePoster: Sendable {
    let remittances = RemittanceRepository()
    let claims = ClaimRepository()

    /// Posts `adjudication` and answers the outcome text kept on the remittance claim, and the
    /// claim's status afterwards.
    func post(_ adjudication: Adjudication, to claim: ClaimRecord, from source: PostingSource,
              practiceID: PracticeID, in transaction: Transaction, now: Date) async throws
        -> (outcome: String, status: ClaimStatus)
    {
        let ledger = LedgerService()
        var balance = try await ledger.bill(claim.billID, in: transaction, pointer: "/x12").balance
        var posted = try await remittances.postedTotals(claimID: claim.id, in: transaction)
        var notes: [String] = []
        let reference = source.reference
        let billID = claim.billID

        func writeOff(_ cents: Int64, group: String, reason: String) async throws {
            try await remittances.insertInsuranceWriteOff(
                billID: billID, claimID: claim.id, amountCents: cents, reason: "\(reference): \(group)-\(reason)",
                groupCode: group, reasonCode: reason, createdBy: source.memberID, practiceID: practiceID, now: now,
                in: transaction)
            balance.insuranceAdjustmentsCents += cents
            posted.writtenOffCents += cents
        }
        func transfer(_ cents: Int64, reason: String) async throws {
            try await remittances.insertTransfer(
                billID: billID, claimID: claim.id, remittanceClaimID: source.remittanceClaimID, amountCents: cents,
                reason: "\(reference): \(reason)", practiceID: practiceID, now: now, in: transaction)
            balance.transferredToClientCents += cents
            posted.transferredCents += cents
        }
        func pay(_ cents: Int64) async throws {
            try await remittances.insertInsurancePayment(
                billID: billID, claimID: claim.id, remittanceClaimID: source.remittanceClaimID, amountCents: cents,
                payerName: source.payerName, reference: reference, receivedOn: source.receivedOn,
                createdBy: source.memberID, practiceID: practiceID, now: now, in: transaction)
            balance.insurancePaidCents += cents
            posted.paidCents += cents
        }

        // 1. Take-backs first: they give insurance pending room for what follows.
        if adjudication.paymentCents < 0 {
            let wanted = -adjudication.paymentCents
            let back = min(wanted, max(posted.paidCents, 0))
            if back > 0 {
                try await pay(-back)
                notes.append("payment of \(MoneyText.dollars(back)) taken back")
            }
            if back < wanted {
                notes.append("\(MoneyText.dollars(wanted - back)) taken back beyond what was posted for this claim: left for review")
            }
        }
        for adjustment in adjudication.adjustments where adjustment.amountCents < 0 {
            let wanted = -adjustment.amountCents
            let code = "\(adjustment.group)-\(adjustment.reason)"
            var back: Int64 = 0
            switch adjustment.group {
            case "PR":
                back = min(wanted, max(posted.transferredCents, 0), max(balance.clientResponsibilityCents, 0))
                if back > 0 { try await transfer(-back, reason: "patient responsibility taken back (\(code))") }
            case "CO", "PI", "OA", "CR":
                back = min(wanted, max(posted.writtenOffCents, 0))
                if back > 0 { try await writeOff(-back, group: adjustment.group, reason: adjustment.reason) }
            default: break
            }
            if back > 0 { notes.append("\(code) \(MoneyText.dollars(back)) taken back") }
            if back < wanted { notes.append("\(code) −\(MoneyText.dollars(wanted - back)) could not be taken back: left for review") }
        }

        // A secondary (or tertiary) payer pays what the earlier payer left to the client: what it pays
        // and writes off comes back from the client's side first. OA-23 only reports the earlier
        // payer's adjudication and moves nothing.
        let secondary = claim.payerSequence != "primary"
        func informational(_ adjustment: Adjudication.Adjustment) -> Bool {
            secondary && adjustment.group == "OA" && adjustment.reason == "23"
        }
        if secondary {
            let covering = max(adjudication.paymentCents, 0) + adjudication.adjustments
                .filter { $0.amountCents > 0 && ["CO", "PI", "OA"].contains($0.group) && !informational($0) }
                .reduce(Int64(0)) { $0 + $1.amountCents }
            let pull = min(covering - max(balance.insurancePendingCents, 0), max(balance.clientResponsibilityCents, 0))
            if pull > 0 {
                try await transfer(-pull, reason: "\(claim.payerSequence) payer covers patient responsibility")
                notes.append("\(MoneyText.dollars(pull)) of the client's share taken over by the \(claim.payerSequence) payer")
            }
        }

        // 2. The payer's money.
        if adjudication.paymentCents > 0 {
            let paid = min(adjudication.paymentCents, max(balance.insurancePendingCents, 0))
            if paid < adjudication.paymentCents {
                notes.append("overpayment of \(MoneyText.dollars(adjudication.paymentCents - paid)) not posted (more than insurance still owed)")
            }
            if paid > 0 {
                try await pay(paid)
                notes.append("paid \(MoneyText.dollars(paid))")
            }
        }
        // 3. Write-offs (CO/PI/OA, merged per group and reason), 4. patient responsibility.
        var writeOffs: [(group: String, reason: String, cents: Int64)] = []
        var responsibility: Int64 = 0
        for adjustment in adjudication.adjustments where adjustment.amountCents > 0 && !informational(adjustment) {
            switch adjustment.group {
            case "PR": responsibility += adjustment.amountCents
            case "CO", "PI", "OA":
                if let index = writeOffs.firstIndex(where: { $0.group == adjustment.group && $0.reason == adjustment.reason }) {
                    writeOffs[index].cents += adjustment.amountCents
                } else {
                    writeOffs.append((adjustment.group, adjustment.reason, adjustment.amountCents))
                }
            default:
                notes.append("\(adjustment.group)-\(adjustment.reason) \(MoneyText.dollars(adjustment.amountCents)) left for review")
            }
        }
        for item in writeOffs {
            let cents = min(item.cents, max(balance.insurancePendingCents, 0))
            guard cents > 0 else { continue }
            try await writeOff(cents, group: item.group, reason: item.reason)
            notes.append("\(AdjustmentCodes.describe(group: item.group, reason: item.reason)): \(MoneyText.dollars(cents)) written off")
        }
        // The copay is already the client's; only what insurance still carries moves over.
        let moved = min(responsibility, max(balance.insurancePendingCents, 0))
        if moved > 0 {
            try await transfer(moved, reason: "patient responsibility")
            let reasons = adjudication.adjustments.filter { $0.group == "PR" && $0.amountCents > 0 }
                .map { AdjustmentCodes.describe(group: $0.group, reason: $0.reason) }
            notes.append("\(MoneyText.dollars(moved)) moved to the client (\(reasons.joined(separator: ", ")))")
        }
        _ = try await ledger.settle(billID, in: transaction)

        // The claim's new status, with the reasons in words.
        let word: String
        if adjudication.isReversal {
            word = "needsReview"
        } else if adjudication.statusCode == "4" {
            word = "denied"
        } else {
            word = adjudication.paymentCents > 0 || responsibility > 0 ? "paid" : "denied"
        }
        var summary = "\(source.payerName) \(reference): "
            + (adjudication.isReversal ? "the payer reversed its earlier payment; " : "")
            + (notes.isEmpty ? "no amounts" : notes.joined(separator: "; "))
        if word == "denied" {
            let reasons = adjudication.adjustments.filter { $0.amountCents > 0 && $0.group != "PR" }
                .map { AdjustmentCodes.describe(group: $0.group, reason: $0.reason) }
            if !reasons.isEmpty { summary += ". Denied: " + reasons.joined(separator: "; ") }
        }
        if !adjudication.remarkCodes.isEmpty {
            summary += ". Remarks: " + adjudication.remarkCodes.map(AdjustmentCodes.describeRemark).joined(separator: "; ")
        }
        if let target = ClaimLifecycle.afterReport(word, current: claim.status) {
            try await claims.transition(
                claim.id, to: target,
                event: ClaimEventRecord(at: max(now, claim.updatedAt), from: claim.status, to: target, source: .payer,
                                        message: summary, memberID: source.memberID),
                practiceID: practiceID, payerClaimNumber: adjudication.payerClaimNumber, in: transaction)
            return ("\(target.rawValue): \(summary)", target)
        }
        try await claims.appendEvent(
            ClaimEventRecord(at: max(now, claim.updatedAt), from: claim.status, to: claim.status, source: .payer,
                             message: summary, memberID: source.memberID),
            to: claim.id, practiceID: practiceID, in: transaction)
        return ("\(claim.status.rawValue): \(summary)", claim.status)
    }
}
