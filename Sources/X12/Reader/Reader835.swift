import BillingCore
import Foundation

/// Reads 835 health care claim payment/advice files (005010X221A1) into ``RemittanceFile``, and
/// checks that their amounts balance.
///
/// Reading is tolerant where files in the wild differ harmlessly (BOM, line breaks, indentation,
/// several interchanges, a bare ST…SE, a component separator other than ISA16 inside SVC01) and
/// records each such oddity as a warning. Amounts are read as exact decimals into cents; an
/// amount that is not one, or that has fractions of a cent, is an error. Balancing is separate
/// (``balanceProblems(_:)``) so that an unbalanced remittance can still be shown.
public enum Reader835 {
    /// The implementation guide this reader follows.
    public static let implementationGuide = "005010X221A1"

    /// Reads a whole 835 file.
    ///
    /// - Parameter text: the file's text, one or more ISA…IEA interchanges (or a bare ST…SE).
    /// - Returns: every transaction set with its claims, plus skipped-segment counts and warnings.
    /// - Throws: ``X12ReadError``: `.notX12`/`.invalidSegment`/`.invalidDelimiters` for text that
    ///   is not X12, `.truncated` for a text that ends inside an envelope, `.wrongTransactionSet`
    ///   when an ST01 is not `835`, `.unexpectedSegment` for a claim or line segment out of place,
    ///   `.invalidAmount` for an amount that is not dollars and cents. Each names the segment number.
    public static func read(_ text: String) throws -> RemittanceFile {
        var parser = Parser()
        var lastSegment = 0
        try X12Tokenizer.forEachSegment(in: text) { segment in
            try parser.handle(segment)
            lastSegment = segment.number
        }
        try parser.envelope.finish(lastSegment: lastSegment)
        var warnings = parser.envelope.warnings + parser.warnings
        warnings.sort { $0.segmentNumber < $1.segmentNumber }
        return RemittanceFile(interchanges: parser.envelope.interchanges, transactions: parser.transactions,
                              skippedSegmentCounts: parser.skipped, warnings: warnings)
    }

    /// Every place where `remittance`'s amounts do not add up, or an empty array when it balances.
    ///
    /// Per claim: CLP04 = CLP03 − Σ claim CAS − Σ line CAS; with service lines, also
    /// Σ SVC02 = CLP03 and, per line, SVC03 = SVC02 − Σ line CAS. Per transaction set:
    /// BPR02 (negative when BPR03 is `D`) = Σ CLP04 − Σ PLB. Reversals (CLP02 `22`) balance the
    /// same way with negative amounts.
    public static func balanceProblems(_ remittance: Remittance835) -> [RemittanceBalanceProblem] {
        var problems: [RemittanceBalanceProblem] = []
        let transaction = remittance.controlNumber
        for (claimIndex, claim) in remittance.claims.enumerated() {
            let claimName = "claim \(claimIndex + 1) (CLP01 \(claim.patientControlNumber), "
                + "segment \(claim.segmentNumber))"
            let adjustments = claim.claimAdjustmentsTotalCents + claim.lineAdjustmentsTotalCents
            let computedPayment = claim.chargeCents - adjustments
            if computedPayment != claim.paymentCents {
                problems.append(RemittanceBalanceProblem(
                    rule: .claimPayment, transactionControlNumber: transaction, claimIndex: claimIndex,
                    patientControlNumber: claim.patientControlNumber, segmentNumber: claim.segmentNumber,
                    statedCents: claim.paymentCents, computedCents: computedPayment,
                    description: "\(claimName): CLP04 is \(dollars(claim.paymentCents)) but CLP03 "
                        + "\(dollars(claim.chargeCents)) − adjustments \(dollars(adjustments)) = "
                        + "\(dollars(computedPayment)); off by \(claim.paymentCents - computedPayment) cents"))
            }
            guard !claim.serviceLines.isEmpty else { continue }
            let lineCharges = claim.serviceLines.reduce(0) { $0 + $1.chargeCents }
            if lineCharges != claim.chargeCents {
                problems.append(RemittanceBalanceProblem(
                    rule: .claimCharge, transactionControlNumber: transaction, claimIndex: claimIndex,
                    patientControlNumber: claim.patientControlNumber, segmentNumber: claim.segmentNumber,
                    statedCents: claim.chargeCents, computedCents: lineCharges,
                    description: "\(claimName): CLP03 is \(dollars(claim.chargeCents)) but the service lines "
                        + "charge \(dollars(lineCharges)) (Σ SVC02); off by \(claim.chargeCents - lineCharges) cents"))
            }
            for (lineIndex, line) in claim.serviceLines.enumerated() {
                let computedLinePayment = line.chargeCents - line.adjustmentsTotalCents
                guard computedLinePayment != line.paymentCents else { continue }
                let lineName = "line \(lineIndex + 1) (\(line.procedure.text)"
                    + (line.lineControlNumber.map { ", REF*6R \($0)" } ?? "") + ", segment \(line.segmentNumber))"
                problems.append(RemittanceBalanceProblem(
                    rule: .linePayment, transactionControlNumber: transaction, claimIndex: claimIndex,
                    patientControlNumber: claim.patientControlNumber, lineIndex: lineIndex,
                    segmentNumber: line.segmentNumber, statedCents: line.paymentCents,
                    computedCents: computedLinePayment,
                    description: "\(claimName), \(lineName): SVC03 is \(dollars(line.paymentCents)) but SVC02 "
                        + "\(dollars(line.chargeCents)) − adjustments \(dollars(line.adjustmentsTotalCents)) = "
                        + "\(dollars(computedLinePayment)); off by \(line.paymentCents - computedLinePayment) cents"))
            }
        }
        let computedTotal = remittance.claimPaymentsTotalCents - remittance.providerAdjustmentsTotalCents
        let stated = remittance.payment.netAmountCents
        if stated != computedTotal {
            problems.append(RemittanceBalanceProblem(
                rule: .transactionPayment, transactionControlNumber: transaction,
                segmentNumber: remittance.segmentNumber, statedCents: stated, computedCents: computedTotal,
                description: "transaction set \(transaction) (segment \(remittance.segmentNumber)): BPR02 is "
                    + "\(dollars(stated)) but Σ CLP04 \(dollars(remittance.claimPaymentsTotalCents)) − Σ PLB "
                    + "\(dollars(remittance.providerAdjustmentsTotalCents)) = \(dollars(computedTotal)); off by "
                    + "\(stated - computedTotal) cents"))
        }
        return problems
    }

