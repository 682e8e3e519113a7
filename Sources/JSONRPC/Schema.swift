/// A JSON Schema (the subset OpenRPC documents need) that is also the validator for a method's params.
///
/// One `Schema` value is published in `rpc.discover` and checked against every incoming request,
/// so what the documentation says and what the server enforces cannot drift apart.
public struct Schema: Sendable {
    /// The JSON type a schema accepts.
    public enum Kind: String, Sendable {
        case string, integer, boolean, array, object, any
    }

    /// One member of an object schema.
    public struct Property: Sendable {
        public let name: String
        public let schema: Schema
        public let required: Bool

        /// Creates a property.
        public init(name: String, schema: Schema, required: Bool) {
            self.name = name
            self.schema = schema
            self.required = required
        }
    }

    public var kind: Kind
    /// Also accept `null` (for fields that can be cleared, or optional results).
    public var nullable = false
    public var description: String?
    public var title: String?
    // string
    public var minLength: Int?
    public var maxLength: Int?
    public var format: StringFormat?
    public var enumValues: [String]?
    // integer
    public var minimum: Int64?
    public var maximum: Int64?
    // array
    public var items: [Schema] = []  // zero or one element; an array keeps Schema a value type
    public var minItems: Int?
    public var maxItems: Int?
    public var uniqueItems = false
    // object
    public var properties: [Property] = []
    public var additionalProperties = false

    init(kind: Kind) { self.kind = kind }

    /// The largest integer a JavaScript client can hold exactly.
    public static let maximumSafeInteger: Int64 = 9_007_199_254_740_991

    /// A string with optional length bounds and format.
    public static func string(minLength: Int? = nil, maxLength: Int? = 1000, format: StringFormat? = nil,
                              description: String? = nil) -> Schema {
        var schema = Schema(kind: .string)
        schema.minLength = minLength
        schema.maxLength = maxLength
        schema.format = format
        schema.description = description
        return schema
    }

    /// A string that must be one of `values`.
    public static func enumeration(_ values: [String], description: String? = nil) -> Schema {
        var schema = Schema(kind: .string)
        schema.enumValues = values
        schema.description = description
        return schema
    }

    /// A string that must be one of the raw values of `type`.
    public static func enumeration<E: CaseIterable & RawRepresentable>(_ type: E.Type, description: String? = nil)
        -> Schema where E.RawValue == String
    {
        enumeration(type.allCases.map(\.rawValue), description: description)
    }

    /// An integer within ±(2^53 − 1) unless tighter bounds are given.
    public static func integer(minimum: Int64? = nil, maximum: Int64? = nil, description: String? = nil) -> Schema {
        var schema = Schema(kind: .integer)
        schema.minimum = minimum
        schema.maximum = maximum
        schema.description = description
        return schema
    }

    /// A boolean.
    public static func boolean(description: String? = nil) -> Schema {
        var schema = Schema(kind: .boolean)
        schema.description = description
        return schema
    }

    /// An array whose elements all match `items`.
    public static func array(_ items: Schema, minItems: Int? = nil, maxItems: Int? = 1000, uniqueItems: Bool = false,
                             description: String? = nil) -> Schema {
        var schema = Schema(kind: .array)
        schema.items = [items]
        schema.minItems = minItems
        schema.maxItems = maxItems
        schema.uniqueItems = uniqueItems
        schema.description = description
        return schema
    }

    /// An object with the given members; unknown members are refused unless `additionalProperties`.
    ///
    /// A property whose name ends in `?` is optional; all others are required.
    public static func object(_ properties: KeyValuePairs<String, Schema>, title: String? = nil,
                              additionalProperties: Bool = false, description: String? = nil) -> Schema {
        var schema = Schema(kind: .object)
        schema.properties = properties.map { name, property in
            name.hasSuffix("?")
                ? Property(name: String(name.dropLast()), schema: property, required: false)
                : Property(name: name, schema: property, required: true)
        }
        schema.title = title
        schema.additionalProperties = additionalProperties
        schema.description = description
        return schema
    }

    /// Any JSON value (used for free-form payloads such as plugin settings).
    public static func any(description: String? = nil) -> Schema {
        var schema = Schema(kind: .any)
        schema.description = description
        return schema
    }

    /// This schema, also accepting `null`.
    public var orNull: Schema {
        var copy = self
        copy.nullable = true
        return copy
    }

    /// This schema with a description.
    public func described(_ text: String) -> Schema {
        var copy = self
        copy.description = text
        return copy
    }

    /// This object schema with extra members appended (for composing related shapes).
    public func adding(_ extra: KeyValuePairs<String, Schema>) -> Schema {
        var copy = self
        copy.properties += Schema.object(extra).properties
        return copy
    }

    /// This object schema with every member optional (the shape of an update).
    public var allOptional: Schema {
        var copy = self
        copy.properties = properties.map { Property(name: $0.name, schema: $0.schema, required: false) }
        return copy
    }

    /// This object schema with the members of `other` appended.
    public func merging(_ other: Schema) -> Schema {
        var copy = self
        copy.properties += other.properties
        return copy
    }

    /// The member named `name`, when this is an object schema.
    public func property(_ name: String) -> Property? { properties.first { $0.name == name } }
}

/// A named check for string contents, published as `format` (and `pattern` when one exists).
public struct StringFormat: Sendable {
    /// The format name written into the JSON Schema.
    public let name: String
    /// An ECMAScript pattern documenting the shape, for client-side validation.
    public let pattern: String?
    /// Returns the reason the value is refused, or `nil` when it is acceptable.
    public let check: @Sendable (String) -> String?

    /// Creates a format.
    public init(name: String, pattern: String? = nil, check: @escaping @Sendable (String) -> String?) {
        self.name = name
        self.pattern = pattern
        self.check = check
    }
}
