/// A field of an update: absent (leave unchanged), `null` (clear) or a new value.
///
/// Declared as a non-optional property of a `Decodable` update type; the decoding extension
/// below tells an absent key from an explicit `null`.
public enum Patch<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    /// `true` unless the key was absent.
    public var isPresent: Bool {
        if case .absent = self { return false }
        return true
    }

    /// The new value for an optional field: `current` when absent, `nil` when cleared.
    public func applied(to current: Value?) -> Value? {
        switch self {
        case .absent: return current
        case .null: return nil
        case .value(let value): return value
        }
    }

    /// The new value for a required field (null is refused earlier by the schema).
    public func applied(to current: Value) -> Value {
        if case .value(let value) = self { return value }
        return current
    }
}

extension Patch: Equatable where Value: Equatable {}

extension Patch: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .null : .value(try container.decode(Value.self))
    }
}

extension Patch: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .absent, .null: try container.encodeNil()
        case .value(let value): try container.encode(value)
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a ``Patch``: `.absent` when the key is missing, `.null` for JSON null.
    public func decode<Value: Decodable>(_ type: Patch<Value>.Type, forKey key: Key) throws -> Patch<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(Value.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    /// Encodes a ``Patch``, omitting the key when absent.
    public mutating func encode<Value: Encodable>(_ value: Patch<Value>, forKey key: Key) throws {
        switch value {
        case .absent: return
        case .null: try encodeNil(forKey: key)
        case .value(let wrapped): try encode(wrapped, forKey: key)
        }
    }
}
