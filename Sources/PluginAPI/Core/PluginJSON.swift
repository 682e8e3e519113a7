import Foundation

/// A JSON value as it crosses the plugin boundary: settings, method inputs and results.
///
/// PluginAPI depends on Foundation only, so it carries its own small JSON type instead of the
/// server's `JSONRPC.JSONValue`. Numbers are `Double`: plugin settings and the contract's fields
/// stay within ±(2^53 − 1), where a `Double` is exact.
public enum PluginJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([PluginJSON])
    case object([String: PluginJSON])

    /// The JSON Schema type name of this value (`integer` for whole numbers).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number.rounded() == number && number.isFinite ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The member `key` of an object, or `nil` for a missing member or a value that is not an object.
    public subscript(key: String) -> PluginJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string this value holds, if it is a string.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The number this value holds, if it is a number.
    public var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The members of an object, if this value is one.
    public var objectValue: [String: PluginJSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Parses JSON bytes.
    /// - Throws: `PluginError` with code `malformedJSON` when `data` is not one JSON value.
    public init(parsing data: Data) throws(PluginError) {
        do {
            self = try JSONDecoder().decode(PluginJSON.self, from: data)
        } catch {
            throw PluginError(.malformedJSON, "not valid JSON: \(PluginJSON.summary(of: error))")
        }
    }

    /// Converts an `Encodable` value (a message type) to JSON.
    public init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(PluginJSON.self, from: JSONEncoder().encode(value))
    }

    /// Decodes this value as `type`.
    /// - Throws: `PluginError` with code `invalidParams` naming the first offending field.
    public func decode<T: Decodable>(as type: T.Type) throws(PluginError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: encoded())
        } catch {
            throw PluginError(.invalidParams, PluginJSON.summary(of: error))
        }
    }

    /// The compact JSON text of this value, keys sorted so equal values encode equally.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a PluginJSON cannot fail: every case maps to a JSON value.
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    /// A one-line description of a decoding error, with the field as a JSON Pointer.
    static func summary(of error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return String(describing: error) }
        func pointer(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "/" : path.map { "/" + ($0.intValue.map(String.init) ?? $0.stringValue) }.joined()
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            return "\(pointer(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context):
            return "\(pointer(context.codingPath)) must be \(String(describing: type).lowercased())"
        case .valueNotFound(let type, let context):
            return "\(pointer(context.codingPath)) must be \(String(describing: type).lowercased()), not null"
        case .dataCorrupted(let context):
            return "\(pointer(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}

extension PluginJSON: Codable {
    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([PluginJSON].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: PluginJSON].self))
        }
    }

    /// Encodes the value; whole numbers are written without a fraction.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number):
            if number.rounded() == number, abs(number) < 9_007_199_254_740_992 {
                try container.encode(Int64(number))
            } else {
                try container.encode(number)
            }
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }
}

extension PluginJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: PluginJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, PluginJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
