import Foundation

/// Validates JSON against the JSON Schema subset plugins use for their settings: `type`,
/// `required`, `properties`, `additionalProperties`, `enum`, `const`, `minLength`, `maxLength`,
/// `pattern`, `minimum`, `maximum`, `items`, `minItems`, `maxItems`. Unknown keywords are ignored,
/// as JSON Schema asks.
public enum SettingsSchemaValidator {
    /// Every problem of `value` against `schema`, each named by JSON Pointer.
    public static func validate(_ value: PluginJSON, against schema: PluginJSON) -> [SettingsProblem] {
        var problems: [SettingsProblem] = []
        check(value, schema, pointer: "", into: &problems)
        return problems
    }

    private static func check(
        _ value: PluginJSON, _ schema: PluginJSON, pointer: String,
        into problems: inout [SettingsProblem]
    ) {
        guard case .object = schema else { return }  // `true`/`{}` accept anything
        if let expected = types(schema["type"]), !expected.isEmpty {
            let actual = value.typeName
            let matches = expected.contains(actual) || (actual == "integer" && expected.contains("number"))
            if !matches {
                problems.append(
                    SettingsProblem(
                        pointer: pointer,
                        message: "must be \(expected.joined(separator: " or ")), not \(actual)"))
                return
            }
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            let names = allowed.map { $0.stringValue ?? String(decoding: $0.encoded(), as: UTF8.self) }
            problems.append(
                SettingsProblem(pointer: pointer, message: "must be one of: \(names.joined(separator: ", "))"))
        }
        if let constant = schema["const"], constant != value {
            problems.append(
                SettingsProblem(
                    pointer: pointer,
                    message: "must be \(String(decoding: constant.encoded(), as: UTF8.self))"))
        }
        switch value {
        case .string(let string):
            if let minimum = schema["minLength"]?.numberValue, Double(string.count) < minimum {
                problems.append(
                    SettingsProblem(
                        pointer: pointer,
                        message: minimum == 1 ? "must not be empty" : "must be at least \(Int(minimum)) characters"))
            }
            if let maximum = schema["maxLength"]?.numberValue, Double(string.count) > maximum {
                problems.append(
                    SettingsProblem(pointer: pointer, message: "must be at most \(Int(maximum)) characters"))
            }
            if let pattern = schema["pattern"]?.stringValue,
                let expression = try? NSRegularExpression(pattern: pattern),
                expression.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) == nil
            {
                problems.append(SettingsProblem(pointer: pointer, message: "must match \(pattern)"))
            }
        case .number(let number):
            if let minimum = schema["minimum"]?.numberValue, number < minimum {
                problems.append(
                    SettingsProblem(pointer: pointer, message: "must be at least \(PluginJSON.number(minimum).display)")
                )
            }
            if let maximum = schema["maximum"]?.numberValue, number > maximum {
                problems.append(
                    SettingsProblem(pointer: pointer, message: "must be at most \(PluginJSON.number(maximum).display)"))
            }
        case .array(let elements):
            if let minimum = schema["minItems"]?.numberValue, Double(elements.count) < minimum {
                problems.append(SettingsProblem(pointer: pointer, message: "must have at least \(Int(minimum)) items"))
            }
            if let maximum = schema["maxItems"]?.numberValue, Double(elements.count) > maximum {
                problems.append(SettingsProblem(pointer: pointer, message: "must have at most \(Int(maximum)) items"))
            }
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() {
                    check(element, items, pointer: "\(pointer)/\(index)", into: &problems)
                }
            }
        case .object(let members):
            let properties = schema["properties"]?.objectValue ?? [:]
            if case .array(let required)? = schema["required"] {
                for case .string(let name) in required where members[name] == nil {
                    problems.append(SettingsProblem(pointer: "\(pointer)/\(escape(name))", message: "is required"))
                }
            }
            for name in members.keys.sorted() {
                let member = members[name]!
                let memberPointer = "\(pointer)/\(escape(name))"
                if let propertySchema = properties[name] {
                    check(member, propertySchema, pointer: memberPointer, into: &problems)
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) {
                        problems.append(SettingsProblem(pointer: memberPointer, message: "is not a known setting"))
                    } else {
                        check(member, additional, pointer: memberPointer, into: &problems)
                    }
                }
            }
        case .null, .bool:
            break
        }
    }

    private static func types(_ type: PluginJSON?) -> [String]? {
        switch type {
        case .string(let name)?: [name]
        case .array(let names)?: names.compactMap(\.stringValue)
        default: nil
        }
    }

    /// JSON Pointer escaping (RFC 6901).
    private static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

extension PluginJSON {
    /// The value as a person reads it in a message: numbers without a needless fraction.
    var display: String {
        if case .number(let number) = self, number.rounded() == number, abs(number) < 1e15 {
            return String(Int64(number))
        }
        return stringValue ?? String(decoding: encoded(), as: UTF8.self)
    }
}
