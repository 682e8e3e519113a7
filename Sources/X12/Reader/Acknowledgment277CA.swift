import BillingCore
import Foundation

/// A 277CA claim acknowledgment file (005010X214), read by ``read(_:)``: for every claim we
/// sent, whether the clearinghouse or payer took it in or rejected it, and why.
///
/// The hierarchy is information source (HL 20, the payer or clearinghouse), information
/// receiver (HL 21, the submitter, with batch totals), billing provider (HL 19) and patient
/// (HL PT), under which each TRN opens one claim (TRN02 = CLM01 as we sent it) with its STC
/// statuses, REF*1K payer claim number, REF*D9 clearinghouse trace and DTP*472 dates, then
/// optional SVC service lines with their own statuses.
public struct Acknowledgment277CA: Sendable, Hashable {
    /// The ISA…IEA interchanges in the file, in order.
    public var interchanges: [X12Interchange]
    /// Every 277 transaction set, in file order.
    public var transactions: [Transaction]
    /// How many segments of each identifier the reader did not interpret.
    public var skippedSegmentCounts: [String: Int]
    /// Oddities that did not stop the reading.
    public var warnings: [X12ReadWarning]

    /// Every claim of every transaction set, in file order.
    public var claims: [Claim] { transactions.flatMap(\.claims) }
    /// How many segments the reader skipped in all.
    public var skippedSegmentCount: Int { skippedSegmentCounts.values.reduce(0, +) }

    /// The implementation guide this reader follows.
    public static let implementationGuide = "005010X214"

    /// One ST…SE.
    public struct Transaction: Sendable, Hashable {
        /// ST02.
        public var controlNumber: String
        /// ST03 (or GS08), such as `005010X214`.
        public var implementationGuide: String
        /// ISA13 of the interchange around it.
        public var interchangeControlNumber: String?
        /// GS06 of the group around it.
        public var groupControlNumber: String?
        /// The 1-based position of the ST segment.
        public var segmentNumber: Int
        /// BHT03: the originator's reference for this acknowledgment.
        public var reference: String
        /// BHT04: when it was created.
        public var creationDate: CalendarDate?
        /// HL 20: the payer or clearinghouse that acknowledges.
        public var informationSource: Party?
        /// HL 21: the submitters, with their batch-level statuses and totals.
        public var receivers: [Party]
        /// HL 19: the billing providers, with any provider-level statuses.
        public var providers: [Party]
        /// Every claim acknowledged, in order.
        public var claims: [Claim]
    }

    /// An information source, receiver or billing provider level (HL 20, 21 or 19).
    public struct Party: Sendable, Hashable {
        /// HL03: `20`, `21` or `19`.
        public var levelCode: String
        /// The NM1 of the level (NM1*PR, NM1*41, NM1*85).
        public var name: X12EntityName?
        /// TRN02 at this level: the receiver's batch trace (2200B) or the provider's trace (2200C).
        public var traceNumber: String?
        /// STC segments at this level.
        public var statuses: [StatusReport]
        /// QTY segments: `90`/`QA` accepted, `AA`/`QC` rejected.
        public var quantities: [Quantity]
        /// AMT segments: `YU` accepted, `YY` rejected.
        public var amounts: [RemittanceAmount]
        /// DTP*050: when the source received the batch.
        public var receivedDate: CalendarDate?
        /// DTP*009: when the source processed it.
        public var processedDate: CalendarDate?
        /// The 1-based position of the HL segment.
        public var segmentNumber: Int

        /// How many claims this level reports accepted (QTY*90 or QTY*QA).
        public var acceptedQuantity: Decimal? {
            quantities.first { $0.qualifier == "90" || $0.qualifier == "QA" }?.value
        }
        /// How many claims this level reports rejected (QTY*AA or QTY*QC).
        public var rejectedQuantity: Decimal? {
            quantities.first { $0.qualifier == "AA" || $0.qualifier == "QC" }?.value
        }
        /// The accepted total (AMT*YU).
        public var acceptedAmountCents: Int64? { amounts.first { $0.qualifier == "YU" }?.amountCents }
        /// The rejected total (AMT*YY).
        public var rejectedAmountCents: Int64? { amounts.first { $0.qualifier == "YY" }?.amountCents }
    }

    /// A QTY segment.
    public struct Quantity: Sendable, Hashable {
        /// QTY01.
        public var qualifier: String
        /// QTY02.
        public var value: Decimal
    }

