import BillingCore
import Foundation
import PostgresNIO

/// A claim as stored: the frozen snapshot plus where it stands.
public struct ClaimRecord: Sendable, Hashable {
    public var id: ClaimID
    public var clientID: ClientID
    public var billID: BillID
    public var policyID: PolicyID
    public var payerID: PayerID
    public var patientControlNumber: String
    public var status: ClaimStatus
    public var frequencyCode: String
    public var originalClaimID: ClaimID?
    public var totalCents: Int64
    public var firstDateOfService: CalendarDate
    public var snapshot: ClaimSnapshot
    public var sessionIDs: [SessionID]
    public var batchID: ClaimBatchID?
    public var holdUntil: Date?
    public var clearinghouseClaimID: String?
    public var payerClaimNumber: String?
    public var statusMessage: String?
    public var createdBy: MemberID?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// `primary`, `secondary` or `tertiary`: which of the client's payers this claim bills.
    public var payerSequence: String = "primary"

    /// Creates a record.
    public init(id: ClaimID, clientID: ClientID, billID: BillID, policyID: PolicyID, payerID: PayerID,
                patientControlNumber: String, status: ClaimStatus, frequencyCode: String, originalClaimID: ClaimID?,
                totalCents: Int64, firstDateOfService: CalendarDate, snapshot: ClaimSnapshot, sessionIDs: [SessionID],
                batchID: ClaimBatchID? = nil, holdUntil: Date? = nil, clearinghouseClaimID: String? = nil,
                payerClaimNumber: String? = nil, statusMessage: String? = nil, createdBy: MemberID?, version: Int = 1,
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.clientID = clientID
        self.billID = billID
        self.policyID = policyID
        self.payerID = payerID
        self.patientControlNumber = patientControlNumber
        self.status = status
        self.frequencyCode = frequencyCode
        self.originalClaimID = originalClaimID
        self.totalCents = totalCents
        self.firstDateOfService = firstDateOfService
        self.snapshot = snapshot
        self.sessionIDs = sessionIDs
        self.batchID = batchID
        self.holdUntil = holdUntil
        self.clearinghouseClaimID = clearinghouseClaimID
        self.payerClaimNumber = payerClaimNumber
        self.statusMessage = statusMessage
        self.createdBy = createdBy
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One transition of a claim.
public struct ClaimEventRecord: Sendable, Hashable {
    public var at: Date
    public var from: ClaimStatus?
    public var to: ClaimStatus
    public var source: ClaimEventSource
    public var message: String?
    public var memberID: MemberID?

    /// Creates an event.
    public init(at: Date, from: ClaimStatus?, to: ClaimStatus, source: ClaimEventSource, message: String?,
                memberID: MemberID? = nil) {
        self.at = at
        self.from = from
        self.to = to
        self.source = source
        self.message = message
        self.memberID = memberID
    }
}

/// Filters of `claim.list`.
public struct ClaimFilter: Sendable {
    public var statuses: [ClaimStatus]?
    public var payerID: PayerID?
    public var clientID: ClientID?
    public var billID: BillID?
    public var from: CalendarDate?
    public var to: CalendarDate?

    /// Creates a filter; `nil` members match everything.
    public init(statuses: [ClaimStatus]? = nil, payerID: PayerID? = nil, clientID: ClientID? = nil, billID: BillID? = nil,
                from: CalendarDate? = nil, to: CalendarDate? = nil) {
        self.statuses = statuses
        self.payerID = payerID
        self.clientID = clientID
        self.billID = billID
        self.from = from
        self.to = to
    }
}

/// An upload batch.
public struct ClaimBatchRecord: Sendable, Hashable {
    public var id: ClaimBatchID
    /// `ready` (never attempted), `uploading` (attempted, outcome unknown until answered or looked up),
    /// `done`, `rejected` (the clearinghouse refused the whole file).
    public var state: String
    public var plugin: String
    public var fileName: String
    public var x12: String
    public var claimCount: Int
    public var totalCents: Int64
    public var attempts: Int
    public var firstAttemptAt: Date?
    public var createdAt: Date

    /// Creates a record.
    public init(id: ClaimBatchID, state: String, plugin: String, fileName: String, x12: String, claimCount: Int,
                totalCents: Int64, attempts: Int = 0, firstAttemptAt: Date? = nil, createdAt: Date) {
        self.id = id
        self.state = state
        self.plugin = plugin
        self.fileName = fileName
        self.x12 = x12
        self.claimCount = claimCount
        self.totalCents = totalCents
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.createdAt = createdAt
    }
}

/// Reads and writes the current practice's claims, their events, batches, counters and cursors.
public struct ClaimRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        c.id, c.client_id, c.bill_id, c.policy_id, c.payer_id, c.patient_control_number, c.status, c.frequency_code,
        c.original_claim_id, c.total_cents, c.first_date_of_service::text as first_dos, c.snapshot::text as snapshot,
        c.batch_id, c.hold_until, c.clearinghouse_claim_id, c.payer_claim_number, c.status_message, c.created_by,
        c.version, c.created_at, c.updated_at, c.payer_sequence,
        array(select s.session_id from claim_sessions s where s.claim_id = c.id order by s.session_id) as session_ids
        """

    // MARK: - Counters

    /// The next claim number of the practice (never reused, even when the transaction that took it
    /// commits a claim that is later voided).
    public func nextClaimNumber(practiceID: PracticeID, in transaction: Transaction) async throws -> Int64 {
        let row = try await transaction.firstRow("""
            insert into claim_counters (practice_id, next_claim) values (\(practiceID.uuid), 2)
            on conflict (practice_id) do update set next_claim = claim_counters.next_claim + 1
            returning next_claim - 1
            """)
        guard let row else { throw StorageError.configuration("claim counter did not advance") }
        return try row.decode(Int64.self)
    }

    /// The next interchange control number of the practice (1…999,999,999, then around again).
    public func nextInterchangeNumber(practiceID: PracticeID, in transaction: Transaction) async throws -> Int {
        let row = try await transaction.firstRow("""
            insert into claim_counters (practice_id, next_interchange) values (\(practiceID.uuid), 2)
            on conflict (practice_id) do update set next_interchange =
                case when claim_counters.next_interchange >= 999999999 then 1 else claim_counters.next_interchange + 1 end
            returning case when next_interchange = 1 then 999999999 else next_interchange - 1 end
            """)
        guard let row else { throw StorageError.configuration("interchange counter did not advance") }
        return Int(try row.decode(Int64.self))
    }

    // MARK: - Claims

    /// Inserts a claim, links its sessions and records its first event.
    /// - Parameter holdsSessions: `false` for a void (frequency 8) claim, which frees its sessions.
    public func insert(_ claim: ClaimRecord, event: ClaimEventRecord, practiceID: PracticeID, holdsSessions: Bool = true,
                       in transaction: Transaction) async throws {
        let snapshot = try jsonText(claim.snapshot)
        try await transaction.query("""
            insert into claims (practice_id, id, client_id, bill_id, policy_id, payer_id, patient_control_number, status,
                                frequency_code, original_claim_id, total_cents, first_date_of_service, snapshot,
                                created_by, version, created_at, updated_at, payer_sequence)
            values (\(practiceID.uuid), \(claim.id.uuid), \(claim.clientID.uuid), \(claim.billID.uuid),
                    \(claim.policyID.uuid), \(claim.payerID.uuid), \(claim.patientControlNumber), \(claim.status.rawValue),
                    \(claim.frequencyCode), \(claim.originalClaimID?.uuid), \(claim.totalCents),
                    \(claim.firstDateOfService.description)::date, \(snapshot)::jsonb, \(claim.createdBy?.uuid),
                    \(claim.version), \(claim.createdAt), \(claim.updatedAt), \(claim.payerSequence))
            """)
        try await transaction.query("""
            insert into claim_sessions (practice_id, claim_id, session_id, live, payer_sequence)
            select \(practiceID.uuid), \(claim.id.uuid), unnest(\(claim.sessionIDs.map(\.uuid))::uuid[]), \(holdsSessions),
                   \(claim.payerSequence)
            """)
        try await appendEvent(event, to: claim.id, practiceID: practiceID, in: transaction)
    }

    /// The claim `id`, locked when `forUpdate`.
    public func find(_ id: ClaimID, forUpdate: Bool = false, in transaction: Transaction) async throws -> ClaimRecord? {
        let lock = forUpdate ? " for update of c" : ""
        return try await transaction.firstRow(
            "select \(unescaped: Self.columns) from claims c where c.id = \(id.uuid)\(unescaped: lock)").map(Self.decode)
    }

    /// The claims with these patient control numbers, locked.
    public func find(patientControlNumbers: [String], in transaction: Transaction) async throws -> [ClaimRecord] {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from claims c where c.patient_control_number = any(\(patientControlNumbers))
            order by c.patient_control_number for update of c
            """).map(Self.decode)
    }

    /// The claims of a batch, in file order (patient control number).
    public func claims(inBatch batchID: ClaimBatchID, in transaction: Transaction) async throws -> [ClaimRecord] {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from claims c where c.batch_id = \(batchID.uuid)
            order by c.patient_control_number for update of c
            """).map(Self.decode)
    }

    /// A page of claims, newest first.
    public func list(_ filter: ClaimFilter, after cursor: ClaimRecord?, limit: Int, in transaction: Transaction)
        async throws -> Page<ClaimRecord>
    {
        let statuses = filter.statuses?.map(\.rawValue)
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from claims c
            where (\(statuses)::text[] is null or c.status = any(\(statuses)))
              and (\(filter.payerID?.uuid)::uuid is null or c.payer_id = \(filter.payerID?.uuid))
              and (\(filter.clientID?.uuid)::uuid is null or c.client_id = \(filter.clientID?.uuid))
              and (\(filter.billID?.uuid)::uuid is null or c.bill_id = \(filter.billID?.uuid))
              and (\(filter.from?.description)::date is null or c.first_date_of_service >= \(filter.from?.description)::date)
              and (\(filter.to?.description)::date is null or c.first_date_of_service <= \(filter.to?.description)::date)
              and (\(cursor?.id.uuid)::uuid is null
                   or (c.created_at, c.id) < (\(cursor?.createdAt)::timestamptz, \(cursor?.id.uuid)::uuid))
            order by c.created_at desc, c.id desc limit \(limit + 1)
            """)
        var claims = try rows.map(Self.decode)
        var next: String?
        if claims.count > limit {
            claims.removeLast()
            next = claims.last?.id.description
        }
        return Page(items: claims, nextCursor: next)
    }

    /// Moves a claim to `status` with its event; other columns as given (`nil` leaves them).
    public func transition(_ id: ClaimID, to status: ClaimStatus, event: ClaimEventRecord, practiceID: PracticeID,
                           clearinghouseClaimID: String? = nil, payerClaimNumber: String? = nil,
                           holdUntil: Date? = nil, in transaction: Transaction) async throws {
        try await transaction.query("""
            update claims set status = \(status.rawValue), version = version + 1, updated_at = \(event.at),
                status_message = \(event.message),
                clearinghouse_claim_id = coalesce(\(clearinghouseClaimID), clearinghouse_claim_id),
                payer_claim_number = coalesce(\(payerClaimNumber), payer_claim_number),
                hold_until = coalesce(\(holdUntil), hold_until)
            where id = \(id.uuid)
            """)
        if status == .void {
            try await transaction.query("update claim_sessions set live = false where claim_id = \(id.uuid)")
        }
        try await appendEvent(event, to: id, practiceID: practiceID, in: transaction)
    }

    /// Frees a claim's sessions (it was replaced or voided at the payer) so a new claim may bill them.
    public func releaseSessions(of id: ClaimID, in transaction: Transaction) async throws {
        try await transaction.query("update claim_sessions set live = false where claim_id = \(id.uuid)")
    }

    /// Replaces the frozen content of a claim the payer never accepted (a resubmission after a
    /// clearinghouse or payer front-end rejection), keeping its patient control number.
    public func replaceSnapshot(_ id: ClaimID, snapshot: ClaimSnapshot, firstDateOfService: CalendarDate,
                                in transaction: Transaction) async throws {
        try await transaction.query("""
            update claims set snapshot = \(try jsonText(snapshot))::jsonb, total_cents = \(snapshot.totalChargeCents),
                first_date_of_service = \(firstDateOfService.description)::date, version = version + 1
            where id = \(id.uuid)
            """)
    }

    /// The claims that replace or void `id` (frequency 7 or 8 with it as original), oldest first.
    public func successors(of id: ClaimID, in transaction: Transaction) async throws -> [ClaimRecord] {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from claims c where c.original_claim_id = \(id.uuid) order by c.created_at
            """).map(Self.decode)
    }

    /// `true` when any remittance has been posted to the claim (the payer adjudicated it).
    public func hasRemittance(_ id: ClaimID, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("select 1 from remittance_claims where claim_id = \(id.uuid) limit 1") != nil
    }

    /// Records an event that does not change the status (a clearinghouse message, a reconciliation note).
    public func appendEvent(_ event: ClaimEventRecord, to id: ClaimID, practiceID: PracticeID,
                            in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into claim_events (practice_id, id, claim_id, at, from_status, to_status, source, message, member_id)
            values (\(practiceID.uuid), \(UUIDv7.make()), \(id.uuid), \(event.at), \(event.from?.rawValue),
                    \(event.to.rawValue), \(event.source.rawValue), \(event.message), \(event.memberID?.uuid))
            """)
    }

    /// The timeline of each claim in `ids`, oldest first.
    public func events(of ids: [ClaimID], in transaction: Transaction) async throws -> [ClaimID: [ClaimEventRecord]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await transaction.rows("""
            select claim_id, at, from_status, to_status, source, message, member_id from claim_events
            where claim_id = any(\(ids.map(\.uuid))) order by claim_id, at, id
            """)
        var result: [ClaimID: [ClaimEventRecord]] = [:]
        for row in rows {
            let reader = RowReader(row)
            let id = try reader.id(ClaimID.self, "claim_id")
            guard let to = ClaimStatus(rawValue: try reader.string("to_status")),
                  let source = ClaimEventSource(rawValue: try reader.string("source")) else { continue }
            result[id, default: []].append(ClaimEventRecord(
                at: try reader.date("at"), from: try reader.optionalString("from_status").flatMap(ClaimStatus.init),
                to: to, source: source, message: try reader.optionalString("message"),
                memberID: try reader.optionalID(MemberID.self, "member_id")))
        }
        return result
    }

    /// Sessions already on a live claim to the payer in `sequence` (of any of `sessionIDs`).
    public func sessionsOnLiveClaims(_ sessionIDs: [SessionID], sequence: String = "primary",
                                     in transaction: Transaction) async throws -> [SessionID: ClaimID]
    {
        let rows = try await transaction.rows("""
            select session_id, claim_id from claim_sessions
            where live and payer_sequence = \(sequence) and session_id = any(\(sessionIDs.map(\.uuid)))
            """)
        var result: [SessionID: ClaimID] = [:]
        for row in rows {
            let reader = RowReader(row)
            result[try reader.id(SessionID.self, "session_id")] = try reader.id(ClaimID.self, "claim_id")
        }
        return result
    }

    /// Completed insurance sessions on no live claim, oldest first, with their bill if billed.
    public func pendingSessions(limit: Int, in transaction: Transaction) async throws -> [(SessionID, BillID?)] {
        let rows = try await transaction.rows("""
            select s.id, (select bs.bill_id from bill_sessions bs join bills b on b.id = bs.bill_id
                          where bs.session_id = s.id and bs.active and b.status <> 'void' limit 1) as bill_id
            from sessions s
            where s.billing = 'insurance' and s.attendance = 'completed'
              and not exists (select 1 from claim_sessions cs where cs.session_id = s.id and cs.live
                               and cs.payer_sequence = 'primary')
            order by s.date_of_service, s.id limit \(limit)
            """)
        return try rows.map { row in
            let reader = RowReader(row)
            return (try reader.id(SessionID.self, "id"), try reader.optionalID(BillID.self, "bill_id"))
        }
    }

    // MARK: - Submission

    /// Takes the practice's submission lock for the rest of the transaction; `false` when another
    /// worker holds it.
    public func trySubmissionLock(practiceID: PracticeID, in transaction: Transaction) async throws -> Bool {
        let key = "claims.submit:\(practiceID.uuid.uuidString)"
        guard let row = try await transaction.firstRow(
            "select pg_try_advisory_xact_lock(hashtextextended(\(key), 0))") else { return false }
        return try row.decode(Bool.self)
    }

    /// Queued claims ready to go (hold elapsed, in no batch), oldest first, locked (skipping those
    /// another worker holds).
    public func claimsReadyToBatch(now: Date, limit: Int, in transaction: Transaction) async throws -> [ClaimRecord] {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from claims c
            where c.status = 'queued' and c.batch_id is null and (c.hold_until is null or c.hold_until <= \(now))
            order by c.created_at, c.id limit \(limit) for update of c skip locked
            """).map(Self.decode)
    }

    /// The earliest hold among queued claims in no batch (when the next submission run is due).
    public func nextHoldExpiry(in transaction: Transaction) async throws -> Date? {
        try await transaction.firstRow("""
            select min(hold_until) from claims where status = 'queued' and batch_id is null and hold_until is not null
            """)?.decode(Date?.self)
    }

    /// Stores a new batch and puts the claims in it.
    public func insertBatch(_ batch: ClaimBatchRecord, claims: [ClaimID], practiceID: PracticeID,
                            in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into claim_batches (practice_id, id, state, plugin, file_name, x12, claim_count, total_cents, created_at,
                                       updated_at)
            values (\(practiceID.uuid), \(batch.id.uuid), \(batch.state), \(batch.plugin), \(batch.fileName), \(batch.x12),
                    \(batch.claimCount), \(batch.totalCents), \(batch.createdAt), \(batch.createdAt))
            """)
        try await transaction.query(
            "update claims set batch_id = \(batch.id.uuid) where id = any(\(claims.map(\.uuid)))")
    }

    /// Takes a claim out of its batch (resubmitted after a rejection: it goes in a new file).
    public func detachFromBatch(_ id: ClaimID, in transaction: Transaction) async throws {
        try await transaction.query("update claims set batch_id = null where id = \(id.uuid)")
    }

    /// Batches not finished (never attempted, or attempted with an unknown outcome), oldest first, locked.
    public func openBatches(in transaction: Transaction) async throws -> [ClaimBatchRecord] {
        try await transaction.rows("""
            select id, state, plugin, file_name, x12, claim_count, total_cents, attempts, first_attempt_at, created_at
            from claim_batches where state in ('ready', 'uploading') order by created_at, id for update skip locked
            """).map { row in
            let reader = RowReader(row)
            return ClaimBatchRecord(
                id: try reader.id(ClaimBatchID.self, "id"), state: try reader.string("state"),
                plugin: try reader.string("plugin"), fileName: try reader.string("file_name"), x12: try reader.string("x12"),
                claimCount: try reader.int("claim_count"), totalCents: try reader.int64("total_cents"),
                attempts: try reader.int("attempts"), firstAttemptAt: try reader.optionalDate("first_attempt_at"),
                createdAt: try reader.date("created_at"))
        }
    }

    /// Marks an attempt before the file leaves (committed first, so a crash mid-call is known).
    public func markAttempt(_ id: ClaimBatchID, now: Date, in transaction: Transaction) async throws {
        try await transaction.query("""
            update claim_batches set state = 'uploading', attempts = attempts + 1,
                first_attempt_at = coalesce(first_attempt_at, \(now)), updated_at = \(now)
            where id = \(id.uuid)
            """)
    }

    /// Finishes a batch: `done`, `rejected`, or back to `uploading` with the error (outcome unknown).
    public func settleBatch(_ id: ClaimBatchID, state: String, error: String?, now: Date, in transaction: Transaction)
        async throws
    {
        try await transaction.query("""
            update claim_batches set state = \(state), last_error = \(error), updated_at = \(now) where id = \(id.uuid)
            """)
    }

    /// Takes the practice's status-sync lock for the rest of the transaction; `false` when another
    /// poll holds it.
    public func trySyncLock(practiceID: PracticeID, in transaction: Transaction) async throws -> Bool {
        let key = "claims.sync:\(practiceID.uuid.uuidString)"
        guard let row = try await transaction.firstRow(
            "select pg_try_advisory_xact_lock(hashtextextended(\(key), 0))") else { return false }
        return try row.decode(Bool.self)
    }

    // MARK: - Cursors

    /// The practice's clearinghouse status cursor.
    public func statusCursor(in transaction: Transaction) async throws -> String? {
        try await transaction.firstRow("select status_cursor from clearinghouse_cursors")?.decode(String?.self)
    }

    /// Stores the status cursor after a poll.
    public func storeStatusCursor(_ cursor: String?, practiceID: PracticeID, now: Date, in transaction: Transaction)
        async throws
    {
        try await transaction.query("""
            insert into clearinghouse_cursors (practice_id, status_cursor, last_status_poll_at, updated_at)
            values (\(practiceID.uuid), \(cursor), \(now), \(now))
            on conflict (practice_id) do update set status_cursor = coalesce(excluded.status_cursor,
                clearinghouse_cursors.status_cursor), last_status_poll_at = excluded.last_status_poll_at,
                updated_at = excluded.updated_at
            """)
    }

    /// The practice's remittance (ERA) cursor.
    public func remittanceCursor(in transaction: Transaction) async throws -> String? {
        try await transaction.firstRow("select remittance_cursor from clearinghouse_cursors")?.decode(String?.self)
    }

    /// Stores the remittance cursor after a poll.
    public func storeRemittanceCursor(_ cursor: String?, practiceID: PracticeID, now: Date, in transaction: Transaction)
        async throws
    {
        try await transaction.query("""
            insert into clearinghouse_cursors (practice_id, remittance_cursor, updated_at)
            values (\(practiceID.uuid), \(cursor), \(now))
            on conflict (practice_id) do update set remittance_cursor = coalesce(excluded.remittance_cursor,
                clearinghouse_cursors.remittance_cursor), updated_at = excluded.updated_at
            """)
    }

    // MARK: - Alerts

    /// Claims sent before `cutoff` that no report has moved since (stuck without acknowledgement).
    public func claimsSentBefore(_ cutoff: Date, in transaction: Transaction) async throws -> [ClaimRecord] {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from claims c
            where c.status = 'sent' and c.updated_at < \(cutoff) order by c.updated_at limit 500
            """).map(Self.decode)
    }

    /// Raises an alert once per `dedupeKey`; `true` when it is new.
    public func raiseAlert(kind: String, claimID: ClaimID?, message: String, dedupeKey: String, practiceID: PracticeID,
                           now: Date, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            insert into practice_alerts (practice_id, id, kind, claim_id, message, dedupe_key, created_at)
            values (\(practiceID.uuid), \(UUIDv7.make()), \(kind), \(claimID?.uuid), \(message), \(dedupeKey), \(now))
            on conflict (practice_id, dedupe_key) do nothing returning id
            """) != nil
    }

    /// The practice's alerts, newest first.
    public func alerts(includeResolved: Bool, limit: Int, in transaction: Transaction) async throws
        -> [(id: UUID, kind: String, claimID: ClaimID?, message: String, createdAt: Date, resolvedAt: Date?)]
    {
        try await transaction.rows("""
            select id, kind, claim_id, message, created_at, resolved_at from practice_alerts
            where (\(includeResolved) or resolved_at is null) order by created_at desc, id desc limit \(limit)
            """).map { row in
            let reader = RowReader(row)
            return (try reader.uuid("id"), try reader.string("kind"), try reader.optionalID(ClaimID.self, "claim_id"),
                    try reader.string("message"), try reader.date("created_at"), try reader.optionalDate("resolved_at"))
        }
    }

    static func decode(_ row: PostgresRow) throws -> ClaimRecord {
        let reader = RowReader(row)
        let snapshotText = try reader.string("snapshot")
        let snapshot = try JSONDecoder().decode(ClaimSnapshot.self, from: Data(snapshotText.utf8))
        guard let status = ClaimStatus(rawValue: try reader.string("status")),
              let firstDate = CalendarDate(try reader.string("first_dos")) else {
            throw StorageError.configuration("claim row has an unknown status or date")
        }
        let sessions = try row.makeRandomAccess()["session_ids"].decode([UUID].self, context: .default)
        var record = ClaimRecord(
            id: try reader.id(ClaimID.self, "id"), clientID: try reader.id(ClientID.self, "client_id"),
            billID: try reader.id(BillID.self, "bill_id"), policyID: try reader.id(PolicyID.self, "policy_id"),
            payerID: try reader.id(PayerID.self, "payer_id"),
            patientControlNumber: try reader.string("patient_control_number"), status: status,
            frequencyCode: try reader.string("frequency_code"),
            originalClaimID: try reader.optionalID(ClaimID.self, "original_claim_id"),
            totalCents: try reader.int64("total_cents"), firstDateOfService: firstDate, snapshot: snapshot,
            sessionIDs: sessions.map(SessionID.init(uuid:)), batchID: try reader.optionalID(ClaimBatchID.self, "batch_id"),
            holdUntil: try reader.optionalDate("hold_until"),
            clearinghouseClaimID: try reader.optionalString("clearinghouse_claim_id"),
            payerClaimNumber: try reader.optionalString("payer_claim_number"),
            statusMessage: try reader.optionalString("status_message"),
            createdBy: try reader.optionalID(MemberID.self, "created_by"), version: try reader.int("version"),
            createdAt: try reader.date("created_at"), updatedAt: try reader.date("updated_at"))
        record.payerSequence = try reader.string("payer_sequence")
        return record
    }
}
