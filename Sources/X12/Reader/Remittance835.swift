import BillingCore
import Foundation

/// One 835 file as read by ``Reader835``: its interchanges, every transaction set (one payment
/// each) and what the reader noticed on the way.
public struct RemittanceFile: Sendable, Hashable {
    /// The ISA…IEA interchanges in the file, in order (empty for a bare ST…SE file).
    public var interchanges: [X12Interchange]
    /// Every 835 transaction set (ST…SE), across all interchanges and groups, in file order.
    public var transactions: [Remittance835]
    /// How many segments of each identifier the reader did not interpret (TS3, QTY, DTM*036…).
    public var skippedSegmentCounts: [String: Int]
    /// Oddities that did not stop the reading (wrong SE01, dates that are not dates…).
    public var warnings: [X12ReadWarning]

    /// Creates a file.
    public init(
        interchanges: [X12Interchange] = [], transactions: [Remittance835] = [],
        skippedSegmentCounts: [String: Int] = [:], warnings: [X12ReadWarning] = []
    ) {
        self.interchanges = interchanges
        self.transactions = transactions
        self.skippedSegmentCounts = skippedSegmentCounts
        self.warnings = warnings
    }

    /// How many segments the reader skipped in all.
    public var skippedSegmentCount: Int { skippedSegmentCounts.values.reduce(0, +) }
    /// ISA06 of the first interchange: who sent the file.
    public var senderID: String? { interchanges.first?.senderID }
    /// ISA08 of the first interchange: who the file is for.
    public var receiverID: String? { interchanges.first?.receiverID }
    /// ISA13 of the first interchange.
    public var interchangeControlNumber: String? { interchanges.first?.controlNumber }
    /// Every claim of every transaction set, in file order.
    public var claims: [RemittanceClaim] { transactions.flatMap(\.claims) }

    /// The balancing problems of every transaction set (see ``Reader835/balanceProblems(_:)``).
    public func balanceProblems() -> [RemittanceBalanceProblem] {
        transactions.flatMap(Reader835.balanceProblems)
    }
}

/// One 835 transaction set: a single payment (or notice of no payment) from one payer to one
/// payee, with the claims it pays and the provider-level adjustments.
public struct Remittance835: Sendable, Hashable {
    /// BPR: the money.
    public struct Payment: Sendable, Hashable {
        /// BPR01: `I` remittance information only, `C` payment with remittance, `H` notification only,
        /// `D` payment only, `P` prenotification, `U`/`X` split payment and remittance.
        public var handlingCode: String
        /// BPR02: the total actual provider payment, as a positive amount (see ``netAmountCents``).
        public var amountCents: Int64
        /// BPR03: `C` credit (the payee receives money) or `D` debit (the payee owes).
        public var creditDebitFlag: String
        /// BPR04: ACH, CHK, NON…
        public var method: PaymentMethod
        /// BPR05: the ACH format (`CCP`, `CTX`), empty for checks.
        public var format: String
        /// BPR16: the check issue or EFT effective date, when it is a valid date.
        public var date: CalendarDate?

        /// Creates a payment.
        public init(
            handlingCode: String = "", amountCents: Int64 = 0, creditDebitFlag: String = "C",
            method: PaymentMethod = .nonPayment, format: String = "", date: CalendarDate? = nil
        ) {
            self.handlingCode = handlingCode
            self.amountCents = amountCents
            self.creditDebitFlag = creditDebitFlag
            self.method = method
            self.format = format
            self.date = date
        }

        /// BPR02 with its sign: negative when BPR03 is `D` (the payee owes the payer).
        public var netAmountCents: Int64 { creditDebitFlag == "D" ? -amountCents : amountCents }
    }

    /// TRN: the reassociation trace that ties the remittance to the money.
    public struct Trace: Sendable, Hashable {
        /// TRN01: `1` current transaction trace number.
        public var typeCode: String
        /// TRN02: the check number or EFT trace number.
        public var referenceNumber: String
        /// TRN03: the payer's identifier (`1` followed by the tax id, or another payer id).
        public var originatorIdentifier: String
        /// TRN04: the originating company's supplemental code, when sent.
        public var originatorSupplementalCode: String
    }