    /// One claim's acknowledgment (loop 2200D).
    public struct Claim: Sendable, Hashable {
        /// TRN02: the patient control number as we sent it in CLM01.
        public var patientControlNumber: String
        /// NM1*QC of the patient level.
        public var patient: X12EntityName?
        /// NM1*85 of the billing provider level above.
        public var billingProvider: X12EntityName?
        /// STC segments for the claim, in order.
        public var statuses: [StatusReport]
        /// REF*1K: the payer's claim control number.
        public var payerClaimControlNumber: String?
        /// REF*D9: the clearinghouse trace number.
        public var clearinghouseTraceNumber: String?
        /// Other REF segments (`BLT` bill type, `EA` medical record…).
        public var references: [X12Reference]
        /// DTP*472: the first date of service.
        public var serviceStartDate: CalendarDate?
        /// DTP*472: the last date of service (the same as the first for a single date).
        public var serviceEndDate: CalendarDate?
        /// Loop 2220D service lines with their own statuses.
        public var lines: [ServiceLine]
        /// The 1-based position of the TRN segment.
        public var segmentNumber: Int

        /// Rejected when any claim- or line-level status has a rejecting category (A3, A4, A6, A7,
        /// A8), since a 277CA has no partial acceptance; accepted when a status says the claim was
        /// received, accepted or forwarded (A0, A1, A2, A5); otherwise undetermined.
        public var outcome: Outcome {
            Outcome.combining((statuses + lines.flatMap(\.statuses)).flatMap(\.statuses).map(\.category.outcome))
        }
        /// Whether the claim was accepted (received, accepted into adjudication or forwarded) and nothing rejected it.
        public var isAccepted: Bool { outcome == .accepted }
        /// Whether any status rejected the claim.
        public var isRejected: Bool { outcome == .rejected }
        /// Whether a payer took the claim into adjudication (A2) and nothing rejected it.
        public var isAcceptedIntoAdjudication: Bool {
            outcome == .accepted
                && statuses.contains { $0.statuses.contains { $0.category == .acceptedIntoAdjudication } }
        }
        /// The category codes of the claim-level statuses (`A1`, `A7`…), in order.
        public var categoryCodes: [String] { statuses.flatMap(\.statuses).map(\.category.rawValue) }
        /// The claim status codes of the claim-level statuses (`20`, `562`…), in order.
        public var statusCodes: [String] { statuses.flatMap(\.statuses).map(\.statusCode) }
        /// The entity codes named by claim-level statuses (`85`, `PR`…), in order.
        public var entityCodes: [String] { statuses.flatMap(\.statuses).compactMap(\.entityCode) }
        /// STC12 free-form messages of the claim and its lines.
        public var messages: [String] { (statuses + lines.flatMap(\.statuses)).compactMap(\.message) }
        /// One plain-words sentence per claim-level status (see ``Status/summary``).
        public var summaries: [String] { statuses.flatMap(\.statuses).map(\.summary) }
    }

    /// One service line's acknowledgment (loop 2220D).
    public struct ServiceLine: Sendable, Hashable {
        /// SVC01.
        public var procedure: RemittanceProcedure?
        /// SVC02: the line charge.
        public var chargeCents: Int64
        /// SVC04: the revenue code, when sent.
        public var revenueCode: String
        /// SVC07: units of service, when sent.
        public var units: Decimal?
        /// REF*FJ: the line item control number we sent (REF*6R in the 837).
        public var lineItemControlNumber: String?
        /// STC segments for the line.
        public var statuses: [StatusReport]
        /// DTP*472 first date.
        public var serviceStartDate: CalendarDate?
        /// DTP*472 last date.
        public var serviceEndDate: CalendarDate?
        /// The 1-based position of the SVC segment.
        public var segmentNumber: Int

        /// The line's outcome, by the same rule as ``Claim/outcome``.
        public var outcome: Outcome { Outcome.combining(statuses.flatMap(\.statuses).map(\.category.outcome)) }
    }

    /// One STC segment: up to three statuses (STC01, STC10, STC11) with the date, action, amount and text.
    public struct StatusReport: Sendable, Hashable {
        /// STC01, STC10 and STC11, those present.
        public var statuses: [Status]
        /// STC02: the status's effective date.
        public var effectiveDate: CalendarDate?
        /// STC03: the action code (`WQ` accept, `U` reject).
        public var actionCode: String
        /// STC04: the total claim charge the status refers to.
        public var chargeAmountCents: Int64?
        /// STC12: free-form message text, when sent.
        public var message: String?
        /// The 1-based position of the STC segment.
        public var segmentNumber: Int
    }

