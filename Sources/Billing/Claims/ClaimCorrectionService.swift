import BillingCore
import Foundation
import Storage

/// Claims after the first answer: resubmitting a claim the clearinghouse or the payer's front end
/// rejected, correcting one the payer adjudicated (frequency 7, with the payer's claim number), and
/// voiding one (frequency 8, or simply Void when the payer never saw it). Every step is a new event
/// on the timelines of the claims involved.
public struct ClaimCorrectionService: Sendable {
    let claims = ClaimRepository()

    /// Creates the use cases.
    public init() {}

    /// Rebuilds a rejected claim from the current records (the biller fixed what the rejection named)
    /// under the same patient control number, and queues it again.
    /// - Throws: not found; −32009 unless the claim is Needs Review and the payer never adjudicated it
    ///   (then `claim.correct` is the way); −32602 with every eligibility problem still left.
    public func resubmit(_ id: ClaimID, hold: Duration, practiceID: PracticeID, memberID: MemberID?,
                         in transaction: Transaction, now: Date = Date()) async throws -> ClaimDetails {
        guard let claim = try await claims.find(id, forUpdate: true, in: transaction) else {
            throw DomainError.notFound("claim")
        }
        guard claim.status == .needsReview else {
            throw refused(claim, "only a claim in Needs Review (rejected before adjudication) can be resubmitted")
        }
        if try await claims.hasRemittance(id, in: transaction) {
            throw refused(claim, "the payer adjudicated this claim: send a corrected claim (claim.correct) instead")
        }
        var snapshot = try await rebuild(claim, patientControlNumber: claim.patientControlNumber, in: transaction)
        snapshot.frequency = claim.snapshot.frequency
        try check(snapshot)
        try await claims.replaceSnapshot(id, snapshot: snapshot,
                                         firstDateOfService: snapshot.lines.map(\.dateOfService).min() ?? claim.firstDateOfService,
                                         in: transaction)
        try await claims.appendEvent(
            ClaimEventRecord(at: max(now, claim.updatedAt), from: claim.status, to: claim.status, source: .user,
                             message: "rebuilt from the current records for resubmission (total \(MoneyText.dollars(snapshot.totalChargeCents)))",
                             memberID: memberID),
            to: id, practiceID: practiceID, in: transaction)
        _ = try await ClaimService().submit([id], hold: hold, practiceID: practiceID, memberID: memberID,
                                            in: transaction, now: now)
        return try await ClaimService().claim(id, in: transaction)
    }

    /// Sends a replacement (frequency 7) for a claim the payer has: a new claim built from the current
    /// records, carrying the payer's claim number (REF*F8), that takes over the original's sessions.
    /// - Parameters:
    ///   - payerClaimNumber: the payer's number when the remittance or acknowledgement did not give one.
    ///   - submit: queue it at once (with the usual hold); otherwise it waits as Not Submitted.
    /// - Throws: not found; −32009 when the claim is Void, not yet sent, or already replaced or voided;
    ///   −32602 on `/payerClaimNumber` when no payer claim number is known; eligibility problems.
    public func correct(_ id: ClaimID, payerClaimNumber: String?, submit: Bool, hold: Duration, practiceID: PracticeID,
                        memberID: MemberID?, in transaction: Transaction, now: Date = Date()) async throws -> ClaimDetails {
        let original = try await adjudicatedOriginal(id, verb: "corrected", in: transaction)
        let number = try payerNumber(original, given: payerClaimNumber)
        let pcn = ClaimService.patientControlNumber(try await claims.nextClaimNumber(practiceID: practiceID, in: transaction))
        var snapshot = try await rebuild(original, patientControlNumber: pcn, in: transaction)
        snapshot.frequency = .replacement(payerClaimNumber: number)
        try check(snapshot)
        return try await issue(
            successor(of: original, snapshot: snapshot, frequency: "7", memberID: memberID, now: now), for: original,
            message: "corrected claim (frequency 7) replacing \(original.patientControlNumber), payer claim number \(number)",
            originalMessage: "replaced by corrected claim \(pcn) (frequency 7)", holdsSessions: true, submit: submit,
            hold: hold, practiceID: practiceID, memberID: memberID, in: transaction, now: now)
    }