    /// ST02.
    public var controlNumber: String
    /// ST03 (or GS08 when ST03 is absent), such as `005010X221A1`.
    public var implementationGuide: String
    /// ISA13 of the interchange around this transaction set, when there is one.
    public var interchangeControlNumber: String?
    /// GS06 of the group around this transaction set, when there is one.
    public var groupControlNumber: String?
    /// The 1-based position of the ST segment in the file.
    public var segmentNumber: Int
    /// BPR.
    public var payment: Payment
    /// TRN, when present.
    public var trace: Trace?
    /// Header REF segments (`EV` receiver id, `F2` version).
    public var references: [X12Reference]
    /// DTM*405: when the payer produced the remittance.
    public var productionDate: CalendarDate?
    /// Loop 1000A: N1*PR with its address, ids and contacts.
    public var payer: RemittanceParty?
    /// Loop 1000B: N1*PE with its address and ids.
    public var payee: RemittanceParty?
    /// Loop 2100 claims, in order.
    public var claims: [RemittanceClaim]
    /// PLB adjustments, one per adjustment identifier/amount pair.
    public var providerAdjustments: [ProviderAdjustment]

    /// Creates a transaction set.
    public init(
        controlNumber: String, implementationGuide: String = "005010X221A1", interchangeControlNumber: String? = nil,
        groupControlNumber: String? = nil, segmentNumber: Int = 0, payment: Payment = Payment(), trace: Trace? = nil,
        references: [X12Reference] = [], productionDate: CalendarDate? = nil, payer: RemittanceParty? = nil,
        payee: RemittanceParty? = nil, claims: [RemittanceClaim] = [], providerAdjustments: [ProviderAdjustment] = []
    ) {
        self.controlNumber = controlNumber
        self.implementationGuide = implementationGuide
        self.interchangeControlNumber = interchangeControlNumber
        self.groupControlNumber = groupControlNumber
        self.segmentNumber = segmentNumber
        self.payment = payment
        self.trace = trace
        self.references = references
        self.productionDate = productionDate
        self.payer = payer
        self.payee = payee
        self.claims = claims
        self.providerAdjustments = providerAdjustments
    }

    /// TRN02: the check or EFT trace number, the key for matching the deposit.
    public var checkOrTraceNumber: String? { trace?.referenceNumber }
    /// Σ CLP04 over the claims.
    public var claimPaymentsTotalCents: Int64 { claims.reduce(0) { $0 + $1.paymentCents } }
    /// Σ PLB amounts (positive amounts reduce the payment, negative ones add to it).
    public var providerAdjustmentsTotalCents: Int64 { providerAdjustments.reduce(0) { $0 + $1.amountCents } }
}

/// N1 loops 1000A (payer, `PR`) and 1000B (payee, `PE`).
public struct RemittanceParty: Sendable, Hashable {
    /// PER: a contact of the payer.
    public struct Contact: Sendable, Hashable {
        /// PER01: `CX` claims, `BL` technical, `IC` web site.
        public var functionCode: String
        /// PER02.
        public var name: String
        /// PER03…PER08 as (qualifier, number) pairs: `TE` phone, `EM` email, `UR` URL, `FX` fax, `EX` extension.
        public var communications: [Communication]

        /// One communication number with its qualifier.
        public struct Communication: Sendable, Hashable {
            /// `TE`, `EM`, `UR`, `FX`, `EX`.
            public var qualifier: String
            /// The number or address.
            public var value: String
        }
    }

