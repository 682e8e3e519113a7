/// The frozen, self-contained copy of everything one professional claim sends to a payer.
///
/// A claim stores this value when it is generated, so later edits to the practice, the client
/// or the policy do not change what was (or will be) transmitted. The X12 837P writer consumes
/// it and nothing else. Money is `Int64` cents; dates are calendar dates in the practice's zone.
public struct ClaimSnapshot: Sendable, Hashable, Codable {
    /// The billing provider (2010AA): practice or solo clinician.
    public var billingProvider: BillingProvider
    /// Where payment goes when it differs from the billing provider's address (2010AB), else `nil`.
    public var payToAddress: PostalAddress?
    /// The clinician who rendered the services (2310B), only when different from the billing provider.
    public var renderingProvider: Clinician?
    /// The supervisor the clinician bills under (2310D), when there is one.
    public var supervisingProvider: Clinician?
    /// Where the services took place (2310C), only when different from the billing address.
    public var serviceFacility: ServiceFacility?
    /// The policy holder (2000B / 2010BA).
    public var subscriber: Subscriber
    /// The patient when not the subscriber (2000C / 2010CA); `nil` means the subscriber is the patient.
    public var patient: Patient?
    /// The payer (2010BB).
    public var payer: Payer
    /// CLM01: at most 20 letters and digits, unique per practice and never reused.
    public var patientControlNumber: String
    /// CLM05-1: the claim's place of service code (`11` office, `02`/`10` telehealth, …).
    public var placeOfService: String
    /// CLM05-3 and, for a replacement or a void, the payer's claim control number (REF*F8).
    public var frequency: Frequency
    /// REF*G1: the prior authorization number, if any.
    public var priorAuthorizationNumber: String?
    /// HI: ICD-10-CM codes in order, principal first, with or without the dot (it is dropped when sent); 1–12.
    public var diagnosisCodes: [String]
    /// The service lines (2400), 1–50.
    public var lines: [Line]
    /// Loops 2320/2330 (and 2430 per line): what earlier payers decided, on a secondary or tertiary
    /// claim; `nil` on a primary claim.
    public var otherPayers: [OtherPayer]?

    /// CLM02: the sum of the lines' charges.
    public var totalChargeCents: Int64 { lines.reduce(0) { $0 + $1.chargeCents } }

    /// Creates a snapshot.
    public init(
        billingProvider: BillingProvider, payToAddress: PostalAddress? = nil, renderingProvider: Clinician? = nil,
        supervisingProvider: Clinician? = nil, serviceFacility: ServiceFacility? = nil, subscriber: Subscriber,
        patient: Patient? = nil, payer: Payer, patientControlNumber: String, placeOfService: String,
        frequency: Frequency = .original, priorAuthorizationNumber: String? = nil, diagnosisCodes: [String],
        lines: [Line]
    ) {
        self.billingProvider = billingProvider
        self.payToAddress = payToAddress
        self.renderingProvider = renderingProvider
        self.supervisingProvider = supervisingProvider
        self.serviceFacility = serviceFacility
        self.subscriber = subscriber
        self.patient = patient
        self.payer = payer
        self.patientControlNumber = patientControlNumber
        self.placeOfService = placeOfService
        self.frequency = frequency
        self.priorAuthorizationNumber = priorAuthorizationNumber
        self.diagnosisCodes = diagnosisCodes
        self.lines = lines
    }

    // MARK: - Parts

    /// An earlier payer's adjudication, sent to the next payer (coordination of benefits).
    public struct OtherPayer: Sendable, Hashable, Codable {
        /// One CAS triplet.
        public struct Adjustment: Sendable, Hashable, Codable {
            /// CO, PR, OA or PI.
            public var group: String
            /// The CARC.
            public var reason: String
            public var amountCents: Int64

            /// Creates an adjustment.
            public init(group: String, reason: String, amountCents: Int64) {
                self.group = group
                self.reason = reason
                self.amountCents = amountCents
            }
        }

        /// What the earlier payer did with one of this claim's lines (2430).
        public struct LineAdjudication: Sendable, Hashable, Codable {
            /// Index into the claim's ``ClaimSnapshot/lines``.
            public var lineIndex: Int
            public var paidCents: Int64
            public var adjustments: [Adjustment]

            /// Creates a line adjudication.
            public init(lineIndex: Int, paidCents: Int64, adjustments: [Adjustment]) {
                self.lineIndex = lineIndex
                self.paidCents = paidCents
                self.adjustments = adjustments
            }
        }