    /// Voids a claim. One the payer never saw (Not Submitted, or Needs Review after a rejection)
    /// simply becomes Void; one the payer has gets a void claim (frequency 8, the payer's claim number
    /// in REF*F8, same lines) — the original's sessions are freed either way.
    /// - Returns: the claim that was voided, or the new void claim.
    /// - Throws: not found; −32009 for a claim still queued, already void, or already replaced;
    ///   −32602 on `/payerClaimNumber` when the payer has the claim but its number is unknown.
    public func void(_ id: ClaimID, payerClaimNumber: String?, submit: Bool, hold: Duration, practiceID: PracticeID,
                     memberID: MemberID?, in transaction: Transaction, now: Date = Date()) async throws -> ClaimDetails {
        guard let claim = try await claims.find(id, forUpdate: true, in: transaction) else {
            throw DomainError.notFound("claim")
        }
        let payerHasIt = try await claims.hasRemittance(id, in: transaction) || claim.payerClaimNumber != nil
        if claim.status == .notSubmitted || (claim.status == .needsReview && !payerHasIt) {
            try await claims.transition(
                id, to: .void,
                event: ClaimEventRecord(at: max(now, claim.updatedAt), from: claim.status, to: .void, source: .user,
                                        message: "voided before the payer had it; its sessions can be claimed again",
                                        memberID: memberID),
                practiceID: practiceID, in: transaction)
            return try await ClaimService().claim(id, in: transaction)
        }
        let original = try await adjudicatedOriginal(id, verb: "voided", in: transaction)
        let number = try payerNumber(original, given: payerClaimNumber)
        let pcn = ClaimService.patientControlNumber(try await claims.nextClaimNumber(practiceID: practiceID, in: transaction))
        var snapshot = original.snapshot
        snapshot.patientControlNumber = pcn
        snapshot.frequency = .void(payerClaimNumber: number)
        try check(snapshot)
        return try await issue(
            successor(of: original, snapshot: snapshot, frequency: "8", memberID: memberID, now: now), for: original,
            message: "void claim (frequency 8) for \(original.patientControlNumber), payer claim number \(number)",
            originalMessage: "void requested at the payer with claim \(pcn) (frequency 8); its sessions can be claimed again",
            holdsSessions: false, submit: submit, hold: hold, practiceID: practiceID, memberID: memberID,
            in: transaction, now: now)
    }

    // MARK: - Helpers

    /// Stores a replacement or void claim for `original` (which frees its sessions), notes both
    /// timelines, and queues it when `submit`.
    private func issue(_ successor: ClaimRecord, for original: ClaimRecord, message: String, originalMessage: String,
                       holdsSessions: Bool, submit: Bool, hold: Duration, practiceID: PracticeID, memberID: MemberID?,
                       in transaction: Transaction, now: Date) async throws -> ClaimDetails {
        try await claims.releaseSessions(of: original.id, in: transaction)
        try await claims.insert(
            successor,
            event: ClaimEventRecord(at: now, from: nil, to: .notSubmitted, source: .user, message: message,
                                    memberID: memberID),
            practiceID: practiceID, holdsSessions: holdsSessions, in: transaction)
        try await claims.appendEvent(
            ClaimEventRecord(at: max(now, original.updatedAt), from: original.status, to: original.status, source: .user,
                             message: originalMessage, memberID: memberID),
            to: original.id, practiceID: practiceID, in: transaction)
        if submit {
            _ = try await ClaimService().submit([successor.id], hold: hold, practiceID: practiceID, memberID: memberID,
                                                in: transaction, now: now)
        }
        return try await ClaimService().claim(successor.id, in: transaction)
    }

