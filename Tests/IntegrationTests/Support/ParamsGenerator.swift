import BillingCore
import Foundation
import JSONRPC

/// Builds a valid params object for any method from its published params ``Schema``, so the
/// isolation, authorization and fuzz suites cover every registered method — including ones added
/// later — without a hand-written fixture per method.
///
/// Every property is filled in, optional ones too, so each id-formatted field carries an id the
/// caller chose: ``ids`` maps an id prefix (`mem`) to the id to use; a prefix without an entry gets
/// a fresh random id, which names nothing in any practice.
struct ParamsGenerator {
    /// The id to put into `<prefix>-id` fields, by prefix.
    var ids: [String: String]
    /// A marker put into generated free text and email addresses, so rows written by mistake can be found.
    var tag: String

    /// Creates a generator.
    init(ids: [String: String] = [:], tag: String = "gen") {
        self.ids = ids
        self.tag = tag
    }

    /// A params object for `schema` with every property present.
    func params(for schema: Schema) -> JSONValue { value(for: schema, name: "") }

    /// A valid value for `schema`; `name` is the member name it will be stored under (used only for free text).
    func value(for schema: Schema, name: String) -> JSONValue {
        switch schema.kind {
        case .object:
            var object = JSONObject()
            for property in schema.properties { object[property.name] = value(for: property.schema, name: property.name) }
            return .object(object)
        case .array:
            let count = max(1, schema.minItems ?? 1)
            let item = schema.items.first ?? .any()
            return .array((0..<count).map { _ in value(for: item, name: name) })
        case .integer:
            var number: Int64 = max(1, schema.minimum ?? 1)
            if let maximum = schema.maximum { number = min(number, maximum) }
            return .number(JSONNumber(number))
        case .boolean:
            return .bool(true)
        case .any:
            return .object(JSONObject())
        case .string:
            // A cursor can only come from a previous page; the first page is asked for with null.
            if schema.format?.name == "cursor", schema.nullable { return .null }
            return .string(string(for: schema, name: name))
        }
    }

    private func string(for schema: Schema, name: String) -> String {
        if let values = schema.enumValues {
            // `ein` pairs with the known-good tax id below; otherwise the first value is as good as any.
            return values.contains("ein") ? "ein" : (values.first ?? "")
        }
        if let format = schema.format {
            if let prefix = Self.idPrefix(of: format) { return ids[prefix] ?? Self.randomID(prefix: prefix) }
            switch format.name {
            case "npi": return "1234567893"
            case "taxonomy": return "101YM0800X"
            case "tax-id": return "12-3456789"
            case "email": return "\(tag)-\(UUID().uuidString.prefix(12).lowercased())@example.com"
            case "us-state": return "IL"
            case "us-zip": return "62701"
            case "e164": return "+12175550100"
            case "iana-time-zone": return "America/Chicago"
            case "date-time": return "2026-11-20T14:00:00Z"
            case "date": return "2025-03-14"  // in the past: dates of birth and of service must not be in the future
            case "time": return "14:00"
            case "place-of-service": return "11"
            case "modifier": return "95"
            case "icd10cm-billable": return "F41.1"
            case "cursor": return ""  // a nullable cursor gets null above
            default: return "unknown format \(format.name)"  // refused by the self-check, which names the format
            }
        }
        var text = "\(tag) \(name.isEmpty ? "value" : name)"
        if let maxLength = schema.maxLength, text.count > maxLength { text = String(text.prefix(maxLength)) }
        if let minLength = schema.minLength, text.count < minLength {
            text += String(repeating: "x", count: minLength - text.count)
        }
        return text
    }

    /// The prefix of an entity-id format (`mem` for `mem-id`, whose pattern is `^mem_…`), or `nil`
    /// for any other format — including look-alikes such as `tax-id`.
    static func idPrefix(of format: StringFormat) -> String? {
        guard format.name.hasSuffix("-id") else { return nil }
        let prefix = String(format.name.dropLast(3))
        guard !prefix.isEmpty, format.pattern?.hasPrefix("^\(prefix)_") == true else { return nil }
        return prefix
    }

    /// A random well-formed id with `prefix`, naming no row anywhere.
    static func randomID(prefix: String) -> String { IDCodec.encode(UUID(), prefix: prefix) }

    /// An id-formatted field somewhere inside a params schema.
    struct IDField: Sendable, Hashable {
        /// JSON Pointer to the field (array elements as `/-`).
        let pointer: String
        /// The id prefix the field takes.
        let prefix: String
        /// `true` when the field and all its ancestors are required.
        let required: Bool
    }

    /// Every id-formatted field in `schema`, required or optional, at any depth.
    static func idFields(in schema: Schema) -> [IDField] {
        var fields: [IDField] = []
        collectIDFields(schema, pointer: "", required: true, into: &fields)
        return fields
    }

    private static func collectIDFields(_ schema: Schema, pointer: String, required: Bool, into fields: inout [IDField]) {
        switch schema.kind {
        case .string:
            if let format = schema.format, let prefix = idPrefix(of: format) {
                fields.append(IDField(pointer: pointer, prefix: prefix, required: required))
            }
        case .array:
            if let item = schema.items.first { collectIDFields(item, pointer: pointer + "/-", required: required, into: &fields) }
        case .object:
            for property in schema.properties {
                collectIDFields(property.schema, pointer: JSONPointer.appending(pointer, property.name),
                                required: required && property.required, into: &fields)
            }
        case .integer, .boolean, .any:
            break
        }
    }

    /// Every property in `schema` (at any depth, through objects and array items) with its pointer.
    static func properties(in schema: Schema) -> [(pointer: [String], schema: Schema)] {
        var found: [(pointer: [String], schema: Schema)] = []
        func walk(_ schema: Schema, _ path: [String]) {
            switch schema.kind {
            case .object:
                for property in schema.properties {
                    found.append((path + [property.name], property.schema))
                    walk(property.schema, path + [property.name])
                }
            case .array:
                if let item = schema.items.first { walk(item, path + ["0"]) }
            default:
                break
            }
        }
        walk(schema, [])
        return found
    }
}

/// Editing a JSON value at a path of member names and array indices.
enum JSONEditing {
    /// `value` with the member at `path` replaced by `replacement` (`nil` removes it).
    static func replacing(_ path: ArraySlice<String>, in value: JSONValue, with replacement: JSONValue?) -> JSONValue {
        guard let head = path.first else { return replacement ?? .null }
        switch value {
        case .object(var object):
            if path.count == 1 {
                object[head] = replacement
            } else if let child = object[head] {
                object[head] = replacing(path.dropFirst(), in: child, with: replacement)
            }
            return .object(object)
        case .array(var elements):
            guard let index = Int(head), elements.indices.contains(index) else { return value }
            if path.count == 1 {
                if let replacement { elements[index] = replacement } else { elements.remove(at: index) }
            } else {
                elements[index] = replacing(path.dropFirst(), in: elements[index], with: replacement)
            }
            return .array(elements)
        default:
            return value
        }
    }
}