        /// 2320 SBR01: the earlier payer's position (`P` for the primary).
        public var payerResponsibility: PayerResponsibility
        /// 2320 SBR02: the patient's relationship to that subscriber (`18` self, `01`, `19`, `G8`).
        public var relationship: String
        public var groupNumber: String?
        /// 2320 SBR09.
        public var claimFilingIndicator: String
        /// 2330A: the subscriber of the earlier policy.
        public var subscriberName: PersonName
        public var memberID: String
        /// 2330B: the earlier payer.
        public var payer: Payer
        /// 2320 AMT*D: what it paid on the claim.
        public var paidCents: Int64
        /// 2330B DTP*573 / 2430 DTP*573: when it adjudicated.
        public var adjudicationDate: CalendarDate
        /// 2320 CAS: claim-level adjustments.
        public var claimAdjustments: [Adjustment]
        /// 2430: line-level adjudication, when the earlier payer adjudicated line by line.
        public var lines: [LineAdjudication]

        /// Creates an earlier payer's adjudication.
        public init(payerResponsibility: PayerResponsibility, relationship: String, groupNumber: String?,
                    claimFilingIndicator: String, subscriberName: PersonName, memberID: String, payer: Payer,
                    paidCents: Int64, adjudicationDate: CalendarDate, claimAdjustments: [Adjustment],
                    lines: [LineAdjudication]) {
            self.payerResponsibility = payerResponsibility
            self.relationship = relationship
            self.groupNumber = groupNumber
            self.claimFilingIndicator = claimFilingIndicator
            self.subscriberName = subscriberName
            self.memberID = memberID
            self.payer = payer
            self.paidCents = paidCents
            self.adjudicationDate = adjudicationDate
            self.claimAdjustments = claimAdjustments
            self.lines = lines
        }
    }

    /// A person's name as claims carry it.
    public struct PersonName: Sendable, Hashable, Codable {
        /// Family name (NM103, up to 60 characters sent).
        public var last: String
        /// Given name (NM104, up to 35 sent).
        public var first: String
        /// Middle name or initial (NM105, up to 25 sent).
        public var middle: String?
        /// Suffix such as `Jr` (NM107).
        public var suffix: String?

        /// Creates a name.
        public init(last: String, first: String, middle: String? = nil, suffix: String? = nil) {
            self.last = last
            self.first = first
            self.middle = middle
            self.suffix = suffix
        }
    }

    /// A party that is either a person (NM102 `1`) or an organization (NM102 `2`).
    public enum PartyName: Sendable, Hashable, Codable {
        /// An individual, such as a solo clinician billing under their own NPI (Type 1).
        case person(PersonName)
        /// An organization, such as a group practice (Type 2 NPI).
        case organization(String)
    }

    /// A US street address.
    public struct PostalAddress: Sendable, Hashable, Codable {
        /// Street line (N301, up to 55 sent).
        public var line1: String
        /// Second line such as a suite (N302).
        public var line2: String?
        /// City (N401, up to 30 sent).
        public var city: String
        /// Two-letter state code.
        public var state: String
        /// ZIP code, 5 or 9 digits (a dash is dropped when sent). The billing provider needs 9.
        public var postalCode: String

        /// Creates an address.
        public init(line1: String, line2: String? = nil, city: String, state: String, postalCode: String) {
            self.line1 = line1
            self.line2 = line2
            self.city = city
            self.state = state
            self.postalCode = postalCode
        }
    }

    /// The billing provider: name, NPI, taxonomy, tax identifier, address and phone.
    public struct BillingProvider: Sendable, Hashable, Codable {
        /// Person or organization name as on the NPI record.
        public var name: PartyName
        /// The 10-digit NPI.
        public var npi: String
        /// Provider taxonomy code (PRV*BI), e.g. `101YM0800X`.
        public var taxonomyCode: String
        /// The tax identifier sent as REF*EI (EIN) or REF*SY (SSN); digits only are sent.
        public var taxID: String
        /// Whether ``taxID`` is an EIN (REF*EI) or an SSN (REF*SY).
        public var taxIDKind: TaxID.Kind
        /// The address sent in N3/N4.
        public var address: PostalAddress
        /// Billing contact phone (PER*IC…TE), digits; omitted when `nil`.
        public var phone: String?
        /// Billing contact name (PER02), when known.
        public var contactName: String?

