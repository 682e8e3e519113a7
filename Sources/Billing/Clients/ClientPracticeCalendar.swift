import BillingCore
import Foundation
import Storage

/// The current practice's calendar: what date it is in the practice's time zone.
public struct PracticeCalendar: Sendable {
    let practices = PracticeRepository()

    /// Creates the calendar.
    public init() {}

    /// The practice's date at `now` (a minor's age and a date of service are judged in the practice's zone).
    public func today(in transaction: Transaction, now: Date = Date()) async throws -> CalendarDate {
        guard let practice = try await practices.current(in: transaction) else { throw DomainError.notFound("practice") }
        return CalendarDate(now, in: TimeZone(identifier: practice.timeZone) ?? TimeZone(secondsFromGMT: 0)!)
    }
}
