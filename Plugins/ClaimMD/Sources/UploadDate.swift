import Foundation

/// A calendar day as `/uploadlist/` takes it (`UploadDate`, `yyyy-mm-dd`).
struct UploadDate: Sendable, Hashable, CustomStringConvertible {
    private let date: Date

    /// `2026-03-02`, or `nil` when `text` is not a real day in that form.
    init?(_ text: String) {
        guard text.utf8.count == 10, let date = Self.formatter().date(from: text),
            Self.formatter().string(from: date) == text
        else { return nil }
        self.date = date
    }

    /// The current day in UTC.
    static var today: UploadDate { UploadDate(date: Date()) }

    private init(date: Date) { self.date = date }

    /// The day `days` after this one (before it when negative).
    func adding(days: Int) -> UploadDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return UploadDate(date: calendar.date(byAdding: .day, value: days, to: date) ?? date)
    }

    /// `yyyy-MM-dd`.
    var description: String { Self.formatter().string(from: date) }

    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }
}
