import BillingCore
import Foundation
import Storage

/// One claim of a check recorded by hand.
public struct ManualClaimPayment: Sendable, Hashable {
    public var claimID: ClaimID
    public var paidCents: Int64
    /// The EOB's adjustments; when given, charge − adjustments must equal the amount paid.
    public var adjustments: [Adjudication.Adjustment]
    public var remarkCodes: [String]
    public var payerClaimNumber: String?
    /// `true` when the EOB denies the claim (CLP02 = 4).
    public var denied: Bool

    /// Creates one claim's share.
    public init(claimID: ClaimID, paidCents: Int64, adjustments: [Adjudication.Adjustment] = [],
                remarkCodes: [String] = [], payerClaimNumber: String? = nil, denied: Bool = false) {
        self.claimID = claimID
        self.paidCents = paidCents
        self.adjustments = adjustments
        self.remarkCodes = remarkCodes
        self.payerClaimNumber = payerClaimNumber
        self.denied = denied
    }
}

/// A lump-sum insurance payment (one check or EFT covering several claims) typed in from a paper EOB.
public struct ManualInsurancePayment: Sendable, Hashable {
    /// The check or EFT trace number; the same number from the same payer is recorded once.
    public var checkNumber: String
    public var amountCents: Int64
    public var receivedOn: CalendarDate
    /// `check`, `eft` or `card` (virtual card).
    public var method: String
    /// Shown on the ledger; the claims' payer name when omitted.
    public var payerName: String?
    public var claims: [ManualClaimPayment]

    /// Creates a payment.
    public init(checkNumber: String, amountCents: Int64, receivedOn: CalendarDate, method: String = "check",
                payerName: String? = nil, claims: [ManualClaimPayment]) {
        self.checkNumber = checkNumber
        self.amountCents = amountCents
        self.receivedOn = receivedOn
        self.method = method
        self.payerName = payerName
        self.claims = claims
    }
}

/// `insurancePayment.record`: one check split across several claims by hand — for payers and
/// practices without ERA. It is stored like an ERA (so the same check is never recorded twice, and
/// an ERA for the same check arriving later does not post again) and posted through the same rules.
public struct InsurancePaymentService: Sendable {
    let remittances = RemittanceRepository()
    let claims = ClaimRepository()
    let poster = RemittancePoster()

    /// Creates the use cases.
    public init() {}

