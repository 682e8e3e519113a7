import BillingCore
import Foundation
import PostgresNIO

extension RowReader {
    /// A `date` column selected as `column::text`.
    func calendarDate(_ column: String) throws -> CalendarDate {
        let text = try string(column)
        guard let date = CalendarDate(text) else { throw RowDecodingError(column: column, value: text) }
        return date
    }

    /// A nullable `date` column selected as `column::text`.
    func optionalCalendarDate(_ column: String) throws -> CalendarDate? {
        guard let text = try optionalString(column) else { return nil }
        guard let date = CalendarDate(text) else { throw RowDecodingError(column: column, value: text) }
        return date
    }

    /// A nullable JSON column selected as `column::text`.
    func optionalJSON<T: Decodable>(_ type: T.Type, _ column: String) throws -> T? {
        guard let text = try optionalString(column) else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// A `uuid[]` column as typed ids.
    func ids<ID: EntityID>(_ type: ID.Type, _ column: String) throws -> [ID] {
        try row[column].decode([UUID].self, context: .default).map { ID(uuid: $0) }
    }

    /// A raw-value enum stored as text.
    func enumeration<E: RawRepresentable>(_ type: E.Type, _ column: String) throws -> E where E.RawValue == String {
        let text = try string(column)
        guard let value = E(rawValue: text) else { throw RowDecodingError(column: column, value: text) }
        return value
    }
}

/// A stored value that does not fit its Swift type (a schema/code mismatch, never user input).
struct RowDecodingError: Error, CustomStringConvertible {
    let column: String
    let value: String
    var description: String { "column \(column) holds an unexpected value" }
}

/// `%term%` patterns for `ilike all(…)` from a free-text query: one per word, wildcards escaped.
func likePatterns(_ query: String) -> [String] {
    query.split(whereSeparator: \.isWhitespace).prefix(5).map { word in
        let escaped = word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return "%" + escaped + "%"
    }
}