        /// Creates a billing provider.
        public init(
            name: PartyName, npi: String, taxonomyCode: String, taxID: String, taxIDKind: TaxID.Kind,
            address: PostalAddress, phone: String? = nil, contactName: String? = nil
        ) {
            self.name = name
            self.npi = npi
            self.taxonomyCode = taxonomyCode
            self.taxID = taxID
            self.taxIDKind = taxIDKind
            self.address = address
            self.phone = phone
            self.contactName = contactName
        }
    }

    /// A rendering or supervising clinician.
    public struct Clinician: Sendable, Hashable, Codable {
        /// The person's name.
        public var name: PersonName
        /// The 10-digit NPI.
        public var npi: String
        /// Taxonomy code; sent with the rendering provider (PRV*PE), not with the supervisor.
        public var taxonomyCode: String?

        /// Creates a clinician.
        public init(name: PersonName, npi: String, taxonomyCode: String? = nil) {
            self.name = name
            self.npi = npi
            self.taxonomyCode = taxonomyCode
        }
    }

    /// The location where services were rendered (2310C).
    public struct ServiceFacility: Sendable, Hashable, Codable {
        /// The name as sent in NM103 (up to 60 characters).
        public var name: String
        /// The facility's own NPI, when it has one.
        public var npi: String?
        /// The address sent in N3/N4.
        public var address: PostalAddress

        /// Creates a service facility.
        public init(name: String, npi: String? = nil, address: PostalAddress) {
            self.name = name
            self.npi = npi
            self.address = address
        }
    }

    /// SBR01: which payer this claim goes to in coordination of benefits.
    public enum PayerResponsibility: String, Sendable, Hashable, Codable, CaseIterable {
        /// The primary payer (`P`).
        case primary = "P"
        /// The secondary payer (`S`).
        case secondary = "S"
        /// The tertiary payer (`T`).
        case tertiary = "T"
    }

    /// The policy holder.
    public struct Subscriber: Sendable, Hashable, Codable {
        /// The person's name.
        public var name: PersonName
        /// The member id on the insurance card (NM109, qualifier `MI`).
        public var memberID: String
        /// SBR03: the group or policy number.
        public var groupNumber: String?
        /// SBR04: the plan or group name; sent only when there is no group number.
        public var planName: String?
        /// Date of birth (DMG02).
        public var dateOfBirth: CalendarDate
        /// Sex as X12 writes it (DMG03).
        public var sex: Sex
        /// The address sent in N3/N4.
        public var address: PostalAddress
        /// SBR01: primary, secondary or tertiary.
        public var payerResponsibility: PayerResponsibility
        /// SBR09 claim filing indicator: `CI` commercial, `MB` Medicare Part B, `MC` Medicaid, `BL` BCBS, `HM` HMO…
        public var claimFilingIndicator: String

        /// Creates a subscriber.
        public init(
            name: PersonName, memberID: String, groupNumber: String? = nil, planName: String? = nil,
            dateOfBirth: CalendarDate, sex: Sex, address: PostalAddress,
            payerResponsibility: PayerResponsibility = .primary, claimFilingIndicator: String = "CI"
        ) {
            self.name = name
            self.memberID = memberID
            self.groupNumber = groupNumber
            self.planName = planName
            self.dateOfBirth = dateOfBirth
            self.sex = sex
            self.address = address
            self.payerResponsibility = payerResponsibility
            self.claimFilingIndicator = claimFilingIndicator
        }
    }

    /// PAT01: the patient's relationship to the subscriber, when the patient is not the subscriber
    /// (the subscriber-is-patient code `18` is implied by `patient == nil`).
    public enum Relationship: String, Sendable, Hashable, Codable, CaseIterable {
        /// Spouse (`01`).
        case spouse = "01"
        /// Child (`19`).
        case child = "19"
        /// Any other relationship (G8).
        case other = "G8"
    }

    /// A patient who is not the subscriber, such as a minor on a parent's plan.
    public struct Patient: Sendable, Hashable, Codable {
        /// The person's name.
        public var name: PersonName
        /// PAT01: the patient's relationship to the subscriber.
        public var relationship: Relationship
        /// Date of birth (DMG02).
        public var dateOfBirth: CalendarDate
        /// Sex as X12 writes it (DMG03).
        public var sex: Sex
        /// The address sent in N3/N4.
        public var address: PostalAddress

        /// Creates a patient.
        public init(
            name: PersonName, relationship: Relationship, dateOfBirth: CalendarDate, sex: Sex, address: PostalAddress
        ) {
            self.name = name
            self.relationship = relationship
            self.dateOfBirth = dateOfBirth
            self.sex = sex
            self.address = address
        }
    }