    private static func dollars(_ cents: Int64) -> String { X12Value.dollars(cents) }

    // MARK: - Parser

    /// Where in the transaction set the parser stands, which decides where REF, DTM, CAS and AMT belong.
    private enum Position {
        case header
        case party
        case otherParty
        case claim
        case line
        case summary
    }

    private struct Parser {
        /// PER03/05/07 qualifiers: electronic mail, extension, fax, telephone, URL.
        static let communicationQualifiers: Set<String> = ["EM", "EX", "FX", "TE", "UR"]

        var envelope = X12EnvelopeTracker()
        var transactions: [Remittance835] = []
        var skipped: [String: Int] = [:]
        var warnings: [X12ReadWarning] = []

        private var transaction: Remittance835?
        private var party: RemittanceParty?
        private var claim: RemittanceClaim?
        private var line: RemittanceServiceLine?
        private var headerNumber: String?
        private var position = Position.header

        mutating func handle(_ segment: X12Segment) throws {
            switch try envelope.observe(segment) {
            case .interchangeHeader, .groupHeader, .groupTrailer, .interchangeTrailer:
                return
            case .transactionHeader:
                try begin(segment)
            case .transactionTrailer:
                end()
            case .content:
                try content(segment)
            }
        }

        private mutating func begin(_ segment: X12Segment) throws {
            guard segment[1] == "835" else {
                throw X12ReadError(.wrongTransactionSet, segment, element: 1,
                                   "transaction set \(segment[1].isEmpty ? "(none)" : segment[1]) is not an 835 "
                                       + "health care claim payment/advice")
            }
            let guide = envelope.transaction?.implementationGuide ?? ""
            if !guide.isEmpty && guide != implementationGuide {
                warnings.append(X12ReadWarning(segment, element: 3, "the implementation guide is \(guide), not "
                    + "\(implementationGuide); read as \(implementationGuide)"))
            }
            transaction = Remittance835(
                controlNumber: segment[2], implementationGuide: guide.isEmpty ? implementationGuide : guide,
                interchangeControlNumber: envelope.interchangeControlNumber,
                groupControlNumber: envelope.group?.controlNumber, segmentNumber: segment.number)
            party = nil
            claim = nil
            line = nil
            headerNumber = nil
            position = .header
        }

        private mutating func end() {
            closeClaim()
            closeParty()
            if let transaction { transactions.append(transaction) }
            transaction = nil
        }

        private mutating func skip(_ segment: X12Segment) {
            skipped[segment.identifier, default: 0] += 1
        }

