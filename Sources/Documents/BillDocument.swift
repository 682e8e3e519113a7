import BillingCore

/// Draws a bill (the document `bill.send` mails): practice header, client, lines, amounts, due date.
public enum BillDocument {
    /// What a bill document needs beyond the bill itself.
    public struct Context: Sendable {
        public var practice: SuperbillData.Practice
        public var clientName: String
        public var clientAddress: Address?
        public var footer: String?
        public init(practice: SuperbillData.Practice, clientName: String, clientAddress: Address?, footer: String?) {
            self.practice = practice
            self.clientName = clientName
            self.clientAddress = clientAddress
            self.footer = footer
        }
    }

    /// The PDF bytes for `bill`.
    public static func render(_ bill: Bill, context: Context) throws -> [UInt8] {
        let canvas = try PDFCanvas(title: "Bill \(bill.number)", footer: context.footer ?? "Bill \(bill.number)")
        canvas.text("BILL \(bill.number)", x: canvas.margin, size: 16, bold: true)
        canvas.textRight("Status: \(bill.status.label)", right: canvas.width - canvas.margin, size: 10)
        canvas.advance(22)
        PracticeBlock.draw(context.practice, on: canvas)
        canvas.rule()
        canvas.line("Bill to", size: 11, bold: true)
        canvas.line(context.clientName)
        if let address = context.clientAddress { canvas.line(PracticeBlock.format(address)) }
        canvas.line("Due on: \(bill.dueOn)", bold: true)
        canvas.rule()
        canvas.text("Date", x: canvas.margin, size: 9, bold: true)
        canvas.text("Code", x: canvas.margin + 75, size: 9, bold: true)
        canvas.text("Description", x: canvas.margin + 130, size: 9, bold: true)
        canvas.textRight("Amount", right: canvas.width - canvas.margin, size: 9, bold: true)
        canvas.advance(13)
        for line in bill.lines {
            canvas.text(line.dateOfService.description, x: canvas.margin, size: 9)
            canvas.text(line.code ?? "", x: canvas.margin + 75, size: 9)
            canvas.text(String(line.description.prefix(60)), x: canvas.margin + 130, size: 9)
            canvas.textRight(MoneyText.dollars(line.amountCents), right: canvas.width - canvas.margin, size: 9)
            canvas.advance(13)
        }
        canvas.rule()
        let balance = bill.balance
        for (label, cents, bold) in [
            ("Total", balance.chargesCents, false), ("Paid", balance.paidCents, false),
            ("Adjustments", balance.clientAdjustmentsCents + balance.insuranceAdjustmentsCents, false),
            ("Expected from insurance", balance.insurancePendingCents, false),
            ("Amount due from you", balance.clientResponsibilityCents, true),
        ] where !(label == "Expected from insurance" && cents == 0) {
            canvas.textRight("\(label)  \(MoneyText.dollars(cents))", right: canvas.width - canvas.margin, bold: bold)
            canvas.advance(14)
        }
        return try canvas.render()
    }
}