    /// One category/status/entity composite of an STC.
    public struct Status: Sendable, Hashable {
        /// Component 1: the claim status category (A1, A7, E0…).
        public var category: Category
        /// Component 2: the claim status code (20, 562…).
        public var statusCode: String
        /// Component 3: the entity the status concerns (85 billing provider, PR payer…), when sent.
        public var entityCode: String?
        /// Component 4: the code list the status code comes from, when not the claim status codes.
        public var codeListQualifier: String?

        /// The status code in plain words, or `nil` when this reader does not know it.
        public var statusMeaning: String? {
            codeListQualifier == nil ? Acknowledgment277CA.statusCodeMeaning(statusCode) : nil
        }
        /// The entity in plain words, or `nil` when absent or unknown.
        public var entityMeaning: String? { entityCode.flatMap(Acknowledgment277CA.entityMeaning) }

        /// The status in plain words, such as `A7 Rejected for invalid information: 562 Entity's National
        /// Provider Identifier (NPI), entity 85 Billing Provider`; codes this reader does not know are shown bare.
        public var summary: String {
            var text = category.rawValue + (category.meaning.map { " " + $0 } ?? "")
            text += ": " + statusCode + (statusMeaning.map { " " + $0 } ?? "")
            if let entityCode { text += ", entity " + entityCode + (entityMeaning.map { " " + $0 } ?? "") }
            return text
        }
    }

    /// What a status means for the claim.
    public enum Outcome: String, Sendable, Hashable {
        /// Received, accepted into adjudication, forwarded or split (A0, A1, A2, A5).
        case accepted
        /// Returned, not found or rejected (A3, A4, A6, A7, A8).
        case rejected
        /// Neither, such as an E category (response not possible) or an unknown category.
        case undetermined

        static func combining(_ outcomes: [Outcome]) -> Outcome {
            if outcomes.contains(.rejected) { return .rejected }
            if outcomes.contains(.accepted) { return .accepted }
            return .undetermined
        }
    }

    /// A claim status category code (X12 code source 507).
    public struct Category: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code as it appears in the file.
        public let rawValue: String
        /// Creates a category from its code.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `A0`: forwarded to another entity.
        public static let forwarded = Category(rawValue: "A0")
        /// `A1`: received; not yet accepted for adjudication.
        public static let receipt = Category(rawValue: "A1")
        /// `A2`: accepted into the adjudication system (not the same as paid).
        public static let acceptedIntoAdjudication = Category(rawValue: "A2")
        /// `A3`: returned as unprocessable.
        public static let returnedAsUnprocessable = Category(rawValue: "A3")
        /// `A4`: not found.
        public static let notFound = Category(rawValue: "A4")
        /// `A5`: split upon acceptance.
        public static let split = Category(rawValue: "A5")
        /// `A6`: rejected for missing information.
        public static let rejectedForMissingInformation = Category(rawValue: "A6")
        /// `A7`: rejected for invalid information.
        public static let rejectedForInvalidInformation = Category(rawValue: "A7")
        /// `A8`: rejected for a relational field in error.
        public static let rejectedForRelationalField = Category(rawValue: "A8")

        /// The category in plain words, or `nil` when this reader does not know it.
        public var meaning: String? {
            switch rawValue {
            case "A0": "Acknowledged/Forwarded to another entity"
            case "A1": "Acknowledged/Receipt"
            case "A2": "Acknowledged/Accepted into adjudication"
            case "A3": "Returned as unprocessable"
            case "A4": "Not found"
            case "A5": "Split claim"
            case "A6": "Rejected for missing information"
            case "A7": "Rejected for invalid information"
            case "A8": "Rejected for relational field in error"
            case "E0": "Response not possible: error on submitted request data"
            case "E1": "Response not possible: system status"
            default: nil
            }
        }

        /// What the category means for the claim.
        public var outcome: Outcome {
            switch rawValue {
            case "A0", "A1", "A2", "A5": .accepted
            case "A3", "A4", "A6", "A7", "A8": .rejected
            default: .undetermined
            }
        }

