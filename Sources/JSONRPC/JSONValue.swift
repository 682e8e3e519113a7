/// A JSON value as it arrived on the wire.
///
/// Numbers keep their literal text so that large integers are never rounded through `Double`
/// and an `id` is echoed back exactly as the client sent it.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name used in error messages and schemas (`string`, `integer`, `object`, …).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let number): return number.isInteger ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The member `key` of an object, or `nil` when this is not an object or the key is absent.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The string payload, or `nil` for any other type.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The integer payload when this is a number without fraction that fits in `Int64`.
    public var int64Value: Int64? {
        if case .number(let number) = self { return number.int64Value }
        return nil
    }
}

/// A JSON number kept as its literal text.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number exactly as written in the source document.
    public let literal: String

    /// Creates a number from a literal already known to match the JSON number grammar.
    public init(literal: String) { self.literal = literal }

    /// Creates a number from an integer.
    public init(_ value: Int64) { self.literal = String(value) }

    public var description: String { literal }

    /// `true` when the literal has no fraction or exponent part.
    public var isInteger: Bool {
        !literal.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
    }

    /// The value as `Int64` when it is an integer literal within range.
    public var int64Value: Int64? { isInteger ? Int64(literal) : nil }

    /// The value as a `Double` (may round).
    public var doubleValue: Double? { Double(literal) }
}

/// A JSON object that remembers the order of its members. Two objects are equal when they have
/// the same members, whatever their order.
public struct JSONObject: Sendable, Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.storage == rhs.storage }
    public func hash(into hasher: inout Hasher) { hasher.combine(storage) }

    /// Member names in document order.
    public private(set) var keys: [String] = []
    private var storage: [String: JSONValue] = [:]

    /// Creates an empty object.
    public init() {}

    /// Creates an object from ordered pairs; a later duplicate key replaces the earlier value.
    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of members.
    public var count: Int { keys.count }

    /// Reads or writes a member; writing `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// `true` when the object has a member named `key` (its value may be `null`).
    public func contains(_ key: String) -> Bool { storage[key] != nil }

    /// Members in document order.
    public var members: [(key: String, value: JSONValue)] { keys.map { ($0, storage[$0]!) } }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