        private mutating func content(_ segment: X12Segment) throws {
            switch segment.identifier {
            case "BPR": try readPayment(segment)
            case "TRN":
                guard position == .header else { return skip(segment) }
                transaction?.trace = Remittance835.Trace(
                    typeCode: segment[1], referenceNumber: segment[2], originatorIdentifier: segment[3],
                    originatorSupplementalCode: segment[4])
            case "N1":
                closeClaim()
                closeParty()
                switch segment[1] {
                case "PR", "PE":
                    party = RemittanceParty(entityCode: segment[1], name: segment[2], identifierQualifier: segment[3],
                                            identifier: segment[4].trimmingSpaces)
                    position = .party
                default:
                    position = .otherParty
                    skip(segment)
                }
            case "N3":
                guard position == .party else { return skip(segment) }
                party?.addressLines += [segment[1], segment[2]].filter { !$0.isEmpty }
            case "N4":
                guard position == .party else { return skip(segment) }
                party?.city = segment[1]
                party?.state = segment[2]
                party?.postalCode = segment[3]
                party?.countryCode = segment[4]
            case "PER":
                guard position == .party else { return skip(segment) }
                var communications: [RemittanceParty.Contact.Communication] = []
                var name = segment[2]
                var first = 3
                if Self.communicationQualifiers.contains(name) && !segment[3].isEmpty && segment[4].isEmpty {
                    // PER*CX*TE*8005554844: the name was left out and everything moved one element left.
                    warnings.append(X12ReadWarning(segment, element: 2, "PER02 holds the qualifier \(name) and PER04 "
                        + "is empty, so the contact name was left out; read \(name) \(segment[3])"))
                    name = ""
                    first = 2
                }
                for qualifierIndex in stride(from: first, through: first + 4, by: 2) {
                    let value = segment[qualifierIndex + 1]
                    if !value.isEmpty { communications.append(.init(qualifier: segment[qualifierIndex], value: value)) }
                }
                party?.contacts.append(RemittanceParty.Contact(functionCode: segment[1], name: name,
                                                               communications: communications))
            case "REF": readReference(segment)
            case "DTM": try readDate(segment)
            case "LX":
                closeClaim()
                closeParty()
                headerNumber = segment[1]
                position = .summary  // until a CLP opens a claim, nothing attaches to a claim
            case "CLP": try openClaim(segment)
            case "CAS": try readAdjustment(segment)
            case "NM1":
                guard claim != nil, position == .claim else { return skip(segment) }
                let name = X12EntityName(segment)
                switch name.entityCode {
                case "QC": claim?.patient = name
                case "IL": claim?.insured = name
                case "74": claim?.correctedPatient = name
                case "82": claim?.renderingProvider = name
                default: claim?.otherNames.append(name)
                }
            case "MIA":
                guard position == .claim else { return skip(segment) }
                claim?.inpatientRemarkCodes = [5, 20, 21, 22, 23].map { segment[$0] }.filter { !$0.isEmpty }
            case "MOA":
                guard position == .claim else { return skip(segment) }
                claim?.outpatientRemarkCodes = (3...7).map { segment[$0] }.filter { !$0.isEmpty }
            case "AMT":
                guard position == .claim || position == .line else { return skip(segment) }
                let amount = RemittanceAmount(qualifier: segment[1],
                                              amountCents: try amount(segment, 2, required: true) ?? 0)
                if position == .line {
                    line?.amounts.append(amount)
                    if amount.qualifier == "B6" { line?.allowedAmountCents = amount.amountCents }
                } else {
                    claim?.amounts.append(amount)
                }
            case "SVC": try openLine(segment)
            case "LQ":
                guard position == .line else { return skip(segment) }
                if !segment[2].isEmpty { line?.remarkCodes.append(segment[2]) }
            case "PLB": try readProviderAdjustment(segment)
            default: skip(segment)
            }
        }

        // MARK: Header

        private mutating func readPayment(_ segment: X12Segment) throws {
            guard position == .header else { return skip(segment) }
            var payment = Remittance835.Payment(
                handlingCode: segment[1], amountCents: try amount(segment, 2, required: true) ?? 0,
                creditDebitFlag: segment[3], method: PaymentMethod(rawValue: segment[4]), format: segment[5])
            if !segment[16].isEmpty {
                payment.date = X12Value.date(segment[16])
                if payment.date == nil {
                    warnings.append(X12ReadWarning(segment, element: 16, "\"\(segment[16])\" is not a date (CCYYMMDD); "
                        + "the payment date is left empty"))
                }
            }
            transaction?.payment = payment
        }