    /// N101: `PR` payer or `PE` payee.
    public var entityCode: String
    /// N102.
    public var name: String
    /// N103: `XX` NPI, `FI` tax id, `XV` CMS plan id, `PI` payer id.
    public var identifierQualifier: String
    /// N104.
    public var identifier: String
    /// N301 and N302.
    public var addressLines: [String]
    /// N401.
    public var city: String
    /// N402.
    public var state: String
    /// N403.
    public var postalCode: String
    /// N404, empty for the United States.
    public var countryCode: String
    /// REF segments: `2U`/`EO`/`HI`/`NF` payer ids, `TJ` payee tax id, `PQ` payee id…
    public var references: [X12Reference]
    /// PER segments.
    public var contacts: [Contact]

    /// Creates a party.
    public init(
        entityCode: String, name: String, identifierQualifier: String = "", identifier: String = "",
        addressLines: [String] = [], city: String = "", state: String = "", postalCode: String = "",
        countryCode: String = "", references: [X12Reference] = [], contacts: [Contact] = []
    ) {
        self.entityCode = entityCode
        self.name = name
        self.identifierQualifier = identifierQualifier
        self.identifier = identifier
        self.addressLines = addressLines
        self.city = city
        self.state = state
        self.postalCode = postalCode
        self.countryCode = countryCode
        self.references = references
        self.contacts = contacts
    }

    /// The NPI, when N103 is `XX`.
    public var npi: String? { identifierQualifier == "XX" && !identifier.isEmpty ? identifier : nil }
    /// The federal tax id: N104 when N103 is `FI`, otherwise REF*TJ.
    public var taxID: String? {
        identifierQualifier == "FI" && !identifier.isEmpty ? identifier : references.value(for: "TJ")
    }
    /// The payer's identifier: REF*2U, else REF*EO, else N104 when N103 is `XV` or `PI`.
    public var payerIdentifier: String? {
        references.value(for: "2U") ?? references.value(for: "EO")
            ?? (["XV", "PI"].contains(identifierQualifier) && !identifier.isEmpty ? identifier : nil)
    }
}

/// Loop 2100: one claim as the payer adjudicated it.
public struct RemittanceClaim: Sendable, Hashable {
    /// LX01 of the header the claim sits under, when there is one.
    public var headerNumber: String?
    /// CLP01: the patient control number, i.e. the CLM01 we sent.
    public var patientControlNumber: String
    /// CLP02.
    public var status: ClaimStatusCode
    /// CLP03: total submitted charges.
    public var chargeCents: Int64
    /// CLP04: what the payer paid on the claim.
    public var paymentCents: Int64
    /// CLP05: patient responsibility, when sent.
    public var patientResponsibilityCents: Int64?
    /// CLP06: claim filing indicator (`12` PPO, `MB` Medicare Part B, `MC` Medicaid, `CI` commercial…).
    public var filingIndicator: String
    /// CLP07: the payer's claim control number (send it in REF*F8 on a replacement or void).
    public var payerClaimControlNumber: String
    /// CLP08: facility type code (place of service for professional claims).
    public var facilityCode: String
    /// CLP09: claim frequency code (`1` original, `7` replacement, `8` void).
    public var frequencyCode: String
    /// Claim-level CAS adjustments, one per reason.
    public var adjustments: [ClaimAdjustment]
    /// NM1*QC.
    public var patient: X12EntityName?
    /// NM1*IL, when the insured is not the patient.
    public var insured: X12EntityName?
    /// NM1*74: the name or id the payer corrected.
    public var correctedPatient: X12EntityName?
    /// NM1*82.
    public var renderingProvider: X12EntityName?
    /// Other NM1 segments (`TT` crossover carrier, `PR` corrected priority payer, `GB` other subscriber…).
    public var otherNames: [X12EntityName]
    /// MIA remark codes (MIA05, MIA20–MIA23).
    public var inpatientRemarkCodes: [String]
    /// MOA remark codes (MOA03–MOA07).
    public var outpatientRemarkCodes: [String]
    /// DTM*232: claim statement period start.
    public var statementStartDate: CalendarDate?
    /// DTM*233: claim statement period end.
    public var statementEndDate: CalendarDate?
    /// DTM*050: when the payer received the claim.
    public var receivedDate: CalendarDate?
    /// Claim REF segments (`1L` group, `EA` medical record, `CE` class of contract, `F8` original reference…).
    public var references: [X12Reference]
    /// Claim AMT segments (`AU` coverage amount, `I` interest, `D8` discount…).
    public var amounts: [RemittanceAmount]
    /// Loop 2110 service lines.
    public var serviceLines: [RemittanceServiceLine]
    /// The 1-based position of the CLP segment in the file.
    public var segmentNumber: Int

