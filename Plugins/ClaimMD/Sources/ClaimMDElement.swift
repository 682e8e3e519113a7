import Foundation
import PluginAPI

/// One element of a Claim.MD answer, the same whether the server answered XML or JSON.
///
/// Claim.MD's XML puts scalars in attributes and lists in repeated child elements
/// (`<result last_responseid="7"><claim pcn="…"><messages …/></claim></result>`); its JSON carries
/// the same names as keys, with lists as arrays, a one-element list sometimes as a bare object, and
/// every value usually a string. Both are read into this shape, so the mapping code asks for
/// `value("pcn")` and `elements("claim")` and never cares which format or list shape arrived.
/// Names are kept lowercased: Claim.MD's are lowercase, and a stray `ERAID` still matches.
struct ClaimMDElement: Sendable, Hashable {
    /// Scalar members (XML attributes, JSON strings, numbers and booleans), by lowercased name. A
    /// JSON array of scalars keeps every item (`"data": ["ISA*…"]`, `"fields": ["a", "b"]`).
    var scalars: [String: [String]] = [:]
    /// Nested elements (XML child elements, JSON objects), by lowercased name, in document order.
    var children: [String: [ClaimMDElement]] = [:]
    /// The text inside an XML element (`<data>ISA*…</data>`), trimmed; `nil` when there is none.
    var text: String?

    /// The first non-empty value called `name`: a scalar, or else the text of a child element.
    func value(_ name: String) -> String? {
        values(name).first
    }

    /// Every non-empty value called `name`, trimmed: scalars, or else the texts of child elements.
    func values(_ name: String) -> [String] {
        let key = name.lowercased()
        let scalarValues = (scalars[key] ?? []).compactMap(Self.nonEmpty)
        if !scalarValues.isEmpty { return scalarValues }
        return (children[key] ?? []).compactMap { $0.text.flatMap(Self.nonEmpty) }
    }

    /// The child elements called `name`, whether the answer held one or a list; empty when absent.
    func elements(_ name: String) -> [ClaimMDElement] {
        children[name.lowercased()] ?? []
    }

    /// Whether the element holds nothing at all.
    var isEmpty: Bool { scalars.isEmpty && children.isEmpty && (text ?? "").isEmpty }

    private static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}

extension ClaimMDElement {
    /// Reads a JSON object into an element. Nulls are dropped; numbers become their decimal text.
    init(json object: [String: PluginJSON]) {
        for (name, value) in object {
            add(value, named: name.lowercased())
        }
    }

    private mutating func add(_ value: PluginJSON, named name: String) {
        switch value {
        case .null:
            break
        case .bool(let bool):
            scalars[name, default: []].append(bool ? "true" : "false")
        case .number(let number):
            scalars[name, default: []].append(Self.text(of: number))
        case .string(let string):
            scalars[name, default: []].append(string)
        case .object(let members):
            children[name, default: []].append(ClaimMDElement(json: members))
        case .array(let items):
            for item in items { add(item, named: name) }
        }
    }

    /// `12345` for whole numbers (Claim.MD's ids), the shortest exact text otherwise.
    private static func text(of number: Double) -> String {
        if number.rounded() == number, abs(number) < 9_007_199_254_740_992 {
            return String(Int64(number))
        }
        return String(number)
    }
}