        private mutating func readReference(_ segment: X12Segment) {
            let reference = X12Reference(qualifier: segment[1], value: segment[2])
            switch position {
            case .header: transaction?.references.append(reference)
            case .party: party?.references.append(reference)
            case .claim: claim?.references.append(reference)
            case .line:
                if reference.qualifier == "6R" && line?.lineControlNumber == nil {
                    line?.lineControlNumber = reference.value
                } else {
                    line?.references.append(reference)
                }
            case .otherParty, .summary: skip(segment)
            }
        }

        private mutating func readDate(_ segment: X12Segment) throws {
            let qualifier = segment[1]
            let known: Bool
            switch (position, qualifier) {
            case (.header, "405"), (.claim, "232"), (.claim, "233"), (.claim, "050"), (.line, "472"), (.line, "150"),
                 (.line, "151"):
                known = true
            default: known = false
            }
            guard known else { return skip(segment) }
            let date = X12Value.date(segment[2])
            if date == nil {
                warnings.append(X12ReadWarning(segment, element: 2, "\"\(segment[2])\" is not a date (CCYYMMDD); "
                    + "DTM*\(qualifier) is left empty"))
            }
            switch qualifier {
            case "405": transaction?.productionDate = date
            case "232": claim?.statementStartDate = date
            case "233": claim?.statementEndDate = date
            case "050": claim?.receivedDate = date
            case "151": line?.serviceEndDate = date
            default: line?.serviceDate = date
            }
        }

        private mutating func closeParty() {
            guard let party else { return }
            if party.entityCode == "PR" { transaction?.payer = party } else { transaction?.payee = party }
            self.party = nil
        }

        // MARK: Claims and lines

        private mutating func openClaim(_ segment: X12Segment) throws {
            closeClaim()
            closeParty()
            if segment[1].isEmpty {
                warnings.append(X12ReadWarning(segment, element: 1, "CLP01 (patient control number) is empty"))
            }
            claim = RemittanceClaim(
                headerNumber: headerNumber, patientControlNumber: segment[1],
                status: ClaimStatusCode(rawValue: segment[2]), chargeCents: try amount(segment, 3, required: true) ?? 0,
                paymentCents: try amount(segment, 4, required: true) ?? 0,
                patientResponsibilityCents: try amount(segment, 5, required: false), filingIndicator: segment[6],
                payerClaimControlNumber: segment[7], facilityCode: segment[8], frequencyCode: segment[9],
                segmentNumber: segment.number)
            position = .claim
        }

        private mutating func closeLine() {
            guard let line = line.take() else { return }
            claim?.serviceLines.append(line)
        }

        private mutating func closeClaim() {
            closeLine()
            guard let claim = claim.take() else { return }
            transaction?.claims.append(claim)
        }

        private mutating func openLine(_ segment: X12Segment) throws {
            guard claim != nil, position == .claim || position == .line else {
                throw X12ReadError(.unexpectedSegment, segment, "SVC stands outside a claim (no CLP before it)")
            }
            closeLine()
            guard let adjudicated = procedure(segment, 1) else {
                throw X12ReadError(.missingElement, segment, element: 1, "SVC01 (the procedure) is empty")
            }
            line = RemittanceServiceLine(
                procedure: adjudicated, chargeCents: try amount(segment, 2, required: true) ?? 0,
                paymentCents: try amount(segment, 3, required: true) ?? 0, revenueCode: segment[4],
                units: quantity(segment, 5), originalProcedure: procedure(segment, 6),
                originalUnits: quantity(segment, 7), segmentNumber: segment.number)
            position = .line
        }

        private mutating func readAdjustment(_ segment: X12Segment) throws {
            guard position == .claim || position == .line else {
                throw X12ReadError(.unexpectedSegment, segment, "CAS stands outside a claim or service line")
            }
            let group = AdjustmentGroup(rawValue: segment[1])
            if group.meaning == nil {
                warnings.append(X12ReadWarning(segment, element: 1, "\"\(segment[1])\" is not a claim adjustment "
                    + "group code (CO, PR, OA, PI, CR)"))
            }
            var adjustments: [ClaimAdjustment] = []
            for reasonPosition in stride(from: 2, through: 17, by: 3) {
                let reason = segment[reasonPosition]
                guard !reason.isEmpty else {
                    if !segment[reasonPosition + 1].isEmpty {
                        warnings.append(X12ReadWarning(segment, element: reasonPosition + 1, "an adjustment amount "
                            + "without a reason code is ignored"))
                    }
                    continue
                }
                let cents = try amount(segment, reasonPosition + 1, required: true) ?? 0
                adjustments.append(ClaimAdjustment(group: group, reasonCode: reason, amountCents: cents,
                                                   quantity: quantity(segment, reasonPosition + 2)))
            }
            if position == .line { line?.adjustments += adjustments } else { claim?.adjustments += adjustments }
        }

