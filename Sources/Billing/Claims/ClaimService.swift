import BillingCore
import Foundation
import Storage
import X12

/// A claim with its timeline.
public struct ClaimDetails: Sendable {
    public var claim: ClaimRecord
    public var events: [ClaimEventRecord]
}

/// A completed insurance session with no claim yet (`claim.pending`).
public struct PendingClaimSession: Sendable {
    public var session: Session
    public var billID: BillID?
}

/// Insurance claims: generated from a bill and the client's policy after every eligibility check
/// (all problems at once), frozen as a `ClaimSnapshot`, exported as 837P, queued for submission.
public struct ClaimService: Sendable {
    let claims = ClaimRepository()

    /// Creates the use cases.
    public init() {}

    /// Builds, checks and stores a claim for a bill's insurance sessions.
    /// - Parameters:
    ///   - policyID: the policy to bill; the client's primary policy on the first date of service when `nil`.
    /// - Throws: not found; −32009 for a Pended or Void bill or sessions already claimed; −32602 with
    ///   every eligibility problem (`data.errors[]`) when the claim cannot be sent.
    public func generate(billID: BillID, policyID: PolicyID?, practiceID: PracticeID, memberID: MemberID?,
                         in transaction: Transaction, now: Date = Date()) async throws -> ClaimDetails {
        guard let bill = try await BillRepository().find(billID, forUpdate: true, in: transaction) else {
            throw DomainError.notFound("bill", pointer: "/billId")
        }
        guard bill.status == .open || bill.status == .complete else {
            let reason = bill.status == .pended ? "is Pended: open it before generating a claim" : "is Void"
            throw DomainError(.conflict, code: "bill.notClaimable", message: "the bill \(reason)",
                              problems: [FieldProblem(pointer: "/billId", reason: reason, code: bill.status.rawValue)])
        }
        var sessionIDs: [SessionID] = []
        for line in bill.lines {
            if let id = line.sessionID, !sessionIDs.contains(id) { sessionIDs.append(id) }
        }
        let details = try await SessionService().sessionsForBilling(sessionIDs, in: transaction)
            .filter { $0.session.billing == .insurance }
        guard !details.isEmpty else {
            throw DomainError(.conflict, code: "bill.noInsuranceSessions",
                              message: "the bill has no session billed to insurance",
                              problems: [FieldProblem(pointer: "/billId", reason: "has no insurance session")])
        }
        // A secondary or tertiary policy makes a coordination-of-benefits claim (after the earlier payers).
        var sequence = CoverageOrder.primary
        if let policyID, let chosen = try await PolicyService().find(policyID, in: transaction), chosen.clientId == bill.clientID {
            sequence = chosen.order
        }
        let claimed = try await claims.sessionsOnLiveClaims(details.map(\.session.id), sequence: sequence.rawValue,
                                                            in: transaction)
        if let (session, claim) = claimed.first {
            throw DomainError(.conflict, code: "claim.exists",
                              message: "session \(session) is already on claim \(claim)",
                              problems: [FieldProblem(pointer: "/billId", reason: "already claimed by \(claim)",
                                                      code: "duplicate")])
        }
        let number = try await claims.nextClaimNumber(practiceID: practiceID, in: transaction)
        let built = try await ClaimBuilder().build(
            bill: bill, sessions: details, policyID: policyID,
            patientControlNumber: Self.patientControlNumber(number), in: transaction)
        guard built.problems.isEmpty, var snapshot = built.snapshot, let policy = built.policy else {
            throw DomainError(.validation, code: "claim.notEligible", message: "the claim cannot be generated",
                              problems: built.problems)
        }
        if sequence != .primary {
            let cob = try await CoordinationOfBenefits().otherPayers(
                billID: billID, sessionIDs: details.map(\.session.id), sequence: sequence, lines: snapshot.lines,
                pointer: "/policyId", in: transaction)
            snapshot.otherPayers = cob.payers
            let problems = cob.problems + (cob.problems.isEmpty ? snapshot.problems() : [])
            guard problems.isEmpty else {
                throw DomainError(.validation, code: "claim.notEligible", message: "the claim cannot be generated",
                                  problems: problems)
            }
        }
        let record = ClaimRecord(
            id: .generate(), clientID: bill.clientID, billID: billID, policyID: policy.id, payerID: policy.payerId,
            patientControlNumber: snapshot.patientControlNumber, status: .notSubmitted, frequencyCode: "1",
            originalClaimID: nil, totalCents: snapshot.totalChargeCents,
            firstDateOfService: snapshot.lines.map(\.dateOfService).min() ?? details[0].session.dateOfService,
            snapshot: snapshot, sessionIDs: details.map(\.session.id), createdBy: memberID, createdAt: now, updatedAt: now)
        var stored = record
        stored.payerSequence = sequence.rawValue
        try await claims.insert(
            stored, event: ClaimEventRecord(at: now, from: nil, to: .notSubmitted, source: .user,
                                            message: sequence == .primary ? "generated from bill \(bill.number)"
                                                : "\(sequence.rawValue) claim generated from bill \(bill.number) with the earlier payers' adjudication",
                                            memberID: memberID),
            practiceID: practiceID, in: transaction)
        return try await self.claim(record.id, in: transaction)
    }

