import BillingCore
import Foundation
import Storage

/// Use cases for bills, client payments, allocations, refunds and adjustments. Every balance is
/// derived from immutable rows; each use case runs inside the caller's transaction and locks the
/// client row first, so concurrent money movements of one client serialize.
public struct LedgerService: Sendable {
    let bills = BillRepository()
    let payments = PaymentRepository()
    let sources = BillingSourceRepository()
    let statements = StatementRepository()

    /// Creates the service.
    public init() {}

    // MARK: Bills

    /// Creates a Pended bill from sessions of one client: service lines from completed sessions,
    /// the no-show fee for missed ones when the settings charge it.
    public func createBill(_ input: NewBill, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> Bill
    {
        guard try await sources.lockClient(input.clientId, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        let sessions = try await sources.sessions(input.sessionIds, in: transaction)
        let settings = try await SettingsService().effective(for: input.clientId, in: transaction)
        var problems: [FieldProblem] = []
        var lines: [BillLine] = []
        for (index, sessionID) in input.sessionIds.enumerated() {
            let pointer = "/sessionIds/\(index)"
            guard let session = sessions[sessionID], session.clientID == input.clientId else {
                throw DomainError.notFound("session", pointer: pointer)
            }
            if let billed = try await bills.liveBill(forSession: sessionID, in: transaction) {
                throw DomainError(.conflict, code: "session.alreadyBilled", message: "the session is already on bill \(billed)",
                                  problems: [FieldProblem(pointer: pointer, reason: "is already on a bill", code: "alreadyBilled")])
            }
            switch session.attendance {
            case "completed":
                let amounts = session.lines.map { $0.rateCents * Int64($0.units) }
                let split = ChargeSplit.split(lineAmounts: amounts, insurance: session.billing == "insurance",
                                              copayCents: session.copayCents)
                if session.lines.isEmpty {
                    problems.append(FieldProblem(pointer: pointer, reason: "has no service lines to bill", code: "nothingToBill"))
                }
                for (line, portions) in zip(session.lines, split) {
                    lines.append(BillLine(
                        id: .generate(), lineNumber: lines.count + 1, kind: .service, sessionID: sessionID,
                        sessionLineNumber: line.lineNumber, dateOfService: session.dateOfService, code: line.code,
                        modifiers: line.modifiers, units: line.units, description: line.description,
                        amountCents: line.rateCents * Int64(line.units), clientPortionCents: portions.clientCents,
                        insurancePortionCents: portions.insuranceCents))
                }
            case "noShow", "lateCancel":
                let kind = MissedSessionKind(rawValue: session.attendance)
                guard settings.noShowFee.enabled, let kind, settings.noShowFee.appliesTo.contains(kind) else {
                    problems.append(FieldProblem(
                        pointer: pointer, reason: "was missed and the practice charges no fee for it", code: "nothingToBill"))
                    continue
                }
                lines.append(BillLine(
                    id: .generate(), lineNumber: lines.count + 1, kind: .fee, sessionID: sessionID, sessionLineNumber: nil,
                    dateOfService: session.dateOfService, code: nil, modifiers: [], units: 1,
                    description: session.attendance == "noShow" ? "Missed appointment fee" : "Late cancellation fee",
                    amountCents: settings.noShowFee.amountCents, clientPortionCents: settings.noShowFee.amountCents,
                    insurancePortionCents: 0))
            default:
                problems.append(FieldProblem(pointer: pointer, reason: "was cancelled; there is nothing to bill",
                                             code: "nothingToBill"))
            }
        }
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        let zone = try await sources.timeZone(in: transaction)
        let today = CalendarDate(now, in: zone)
        let bill = Bill(
            id: .generate(), number: try await bills.nextNumber(practiceID: practiceID, in: transaction),
            clientID: input.clientId, status: .pended, dueOn: input.dueOn ?? today.adding(days: settings.dueDays),
            openedAt: nil, completedAt: nil, voidedAt: nil, voidReason: nil, version: 1, createdAt: now, lines: lines,
            balance: BillBalance())
        try await bills.insert(bill, practiceID: practiceID, in: transaction)
        return try await self.bill(bill.id, in: transaction)
    }

    /// A bill with lines and balance.
    public func bill(_ id: BillID, in transaction: Transaction, pointer: String = "/id") async throws -> Bill {
        guard let bill = try await bills.find(id, in: transaction) else { throw DomainError.notFound("bill", pointer: pointer) }
        return bill
    }

    /// Bills of a client or of the practice.
    public func listBills(clientID: ClientID?, statuses: [BillStatus]?, cursor: BillID?, limit: Int,
                          in transaction: Transaction) async throws -> Page<Bill> {
        if let clientID, !(try await statements.clientExists(clientID, in: transaction)) {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        return try await bills.list(clientID: clientID, statuses: statuses, before: cursor, limit: limit, in: transaction)
    }

    /// Pended → Open (or Complete when nothing is owed).
    public func openBill(_ id: BillID, version: Int, in transaction: Transaction) async throws -> Bill {
        let bill = try await lockedBill(id, version: version, in: transaction)
        let status = try BillLifecycle.open(bill.status, balanceCents: bill.balance.balanceCents)
        try await bills.setStatus(id, to: status, in: transaction)
        return try await self.bill(id, in: transaction)
    }

    /// Pended/Open → Void, only without allocations; its sessions become billable again.
    public func voidBill(_ id: BillID, version: Int, reason: String, in transaction: Transaction) async throws -> Bill {
        let bill = try await lockedBill(id, version: version, in: transaction)
        let status = try BillLifecycle.void(bill.status, netAllocatedCents: bill.balance.allocatedCents)
        try await bills.setStatus(id, to: status, voidReason: reason, in: transaction)
        return try await self.bill(id, in: transaction)
    }

    /// Records a discount or write-off on an Open bill.
    public func adjust(_ request: AdjustmentRequest, practiceID: PracticeID, memberID: MemberID?, in transaction: Transaction)
        async throws -> Bill
    {
        let bill = try await self.bill(request.billId, in: transaction, pointer: "/billId")
        guard try await sources.lockClient(bill.clientID, in: transaction) else { throw DomainError.notFound("client") }
        let locked = try await lockedBill(request.billId, version: nil, pointer: "/billId", in: transaction)
        guard locked.status == .open else { throw BillLifecycle.notPayable(locked.status, pointer: "/billId") }
        let available = request.kind == .insuranceWriteOff
            ? locked.balance.insurancePendingCents : locked.balance.clientResponsibilityCents
        guard request.amountCents <= available else {
            throw DomainError.invalid("/amountCents", "must be at most \(available) (what the \(request.kind.responsibility) owes on this bill)",
                                      code: "exceedsBalance")
        }
        try await bills.insertAdjustment(id: .generate(), billID: request.billId, kind: request.kind,
                                         amountCents: request.amountCents, reason: request.reason, createdBy: memberID,
                                         practiceID: practiceID, in: transaction)
        return try await settle(request.billId, in: transaction)
    }

    // MARK: Payments

    /// The outcome of a payment movement: the payment and the bills it touched.
    public struct PaymentOutcome: Sendable {
        public let payment: Payment
        public let bills: [Bill]
    }

    /// Records a client payment and allocates it (explicitly, or oldest Open bill first); the rest is credit.
    public func recordPayment(_ input: NewPayment, practiceID: PracticeID, memberID: MemberID?, in transaction: Transaction,
                              now: Date = Date()) async throws -> PaymentOutcome {
        guard try await sources.lockClient(input.clientId, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        if let contact = input.payerContactId {
            guard try await statements.contactLinked(contact, to: input.clientId, in: transaction) else {
                throw DomainError.notFound("contact", pointer: "/payerContactId")
            }
        }
        let payment = Payment(id: .generate(), clientID: input.clientId, payerContactID: input.payerContactId,
                              amountCents: input.amountCents, method: input.method, receivedOn: input.receivedOn,
                              reference: input.reference, createdAt: now, allocations: [], refundedCents: 0)
        try await payments.insert(payment, recordedBy: memberID, practiceID: practiceID, in: transaction)
        let touched = try await allocate(paymentID: payment.id, available: input.amountCents, clientID: input.clientId,
                                         explicit: input.allocations, practiceID: practiceID, in: transaction)
        return PaymentOutcome(payment: try await self.payment(payment.id, in: transaction), bills: touched)
    }

    /// Applies unapplied money of a payment (or the client's oldest credit) to bills.
    public func allocateCredit(_ request: AllocationRequest, practiceID: PracticeID, in transaction: Transaction) async throws
        -> [PaymentOutcome]
    {
        guard try await sources.lockClient(request.clientId, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        var creditSources: [Payment]
        if let paymentID = request.paymentId {
            guard let payment = try await payments.find(paymentID, in: transaction), payment.clientID == request.clientId else {
                throw DomainError.notFound("payment", pointer: "/paymentId")
            }
            creditSources = [payment]
        } else {
            creditSources = try await payments.paymentsWithCredit(of: request.clientId, in: transaction)
        }
        let credit = creditSources.reduce(Int64(0)) { $0 + $1.unappliedCents }
        if let explicit = request.allocations {
            let wanted = explicit.reduce(Int64(0)) { $0 + $1.amountCents }
            guard wanted <= credit else {
                throw DomainError.invalid("/allocations", "allocations total \(wanted) but only \(credit) is unapplied",
                                          code: "overAllocated")
            }
        }
        guard credit > 0 else {
            throw DomainError(.conflict, code: "payment.noCredit", message: "there is no unapplied money to allocate",
                              problems: [FieldProblem(pointer: request.paymentId == nil ? "/clientId" : "/paymentId",
                                                      reason: "has no unapplied money", code: "noCredit")])
        }
        // Spread the requested allocations over the credit-carrying payments, oldest first.
        var remainingRequests: [PaymentAllocation]? = request.allocations
        var outcomes: [PaymentOutcome] = []
        for source in creditSources where source.unappliedCents > 0 {
            var explicit: [PaymentAllocation]? = nil
            if var pending = remainingRequests {
                var budget = source.unappliedCents
                var take: [PaymentAllocation] = []
                var index = 0
                while index < pending.count, budget > 0 {
                    let portion = min(budget, pending[index].amountCents)
                    take.append(PaymentAllocation(billId: pending[index].billId, amountCents: portion))
                    pending[index].amountCents -= portion
                    budget -= portion
                    if pending[index].amountCents == 0 { index += 1 }
                }
                pending.removeFirst(index)
                remainingRequests = pending
                if take.isEmpty { continue }
                explicit = take
            }
            let touched = try await allocate(paymentID: source.id, available: source.unappliedCents,
                                             clientID: request.clientId, explicit: explicit, practiceID: practiceID,
                                             in: transaction)
            outcomes.append(PaymentOutcome(payment: try await payment(source.id, in: transaction), bills: touched))
            if remainingRequests?.isEmpty == true { break }
        }
        return outcomes
    }

    /// Refunds part or all of a payment: unapplied money first, then allocations newest first
    /// (their bills owe again and reopen).
    public func refund(_ request: RefundRequest, practiceID: PracticeID, memberID: MemberID?, in transaction: Transaction,
                       now: Date = Date()) async throws -> PaymentOutcome {
        guard let found = try await payments.find(request.paymentId, in: transaction) else {
            throw DomainError.notFound("payment", pointer: "/paymentId")
        }
        guard try await sources.lockClient(found.clientID, in: transaction),
              let payment = try await payments.find(request.paymentId, in: transaction) else {
            throw DomainError.notFound("payment", pointer: "/paymentId")
        }
        guard request.amountCents <= payment.refundableCents else {
            throw DomainError.invalid("/amountCents", "must be at most \(payment.refundableCents), what is left of this payment",
                                      code: "exceedsRefundable")
        }
        let standing = try await payments.standingAllocations(of: payment.id, in: transaction)
        let reversals = PaymentMath.reversalsForRefund(request.amountCents, unappliedCents: payment.unappliedCents,
                                                       allocations: standing)
        var touchedBills: [BillID] = []
        for (allocation, amount) in reversals {
            guard let billID = BillID(allocation.billID), let allocationID = AllocationID(allocation.id) else { continue }
            try await payments.insertAllocation(paymentID: payment.id, billID: billID, amountCents: -amount,
                                                reverses: allocationID, practiceID: practiceID, in: transaction)
            if !touchedBills.contains(billID) { touchedBills.append(billID) }
        }
        let zone = try await sources.timeZone(in: transaction)
        try await payments.insertRefund(id: .generate(), paymentID: payment.id, amountCents: request.amountCents,
                                        reason: request.reason, refundedOn: request.refundedOn ?? CalendarDate(now, in: zone),
                                        createdBy: memberID, practiceID: practiceID, in: transaction)
        var settled: [Bill] = []
        for billID in touchedBills { settled.append(try await settle(billID, in: transaction)) }
        return PaymentOutcome(payment: try await self.payment(payment.id, in: transaction), bills: settled)
    }

    /// A payment with its allocations.
    public func payment(_ id: PaymentID, in transaction: Transaction) async throws -> Payment {
        guard let payment = try await payments.find(id, in: transaction) else { throw DomainError.notFound("payment") }
        return payment
    }

    /// Payments of a client.
    public func listPayments(clientID: ClientID?, cursor: PaymentID?, limit: Int, in transaction: Transaction) async throws
        -> Page<Payment>
    {
        if let clientID, !(try await statements.clientExists(clientID, in: transaction)) {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        return try await payments.list(clientID: clientID, before: cursor, limit: limit, in: transaction)
    }

    // MARK: Balances

    /// The client's totals over live bills, and unapplied credit.
    public func balance(of clientID: ClientID, in transaction: Transaction) async throws -> ClientBalance {
        guard try await statements.clientExists(clientID, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        let live = try await bills.list(clientID: clientID, statuses: [.open, .complete], before: nil, limit: 100_000,
                                        in: transaction).items
        let credit = try await payments.list(clientID: clientID, before: nil, limit: 100_000, in: transaction).items
            .reduce(Int64(0)) { $0 + $1.unappliedCents }
        return ClientBalance(
            balanceCents: live.reduce(0) { $0 + $1.balance.balanceCents }, creditCents: credit,
            clientResponsibilityCents: live.reduce(0) { $0 + $1.balance.clientResponsibilityCents },
            insurancePendingCents: live.reduce(0) { $0 + $1.balance.insurancePendingCents })
    }

    /// Statement lines for a client: charges of Open/Complete bills, payments, adjustments and refunds, with
    /// a running balance of what the client's account owes (negative = credit).
    public func statement(of clientID: ClientID, from: CalendarDate?, to: CalendarDate?, in transaction: Transaction)
        async throws -> (opening: Int64, lines: [StatementEntry])
    {
        guard try await statements.clientExists(clientID, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        return StatementEntry.statement(try await statements.entries(of: clientID, in: transaction), from: from, to: to)
    }

    // MARK: Internals

    private func lockedBill(_ id: BillID, version: Int?, pointer: String = "/id", in transaction: Transaction) async throws -> Bill {
        guard let bill = try await bills.find(id, forUpdate: true, in: transaction) else {
            throw DomainError.notFound("bill", pointer: pointer)
        }
        if let version, version != bill.version { throw DomainError.staleVersion("bill") }
        return bill
    }

    /// Re-derives a bill's status after money moved (Open ⇄ Complete).
    func settle(_ id: BillID, in transaction: Transaction) async throws -> Bill {
        let bill = try await lockedBill(id, version: nil, in: transaction)
        // Defense in depth: the checks above keep every side ≥ 0; if a bug ever broke that, refuse the
        // whole transaction (it rolls back) rather than store an inconsistent ledger.
        guard bill.balance.isConsistent else { throw LedgerInvariantViolation(billID: id) }
        let status = BillLifecycle.afterPosting(bill.status, balanceCents: bill.balance.balanceCents)
        if status != bill.status { try await bills.setStatus(id, to: status, in: transaction) }
        return try await self.bill(id, in: transaction)
    }

    /// Allocates up to `available` of a payment: explicit allocations (validated), or oldest Open bill first.
    private func allocate(paymentID: PaymentID, available: Int64, clientID: ClientID, explicit: [PaymentAllocation]?,
                          practiceID: PracticeID, in transaction: Transaction) async throws -> [Bill] {
        var plan: [(BillID, Int64)] = []
        if let explicit {
            var problems: [FieldProblem] = []
            let total = explicit.reduce(Int64(0)) { $0 + $1.amountCents }
            if total > available {
                problems.append(FieldProblem(pointer: "/allocations",
                                             reason: "allocations total \(total), more than the \(available) available",
                                             code: "overAllocated"))
            }
            var perBill: [BillID: Int64] = [:]
            for (index, allocation) in explicit.enumerated() {
                let pointer = "/allocations/\(index)"
                guard let bill = try await bills.find(allocation.billId, forUpdate: true, in: transaction),
                      bill.clientID == clientID else {
                    throw DomainError.notFound("bill", pointer: pointer + "/billId")
                }
                guard bill.status == .open else { throw BillLifecycle.notPayable(bill.status, pointer: pointer + "/billId") }
                perBill[allocation.billId, default: 0] += allocation.amountCents
                if perBill[allocation.billId]! > bill.balance.clientResponsibilityCents {
                    problems.append(FieldProblem(
                        pointer: pointer + "/amountCents",
                        reason: "bill \(bill.number) has \(bill.balance.clientResponsibilityCents) of client responsibility left",
                        code: "overAllocated"))
                }
                plan.append((allocation.billId, allocation.amountCents))
            }
            guard problems.isEmpty else { throw DomainError.validation(problems) }
        } else {
            let open = try await bills.openBills(of: clientID, in: transaction)
            let auto = PaymentMath.autoAllocate(available, to: open.map {
                PaymentMath.OpenBill(id: $0.id.description, clientResponsibilityCents: $0.balance.clientResponsibilityCents)
            })
            plan = auto.compactMap { item in BillID(item.billID).map { ($0, item.amountCents) } }
        }
        var touched: [Bill] = []
        for (billID, amount) in plan where amount > 0 {
            try await payments.insertAllocation(paymentID: paymentID, billID: billID, amountCents: amount, reverses: nil,
                                                practiceID: practiceID, in: transaction)
        }
        var seen: [BillID] = []
        for (billID, _) in plan where !seen.contains(billID) {
            seen.append(billID)
            touched.append(try await settle(billID, in: transaction))
        }
        return touched
    }
}

/// A posting would have left a bill's ledger inconsistent; the transaction is rolled back and the
/// caller gets an internal error with a request id.
struct LedgerInvariantViolation: Error, CustomStringConvertible {
    let billID: BillID
    var description: String { "ledger invariant broken for bill \(billID)" }
}
