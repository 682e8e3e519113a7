/// What a bill owes, derived from its immutable entries (never stored).
///
/// Each line's amount is split at creation into the client's portion (copay, or everything for
/// self-pay) and the portion expected from insurance. Client payments and client adjustments
/// reduce the client's side; insurance payments and insurance write-offs reduce insurance
/// pending; amounts an insurer assigns to the patient move from insurance to client.
public struct BillBalance: Sendable, Hashable, Codable {
    public var chargesCents: Int64
    public var clientChargesCents: Int64
    public var insuranceChargesCents: Int64
    /// Net client payments allocated (allocations minus reversals).
    public var allocatedCents: Int64
    public var clientAdjustmentsCents: Int64
    public var insuranceAdjustmentsCents: Int64
    public var insurancePaidCents: Int64
    /// Patient responsibility assigned by insurance (moves from insurance pending to client).
    public var transferredToClientCents: Int64

    /// Creates a balance from the sums of a bill's entries.
    public init(chargesCents: Int64 = 0, clientChargesCents: Int64 = 0, insuranceChargesCents: Int64 = 0,
                allocatedCents: Int64 = 0, clientAdjustmentsCents: Int64 = 0, insuranceAdjustmentsCents: Int64 = 0,
                insurancePaidCents: Int64 = 0, transferredToClientCents: Int64 = 0) {
        self.chargesCents = chargesCents
        self.clientChargesCents = clientChargesCents
        self.insuranceChargesCents = insuranceChargesCents
        self.allocatedCents = allocatedCents
        self.clientAdjustmentsCents = clientAdjustmentsCents
        self.insuranceAdjustmentsCents = insuranceAdjustmentsCents
        self.insurancePaidCents = insurancePaidCents
        self.transferredToClientCents = transferredToClientCents
    }

    /// Still expected from payers.
    public var insurancePendingCents: Int64 {
        insuranceChargesCents - insuranceAdjustmentsCents - insurancePaidCents - transferredToClientCents
    }

    /// What the client owes now (statements, superbills and AutoPay use this only).
    public var clientResponsibilityCents: Int64 {
        clientChargesCents + transferredToClientCents - allocatedCents - clientAdjustmentsCents
    }

    /// Everything still owed: charges − allocations − adjustments − insurance payments.
    public var balanceCents: Int64 { insurancePendingCents + clientResponsibilityCents }

    /// Amount paid on the bill by anyone.
    public var paidCents: Int64 { allocatedCents + insurancePaidCents }

    /// `true` when no side is negative and the parts add up (the ledger invariant).
    public var isConsistent: Bool {
        insurancePendingCents >= 0 && clientResponsibilityCents >= 0
            && balanceCents == chargesCents - allocatedCents - clientAdjustmentsCents - insuranceAdjustmentsCents - insurancePaidCents
            && clientChargesCents + insuranceChargesCents == chargesCents
    }
}

/// How a payment's money is split between bills and credit, and refunds unwound.
public enum PaymentMath {
    /// One bill that can take client money, in the order money should go (oldest first).
    public struct OpenBill: Sendable, Hashable {
        public let id: String
        public let clientResponsibilityCents: Int64
        public init(id: String, clientResponsibilityCents: Int64) {
            self.id = id
            self.clientResponsibilityCents = clientResponsibilityCents
        }
    }

    /// Automatic allocation: oldest Open bill first, each up to what the client owes on it.
    public static func autoAllocate(_ amountCents: Int64, to bills: [OpenBill]) -> [(billID: String, amountCents: Int64)] {
        var remaining = amountCents
        var plan: [(String, Int64)] = []
        for bill in bills where remaining > 0 && bill.clientResponsibilityCents > 0 {
            let portion = min(remaining, bill.clientResponsibilityCents)
            plan.append((bill.id, portion))
            remaining -= portion
        }
        return plan
    }

    /// An allocation still standing (net of earlier reversals), newest last.
    public struct StandingAllocation: Sendable, Hashable {
        public let id: String
        public let billID: String
        public let remainingCents: Int64
        public init(id: String, billID: String, remainingCents: Int64) {
            self.id = id
            self.billID = billID
            self.remainingCents = remainingCents
        }
    }

    /// Which allocations to reverse so a refund of `refundCents` fits: unapplied money goes
    /// first, then allocations are unwound newest first.
    public static func reversalsForRefund(_ refundCents: Int64, unappliedCents: Int64,
                                          allocations: [StandingAllocation]) -> [(allocation: StandingAllocation, amountCents: Int64)] {
        var needed = refundCents - unappliedCents
        var plan: [(StandingAllocation, Int64)] = []
        for allocation in allocations.reversed() where needed > 0 && allocation.remainingCents > 0 {
            let portion = min(needed, allocation.remainingCents)
            plan.append((allocation, portion))
            needed -= portion
        }
        return plan
    }
}