    /// Creates a claim.
    public init(
        headerNumber: String? = nil, patientControlNumber: String, status: ClaimStatusCode, chargeCents: Int64,
        paymentCents: Int64, patientResponsibilityCents: Int64? = nil, filingIndicator: String = "",
        payerClaimControlNumber: String = "", facilityCode: String = "", frequencyCode: String = "",
        adjustments: [ClaimAdjustment] = [], patient: X12EntityName? = nil, insured: X12EntityName? = nil,
        correctedPatient: X12EntityName? = nil, renderingProvider: X12EntityName? = nil,
        otherNames: [X12EntityName] = [], inpatientRemarkCodes: [String] = [], outpatientRemarkCodes: [String] = [],
        statementStartDate: CalendarDate? = nil, statementEndDate: CalendarDate? = nil,
        receivedDate: CalendarDate? = nil, references: [X12Reference] = [], amounts: [RemittanceAmount] = [],
        serviceLines: [RemittanceServiceLine] = [], segmentNumber: Int = 0
    ) {
        self.headerNumber = headerNumber
        self.patientControlNumber = patientControlNumber
        self.status = status
        self.chargeCents = chargeCents
        self.paymentCents = paymentCents
        self.patientResponsibilityCents = patientResponsibilityCents
        self.filingIndicator = filingIndicator
        self.payerClaimControlNumber = payerClaimControlNumber
        self.facilityCode = facilityCode
        self.frequencyCode = frequencyCode
        self.adjustments = adjustments
        self.patient = patient
        self.insured = insured
        self.correctedPatient = correctedPatient
        self.renderingProvider = renderingProvider
        self.otherNames = otherNames
        self.inpatientRemarkCodes = inpatientRemarkCodes
        self.outpatientRemarkCodes = outpatientRemarkCodes
        self.statementStartDate = statementStartDate
        self.statementEndDate = statementEndDate
        self.receivedDate = receivedDate
        self.references = references
        self.amounts = amounts
        self.serviceLines = serviceLines
        self.segmentNumber = segmentNumber
    }

    /// Whether CLP02 is `22`: this claim takes back an earlier payment (its amounts are negative).
    public var isReversal: Bool { status == .reversal }
    /// Σ claim-level CAS amounts.
    public var claimAdjustmentsTotalCents: Int64 { adjustments.reduce(0) { $0 + $1.amountCents } }
    /// Σ line-level CAS amounts over all service lines.
    public var lineAdjustmentsTotalCents: Int64 {
        serviceLines.reduce(0) { $0 + $1.adjustmentsTotalCents }
    }
    /// Claim-level and line-level adjustments together, claim-level first.
    public var allAdjustments: [ClaimAdjustment] { adjustments + serviceLines.flatMap(\.adjustments) }
    /// Every remark code on the claim: MIA, MOA, then each line's LQ, without repeats.
    public var remarkCodes: [String] {
        var seen: Set<String> = []
        return (inpatientRemarkCodes + outpatientRemarkCodes + serviceLines.flatMap(\.remarkCodes))
            .filter { seen.insert($0).inserted }
    }

    /// The first AMT with `qualifier`, in cents.
    public func amount(_ qualifier: String) -> Int64? {
        amounts.first { $0.qualifier == qualifier }?.amountCents
    }
}

