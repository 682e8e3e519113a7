import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes bills, their immutable lines and the session ↔ bill index.
public struct BillRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// The next bill number of the current practice (`B-000001`, …), never reused.
    public func nextNumber(practiceID: PracticeID, in transaction: Transaction) async throws -> String {
        let row = try await transaction.firstRow("""
            insert into bill_counters (practice_id, last_number) values (\(practiceID.uuid), 1)
            on conflict (practice_id) do update set last_number = bill_counters.last_number + 1
            returning last_number
            """)
        let number = try row.map { try RowReader($0).int64("last_number") } ?? 1
        return "B-" + String(repeating: "0", count: max(0, 6 - String(number).count)) + String(number)
    }

    /// Inserts a bill with its lines and marks its sessions as billed.
    public func insert(_ bill: Bill, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into bills (practice_id, id, number, client_id, status, due_on, version, created_at, updated_at)
            values (\(practiceID.uuid), \(bill.id.uuid), \(bill.number), \(bill.clientID.uuid), \(bill.status.rawValue),
                    \(bill.dueOn.description)::date, 1, \(bill.createdAt), \(bill.createdAt))
            """)
        for line in bill.lines {
            try await transaction.query("""
                insert into bill_lines (practice_id, id, bill_id, line_number, kind, session_id, session_line_number,
                    date_of_service, code, modifiers, units, description, amount_cents, client_portion_cents,
                    insurance_portion_cents)
                values (\(practiceID.uuid), \(line.id.uuid), \(bill.id.uuid), \(line.lineNumber), \(line.kind.rawValue),
                        \(line.sessionID?.uuid), \(line.sessionLineNumber), \(line.dateOfService.description)::date, \(line.code),
                        \(line.modifiers), \(line.units), \(line.description), \(line.amountCents), \(line.clientPortionCents),
                        \(line.insurancePortionCents))
                """)
        }
        var sessions: [UUID] = []
        for line in bill.lines { if let id = line.sessionID?.uuid, !sessions.contains(id) { sessions.append(id) } }
        for session in sessions {
            try await transaction.query("""
                insert into bill_sessions (practice_id, session_id, bill_id, active)
                values (\(practiceID.uuid), \(session), \(bill.id.uuid), true)
                """)
        }
    }

    /// The live (not voided) bill a session is on, if any.
    public func liveBill(forSession sessionID: SessionID, in transaction: Transaction) async throws -> BillID? {
        let row = try await transaction.firstRow(
            "select bill_id from bill_sessions where session_id = \(sessionID.uuid) and active")
        return try row.map { try RowReader($0).id(BillID.self, "bill_id") }
    }

    /// Loads a bill with its lines and derived balance; `forUpdate` locks the bill row.
    public func find(_ id: BillID, forUpdate: Bool = false, in transaction: Transaction) async throws -> Bill? {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from bills where id = \(id.uuid)\(unescaped: lock)") else { return nil }
        var bill = try Self.decode(row)
        bill.lines = try await lines(of: [id], in: transaction)[id] ?? []
        bill.balance = try await balances(of: [id], in: transaction)[id] ?? BillBalance()
        return bill
    }

    /// Bills of a client (or all), newest first, with lines and balances.
    public func list(clientID: ClientID?, statuses: [BillStatus]?, before cursor: BillID?, limit: Int,
                     in transaction: Transaction) async throws -> Page<Bill> {
        let statusNames = statuses?.map(\.rawValue)
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from bills
            where (\(clientID?.uuid)::uuid is null or client_id = \(clientID?.uuid))
              and (\(statusNames)::text[] is null or status = any(\(statusNames)))
              and (\(cursor?.uuid)::uuid is null or id < \(cursor?.uuid))
            order by id desc limit \(limit + 1)
            """)
        var bills = try rows.map(Self.decode)
        var next: String? = nil
        if bills.count > limit {
            bills.removeLast()
            next = bills.last?.id.description
        }
        let ids = bills.map(\.id)
        let allLines = try await lines(of: ids, in: transaction)
        let allBalances = try await balances(of: ids, in: transaction)
        for index in bills.indices {
            bills[index].lines = allLines[bills[index].id] ?? []
            bills[index].balance = allBalances[bills[index].id] ?? BillBalance()
        }
        return Page(items: bills, nextCursor: next)
    }

    /// Open bills of a client, oldest first, with balances (for automatic allocation).
    public func openBills(of clientID: ClientID, in transaction: Transaction) async throws -> [Bill] {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from bills where client_id = \(clientID.uuid) and status = 'open'
            order by number for update
            """)
        var bills = try rows.map(Self.decode)
        let balances = try await balances(of: bills.map(\.id), in: transaction)
        for index in bills.indices { bills[index].balance = balances[bills[index].id] ?? BillBalance() }
        return bills
    }

    /// Sets a bill's status (with the matching timestamp) and bumps its version.
    public func setStatus(_ id: BillID, to status: BillStatus, voidReason: String? = nil, in transaction: Transaction) async throws {
        try await transaction.query("""
            update bills set status = \(status.rawValue), version = version + 1, updated_at = now(),
                opened_at = case when \(status.rawValue) in ('open', 'complete') then coalesce(opened_at, now()) else opened_at end,
                completed_at = case when \(status.rawValue) = 'complete' then now() when \(status.rawValue) = 'open' then null else completed_at end,
                voided_at = case when \(status.rawValue) = 'void' then now() else voided_at end,
                void_reason = coalesce(\(voidReason), void_reason)
            where id = \(id.uuid)
            """)
        if status == .void {
            try await transaction.query("update bill_sessions set active = false where bill_id = \(id.uuid)")
        }
    }

    /// Derived balances for bills, from lines, allocations, adjustments, insurance payments and
    /// responsibility transfers (all immutable rows).
    public func balances(of ids: [BillID], in transaction: Transaction) async throws -> [BillID: BillBalance] {
        guard !ids.isEmpty else { return [:] }
        let uuids = ids.map(\.uuid)
        var result: [BillID: BillBalance] = [:]
        for id in ids { result[id] = BillBalance() }
        for row in try await transaction.rows("""
            select bill_id, sum(amount_cents)::bigint as charges, sum(client_portion_cents)::bigint as client_charges,
                   sum(insurance_portion_cents)::bigint as insurance_charges
            from bill_lines where bill_id = any(\(uuids)) group by bill_id
            """) {
            let reader = RowReader(row)
            let id = try reader.id(BillID.self, "bill_id")
            result[id]?.chargesCents = try reader.int64("charges")
            result[id]?.clientChargesCents = try reader.int64("client_charges")
            result[id]?.insuranceChargesCents = try reader.int64("insurance_charges")
        }
        for row in try await transaction.rows("""
            select bill_id, sum(amount_cents)::bigint as allocated from allocations where bill_id = any(\(uuids)) group by bill_id
            """) {
            let reader = RowReader(row)
            result[try reader.id(BillID.self, "bill_id")]?.allocatedCents = try reader.int64("allocated")
        }
        for row in try await transaction.rows("""
            select bill_id, sum(amount_cents)::bigint as paid from insurance_payments where bill_id = any(\(uuids))
            group by bill_id
            """) {
            let reader = RowReader(row)
            result[try reader.id(BillID.self, "bill_id")]?.insurancePaidCents = try reader.int64("paid")
        }
        for row in try await transaction.rows("""
            select bill_id, sum(amount_cents)::bigint as moved from responsibility_transfers
            where bill_id = any(\(uuids)) group by bill_id
            """) {
            let reader = RowReader(row)
            result[try reader.id(BillID.self, "bill_id")]?.transferredToClientCents = try reader.int64("moved")
        }
        for row in try await transaction.rows("""
            select bill_id, responsibility, sum(amount_cents)::bigint as adjusted from adjustments
            where bill_id = any(\(uuids)) group by bill_id, responsibility
            """) {
            let reader = RowReader(row)
            let id = try reader.id(BillID.self, "bill_id")
            if try reader.string("responsibility") == "insurance" {
                result[id]?.insuranceAdjustmentsCents = try reader.int64("adjusted")
            } else {
                result[id]?.clientAdjustmentsCents = try reader.int64("adjusted")
            }
        }
        return result
    }

    /// Lines of bills, in line order.
    public func lines(of ids: [BillID], in transaction: Transaction) async throws -> [BillID: [BillLine]] {
        guard !ids.isEmpty else { return [:] }
        var result: [BillID: [BillLine]] = [:]
        for row in try await transaction.rows("""
            select bill_id, id, line_number, kind, session_id, session_line_number, date_of_service::text as dos, code,
                   modifiers, units, description, amount_cents, client_portion_cents, insurance_portion_cents
            from bill_lines where bill_id = any(\(ids.map(\.uuid))) order by bill_id, line_number
            """) {
            let reader = RowReader(row)
            let line = BillLine(
                id: try reader.id(BillLineID.self, "id"), lineNumber: try reader.int("line_number"),
                kind: BillLine.Kind(rawValue: try reader.string("kind")) ?? .service,
                sessionID: try reader.optionalID(SessionID.self, "session_id"),
                sessionLineNumber: try reader.optionalInt("session_line_number"),
                dateOfService: CalendarDate(try reader.string("dos")) ?? CalendarDate(year: 2000, month: 1, day: 1)!,
                code: try reader.optionalString("code"), modifiers: try reader.strings("modifiers"),
                units: try reader.int("units"), description: try reader.string("description"),
                amountCents: try reader.int64("amount_cents"), clientPortionCents: try reader.int64("client_portion_cents"),
                insurancePortionCents: try reader.int64("insurance_portion_cents"))
            result[try reader.id(BillID.self, "bill_id"), default: []].append(line)
        }
        return result
    }

    /// Records an adjustment on a bill.
    public func insertAdjustment(id: AdjustmentID, billID: BillID, kind: AdjustmentKind, amountCents: Int64, reason: String,
                                 createdBy: MemberID?, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into adjustments (practice_id, id, bill_id, kind, responsibility, amount_cents, reason, created_by)
            values (\(practiceID.uuid), \(id.uuid), \(billID.uuid), \(kind.rawValue), \(kind.responsibility), \(amountCents),
                    \(reason), \(createdBy?.uuid))
            """)
    }

    static let columns = """
        id, number, client_id, status, due_on::text as due_on, opened_at, completed_at, voided_at, void_reason, version, created_at
        """

    static func decode(_ row: PostgresRow) throws -> Bill {
        let reader = RowReader(row)
        return Bill(
            id: try reader.id(BillID.self, "id"), number: try reader.string("number"),
            clientID: try reader.id(ClientID.self, "client_id"),
            status: BillStatus(rawValue: try reader.string("status")) ?? .pended,
            dueOn: CalendarDate(try reader.string("due_on")) ?? CalendarDate(year: 2000, month: 1, day: 1)!,
            openedAt: try reader.optionalDate("opened_at"), completedAt: try reader.optionalDate("completed_at"),
            voidedAt: try reader.optionalDate("voided_at"), voidReason: try reader.optionalString("void_reason"),
            version: try reader.int("version"), createdAt: try reader.date("created_at"), lines: [], balance: BillBalance())
    }
}
