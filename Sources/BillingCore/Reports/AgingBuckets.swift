/// Money owed, split by age: the four columns of an A/R aging report.
public struct AgingBuckets: Sendable, Hashable, Codable {
    /// 0–30 days.
    public var currentCents: Int64 = 0
    /// 31–60 days.
    public var days31To60Cents: Int64 = 0
    /// 61–90 days.
    public var days61To90Cents: Int64 = 0
    /// More than 90 days.
    public var over90Cents: Int64 = 0

    /// Empty buckets.
    public init() {}

    /// Everything in the four buckets.
    public var totalCents: Int64 { currentCents + days31To60Cents + days61To90Cents + over90Cents }

    /// Adds `cents` owed since `since` to the bucket its age on `asOf` falls in (a date in the
    /// future counts as current).
    public mutating func add(_ cents: Int64, since: CalendarDate, asOf: CalendarDate) {
        let age = asOf.dayNumber - since.dayNumber
        switch age {
        case ...30: currentCents += cents
        case 31...60: days31To60Cents += cents
        case 61...90: days61To90Cents += cents
        default: over90Cents += cents
        }
    }

    /// The sum of two sets of buckets.
    public static func + (lhs: AgingBuckets, rhs: AgingBuckets) -> AgingBuckets {
        var sum = AgingBuckets()
        sum.currentCents = lhs.currentCents + rhs.currentCents
        sum.days31To60Cents = lhs.days31To60Cents + rhs.days31To60Cents
        sum.days61To90Cents = lhs.days61To90Cents + rhs.days61To90Cents
        sum.over90Cents = lhs.over90Cents + rhs.over90Cents
        return sum
    }
}
