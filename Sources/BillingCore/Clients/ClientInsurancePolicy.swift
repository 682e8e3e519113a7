import Foundation

/// Which payer is billed first when a client has several policies.
public enum CoverageOrder: String, Sendable, Codable, CaseIterable, Hashable {
    case primary
    case secondary
    case tertiary

    /// The X12 payer responsibility sequence code (SBR01): `P`, `S` or `T`.
    public var x12Code: String {
        switch self {
        case .primary: return "P"
        case .secondary: return "S"
        case .tertiary: return "T"
        }
    }
}

/// The client's relationship to the policy's subscriber (the insured person).
public enum SubscriberRelationship: String, Sendable, Codable, CaseIterable, Hashable {
    /// The client is the subscriber.
    case `self`
    case spouse
    case child
    case other

    /// The X12 individual relationship code (2000B SBR02 / 2000C PAT01): self 18, spouse 01, child 19, other G8.
    public var x12Code: String {
        switch self {
        case .`self`: return "18"
        case .spouse: return "01"
        case .child: return "19"
        case .other: return "G8"
        }
    }
}

/// The insured person when the client is not the subscriber.
public struct Subscriber: Sendable, Hashable, Codable {
    public var firstName: String
    public var lastName: String
    public var dateOfBirth: CalendarDate
    public var sex: Sex
    public var address: Address

    /// Creates a subscriber.
    public init(firstName: String, lastName: String, dateOfBirth: CalendarDate, sex: Sex, address: Address) {
        self.firstName = firstName
        self.lastName = lastName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
    }
}

/// A payer's authorization of a number of visits in a date range (REF*G1 on claims).
public struct PriorAuthorization: Sendable, Hashable, Codable {
    public var number: String
    public var visitsAllowed: Int
    public var from: CalendarDate
    public var to: CalendarDate

    /// Creates a prior authorization.
    public init(number: String, visitsAllowed: Int, from: CalendarDate, to: CalendarDate) {
        self.number = number
        self.visitsAllowed = visitsAllowed
        self.from = from
        self.to = to
    }

    /// `true` when `date` is within the authorized range.
    public func covers(_ date: CalendarDate) -> Bool { from <= date && date <= to }
}

/// A client's insurance policy with one payer of the global catalog.
public struct InsurancePolicy: Sendable, Hashable {
    public var id: PolicyID
    public var clientId: ClientID
    public var payerId: PayerID
    public var order: CoverageOrder
    /// The member (subscriber) id on the insurance card.
    public var memberId: String
    public var groupNumber: String?
    public var planName: String?
    public var relationshipToSubscriber: SubscriberRelationship
    /// The insured person; `nil` exactly when the client is the subscriber.
    public var subscriber: Subscriber?
    public var copayCents: Int64
    /// 0–100.
    public var coinsurancePercent: Int
    public var deductibleCents: Int64
    public var effectiveFrom: CalendarDate
    /// The last covered day; `nil` while the policy is open-ended.
    public var effectiveTo: CalendarDate?
    public var priorAuthorization: PriorAuthorization?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a policy value.
    public init(id: PolicyID, clientId: ClientID, payerId: PayerID, order: CoverageOrder, memberId: String,
                groupNumber: String?, planName: String?, relationshipToSubscriber: SubscriberRelationship,
                subscriber: Subscriber?, copayCents: Int64, coinsurancePercent: Int, deductibleCents: Int64,
                effectiveFrom: CalendarDate, effectiveTo: CalendarDate?, priorAuthorization: PriorAuthorization?,
                version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.clientId = clientId
        self.payerId = payerId
        self.order = order
        self.memberId = memberId
        self.groupNumber = groupNumber
        self.planName = planName
        self.relationshipToSubscriber = relationshipToSubscriber
        self.subscriber = subscriber
        self.copayCents = copayCents
        self.coinsurancePercent = coinsurancePercent
        self.deductibleCents = deductibleCents
        self.effectiveFrom = effectiveFrom
        self.effectiveTo = effectiveTo
        self.priorAuthorization = priorAuthorization
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// `true` when the policy covers `date` (from ``effectiveFrom`` through ``effectiveTo`` inclusive).
    public func isActive(on date: CalendarDate) -> Bool {
        effectiveFrom <= date && (effectiveTo.map { date <= $0 } ?? true)
    }

    /// `true` when this policy and `other` cover at least one common day.
    public func overlaps(_ other: InsurancePolicy) -> Bool {
        PolicyRules.rangesOverlap(effectiveFrom, effectiveTo, other.effectiveFrom, other.effectiveTo)
    }
}