/// Loop 2110: one service line as the payer adjudicated it.
public struct RemittanceServiceLine: Sendable, Hashable {
    /// SVC01 (adjudicated procedure).
    public var procedure: RemittanceProcedure
    /// SVC02: the line's submitted charge.
    public var chargeCents: Int64
    /// SVC03: what the payer paid on the line.
    public var paymentCents: Int64
    /// SVC04: the NUBC revenue code, when sent.
    public var revenueCode: String
    /// SVC05: units paid (1 when left out, per the guide).
    public var units: Decimal?
    /// SVC06: the procedure as submitted, when the payer changed it (bundling/unbundling).
    public var originalProcedure: RemittanceProcedure?
    /// SVC07: the units as submitted, when they differ.
    public var originalUnits: Decimal?
    /// DTM*472 (or DTM*150): the date of service, or the start of the service period.
    public var serviceDate: CalendarDate?
    /// DTM*151: the end of the service period.
    public var serviceEndDate: CalendarDate?
    /// Line-level CAS adjustments, one per reason.
    public var adjustments: [ClaimAdjustment]
    /// REF*6R: the line item control number we sent (REF*6R in the 837).
    public var lineControlNumber: String?
    /// Other line REF segments (`1B`, `G1`, `LU`…).
    public var references: [X12Reference]
    /// AMT*B6: the allowed amount.
    public var allowedAmountCents: Int64?
    /// Every line AMT segment (`B6` allowed, `KH` late-filing reduction…).
    public var amounts: [RemittanceAmount]
    /// LQ02 remark codes (RARC when LQ01 is `HE`).
    public var remarkCodes: [String]
    /// The 1-based position of the SVC segment in the file.
    public var segmentNumber: Int

    /// Creates a service line.
    public init(
        procedure: RemittanceProcedure, chargeCents: Int64, paymentCents: Int64, revenueCode: String = "",
        units: Decimal? = nil, originalProcedure: RemittanceProcedure? = nil, originalUnits: Decimal? = nil,
        serviceDate: CalendarDate? = nil, serviceEndDate: CalendarDate? = nil, adjustments: [ClaimAdjustment] = [],
        lineControlNumber: String? = nil, references: [X12Reference] = [], allowedAmountCents: Int64? = nil,
        amounts: [RemittanceAmount] = [], remarkCodes: [String] = [], segmentNumber: Int = 0
    ) {
        self.procedure = procedure
        self.chargeCents = chargeCents
        self.paymentCents = paymentCents
        self.revenueCode = revenueCode
        self.units = units
        self.originalProcedure = originalProcedure
        self.originalUnits = originalUnits
        self.serviceDate = serviceDate
        self.serviceEndDate = serviceEndDate
        self.adjustments = adjustments
        self.lineControlNumber = lineControlNumber
        self.references = references
        self.allowedAmountCents = allowedAmountCents
        self.amounts = amounts
        self.remarkCodes = remarkCodes
        self.segmentNumber = segmentNumber
    }

    /// Σ CAS amounts on the line.
    public var adjustmentsTotalCents: Int64 { adjustments.reduce(0) { $0 + $1.amountCents } }
}

/// A composite procedure identifier (SVC01, SVC06): qualifier, code, up to four modifiers.
public struct RemittanceProcedure: Sendable, Hashable {
    /// `HC` CPT/HCPCS, `AD` ADA, `ER` jurisdiction-specific, `IV` HIEC, `N4` NDC, `NU` revenue code, `WK` ABC codes.
    public var qualifier: String
    /// The procedure code (CPT `90837`).
    public var code: String
    /// Up to four modifiers, in order.
    public var modifiers: [String]
    /// The procedure description (component 7), when sent.
    public var description: String?

    /// Creates a procedure.
    public init(qualifier: String, code: String, modifiers: [String] = [], description: String? = nil) {
        self.qualifier = qualifier
        self.code = code
        self.modifiers = modifiers
        self.description = description
    }

