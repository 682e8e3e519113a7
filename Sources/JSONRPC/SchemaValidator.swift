/// One problem with one field of a request, named by a JSON Pointer (RFC 6901).
public struct FieldError: Sendable, Hashable, Codable {
    /// Where the problem is, e.g. `/lines/2/units`; empty for the params object itself.
    public var pointer: String
    /// What is wrong, in plain words.
    public var reason: String
    /// A stable machine code for the rule (`required`, `type`, `minimum`, `format`, …).
    public var code: String

    /// Creates a field error.
    public init(pointer: String, reason: String, code: String) {
        self.pointer = pointer
        self.reason = reason
        self.code = code
    }
}

/// Builds JSON Pointers (RFC 6901), escaping `~` and `/` in member names.
public enum JSONPointer {
    /// `base` extended with one reference token.
    public static func appending(_ base: String, _ token: String) -> String {
        base + "/" + token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// `base` extended with an array index.
    public static func appending(_ base: String, _ index: Int) -> String { base + "/" + String(index) }
}

extension Schema {
    /// Checks `value` against this schema and returns every problem found (empty when valid).
    public func validate(_ value: JSONValue, at pointer: String = "") -> [FieldError] {
        var errors: [FieldError] = []
        validate(value, at: pointer, into: &errors)
        return errors
    }

    func validate(_ value: JSONValue, at pointer: String, into errors: inout [FieldError]) {
        if case .null = value {
            if !nullable && kind != .any {
                errors.append(FieldError(pointer: pointer, reason: "must not be null", code: "type"))
            }
            return
        }
        switch kind {
        case .any:
            Self.refuseNUL(in: value, pointer: pointer, &errors)
            return
        case .string:
            guard case .string(let string) = value else { return typeMismatch(value, pointer, &errors) }
            if string.utf8.contains(0) {
                errors.append(Self.nulError(pointer))
                return
            }
            let length = string.unicodeScalars.count  // JSON Schema counts code points
            if let minLength, length < minLength {
                errors.append(FieldError(pointer: pointer,
                                         reason: minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters",
                                         code: "minLength"))
            }
            if let maxLength, length > maxLength {
                errors.append(FieldError(pointer: pointer, reason: "must be at most \(maxLength) characters", code: "maxLength"))
            }
            if let enumValues, !enumValues.contains(string) {
                errors.append(FieldError(pointer: pointer, reason: "must be one of: \(enumValues.joined(separator: ", "))",
                                         code: "enum"))
            }
            if let format, let problem = format.check(string) {
                errors.append(FieldError(pointer: pointer, reason: problem, code: "format"))
            }
        case .integer:
            guard case .number(let number) = value else { return typeMismatch(value, pointer, &errors) }
            guard number.isInteger else {
                errors.append(FieldError(pointer: pointer, reason: "must be an integer", code: "type"))
                return
            }
            guard let integer = number.int64Value,
                  integer >= -Schema.maximumSafeInteger, integer <= Schema.maximumSafeInteger
            else {
                let code = number.literal.hasPrefix("-") ? "minimum" : "maximum"
                errors.append(FieldError(pointer: pointer, reason: "must be within ±9007199254740991", code: code))
                return
            }
            if let minimum, integer < minimum {
                errors.append(FieldError(pointer: pointer, reason: "must be at least \(minimum)", code: "minimum"))
            }
            if let maximum, integer > maximum {
                errors.append(FieldError(pointer: pointer, reason: "must be at most \(maximum)", code: "maximum"))
            }
        case .boolean:
            guard case .bool = value else { return typeMismatch(value, pointer, &errors) }
        case .array:
            guard case .array(let elements) = value else { return typeMismatch(value, pointer, &errors) }
            if let minItems, elements.count < minItems {
                errors.append(FieldError(pointer: pointer,
                                         reason: minItems == 1 ? "must not be empty" : "must have at least \(minItems) items",
                                         code: "minItems"))
            }
            if let maxItems, elements.count > maxItems {
                errors.append(FieldError(pointer: pointer, reason: "must have at most \(maxItems) items", code: "maxItems"))
                return  // do not walk a huge array element by element
            }
            if let itemSchema = items.first {
                for (offset, element) in elements.enumerated() {
                    itemSchema.validate(element, at: JSONPointer.appending(pointer, offset), into: &errors)
                }
            }
            if uniqueItems, Set(elements.map(JSONWriter.canonical)).count != elements.count {
                errors.append(FieldError(pointer: pointer, reason: "must not contain duplicates", code: "uniqueItems"))
            }
        case .object:
            guard case .object(let object) = value else { return typeMismatch(value, pointer, &errors) }
            for property in properties {
                if let member = object[property.name] {
                    property.schema.validate(member, at: JSONPointer.appending(pointer, property.name), into: &errors)
                } else if property.required {
                    errors.append(FieldError(pointer: JSONPointer.appending(pointer, property.name),
                                             reason: "is required", code: "required"))
                }
            }
            if !additionalProperties {
                for key in object.keys where property(key) == nil {
                    errors.append(FieldError(pointer: JSONPointer.appending(pointer, key),
                                             reason: "is not a known field", code: "unknownField"))
                }
            }
        }
    }

    private func typeMismatch(_ value: JSONValue, _ pointer: String, _ errors: inout [FieldError]) {
        let expected = kind == .integer ? "an integer" : (kind == .array || kind == .object ? "an \(kind.rawValue)" : "a \(kind.rawValue)")
        errors.append(FieldError(pointer: pointer, reason: "must be \(expected), not \(value.typeName)", code: "type"))
    }
}

extension Schema {
    /// PostgreSQL text and jsonb cannot hold U+0000, so no string may carry it (JSON allows `\u0000`).
    static func nulError(_ pointer: String) -> FieldError {
        FieldError(pointer: pointer, reason: "must not contain the NUL character (U+0000)", code: "nulCharacter")
    }

    /// Free-form values (`any`) are stored as they are: refuse NUL in any string or member name inside.
    static func refuseNUL(in value: JSONValue, pointer: String, _ errors: inout [FieldError]) {
        switch value {
        case .string(let string) where string.utf8.contains(0):
            errors.append(nulError(pointer))
        case .array(let items):
            for (index, item) in items.enumerated() {
                refuseNUL(in: item, pointer: JSONPointer.appending(pointer, index), &errors)
            }
        case .object(let object):
            for (key, member) in object.members {
                if key.utf8.contains(0) { errors.append(nulError(pointer)) }
                refuseNUL(in: member, pointer: JSONPointer.appending(pointer, key), &errors)
            }
        default:
            return
        }
    }
}