        /// The code as text.
        public var description: String { rawValue }
    }

    /// A few common claim status codes (X12 code source 508) in plain words; `nil` for the rest.
    ///
    /// Only codes whose wording was checked are listed; the full list changes several times a year
    /// and belongs in versioned data.
    public static func statusCodeMeaning(_ code: String) -> String? {
        switch code {
        case "0": "Cannot provide further status electronically"
        case "1": "For more detailed information, see remittance advice"
        case "2": "More detailed information in letter"
        case "3": "Claim has been adjudicated and is awaiting payment cycle"
        case "6": "Balance due from the subscriber"
        case "16": "Claim/encounter has been forwarded to entity"
        case "19": "Entity acknowledges receipt of claim/encounter"
        case "20": "Accepted for processing"
        case "21": "Missing or invalid information"
        case "26": "Entity not found"
        case "33": "Subscriber and subscriber id not found"
        case "35": "Claim/encounter not found"
        case "97": "Patient eligibility not found with entity"
        case "562": "Entity's National Provider Identifier (NPI)"
        default: nil
        }
    }

    /// Common entity identifier codes in plain words; `nil` for the rest.
    public static func entityMeaning(_ code: String) -> String? {
        switch code {
        case "03": "Dependent"
        case "40": "Receiver"
        case "41": "Submitter"
        case "77": "Service Location"
        case "82": "Rendering Provider"
        case "85": "Billing Provider"
        case "87": "Pay-to Provider"
        case "DN": "Referring Provider"
        case "IL": "Insured or Subscriber"
        case "PR": "Payer"
        case "QC": "Patient"
        default: nil
        }
    }

    // MARK: - Reading

    /// Reads a whole 277CA file.
    ///
    /// - Parameter text: one or more ISA…IEA interchanges holding 277 transaction sets.
    /// - Returns: every transaction set with its per-claim results, plus skipped-segment counts and warnings.
    /// - Throws: ``X12ReadError``: `.notX12`/`.invalidSegment`/`.invalidDelimiters` for text that is
    ///   not X12, `.truncated` for a text that ends inside an envelope, `.wrongTransactionSet` when an
    ///   ST01 is not `277`, `.invalidAmount` for an amount that is not dollars and cents. Each names
    ///   the segment number.
    public static func read(_ text: String) throws -> Acknowledgment277CA {
        var parser = Parser()
        var lastSegment = 0
        try X12Tokenizer.forEachSegment(in: text) { segment in
            try parser.handle(segment)
            lastSegment = segment.number
        }
        try parser.envelope.finish(lastSegment: lastSegment)
        var warnings = parser.envelope.warnings + parser.warnings
        warnings.sort { $0.segmentNumber < $1.segmentNumber }
        return Acknowledgment277CA(interchanges: parser.envelope.interchanges, transactions: parser.transactions,
                                   skippedSegmentCounts: parser.skipped, warnings: warnings)
    }

    private enum Level {
        case none
        case party
        case patient
        case unknown
    }

    private struct Parser {
        var envelope = X12EnvelopeTracker()
        var transactions: [Transaction] = []
        var skipped: [String: Int] = [:]
        var warnings: [X12ReadWarning] = []

        private var transaction: Transaction?
        private var level = Level.none
        private var party: Party?
        private var patient: X12EntityName?
        private var claim: Claim?
        private var line: ServiceLine?
        /// NM1*85 by the HL01 of its provider level, so a patient level finds its provider through HL02.
        private var providerNames: [String: X12EntityName] = [:]
        private var providerOfPatient: X12EntityName?
        private var lastProvider: X12EntityName?
        private var currentHierarchyID = ""

        mutating func handle(_ segment: X12Segment) throws {
            switch try envelope.observe(segment) {
            case .interchangeHeader, .groupHeader, .groupTrailer, .interchangeTrailer:
                return
            case .transactionHeader:
                try begin(segment)
            case .transactionTrailer:
                closeLevel()
                if let transaction { transactions.append(transaction) }
                transaction = nil
            case .content:
                try content(segment)
            }
        }

        private mutating func begin(_ segment: X12Segment) throws {
            guard segment[1] == "277" else {
                throw X12ReadError(.wrongTransactionSet, segment, element: 1,
                                   "transaction set \(segment[1].isEmpty ? "(none)" : segment[1]) is not a 277 claim "
                                       + "acknowledgment")
            }
            let guide = envelope.transaction?.implementationGuide ?? ""
            if guide != Acknowledgment277CA.implementationGuide {
                warnings.append(X12ReadWarning(segment, element: 3, "the implementation guide is "
                    + "\(guide.isEmpty ? "not stated" : guide), not \(Acknowledgment277CA.implementationGuide); read "
                    + "as a 277CA"))
            }
            transaction = Transaction(
                controlNumber: segment[2],
                implementationGuide: guide.isEmpty ? Acknowledgment277CA.implementationGuide : guide,
                interchangeControlNumber: envelope.interchangeControlNumber,
                groupControlNumber: envelope.group?.controlNumber,
                segmentNumber: segment.number, reference: "", creationDate: nil, informationSource: nil, receivers: [],
                providers: [], claims: [])
            level = .none
            party = nil
            patient = nil
            claim = nil
            line = nil
            providerNames = [:]
            lastProvider = nil
        }

        private mutating func skip(_ segment: X12Segment) { skipped[segment.identifier, default: 0] += 1 }

        private mutating func content(_ segment: X12Segment) throws {
            switch segment.identifier {
            case "BHT":
                transaction?.reference = segment[3]
                transaction?.creationDate = X12Value.date(segment[4])
            case "HL": openLevel(segment)
            case "NM1":
                let name = X12EntityName(segment)
                switch level {
                case .party:
                    party?.name = name
                    if party?.levelCode == "19" {
                        providerNames[currentHierarchyID] = name
                        lastProvider = name
                    }
                case .patient:
                    closeClaim()
                    patient = name
                case .none, .unknown: skip(segment)
                }
            case "TRN":
                switch level {
                case .party: party?.traceNumber = segment[2]
                case .patient:
                    closeClaim()
                    if segment[2].isEmpty {
                        warnings.append(X12ReadWarning(segment, element: 2,
                                                       "TRN02 (the patient control number) is empty"))
                    }
                    claim = Claim(patientControlNumber: segment[2], patient: patient,
                                  billingProvider: providerOfPatient, statuses: [], references: [], lines: [],
                                  segmentNumber: segment.number)
                case .none, .unknown: skip(segment)
                }
            case "STC":
                let report = try statusReport(segment)
                if level == .party {
                    party?.statuses.append(report)
                } else if level == .patient && line != nil {
                    line?.statuses.append(report)
                } else if level == .patient && claim != nil {
                    claim?.statuses.append(report)
                } else {
                    warnings.append(X12ReadWarning(segment, "STC stands where no claim or level is open; ignored"))
                    skip(segment)
                }
            case "QTY":
                guard level == .party, let value = X12Value.decimal(segment[2]) else { return skip(segment) }
                party?.quantities.append(Quantity(qualifier: segment[1], value: value))
            case "AMT":
                guard level == .party else { return skip(segment) }
                let cents = try amount(segment, 2) ?? 0
                party?.amounts.append(RemittanceAmount(qualifier: segment[1], amountCents: cents))
            case "REF":
                if line != nil {
                    if segment[1] == "FJ" && line?.lineItemControlNumber == nil {
                        line?.lineItemControlNumber = segment[2]
                    } else {
                        skip(segment)
                    }
                } else if claim != nil {
                    switch segment[1] {
                    case "1K": claim?.payerClaimControlNumber = segment[2]
                    case "D9": claim?.clearinghouseTraceNumber = segment[2]
                    default: claim?.references.append(X12Reference(qualifier: segment[1], value: segment[2]))
                    }
                } else {
                    skip(segment)
                }
            case "DTP": readDate(segment)
            case "SVC":
                guard claim != nil else {
                    throw X12ReadError(.unexpectedSegment, segment, "SVC stands outside a claim (no TRN before it)")
                }
                closeLine()
                line = ServiceLine(
                    procedure: procedure(segment), chargeCents: try amount(segment, 2) ?? 0, revenueCode: segment[4],
                    units: X12Value.decimal(segment[7].isEmpty ? segment[5] : segment[7]), lineItemControlNumber: nil,
                    statuses: [], segmentNumber: segment.number)
            default: skip(segment)
            }
        }

        private mutating func openLevel(_ segment: X12Segment) {
            closeLevel()
            currentHierarchyID = segment[1]
            switch segment[3] {
            case "20", "21", "19":
                level = .party
                party = Party(levelCode: segment[3], statuses: [], quantities: [], amounts: [],
                              segmentNumber: segment.number)
            case "PT", "22", "23":
                level = .patient
                patient = nil
                providerOfPatient = providerNames[segment[2]] ?? lastProvider
            default:
                level = .unknown
                warnings.append(X12ReadWarning(segment, element: 3, "hierarchical level \"\(segment[3])\" is not "
                    + "one of 20, 21, 19 or PT; its segments are skipped"))
            }
        }

        private mutating func closeLevel() {
            closeClaim()
            if let party {
                switch party.levelCode {
                case "20": transaction?.informationSource = party
                case "21": transaction?.receivers.append(party)
                default: transaction?.providers.append(party)
                }
            }
            party = nil
        }

        private mutating func closeLine() {
            guard let line = line.take() else { return }
            claim?.lines.append(line)
        }

        private mutating func closeClaim() {
            closeLine()
            guard let claim = claim.take() else { return }
            transaction?.claims.append(claim)
        }

        private mutating func readDate(_ segment: X12Segment) {
            let qualifier = segment[1]
            let value = segment[3]
            var start: CalendarDate?
            var end: CalendarDate?
            if segment[2] == "RD8" {
                let parts = value.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                start = parts.count == 2 ? X12Value.date(parts[0]) : nil
                end = parts.count == 2 ? X12Value.date(parts[1]) : nil
            } else {
                start = X12Value.date(value)
                end = start
            }
            let known = (level == .party && (qualifier == "050" || qualifier == "009"))
                || (level == .patient && qualifier == "472" && (claim != nil || line != nil))
            guard known else { return skip(segment) }
            if start == nil || end == nil {
                warnings.append(X12ReadWarning(segment, element: 3, "\"\(value)\" is not a date (\(segment[2])); "
                    + "DTP*\(qualifier) is left empty"))
            }
            switch (level, qualifier) {
            case (.party, "050"): party?.receivedDate = start
            case (.party, _): party?.processedDate = start
            default:
                if line != nil {
                    line?.serviceStartDate = start
                    line?.serviceEndDate = end
                } else {
                    claim?.serviceStartDate = start
                    claim?.serviceEndDate = end
                }
            }
        }

        private mutating func statusReport(_ segment: X12Segment) throws -> StatusReport {
            var statuses: [Status] = []
            for position in [1, 10, 11] {
                var components = segment.components(position)
                guard !components.isEmpty else { continue }
                if components.count == 1, let other = Reader835.foreignSeparator(in: components[0]) {
                    warnings.append(X12ReadWarning(segment, element: position, "the composite uses "
                        + "\"\(Character(Unicode.Scalar(other)))\" between components but ISA16 is "
                        + "\"\(Character(Unicode.Scalar(segment.componentSeparator)))\"; read with "
                        + "\"\(Character(Unicode.Scalar(other)))\""))
                    components = X12Segment.split(components[0], on: other)
                }
                func component(_ index: Int) -> String? {
                    index < components.count && !components[index].isEmpty ? components[index] : nil
                }
                if component(1) == nil {
                    warnings.append(X12ReadWarning(segment, element: position,
                                                   "the status has a category but no status code"))
                }
                statuses.append(Status(category: Category(rawValue: components[0]), statusCode: component(1) ?? "",
                                       entityCode: component(2), codeListQualifier: component(3)))
            }
            if statuses.isEmpty {
                warnings.append(X12ReadWarning(segment, element: 1, "STC01 (the claim status) is empty"))
            }
            let date = segment[2].isEmpty ? nil : X12Value.date(segment[2])
            if !segment[2].isEmpty && date == nil {
                warnings.append(X12ReadWarning(segment, element: 2, "\"\(segment[2])\" is not a date (CCYYMMDD)"))
            }
            return StatusReport(statuses: statuses, effectiveDate: date, actionCode: segment[3],
                                chargeAmountCents: try amount(segment, 4),
                                message: segment[12].isEmpty ? nil : segment[12], segmentNumber: segment.number)
        }

        private mutating func procedure(_ segment: X12Segment) -> RemittanceProcedure? {
            var components = segment.components(1)
            guard !components.isEmpty else { return nil }
            if components.count == 1, let other = Reader835.foreignSeparator(in: components[0]) {
                components = X12Segment.split(components[0], on: other)
            }
            let modifiers = components.count > 2 ? components[2..<min(components.count, 6)].filter { !$0.isEmpty } : []
            return RemittanceProcedure(qualifier: components[0], code: components.count > 1 ? components[1] : "",
                                       modifiers: modifiers)
        }

        private func amount(_ segment: X12Segment, _ position: Int) throws -> Int64? {
            let text = segment[position]
            guard !text.isEmpty else { return nil }
            switch X12Value.cents(text) {
            case .success(let cents): return cents
            case .failure(let problem):
                throw X12ReadError(.invalidAmount, segment, element: position, "\"\(text)\" \(problem.reason)")
            }
        }
    }
}