    /// `HC:90837:95`.
    public var text: String { ([qualifier, code] + modifiers).joined(separator: ":") }
}

/// One CAS reason: group code, CARC, amount and quantity.
///
/// A CAS segment carries up to six reason/amount/quantity triplets under one group code; the
/// reader makes one ``ClaimAdjustment`` per triplet.
public struct ClaimAdjustment: Sendable, Hashable {
    /// CAS01.
    public var group: AdjustmentGroup
    /// The claim adjustment reason code (CARC), such as `45` or `1`.
    public var reasonCode: String
    /// The adjustment amount; positive reduces the payment, negative increases it.
    public var amountCents: Int64
    /// The adjustment quantity (units, days), when sent.
    public var quantity: Decimal?

    /// Creates an adjustment.
    public init(group: AdjustmentGroup, reasonCode: String, amountCents: Int64, quantity: Decimal? = nil) {
        self.group = group
        self.reasonCode = reasonCode
        self.amountCents = amountCents
        self.quantity = quantity
    }
}

/// One PLB adjustment: a provider-level amount not tied to a claim (interest, recoupment, offset).
public struct ProviderAdjustment: Sendable, Hashable {
    /// PLB01: the provider identifier (NPI or payer-assigned).
    public var providerIdentifier: String
    /// PLB02: the last day of the provider's fiscal period.
    public var fiscalPeriodDate: CalendarDate?
    /// The adjustment reason code (component 1 of PLB03/05/…): `WO` overpayment recovery, `L6` interest,
    /// `CV` capital passthru…
    public var reasonCode: String
    /// The reference (component 2), such as the claim number of a recoupment, when sent.
    public var reference: String?
    /// The amount; positive reduces the payment (the provider owes), negative increases it.
    public var amountCents: Int64

    /// Creates a provider adjustment.
    public init(
        providerIdentifier: String, fiscalPeriodDate: CalendarDate?, reasonCode: String, reference: String? = nil,
        amountCents: Int64
    ) {
        self.providerIdentifier = providerIdentifier
        self.fiscalPeriodDate = fiscalPeriodDate
        self.reasonCode = reasonCode
        self.reference = reference
        self.amountCents = amountCents
    }
}

/// An AMT segment: qualifier and amount in cents.
public struct RemittanceAmount: Sendable, Hashable {
    /// AMT01: `AU` coverage amount, `B6` allowed, `I` interest, `D8` discount, `F5` patient paid…
    public var qualifier: String
    /// AMT02.
    public var amountCents: Int64

    /// Creates an amount.
    public init(qualifier: String, amountCents: Int64) {
        self.qualifier = qualifier
        self.amountCents = amountCents
    }
}