    /// The payer, named as the clearinghouse knows it.
    public struct Payer: Sendable, Hashable, Codable {
        /// The name as sent in NM103 (up to 60 characters).
        public var name: String
        /// The clearinghouse payer id (NM109 with qualifier `PI`).
        public var payerID: String
        /// The payer's address, when the clearinghouse wants it.
        public var address: PostalAddress?

        /// Creates a payer.
        public init(name: String, payerID: String, address: PostalAddress? = nil) {
            self.name = name
            self.payerID = payerID
            self.address = address
        }
    }

    /// CLM05-3: original, replacement or void; the latter two name the payer's claim they replace.
    public enum Frequency: Sendable, Hashable, Codable {
        /// `1`: a new claim.
        case original
        /// `7`: replaces the payer's claim with this control number (from the 835's CLP07).
        case replacement(payerClaimNumber: String)
        /// `8`: voids the payer's claim with this control number.
        case void(payerClaimNumber: String)

        /// The X12 frequency code.
        public var code: String {
            switch self {
            case .original: "1"
            case .replacement: "7"
            case .void: "8"
            }
        }

        /// The payer claim control number sent as REF*F8, for 7 and 8.
        public var payerClaimNumber: String? {
            switch self {
            case .original: nil
            case .replacement(let number), .void(let number): number
            }
        }
    }

    /// One service line.
    public struct Line: Sendable, Hashable, Codable {
        /// CPT or HCPCS code.
        public var procedureCode: String
        /// Up to 4 two-character modifiers (e.g. `95` telehealth).
        public var modifiers: [String]
        /// SV102: the line charge in cents, more than 0.
        public var chargeCents: Int64
        /// Service units (1 for a psychotherapy session).
        public var units: Int
        /// The line's place of service, only when it differs from the claim's.
        public var placeOfService: String?
        /// 1-based positions into the claim's diagnosis codes, 1–4 of them.
        public var diagnosisPointers: [Int]
        /// DTP*472: the date of service.
        public var dateOfService: CalendarDate
        /// REF*6R: our line id, echoed in the 835 so payments match back to the line.
        public var lineControlNumber: String?

        /// Creates a line.
        public init(
            procedureCode: String, modifiers: [String] = [], chargeCents: Int64, units: Int = 1,
            placeOfService: String? = nil, diagnosisPointers: [Int] = [1], dateOfService: CalendarDate,
            lineControlNumber: String? = nil
        ) {
            self.procedureCode = procedureCode
            self.modifiers = modifiers
            self.chargeCents = chargeCents
            self.units = units
            self.placeOfService = placeOfService
            self.diagnosisPointers = diagnosisPointers
            self.dateOfService = dateOfService
            self.lineControlNumber = lineControlNumber
        }
    }

    // MARK: - Rules

    /// The longest patient control number we issue: many payers echo only 20 characters in the 835.
    public static let maximumPatientControlNumberLength = 20
    /// HI holds at most 12 diagnosis codes.
    public static let maximumDiagnosisCodes = 12
    /// An 837P claim holds at most 50 service lines.
    public static let maximumLines = 50

    /// Whether `text` is a valid patient control number: 1–20 ASCII letters and digits.
    public static func isValidPatientControlNumber(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maximumPatientControlNumberLength
            && text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }

    private static func digitCount(_ text: String) -> Int {
        text.utf8.reduce(0) { $0 + ((48...57).contains($1) ? 1 : 0) }
    }

    /// Whether an address line names a post office box (`PO Box 12`, `P.O. Box 12`, `Post Office Box 12`).
    public static func isPostOfficeBox(_ line: String) -> Bool {
        // Letters and digits only, uppercased: "P.O. Box 12" → "POBOX12".
        let compact = String(decoding: line.utf8.prefix(40).compactMap { byte -> UInt8? in
            switch byte {
            case 97...122: byte - 32
            case 65...90, 48...57: byte
            default: nil
            }
        }, as: UTF8.self)
        return compact.hasPrefix("POBOX") || compact.hasPrefix("POSTOFFICEBOX") || compact.hasPrefix("POB")
            && compact.dropFirst(3).first?.isNumber == true
    }