    /// The claim, locked, when the payer has it and nothing replaced or voided it yet.
    private func adjudicatedOriginal(_ id: ClaimID, verb: String, in transaction: Transaction) async throws -> ClaimRecord {
        guard let claim = try await claims.find(id, forUpdate: true, in: transaction) else {
            throw DomainError.notFound("claim")
        }
        switch claim.status {
        case .notSubmitted, .queued:
            throw refused(claim, "the payer does not have this claim yet; change the records and regenerate instead")
        case .void:
            throw refused(claim, "the claim is Void")
        default: break
        }
        if claim.frequencyCode == "8" { throw refused(claim, "a void claim cannot be \(verb)") }
        if let later = try await claims.successors(of: id, in: transaction).first(where: { $0.status != .void }) {
            throw refused(claim, "already \(later.frequencyCode == "8" ? "voided" : "replaced") by claim \(later.patientControlNumber) (\(later.id))")
        }
        return claim
    }

    private func payerNumber(_ claim: ClaimRecord, given: String?) throws -> String {
        let number = (given ?? claim.payerClaimNumber ?? "").trimmingCharacters(in: .whitespaces)
        guard !number.isEmpty else {
            throw DomainError.invalid(
                "/payerClaimNumber",
                "is required: the payer's claim number for \(claim.patientControlNumber) is not known yet (it comes with the remittance or the payer's acknowledgement)",
                code: "required")
        }
        guard number.count <= 50, number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw DomainError.invalid("/payerClaimNumber", "must be 1 to 50 letters, digits or dashes")
        }
        return number
    }

    private func rebuild(_ claim: ClaimRecord, patientControlNumber: String, in transaction: Transaction) async throws
        -> ClaimSnapshot
    {
        guard let bill = try await BillRepository().find(claim.billID, in: transaction) else {
            throw DomainError.notFound("bill", pointer: "/id")
        }
        let details = try await SessionService().sessionsForBilling(claim.sessionIDs, in: transaction)
        let built = try await ClaimBuilder().build(bill: bill, sessions: details, policyID: claim.policyID,
                                                   patientControlNumber: patientControlNumber, in: transaction)
        guard built.problems.isEmpty, var snapshot = built.snapshot else {
            throw DomainError(.validation, code: "claim.notEligible", message: "the claim cannot be rebuilt",
                              problems: built.problems)
        }
        if let sequence = CoverageOrder(rawValue: claim.payerSequence), sequence != .primary {
            let cob = try await CoordinationOfBenefits().otherPayers(
                billID: claim.billID, sessionIDs: claim.sessionIDs, sequence: sequence, lines: snapshot.lines,
                pointer: "/id", in: transaction)
            guard cob.problems.isEmpty else {
                throw DomainError(.validation, code: "claim.notEligible", message: "the claim cannot be rebuilt",
                                  problems: cob.problems)
            }
            snapshot.otherPayers = cob.payers
        }
        return snapshot
    }

    private func check(_ snapshot: ClaimSnapshot) throws {
        let problems = snapshot.problems()
        guard problems.isEmpty else {
            throw DomainError(.validation, code: "claim.notEligible", message: "the claim cannot be sent", problems: problems)
        }
    }

    private func successor(of original: ClaimRecord, snapshot: ClaimSnapshot, frequency: String, memberID: MemberID?,
                           now: Date) -> ClaimRecord {
        var record = ClaimRecord(
            id: .generate(), clientID: original.clientID, billID: original.billID, policyID: original.policyID,
            payerID: original.payerID, patientControlNumber: snapshot.patientControlNumber, status: .notSubmitted,
            frequencyCode: frequency, originalClaimID: original.id, totalCents: snapshot.totalChargeCents,
            firstDateOfService: snapshot.lines.map(\.dateOfService).min() ?? original.firstDateOfService,
            snapshot: snapshot, sessionIDs: original.sessionIDs, createdBy: memberID, createdAt: now, updatedAt: now)
        record.payerSequence = original.payerSequence
        return record
    }

    private func refused(_ claim: ClaimRecord, _ reason: String) -> DomainError {
        DomainError(.conflict, code: "claim.invalidTransition", message: reason,
                    problems: [FieldProblem(pointer: "/id", reason: "claim \(claim.patientControlNumber) is \(claim.status.label)",
                                            code: claim.status.rawValue)])
    }
}
