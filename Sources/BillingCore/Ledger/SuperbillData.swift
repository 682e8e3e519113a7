/// Everything a superbill shows, also returned as JSON so a client can file it with their insurer.
public struct SuperbillData: Sendable, Hashable, Codable {
    public struct Practice: Sendable, Hashable, Codable {
        public var name: String
        public var address: Address
        public var phone: String
        public var taxId: String
        public var npi: String
        public init(name: String, address: Address, phone: String, taxId: String, npi: String) {
            self.name = name
            self.address = address
            self.phone = phone
            self.taxId = taxId
            self.npi = npi
        }
    }
    public struct Provider: Sendable, Hashable, Codable {
        public var memberId: String
        public var name: String
        public var npi: String?
        public var taxonomyCode: String?
        public var credentials: String?
        public init(memberId: String, name: String, npi: String?, taxonomyCode: String?, credentials: String?) {
            self.memberId = memberId
            self.name = name
            self.npi = npi
            self.taxonomyCode = taxonomyCode
            self.credentials = credentials
        }
    }
    public struct Client: Sendable, Hashable, Codable {
        public var name: String
        public var dateOfBirth: CalendarDate
        public var address: Address?
        public init(name: String, dateOfBirth: CalendarDate, address: Address?) {
            self.name = name
            self.dateOfBirth = dateOfBirth
            self.address = address
        }
    }
    public struct Policy: Sendable, Hashable, Codable {
        public var payerName: String
        public var memberId: String
        public var groupNumber: String?
        public init(payerName: String, memberId: String, groupNumber: String?) {
            self.payerName = payerName
            self.memberId = memberId
            self.groupNumber = groupNumber
        }
    }
    public struct Diagnosis: Sendable, Hashable, Codable {
        public var code: String
        public var description: String
        public init(code: String, description: String) {
            self.code = code
            self.description = description
        }
    }
    public struct Line: Sendable, Hashable, Codable {
        public var dateOfService: CalendarDate
        public var billNumber: String
        public var code: String?
        public var modifiers: [String]
        public var units: Int
        public var description: String
        public var placeOfService: String?
        public var providerMemberId: String?
        /// Diagnosis codes of the session's signed note, in order.
        public var diagnosisCodes: [String]
        public var feeCents: Int64
        public init(dateOfService: CalendarDate, billNumber: String, code: String?, modifiers: [String], units: Int,
                    description: String, placeOfService: String?, providerMemberId: String?, diagnosisCodes: [String],
                    feeCents: Int64) {
            self.dateOfService = dateOfService
            self.billNumber = billNumber
            self.code = code
            self.modifiers = modifiers
            self.units = units
            self.description = description
            self.placeOfService = placeOfService
            self.providerMemberId = providerMemberId
            self.diagnosisCodes = diagnosisCodes
            self.feeCents = feeCents
        }
    }

    public var practice: Practice
    public var providers: [Provider]
    public var client: Client
    public var policy: Policy?
    public var from: CalendarDate
    public var to: CalendarDate
    public var diagnoses: [Diagnosis]
    public var lines: [Line]
    public var totalChargesCents: Int64
    public var paidCents: Int64
    public var balanceCents: Int64

    /// Creates the data.
    public init(practice: Practice, providers: [Provider], client: Client, policy: Policy?, from: CalendarDate,
                to: CalendarDate, diagnoses: [Diagnosis], lines: [Line], totalChargesCents: Int64, paidCents: Int64,
                balanceCents: Int64) {
        self.practice = practice
        self.providers = providers
        self.client = client
        self.policy = policy
        self.from = from
        self.to = to
        self.diagnoses = diagnoses
        self.lines = lines
        self.totalChargesCents = totalChargesCents
        self.paidCents = paidCents
        self.balanceCents = balanceCents
    }
}

/// Formats cents for people: `$1,234.50`.
public enum MoneyText {
    /// `cents` as dollars with thousands separators and two decimals.
    public static func dollars(_ cents: Int64) -> String {
        let negative = cents < 0
        let magnitude = cents.magnitude
        let whole = String(magnitude / 100)
        var grouped = ""
        for (index, character) in whole.reversed().enumerated() {
            if index > 0 && index % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        let fraction = magnitude % 100
        return (negative ? "-$" : "$") + String(grouped.reversed()) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}