    /// Every reason this snapshot cannot be sent, as JSON Pointers into the snapshot; empty when it can.
    public func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        func add(_ pointer: String, _ reason: String) { problems.append(FieldProblem(pointer: pointer, reason: reason)) }
        if !Self.isValidPatientControlNumber(patientControlNumber) {
            add("/patientControlNumber", "must be 1–20 letters and digits")
        }
        if let reason = NPI.problem(billingProvider.npi) { add("/billingProvider/npi", reason) }
        if billingProvider.taxonomyCode.isEmpty { add("/billingProvider/taxonomyCode", "is required") }
        if Self.digitCount(billingProvider.taxID) != 9 { add("/billingProvider/taxID", "must have 9 digits") }
        // The 837P guide wants the billing provider's 9-digit ZIP and a street address, never a PO box.
        if Self.digitCount(billingProvider.address.postalCode) != 9 {
            add("/billingProvider/address/postalCode", "must be a 9-digit ZIP code (ZIP+4)")
        }
        if Self.isPostOfficeBox(billingProvider.address.line1) {
            add("/billingProvider/address/line1", "must be a street address, not a PO box (use the pay-to address)")
        }
        if let rendering = renderingProvider {
            if let reason = NPI.problem(rendering.npi) { add("/renderingProvider/npi", reason) }
        }
        if let supervising = supervisingProvider, let reason = NPI.problem(supervising.npi) {
            add("/supervisingProvider/npi", reason)
        }
        if subscriber.memberID.isEmpty { add("/subscriber/memberID", "is required") }
        if payer.payerID.isEmpty { add("/payer/payerID", "is required") }
        if placeOfService.utf8.count != 2 || Self.digitCount(placeOfService) != 2 {
            add("/placeOfService", "must be a two-digit place of service code")
        }
        if let number = frequency.payerClaimNumber, number.isEmpty {
            add("/frequency/payerClaimNumber", "is required for a replacement or void claim")
        }
        if diagnosisCodes.isEmpty || diagnosisCodes.count > Self.maximumDiagnosisCodes {
            add("/diagnosisCodes", "must hold 1–\(Self.maximumDiagnosisCodes) codes")
        }
        if lines.isEmpty || lines.count > Self.maximumLines {
            add("/lines", "must hold 1–\(Self.maximumLines) lines")
        }
        for (index, other) in (otherPayers ?? []).enumerated() {
            let base = "/otherPayers/\(index)"
            if other.payer.payerID.isEmpty { add("\(base)/payer/payerID", "is required") }
            if other.memberID.isEmpty { add("\(base)/memberID", "is required") }
            let all = other.claimAdjustments + other.lines.flatMap(\.adjustments)
            if all.contains(where: { !["CO", "PR", "OA", "PI"].contains($0.group) || $0.reason.isEmpty }) {
                add("\(base)/claimAdjustments", "each adjustment needs a group (CO, PR, OA, PI) and a reason code")
            }
            // The 837's COB balancing: charge − every adjustment = what the earlier payer paid.
            let adjusted = all.reduce(Int64(0)) { $0 + $1.amountCents }
            if totalChargeCents - adjusted != other.paidCents {
                add("\(base)/paidCents", "charge \(totalChargeCents) − adjustments \(adjusted) must equal the \(other.paidCents) paid")
            }
            for (number, line) in other.lines.enumerated() {
                guard lines.indices.contains(line.lineIndex) else {
                    add("\(base)/lines/\(number)/lineIndex", "is not a line of the claim")
                    continue
                }
                let lineAdjusted = line.adjustments.reduce(Int64(0)) { $0 + $1.amountCents }
                if lines[line.lineIndex].chargeCents - lineAdjusted != line.paidCents {
                    add("\(base)/lines/\(number)/paidCents", "line charge − adjustments must equal the paid amount")
                }
            }
        }
        for (index, line) in lines.enumerated() {
            let base = "/lines/\(index)"
            if line.procedureCode.isEmpty { add("\(base)/procedureCode", "is required") }
            if line.modifiers.count > 4 { add("\(base)/modifiers", "at most 4 modifiers") }
            if line.modifiers.contains(where: { $0.count != 2 }) { add("\(base)/modifiers", "each modifier has 2 characters") }
            if line.chargeCents <= 0 { add("\(base)/chargeCents", "must be more than 0") }
            if line.units <= 0 { add("\(base)/units", "must be at least 1") }
            if line.diagnosisPointers.isEmpty || line.diagnosisPointers.count > 4 {
                add("\(base)/diagnosisPointers", "must hold 1–4 pointers")
            } else if line.diagnosisPointers.contains(where: { $0 < 1 || $0 > diagnosisCodes.count }) {
                add("\(base)/diagnosisPointers", "must point at one of the claim's diagnosis codes")
            }
        }
        return problems
    }
}