/// CLP02: how the payer processed the claim (X12 element 1029, the values the 835 guide allows).
///
/// Unknown values are kept as they came; ``meaning`` is `nil` for them.
public struct ClaimStatusCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code as it appears in the file.
    public let rawValue: String
    /// Creates a status from its code.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// `1`: processed as primary (which can still mean nothing paid).
    public static let processedAsPrimary = ClaimStatusCode(rawValue: "1")
    /// `2`: processed as secondary.
    public static let processedAsSecondary = ClaimStatusCode(rawValue: "2")
    /// `3`: processed as tertiary.
    public static let processedAsTertiary = ClaimStatusCode(rawValue: "3")
    /// `4`: denied (the patient or subscriber was not recognized and the claim was not forwarded).
    public static let denied = ClaimStatusCode(rawValue: "4")
    /// `19`: processed as primary and forwarded to additional payer(s).
    public static let processedAsPrimaryForwarded = ClaimStatusCode(rawValue: "19")
    /// `20`: processed as secondary and forwarded to additional payer(s).
    public static let processedAsSecondaryForwarded = ClaimStatusCode(rawValue: "20")
    /// `21`: processed as tertiary and forwarded to additional payer(s).
    public static let processedAsTertiaryForwarded = ClaimStatusCode(rawValue: "21")
    /// `22`: reversal of a previous payment; the claim's amounts are negative.
    public static let reversal = ClaimStatusCode(rawValue: "22")
    /// `23`: not our claim, forwarded to additional payer(s).
    public static let notOurClaimForwarded = ClaimStatusCode(rawValue: "23")
    /// `25`: predetermination pricing only, no payment.
    public static let predeterminationPricingOnly = ClaimStatusCode(rawValue: "25")

    /// The code's meaning in plain words, or `nil` for a code outside the 835 list.
    public var meaning: String? {
        switch rawValue {
        case "1": "Processed as primary"
        case "2": "Processed as secondary"
        case "3": "Processed as tertiary"
        case "4": "Denied"
        case "19": "Processed as primary, forwarded to additional payer(s)"
        case "20": "Processed as secondary, forwarded to additional payer(s)"
        case "21": "Processed as tertiary, forwarded to additional payer(s)"
        case "22": "Reversal of previous payment"
        case "23": "Not our claim, forwarded to additional payer(s)"
        case "25": "Predetermination pricing only, no payment"
        default: nil
        }
    }

    /// 1, 2 or 3 when the payer adjudicated the claim as primary, secondary or tertiary payer
    /// (with or without forwarding it), otherwise `nil`.
    public var payerPosition: Int? {
        switch rawValue {
        case "1", "19": 1
        case "2", "20": 2
        case "3", "21": 3
        default: nil
        }
    }

    /// Whether the payer forwarded the claim to another payer (19, 20, 21, 23): no need to send the next
    /// claim ourselves.
    public var isForwarded: Bool { ["19", "20", "21", "23"].contains(rawValue) }

    /// The code with its meaning, such as `4 (Denied)`.
    public var description: String { meaning.map { "\(rawValue) (\($0))" } ?? rawValue }
}

/// CAS01: who bears an adjustment.
public struct AdjustmentGroup: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code as it appears in the file.
    public let rawValue: String
    /// Creates a group from its code.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// `CO`: contractual obligation; the provider writes it off and may not bill the patient.
    public static let contractualObligation = AdjustmentGroup(rawValue: "CO")
    /// `PR`: patient responsibility (deductible, coinsurance, copay); bill the patient or the next payer.
    public static let patientResponsibility = AdjustmentGroup(rawValue: "PR")
    /// `OA`: other adjustment.
    public static let otherAdjustment = AdjustmentGroup(rawValue: "OA")
    /// `PI`: payer-initiated reduction, without a contract.
    public static let payerInitiatedReduction = AdjustmentGroup(rawValue: "PI")
    /// `CR`: correction and reversal (not valid from 5010 on, still seen).
    public static let correctionAndReversal = AdjustmentGroup(rawValue: "CR")

    /// The group's meaning in plain words, or `nil` for an unknown code.
    public var meaning: String? {
        switch rawValue {
        case "CO": "Contractual obligation"
        case "PR": "Patient responsibility"
        case "OA": "Other adjustment"
        case "PI": "Payer-initiated reduction"
        case "CR": "Correction and reversal"
        default: nil
        }
    }

    /// The code as text.
    public var description: String { rawValue }
}

/// BPR04: how the money moves.
public struct PaymentMethod: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code as it appears in the file.
    public let rawValue: String
    /// Creates a method from its code.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// `ACH`: automated clearing house (EFT).
    public static let ach = PaymentMethod(rawValue: "ACH")
    /// `BOP`: financial institution option.
    public static let financialInstitutionOption = PaymentMethod(rawValue: "BOP")
    /// `CHK`: check.
    public static let check = PaymentMethod(rawValue: "CHK")
    /// `FWT`: federal reserve funds/wire transfer.
    public static let wireTransfer = PaymentMethod(rawValue: "FWT")
    /// `NON`: no payment (BPR02 is zero).
    public static let nonPayment = PaymentMethod(rawValue: "NON")

    /// The code as text.
    public var description: String { rawValue }
}
