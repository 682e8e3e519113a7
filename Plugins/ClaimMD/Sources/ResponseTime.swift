import Foundation

/// Claim.MD's `response_time`, whose format no public source shows, read into RFC 3339.
///
/// Accepted: ISO 8601 with or without a zone or fraction (`2026-03-02T14:05:09-05:00`,
/// `2026-03-02T14:05:09`), `2026-03-02 14:05:09`, `03/02/2026 14:05:09`, `03/02/2026 2:05:09 PM`,
/// `20260302140509`, and a bare date. A time without a zone is taken as UTC (a guess: Claim.MD
/// may mean its own local time). Anything else gives `nil`, and the update carries no time.
enum ResponseTime {
    /// `text` as `2026-03-02T19:05:09Z`, or `nil` when it is in no known format.
    static func rfc3339(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        let output = ISO8601DateFormatter()
        output.formatOptions = [.withInternetDateTime]
        output.timeZone = TimeZone(identifier: "UTC")

        let zoned = ISO8601DateFormatter()
        zoned.formatOptions = [.withInternetDateTime]
        if let date = zoned.date(from: trimmed) { return output.string(from: date) }
        zoned.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = zoned.date(from: trimmed) { return output.string(from: date) }

        for pattern in patterns {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = pattern
            if let date = formatter.date(from: trimmed) { return output.string(from: date) }
        }
        return nil
    }

    private static let patterns = [
        "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd HH:mm", "MM/dd/yyyy HH:mm:ss", "MM/dd/yyyy h:mm:ss a", "MM/dd/yyyy hh:mm a", "MM/dd/yyyy HH:mm",
        "yyyyMMddHHmmss", "yyyy-MM-dd", "MM/dd/yyyy", "yyyyMMdd",
    ]
}
