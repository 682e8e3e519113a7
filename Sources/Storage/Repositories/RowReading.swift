import BillingCore
import Foundation
import PostgresNIO

/// Named-column access to a row with readable failures.
struct RowReader {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func string(_ column: String) throws -> String { try row[column].decode(String.self, context: .default) }
    func optionalString(_ column: String) throws -> String? { try row[column].decode(String?.self, context: .default) }
    func int(_ column: String) throws -> Int { try row[column].decode(Int.self, context: .default) }
    func optionalInt(_ column: String) throws -> Int? { try row[column].decode(Int?.self, context: .default) }
    func int64(_ column: String) throws -> Int64 { try row[column].decode(Int64.self, context: .default) }
    func bool(_ column: String) throws -> Bool { try row[column].decode(Bool.self, context: .default) }
    func uuid(_ column: String) throws -> UUID { try row[column].decode(UUID.self, context: .default) }
    func optionalUUID(_ column: String) throws -> UUID? { try row[column].decode(UUID?.self, context: .default) }
    func date(_ column: String) throws -> Date { try row[column].decode(Date.self, context: .default) }
    func optionalDate(_ column: String) throws -> Date? { try row[column].decode(Date?.self, context: .default) }
    func strings(_ column: String) throws -> [String] { try row[column].decode([String].self, context: .default) }

    /// A column holding JSON text (select it as `column::text`).
    func json<T: Decodable>(_ type: T.Type, _ column: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try string(column).utf8))
    }

    func id<ID: EntityID>(_ type: ID.Type, _ column: String) throws -> ID { ID(uuid: try uuid(column)) }
    func optionalID<ID: EntityID>(_ type: ID.Type, _ column: String) throws -> ID? {
        try optionalUUID(column).map { ID(uuid: $0) }
    }
}

/// JSON text for a Codable value, for `…::jsonb` parameters.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// A keyset-pagination page.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// The id to pass as `cursor` for the next page, or `nil` at the end.
    public var nextCursor: String?

    /// Creates a page.
    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
