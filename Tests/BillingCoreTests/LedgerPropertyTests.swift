import BillingCore
import Testing

/// Thousands of random ledger operations on an in-memory ledger built from BillingCore's rules;
/// every invariant is checked after every step.
@Suite struct LedgerModelPropertyTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct ModelBill {
        var status: BillStatus = .pended
        var opened = false
        var balance: BillBalance
    }

    struct ModelAllocation {
        let id: String
        let bill: Int
        var remaining: Int64
    }

    struct ModelPayment {
        let amount: Int64
        var allocations: [ModelAllocation] = []
        var refunded: Int64 = 0
        var allocated: Int64 { allocations.reduce(0) { $0 + $1.remaining } }
        var unapplied: Int64 { amount - allocated - refunded }
    }

    struct Ledger {
        var bills: [ModelBill] = []
        var payments: [ModelPayment] = []
        var nextAllocation = 0

        mutating func settle(_ index: Int) {
            bills[index].status = BillLifecycle.afterPosting(bills[index].status, balanceCents: bills[index].balance.balanceCents)
        }

        mutating func allocate(payment: Int, amount: Int64) {
            let open = bills.indices.filter { bills[$0].status == .open }
            let plan = PaymentMath.autoAllocate(amount, to: open.map {
                PaymentMath.OpenBill(id: String($0), clientResponsibilityCents: bills[$0].balance.clientResponsibilityCents)
            })
            for (billID, portion) in plan {
                let index = Int(billID)!
                bills[index].balance.allocatedCents += portion
                nextAllocation += 1
                payments[payment].allocations.append(ModelAllocation(id: String(nextAllocation), bill: index, remaining: portion))
                settle(index)
            }
        }
    }

    func checkInvariants(_ ledger: Ledger) {
        for bill in ledger.bills {
            #expect(bill.balance.isConsistent)
            #expect(bill.balance.balanceCents >= 0)
            #expect((bill.status == .complete) == (bill.opened && bill.balance.balanceCents == 0 && bill.status != .void))
            if bill.status == .pended || bill.status == .void { #expect(bill.balance.allocatedCents == 0) }
        }
        let totalAllocated = ledger.bills.reduce(Int64(0)) { $0 + $1.balance.allocatedCents }
        #expect(totalAllocated == ledger.payments.reduce(Int64(0)) { $0 + $1.allocated })
        for payment in ledger.payments {
            #expect(payment.allocated <= payment.amount)
            #expect(payment.unapplied >= 0)
            #expect(payment.unapplied + payment.allocated + payment.refunded == payment.amount)
        }
    }

    @Test(arguments: [UInt64(1), 42, 2026])
    func randomSequencesKeepEveryInvariant(seed: UInt64) throws {
        var random = Generator(state: seed)
        var ledger = Ledger()
        for _ in 0..<1_500 {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<20:
                let amounts = (0..<Int.random(in: 1...3, using: &random)).map { _ in Int64.random(in: 0...20_000, using: &random) }
                let insurance = Bool.random(using: &random)
                let split = ChargeSplit.split(lineAmounts: amounts, insurance: insurance,
                                              copayCents: Int64.random(in: 0...5_000, using: &random))
                ledger.bills.append(ModelBill(balance: BillBalance(
                    chargesCents: amounts.reduce(0, +), clientChargesCents: split.reduce(0) { $0 + $1.clientCents },
                    insuranceChargesCents: split.reduce(0) { $0 + $1.insuranceCents })))
            case 20..<35:
                guard let index = ledger.bills.indices.randomElement(using: &random) else { continue }
                if let status = try? BillLifecycle.open(ledger.bills[index].status,
                                                        balanceCents: ledger.bills[index].balance.balanceCents) {
                    ledger.bills[index].status = status
                    ledger.bills[index].opened = true
                }
            case 35..<60:
                ledger.payments.append(ModelPayment(amount: Int64.random(in: 1...25_000, using: &random)))
                ledger.allocate(payment: ledger.payments.count - 1, amount: ledger.payments.last!.amount)
            case 60..<70:
                for index in ledger.payments.indices where ledger.payments[index].unapplied > 0 {
                    ledger.allocate(payment: index, amount: ledger.payments[index].unapplied)
                }
            case 70..<82:
                guard let index = ledger.payments.indices.randomElement(using: &random) else { continue }
                let payment = ledger.payments[index]
                let amount = Int64.random(in: 1...max(1, payment.amount), using: &random)
                guard amount <= payment.amount - payment.refunded else { continue }  // never more than refundable
                let plan = PaymentMath.reversalsForRefund(
                    amount, unappliedCents: payment.unapplied,
                    allocations: payment.allocations.map {
                        PaymentMath.StandingAllocation(id: $0.id, billID: String($0.bill), remainingCents: $0.remaining)
                    })
                for (allocation, portion) in plan {
                    let position = ledger.payments[index].allocations.firstIndex { $0.id == allocation.id }!
                    ledger.payments[index].allocations[position].remaining -= portion
                    ledger.bills[Int(allocation.billID)!].balance.allocatedCents -= portion
                    ledger.settle(Int(allocation.billID)!)
                }
                ledger.payments[index].refunded += amount
            case 82..<92:
                guard let index = ledger.bills.indices.randomElement(using: &random), ledger.bills[index].status == .open
                else { continue }
                let insurance = Bool.random(using: &random)
                let available = insurance ? ledger.bills[index].balance.insurancePendingCents
                    : ledger.bills[index].balance.clientResponsibilityCents
                guard available > 0 else { continue }
                let amount = Int64.random(in: 1...available, using: &random)
                if insurance { ledger.bills[index].balance.insuranceAdjustmentsCents += amount }
                else { ledger.bills[index].balance.clientAdjustmentsCents += amount }
                ledger.settle(index)
            default:
                guard let index = ledger.bills.indices.randomElement(using: &random) else { continue }
                if let status = try? BillLifecycle.void(ledger.bills[index].status,
                                                        netAllocatedCents: ledger.bills[index].balance.allocatedCents) {
                    ledger.bills[index].status = status
                }
            }
            checkInvariants(ledger)
        }
    }

    @Test func copayIsTheClientsShareOncePerSessionAndNeverMoreThanTheCharges() {
        let split = ChargeSplit.split(lineAmounts: [1_000, 15_000], insurance: true, copayCents: 2_500)
        #expect(split.map(\.clientCents) == [1_000, 1_500])
        #expect(split.map(\.insuranceCents) == [0, 13_500])
        #expect(ChargeSplit.split(lineAmounts: [15_000], insurance: false, copayCents: 2_500).map(\.clientCents) == [15_000])
        #expect(ChargeSplit.split(lineAmounts: [1_000], insurance: true, copayCents: 2_500).map(\.insuranceCents) == [0])
    }

    @Test func illegalBillTransitionsNameBothStates() throws {
        #expect(throws: DomainError.self) { try BillLifecycle.open(.open, balanceCents: 1) }
        do {
            _ = try BillLifecycle.void(.complete, netAllocatedCents: 0)
            Issue.record("a Complete bill was voided")
        } catch {
            #expect(error.message.contains("Complete") && error.message.contains("Void"))
        }
        #expect(try BillLifecycle.open(.pended, balanceCents: 0) == .complete)
        #expect(BillLifecycle.afterPosting(.complete, balanceCents: 10) == .open)
    }
}