    /// One claim with its timeline.
    public func claim(_ id: ClaimID, pointer: String = "/id", in transaction: Transaction) async throws -> ClaimDetails {
        guard let record = try await claims.find(id, in: transaction) else {
            throw DomainError.notFound("claim", pointer: pointer)
        }
        let events = try await claims.events(of: [id], in: transaction)
        return ClaimDetails(claim: record, events: events[id] ?? [])
    }

    /// A page of claims, newest first.
    public func list(_ filter: ClaimFilter, after cursor: ClaimID?, limit: Int, in transaction: Transaction)
        async throws -> Page<ClaimDetails>
    {
        if let clientID = filter.clientID, try await ClientRepository().find(clientID, in: transaction) == nil {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        if let billID = filter.billID, try await BillRepository().find(billID, in: transaction) == nil {
            throw DomainError.notFound("bill", pointer: "/billId")
        }
        var last: ClaimRecord?
        if let cursor {
            guard let found = try await claims.find(cursor, in: transaction) else {
                throw DomainError.invalid("/cursor", "is not a cursor returned by this method")
            }
            last = found
        }
        let page = try await claims.list(filter, after: last, limit: limit, in: transaction)
        let events = try await claims.events(of: page.items.map(\.id), in: transaction)
        return Page(items: page.items.map { ClaimDetails(claim: $0, events: events[$0.id] ?? []) },
                    nextCursor: page.nextCursor)
    }

    /// Completed insurance sessions that are on no claim yet, oldest first.
    public func pending(limit: Int, in transaction: Transaction) async throws -> [PendingClaimSession] {
        let pending = try await claims.pendingSessions(limit: limit, in: transaction)
        let details = try await SessionService().sessionsForBilling(pending.map(\.0), in: transaction)
        let bills = Dictionary(pending.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        return details.map { PendingClaimSession(session: $0.session, billID: bills[$0.session.id] ?? nil) }
    }

    /// The claim as an 837P interchange (test usage indicator, its own control number).
    public func exportX12(_ id: ClaimID, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> String
    {
        let details = try await claim(id, in: transaction)
        let control = try await claims.nextInterchangeNumber(practiceID: practiceID, in: transaction)
        return try Writer837P().write([details.claim.snapshot],
                                      envelope: Self.envelope(for: details.claim.snapshot, control: control, now: now,
                                                              usage: .production))
    }

    /// Queues claims for submission (Not Submitted or Needs Review → Queued For Submission) and the
    /// job that sends them, in one transaction. Claims already queued or further along are
    /// reported as they are (idempotent).
    /// - Parameter hold: how long queued claims wait before transmission (billers may still change their minds).
    /// - Throws: −32012 without a clearinghouse integration; not found for another practice's claim;
    ///   −32009 for a Void, Paid or Denied claim.
    public func submit(_ ids: [ClaimID], hold: Duration, practiceID: PracticeID, memberID: MemberID?,
                       in transaction: Transaction, now: Date = Date()) async throws -> [ClaimRecord] {
        var results: [ClaimRecord] = []
        var queuedAny = false
        let holdUntil = hold > .zero ? now.addingTimeInterval(Double(hold.components.seconds)) : nil
        for (index, id) in ids.enumerated() {
            guard var claim = try await claims.find(id, forUpdate: true, in: transaction) else {
                throw DomainError.notFound("claim", pointer: "/claimIds/\(index)")
            }
            switch claim.status {
            case .notSubmitted, .needsReview:
                let status = try ClaimLifecycle.move(claim.status, to: .queued)
                try await claims.transition(
                    id, to: status,
                    event: ClaimEventRecord(at: now, from: claim.status, to: status, source: .user,
                                            message: holdUntil.map { "queued; transmitted after \(ISO8601DateFormatter().string(from: $0))" }
                                                ?? "queued for submission", memberID: memberID),
                    practiceID: practiceID, holdUntil: holdUntil, in: transaction)
                if claim.batchID != nil { try await claims.detachFromBatch(id, in: transaction) }
                claim.status = status
                queuedAny = true
            case .queued, .sent, .received, .inProcess:
                break
            case .paid, .denied, .void:
                throw DomainError(.conflict, code: "claim.invalidTransition",
                                  message: "a claim that is \(claim.status.label) cannot be submitted; correct or void it",
                                  problems: [FieldProblem(pointer: "/claimIds/\(index)", reason: "claim is \(claim.status.label)",
                                                          code: claim.status.rawValue)])
            }
            results.append(claim)
        }
        if queuedAny {
            _ = try await JobQueue().enqueue(
                NewJob(practiceID: practiceID, kind: ClaimSubmissionWorker.jobKind, payload: "{}",
                       runAt: holdUntil, maxAttempts: 50),
                in: transaction)
        }
        return results
    }

    /// The practice's alerts, newest first.
    public func alerts(includeResolved: Bool, limit: Int, in transaction: Transaction) async throws
        -> [(id: UUID, kind: String, claimID: ClaimID?, message: String, createdAt: Date, resolvedAt: Date?)]
    {
        try await claims.alerts(includeResolved: includeResolved, limit: limit, in: transaction)
    }

    /// `R8K` + the practice's claim number in base 36: at most 8 characters, unique per practice and
    /// never reused (the counter never goes back), the random prefix keeping different practices'
    /// numbers apart at a shared clearinghouse.
    static func patientControlNumber(_ number: Int64) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var generator = SystemRandomNumberGenerator()
        let prefix = String((0..<3).map { _ in alphabet[10 + Int(generator.next(upperBound: UInt8(26)))] })
        var digits = String(number, radix: 36).uppercased()
        if digits.count < 5 { digits = String(repeating: "0", count: 5 - digits.count) + digits }
        return prefix + digits
    }

    /// The envelope for files this server writes: the practice is the submitter, Claim.MD the receiver.
    static func envelope(for snapshot: ClaimSnapshot, control: Int, now: Date, usage: InterchangeEnvelope.Usage)
        -> InterchangeEnvelope
    {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: now)
        let name: String
        switch snapshot.billingProvider.name {
        case .organization(let organization): name = organization
        case .person(let person): name = "\(person.first) \(person.last)"
        }
        return InterchangeEnvelope(
            senderID: "LL" + snapshot.billingProvider.npi, receiverID: "CLAIMMD", interchangeControlNumber: control,
            groupControlNumber: control, transactionSetControlNumber: control,
            submitter: .init(name: String(name.prefix(60)), identifier: snapshot.billingProvider.npi,
                             contactName: "Billing Office", phone: snapshot.billingProvider.phone),
            receiverName: "Claim.MD",
            creationDate: CalendarDate(year: parts.year ?? 2026, month: parts.month ?? 1, day: parts.day ?? 1)
                ?? CalendarDate(year: 2026, month: 1, day: 1)!,
            creationHour: parts.hour ?? 0, creationMinute: parts.minute ?? 0, usage: usage)
    }
}