        private mutating func readProviderAdjustment(_ segment: X12Segment) throws {
            closeClaim()
            position = .summary
            let fiscalPeriod = X12Value.date(segment[2])
            if fiscalPeriod == nil {
                warnings.append(X12ReadWarning(segment, element: 2, "\"\(segment[2])\" is not a date (CCYYMMDD)"))
            }
            for identifierPosition in stride(from: 3, through: 13, by: 2) {
                let components = segment.components(identifierPosition)
                guard let reason = components.first, !reason.isEmpty else { continue }
                let reference = components.count > 1 && !components[1].isEmpty ? components[1] : nil
                let cents = try amount(segment, identifierPosition + 1, required: true) ?? 0
                transaction?.providerAdjustments.append(ProviderAdjustment(
                    providerIdentifier: segment[1], fiscalPeriodDate: fiscalPeriod, reasonCode: reason,
                    reference: reference, amountCents: cents))
            }
        }

        // MARK: Elements

        /// The amount at `position` in cents; `nil` when empty and optional, 0 (with a warning) when
        /// empty and required.
        private mutating func amount(_ segment: X12Segment, _ position: Int, required: Bool) throws -> Int64? {
            let text = segment[position]
            guard !text.isEmpty else {
                if required {
                    warnings.append(X12ReadWarning(segment, element: position, "the amount is empty; read as 0"))
                    return 0
                }
                return nil
            }
            switch X12Value.cents(text) {
            case .success(let cents): return cents
            case .failure(let problem):
                throw X12ReadError(.invalidAmount, segment, element: position, "\"\(text)\" \(problem.reason)")
            }
        }

        private mutating func quantity(_ segment: X12Segment, _ position: Int) -> Decimal? {
            let text = segment[position]
            guard !text.isEmpty else { return nil }
            guard let value = X12Value.decimal(text) else {
                warnings.append(X12ReadWarning(segment, element: position, "\"\(text)\" is not a quantity; left empty"))
                return nil
            }
            return value
        }

        /// The composite procedure at `position`, tolerating a component separator other than ISA16
        /// (seen in transcribed TR3 examples: `HC>12345>26` under ISA16 `:`).
        private mutating func procedure(_ segment: X12Segment, _ position: Int) -> RemittanceProcedure? {
            var components = segment.components(position)
            guard !components.isEmpty else { return nil }
            if components.count == 1, let other = Reader835.foreignSeparator(in: components[0]) {
                warnings.append(X12ReadWarning(segment, element: position, "the composite uses "
                    + "\"\(Character(Unicode.Scalar(other)))\" between components but ISA16 is "
                    + "\"\(Character(Unicode.Scalar(segment.componentSeparator)))\"; read with "
                    + "\"\(Character(Unicode.Scalar(other)))\""))
                components = X12Segment.split(components[0], on: other)
            }
            let code = components.count > 1 ? components[1] : ""
            if code.isEmpty {
                warnings.append(X12ReadWarning(segment, element: position, "the procedure has a qualifier "
                    + "(\(components[0])) but no code"))
            }
            let modifiers = components.count > 2 ? components[2..<min(components.count, 6)].filter { !$0.isEmpty } : []
            let description = components.count > 6 && !components[6].isEmpty ? components[6] : nil
            return RemittanceProcedure(qualifier: components[0], code: code, modifiers: modifiers,
                                       description: description)
        }
    }

    /// The separator a composite uses when it does not use ISA16: a two-letter qualifier followed
    /// by punctuation and more text (`HC>12345`), or `nil`.
    static func foreignSeparator(in text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count > 3, X12Tokenizer.isAlphanumeric(utf8[0]), X12Tokenizer.isAlphanumeric(utf8[1]) else {
            return nil
        }
        let candidate = utf8[2]
        guard !X12Tokenizer.isAlphanumeric(candidate), candidate > 32, candidate < 127, candidate != UInt8(ascii: "-"),
              candidate != UInt8(ascii: "."), candidate != UInt8(ascii: " ")
        else { return nil }
        return candidate
    }
}
