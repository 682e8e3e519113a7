import BillingCore
import Foundation
import PostgresNIO

/// A remittance as stored.
public struct RemittanceRecord: Sendable, Hashable {
    public var id: RemittanceID
    public var source: String
    public var sourceID: String?
    public var payerKey: String
    public var payerName: String
    public var traceNumber: String
    public var paymentMethod: String?
    public var paidCents: Int64
    public var paymentDate: CalendarDate?
    public var claimCount: Int
    public var unmatchedCount: Int
    public var balanceProblems: [String]
    public var createdAt: Date

    /// Creates a record.
    public init(id: RemittanceID, source: String, sourceID: String?, payerKey: String, payerName: String,
                traceNumber: String, paymentMethod: String?, paidCents: Int64, paymentDate: CalendarDate?,
                claimCount: Int, unmatchedCount: Int, balanceProblems: [String], createdAt: Date) {
        self.id = id
        self.source = source
        self.sourceID = sourceID
        self.payerKey = payerKey
        self.payerName = payerName
        self.traceNumber = traceNumber
        self.paymentMethod = paymentMethod
        self.paidCents = paidCents
        self.paymentDate = paymentDate
        self.claimCount = claimCount
        self.unmatchedCount = unmatchedCount
        self.balanceProblems = balanceProblems
        self.createdAt = createdAt
    }
}

/// One claim of a remittance as stored.
public struct RemittanceClaimRecord: Sendable, Hashable {
    public var id: RemittanceClaimID
    public var remittanceID: RemittanceID
    public var position: Int
    public var patientControlNumber: String
    public var claimID: ClaimID?
    public var statusCode: String
    public var chargeCents: Int64
    public var paidCents: Int64
    public var patientResponsibilityCents: Int64
    public var payerClaimNumber: String?
    /// `[{"group","reason","amountCents"}]`, claim and line level together.
    public var adjustmentsJSON: String
    public var outcome: String?

    /// Creates a record.
    public init(id: RemittanceClaimID, remittanceID: RemittanceID, position: Int, patientControlNumber: String,
                claimID: ClaimID?, statusCode: String, chargeCents: Int64, paidCents: Int64,
                patientResponsibilityCents: Int64, payerClaimNumber: String?, adjustmentsJSON: String, outcome: String?) {
        self.id = id
        self.remittanceID = remittanceID
        self.position = position
        self.patientControlNumber = patientControlNumber
        self.claimID = claimID
        self.statusCode = statusCode
        self.chargeCents = chargeCents
        self.paidCents = paidCents
        self.patientResponsibilityCents = patientResponsibilityCents
        self.payerClaimNumber = payerClaimNumber
        self.adjustmentsJSON = adjustmentsJSON
        self.outcome = outcome
    }
}

