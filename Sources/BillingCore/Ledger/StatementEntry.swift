/// One line of a client statement: a charge, payment, adjustment or refund, with a running balance.
public struct StatementEntry: Sendable, Hashable, Encodable {
    public enum Kind: String, Sendable, Codable { case charge, adjustment, insurancePayment, payment, refund }
    public var date: CalendarDate
    public var kind: Kind
    public var description: String
    public var billId: BillID?
    public var paymentId: PaymentID?
    /// Positive for charges and refunds, negative for payments and adjustments.
    public var amountCents: Int64
    public var runningBalanceCents: Int64

    /// Creates an entry.
    public init(date: CalendarDate, kind: Kind, description: String, billId: BillID?, paymentId: PaymentID?,
                amountCents: Int64, runningBalanceCents: Int64 = 0) {
        self.date = date
        self.kind = kind
        self.description = description
        self.billId = billId
        self.paymentId = paymentId
        self.amountCents = amountCents
        self.runningBalanceCents = runningBalanceCents
    }

    /// Sorts entries by date (charges, adjustments, insurance payments, payments, refunds within a day) and computes the
    /// running balance; entries before `from` fold into the opening balance, those after `to` are dropped.
    public static func statement(_ entries: [StatementEntry], from: CalendarDate?, to: CalendarDate?)
        -> (opening: Int64, lines: [StatementEntry])
    {
        let order: [Kind: Int] = [.charge: 0, .adjustment: 1, .insurancePayment: 2, .payment: 3, .refund: 4]
        let sorted = entries.sorted { ($0.date, order[$0.kind]!) < ($1.date, order[$1.kind]!) }
        var running: Int64 = 0
        var opening: Int64 = 0
        var lines: [StatementEntry] = []
        for var entry in sorted {
            running += entry.amountCents
            if let from, entry.date < from {
                opening = running
                continue
            }
            if let to, entry.date > to { continue }
            entry.runningBalanceCents = running
            lines.append(entry)
        }
        return (opening, lines)
    }
}