    /// Validates the whole payment (every problem at once) and posts it in one transaction.
    /// - Throws: −32602 naming each bad field (`/amountCents`, `/claims/2/adjustments/0/reason`, …);
    ///   not found on `/claims/N/claimId`; −32009 when the check was already recorded.
    public func record(_ payment: ManualInsurancePayment, practiceID: PracticeID, memberID: MemberID?,
                       in transaction: Transaction, now: Date = Date()) async throws -> RemittanceImport {
        var problems: [FieldProblem] = []
        func add(_ pointer: String, _ reason: String, _ code: String = "invalid") {
            problems.append(FieldProblem(pointer: pointer, reason: reason, code: code))
        }
        let checkNumber = payment.checkNumber.trimmingCharacters(in: .whitespaces)
        if checkNumber.isEmpty || checkNumber.count > 50 { add("/checkNumber", "must be 1 to 50 characters") }
        if payment.amountCents < 0 { add("/amountCents", "must not be negative") }
        if !["check", "eft", "card"].contains(payment.method) { add("/method", "must be check, eft or card") }
        if payment.claims.isEmpty { add("/claims", "must name at least one claim") }

        var loaded: [(ClaimRecord, Bill)] = []
        var seen: Set<ClaimID> = []
        var payer: (id: PayerID, name: String, key: String)?
        for (index, item) in payment.claims.enumerated() {
            let pointer = "/claims/\(index)"
            guard seen.insert(item.claimID).inserted else {
                add(pointer + "/claimId", "names the same claim twice", "duplicate")
                continue
            }
            guard let claim = try await claims.find(item.claimID, forUpdate: true, in: transaction) else {
                throw DomainError.notFound("claim", pointer: pointer + "/claimId")
            }
            do { try RemittanceService.checkPostable(claim, pointer: pointer + "/claimId") } catch let error as DomainError {
                problems.append(contentsOf: error.problems)
                continue
            }
            if let payer, payer.id != claim.payerID {
                add(pointer + "/claimId", "is billed to \(claim.snapshot.payer.name), not \(payer.name): record one payment per payer",
                    "otherPayer")
            } else if payer == nil {
                payer = (claim.payerID, claim.snapshot.payer.name, claim.snapshot.payer.payerID)
            }
            if item.paidCents < 0 { add(pointer + "/paidCents", "must not be negative") }
            var adjusted: Int64 = 0
            for (number, adjustment) in item.adjustments.enumerated() {
                let at = "\(pointer)/adjustments/\(number)"
                if !["CO", "PR", "OA", "PI"].contains(adjustment.group) {
                    add(at + "/group", "must be CO, PR, OA or PI")
                }
                if AdjustmentCodes.reason(adjustment.reason) == nil {
                    add(at + "/reason", "is not a claim adjustment reason code (CARC) in the bundled list \(AdjustmentCodes.version)",
                        "unknownCode")
                }
                if adjustment.amountCents <= 0 { add(at + "/amountCents", "must be more than zero") }
                adjusted += adjustment.amountCents
            }
            for (number, remark) in item.remarkCodes.enumerated() where AdjustmentCodes.remark(remark) == nil {
                add("\(pointer)/remarkCodes/\(number)", "is not a remark code (RARC) in the bundled list", "unknownCode")
            }
            if !item.adjustments.isEmpty && claim.totalCents - adjusted != item.paidCents {
                add(pointer, "charge \(MoneyText.dollars(claim.totalCents)) − adjustments \(MoneyText.dollars(adjusted)) = \(MoneyText.dollars(claim.totalCents - adjusted)), but paidCents is \(MoneyText.dollars(item.paidCents))",
                    "unbalanced")
            }
            let bill = try await LedgerService().bill(claim.billID, in: transaction, pointer: pointer + "/claimId")
            if item.paidCents > bill.balance.insurancePendingCents {
                add(pointer + "/paidCents", "is more than the \(MoneyText.dollars(bill.balance.insurancePendingCents)) insurance still owes on bill \(bill.number)",
                    "overpayment")
            }
            if let earlier = try await remittances.postingFromTrace(claimID: claim.id, traceNumber: checkNumber,
                                                                    in: transaction) {
                add(pointer + "/claimId", "already has payment \(checkNumber) posted (\(earlier.id))", "duplicate")
            }
            loaded.append((claim, bill))
        }
        let total = payment.claims.reduce(Int64(0)) { $0 + $1.paidCents }
        if total != payment.amountCents {
            add("/amountCents", "is \(MoneyText.dollars(payment.amountCents)) but the claims' paidCents add up to \(MoneyText.dollars(total)): every dollar of the check must be assigned",
                "unbalanced")
        }
        guard problems.isEmpty, let payer else { throw DomainError.validation(problems) }
        let payerName = payment.payerName.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? payer.name
        for earlier in try await remittances.find(traceNumber: checkNumber, in: transaction)
        where earlier.payerKey == payer.key || earlier.payerName.caseInsensitiveCompare(payerName) == .orderedSame {
            throw DomainError(.conflict, code: "insurancePayment.duplicate",
                              message: "payment \(checkNumber) from \(earlier.payerName) was already recorded (\(earlier.id))",
                              problems: [FieldProblem(pointer: "/checkNumber", reason: "already recorded as \(earlier.id)",
                                                      code: "duplicate")])
        }

        let record = RemittanceRecord(
            id: .generate(), source: "manual", sourceID: nil, payerKey: payer.key, payerName: payerName,
            traceNumber: checkNumber, paymentMethod: payment.method, paidCents: payment.amountCents,
            paymentDate: payment.receivedOn, claimCount: payment.claims.count, unmatchedCount: 0, balanceProblems: [],
            createdAt: now)
        guard try await remittances.insert(record, x12: nil, importedBy: memberID, practiceID: practiceID,
                                           in: transaction) else {
            throw DomainError(.conflict, code: "insurancePayment.duplicate",
                              message: "payment \(checkNumber) from \(payerName) was already recorded",
                              problems: [FieldProblem(pointer: "/checkNumber", reason: "already recorded", code: "duplicate")])
        }
        var rows: [RemittanceClaimRecord] = []
        for (position, (item, (claim, _))) in zip(payment.claims, loaded).enumerated() {
            let adjudication = Adjudication(
                statusCode: item.denied ? "4" : "1", paymentCents: item.paidCents, adjustments: item.adjustments,
                remarkCodes: item.remarkCodes.map { $0.uppercased() }, payerClaimNumber: item.payerClaimNumber)
            var row = RemittanceClaimRecord(
                id: .generate(), remittanceID: record.id, position: position,
                patientControlNumber: claim.patientControlNumber, claimID: claim.id, statusCode: adjudication.statusCode,
                chargeCents: claim.totalCents, paidCents: item.paidCents,
                patientResponsibilityCents: adjudication.patientResponsibilityCents,
                payerClaimNumber: item.payerClaimNumber,
                adjustmentsJSON: RemittanceService.adjustmentsJSON(item.adjustments), outcome: nil)
            try await remittances.insertClaim(row, practiceID: practiceID, now: now, in: transaction)
            let result = try await poster.post(
                adjudication, to: claim,
                from: PostingSource(payerName: payerName, reference: "\(payment.method) \(checkNumber)",
                                    receivedOn: payment.receivedOn, remittanceClaimID: row.id, memberID: memberID),
                practiceID: practiceID, in: transaction, now: now)
            try await remittances.setOutcome(result.outcome, of: row.id, in: transaction)
            row.outcome = result.outcome
            rows.append(row)
        }
        return RemittanceImport(remittance: record, duplicate: false, claims: rows)
    }
}