/// Reads and writes remittances, their claims and the ledger rows they post.
public struct RemittanceRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Stores a remittance; `false` when the practice already has this payer's trace number.
    public func insert(_ remittance: RemittanceRecord, x12: String?, importedBy: MemberID?, practiceID: PracticeID,
                       in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            insert into remittances (practice_id, id, source, source_id, payer_key, payer_name, trace_number,
                                     payment_method, paid_cents, payment_date, claim_count, unmatched_count,
                                     balance_problems, x12, imported_by, created_at)
            values (\(practiceID.uuid), \(remittance.id.uuid), \(remittance.source), \(remittance.sourceID),
                    \(remittance.payerKey), \(remittance.payerName), \(remittance.traceNumber), \(remittance.paymentMethod),
                    \(remittance.paidCents), \(remittance.paymentDate?.description)::date, \(remittance.claimCount),
                    \(remittance.unmatchedCount), \(remittance.balanceProblems), \(x12), \(importedBy?.uuid),
                    \(remittance.createdAt))
            on conflict (practice_id, payer_key, trace_number) do nothing returning id
            """) != nil
    }

    /// The remittance already stored for a payer's trace number.
    public func find(payerKey: String, traceNumber: String, in transaction: Transaction) async throws -> RemittanceID? {
        try await transaction.firstRow("""
            select id from remittances where payer_key = \(payerKey) and trace_number = \(traceNumber)
            """).map { RemittanceID(uuid: try $0.decode(UUID.self)) }
    }

    /// Stores one claim of a remittance.
    public func insertClaim(_ claim: RemittanceClaimRecord, practiceID: PracticeID, now: Date,
                            in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into remittance_claims (practice_id, id, remittance_id, position, patient_control_number, claim_id,
                                           status_code, charge_cents, paid_cents, patient_responsibility_cents,
                                           payer_claim_number, adjustments, posted_at, outcome)
            values (\(practiceID.uuid), \(claim.id.uuid), \(claim.remittanceID.uuid), \(claim.position),
                    \(claim.patientControlNumber), \(claim.claimID?.uuid), \(claim.statusCode), \(claim.chargeCents),
                    \(claim.paidCents), \(claim.patientResponsibilityCents), \(claim.payerClaimNumber),
                    \(claim.adjustmentsJSON)::jsonb, case when \(claim.claimID?.uuid)::uuid is null then null else \(now)::timestamptz end,
                    \(claim.outcome))
            """)
    }

    /// Records what posting a remitted claim did.
    public func setOutcome(_ outcome: String, of id: RemittanceClaimID, in transaction: Transaction) async throws {
        try await transaction.query("update remittance_claims set outcome = \(outcome) where id = \(id.uuid)")
    }

    /// Posts insurance money to a bill.
    public func insertInsurancePayment(billID: BillID, claimID: ClaimID?, remittanceClaimID: RemittanceClaimID?,
                                       amountCents: Int64, payerName: String, reference: String?,
                                       receivedOn: CalendarDate, createdBy: MemberID?, practiceID: PracticeID,
                                       now: Date, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into insurance_payments (practice_id, id, bill_id, claim_id, remittance_claim_id, amount_cents,
                                            payer_name, reference, received_on, created_by, created_at)
            values (\(practiceID.uuid), \(UUIDv7.make()), \(billID.uuid), \(claimID?.uuid), \(remittanceClaimID?.uuid),
                    \(amountCents), \(payerName), \(reference), \(receivedOn.description)::date, \(createdBy?.uuid), \(now))
            """)
    }

    /// Moves an amount of a bill from insurance pending to the client.
    public func insertTransfer(billID: BillID, claimID: ClaimID?, remittanceClaimID: RemittanceClaimID?,
                               amountCents: Int64, reason: String, practiceID: PracticeID, now: Date,
                               in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into responsibility_transfers (practice_id, id, bill_id, claim_id, remittance_claim_id, amount_cents,
                                                  reason, created_at)
            values (\(practiceID.uuid), \(UUIDv7.make()), \(billID.uuid), \(claimID?.uuid), \(remittanceClaimID?.uuid),
                    \(amountCents), \(reason), \(now))
            """)
    }

    /// Writes an insurance adjustment (contractual write-off, negative when a payer takes one back)
    /// with its CARC group and reason.
    public func insertInsuranceWriteOff(billID: BillID, claimID: ClaimID?, amountCents: Int64, reason: String,
                                        groupCode: String, reasonCode: String, createdBy: MemberID?,
                                        practiceID: PracticeID, now: Date, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into adjustments (practice_id, id, bill_id, claim_id, kind, responsibility, amount_cents, reason,
                                     group_code, reason_code, created_by, created_at)
            values (\(practiceID.uuid), \(UUIDv7.make()), \(billID.uuid), \(claimID?.uuid), 'insuranceWriteOff',
                    'insurance', \(amountCents), \(reason), \(groupCode), \(reasonCode), \(createdBy?.uuid), \(now))
            """)
    }

    /// What remittances have posted for a claim so far: insurance paid, written off, moved to the client.
    public func postedTotals(claimID: ClaimID, in transaction: Transaction) async throws
        -> (paidCents: Int64, writtenOffCents: Int64, transferredCents: Int64)
    {
        guard let row = try await transaction.firstRow("""
            select (select coalesce(sum(amount_cents), 0) from insurance_payments where claim_id = \(claimID.uuid))::bigint,
                   (select coalesce(sum(amount_cents), 0) from adjustments
                     where claim_id = \(claimID.uuid) and kind = 'insuranceWriteOff')::bigint,
                   (select coalesce(sum(amount_cents), 0) from responsibility_transfers
                     where claim_id = \(claimID.uuid))::bigint
            """) else { return (0, 0, 0) }
        let (paid, writtenOff, transferred) = try row.decode((Int64, Int64, Int64).self)
        return (paid, writtenOff, transferred)
    }

    /// A stored remittance.
    public func remittance(_ id: RemittanceID, in transaction: Transaction) async throws -> RemittanceRecord? {
        try await transaction.firstRow("""
            select id, source, source_id, payer_key, payer_name, trace_number, payment_method, paid_cents,
                   payment_date::text as payment_date, claim_count, unmatched_count, balance_problems, created_at
            from remittances where id = \(id.uuid)
            """).map { row in
            let reader = RowReader(row)
            return RemittanceRecord(
                id: try reader.id(RemittanceID.self, "id"), source: try reader.string("source"),
                sourceID: try reader.optionalString("source_id"), payerKey: try reader.string("payer_key"),
                payerName: try reader.string("payer_name"), traceNumber: try reader.string("trace_number"),
                paymentMethod: try reader.optionalString("payment_method"), paidCents: try reader.int64("paid_cents"),
                paymentDate: try reader.optionalString("payment_date").flatMap(CalendarDate.init),
                claimCount: try reader.int("claim_count"), unmatchedCount: try reader.int("unmatched_count"),
                balanceProblems: try reader.strings("balance_problems"), createdAt: try reader.date("created_at"))
        }
    }

    /// Every remittance claim posted to `claimID`, oldest first.
    public func postings(claimID: ClaimID, in transaction: Transaction) async throws -> [RemittanceClaimRecord] {
        try await transaction.rows("""
            select rc.id, rc.remittance_id, rc.position, rc.patient_control_number, rc.claim_id, rc.status_code,
                   rc.charge_cents, rc.paid_cents, rc.patient_responsibility_cents, rc.payer_claim_number,
                   rc.adjustments::text as adjustments, rc.outcome
            from remittance_claims rc where rc.claim_id = \(claimID.uuid) order by rc.posted_at, rc.id
            """).map(Self.decodeClaim)
    }

    /// The 835 text a remittance came in (`nil` for a check recorded by hand).
    public func x12(of id: RemittanceID, in transaction: Transaction) async throws -> String? {
        try await transaction.firstRow("select x12 from remittances where id = \(id.uuid)")
            .flatMap { try $0.decode(String?.self) }
    }

    /// One claim of a remittance, locked when `forUpdate`.
    public func remittanceClaim(_ id: RemittanceClaimID, forUpdate: Bool, in transaction: Transaction) async throws
        -> RemittanceClaimRecord?
    {
        let lock = forUpdate ? " for update" : ""
        return try await transaction.firstRow("""
            select id, remittance_id, position, patient_control_number, claim_id, status_code, charge_cents, paid_cents,
                   patient_responsibility_cents, payer_claim_number, adjustments::text as adjustments, outcome
            from remittance_claims where id = \(id.uuid)\(unescaped: lock)
            """).map(Self.decodeClaim)
    }

    /// Matches an unmatched remittance claim to one of the practice's claims by hand.
    public func assign(_ id: RemittanceClaimID, to claimID: ClaimID, now: Date, in transaction: Transaction) async throws {
        try await transaction.query("""
            update remittance_claims set claim_id = \(claimID.uuid), posted_at = \(now) where id = \(id.uuid)
            """)
        try await transaction.query("""
            update remittances set unmatched_count = unmatched_count - 1
            where id = (select remittance_id from remittance_claims where id = \(id.uuid)) and unmatched_count > 0
            """)
    }

    /// The remittance (ERA or check recorded by hand) with this trace number that already posted to
    /// the claim, if any: the same money is never posted twice, whichever way it arrived first.
    public func postingFromTrace(claimID: ClaimID, traceNumber: String, in transaction: Transaction) async throws
        -> (id: RemittanceID, source: String)?
    {
        try await transaction.firstRow("""
            select r.id, r.source from remittances r join remittance_claims rc on rc.remittance_id = r.id
            where rc.claim_id = \(claimID.uuid) and r.trace_number = \(traceNumber) limit 1
            """).map { row in
            let (id, source) = try row.decode((UUID, String).self)
            return (RemittanceID(uuid: id), source)
        }
    }

    /// Remittances with this trace number (check or EFT number), for refusing a check recorded twice.
    public func find(traceNumber: String, in transaction: Transaction) async throws
        -> [(id: RemittanceID, payerKey: String, payerName: String, createdAt: Date)]
    {
        try await transaction.rows("""
            select id, payer_key, payer_name, created_at from remittances where trace_number = \(traceNumber)
            """).map { row in
            let (id, key, name, created) = try row.decode((UUID, String, String, Date).self)
            return (RemittanceID(uuid: id), key, name, created)
        }
    }

    /// Claims of remittances that matched no claim of ours, newest remittance first.
    public func unmatched(limit: Int, in transaction: Transaction) async throws -> [RemittanceClaimRecord] {
        try await transaction.rows("""
            select rc.id, rc.remittance_id, rc.position, rc.patient_control_number, rc.claim_id, rc.status_code,
                   rc.charge_cents, rc.paid_cents, rc.patient_responsibility_cents, rc.payer_claim_number,
                   rc.adjustments::text as adjustments, rc.outcome
            from remittance_claims rc join remittances r on r.id = rc.remittance_id
            where rc.claim_id is null order by r.created_at desc, rc.position limit \(limit)
            """).map(Self.decodeClaim)
    }

    /// The claims of a remittance, in file order.
    public func claims(of id: RemittanceID, in transaction: Transaction) async throws -> [RemittanceClaimRecord] {
        try await transaction.rows("""
            select id, remittance_id, position, patient_control_number, claim_id, status_code, charge_cents, paid_cents,
                   patient_responsibility_cents, payer_claim_number, adjustments::text as adjustments, outcome
            from remittance_claims where remittance_id = \(id.uuid) order by position
            """).map(Self.decodeClaim)
    }

    static func decodeClaim(_ row: PostgresRow) throws -> RemittanceClaimRecord {
        let reader = RowReader(row)
        return RemittanceClaimRecord(
            id: try reader.id(RemittanceClaimID.self, "id"), remittanceID: try reader.id(RemittanceID.self, "remittance_id"),
            position: try reader.int("position"), patientControlNumber: try reader.string("patient_control_number"),
            claimID: try reader.optionalID(ClaimID.self, "claim_id"), statusCode: try reader.string("status_code"),
            chargeCents: try reader.int64("charge_cents"), paidCents: try reader.int64("paid_cents"),
            patientResponsibilityCents: try reader.int64("patient_responsibility_cents"),
            payerClaimNumber: try reader.optionalString("payer_claim_number"),
            adjustmentsJSON: try reader.string("adjustments"), outcome: try reader.optionalString("outcome"))
    }
}
