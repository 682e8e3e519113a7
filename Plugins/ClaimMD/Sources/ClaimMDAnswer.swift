import Foundation
import PluginAPI

/// A Claim.MD answer body, read whatever format it came in, and the API errors it carries.
///
/// Claim.MD answers XML unless asked for JSON with `Accept`, and a server (or a proxy in front of
/// it) may ignore that header, so the body is sniffed: `<` is XML, `{` is JSON. A JSON answer may
/// be wrapped in `{"result": {…}}` (one integrator tolerates it); an XML answer whose root is not
/// `<result>` (a bare `<error …/>`) is read as a result holding that one element.
struct ClaimMDAnswer: Sendable {
    /// The `<result>` element, or the top-level JSON object.
    let root: ClaimMDElement

    /// One entry of the answer's `error` list (`error_code`, `error_mesg`).
    struct APIError: Sendable, Hashable {
        /// Claim.MD's error code, when it gave one.
        var code: String?
        /// Claim.MD's message, when it gave one.
        var message: String?

        /// `error 1234: Invalid AccountKey`, or what there is of it.
        var description: String {
            switch (code, message) {
            case (let code?, let message?): "error \(code): \(message)"
            case (nil, let message?): message
            case (let code?, nil): "error \(code)"
            case (nil, nil): "an error without a message"
            }
        }
    }

    /// Reads `body`.
    /// - Throws: `malformedResponse` when it is neither a JSON object nor XML.
    init(body: Data, endpoint: String) throws(PluginError) {
        var bytes = body[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let first = bytes.first { !Self.whitespace.contains($0) }
        switch first {
        case UInt8(ascii: "<"):
            guard let (name, element) = ClaimMDXMLReader.read(Data(bytes)) else {
                throw Self.malformed(endpoint, "its XML is not well-formed")
            }
            if name == "result" {
                root = element
            } else {
                var wrapper = ClaimMDElement()
                wrapper.children[name] = [element]
                root = wrapper
            }
        case UInt8(ascii: "{"):
            guard let json = try? PluginJSON(parsing: Data(bytes)), case .object(var members) = json else {
                throw Self.malformed(endpoint, "its JSON is not an object")
            }
            if members.count == 1, case .object(let inner)? = members["result"] {
                members = inner
            }
            root = ClaimMDElement(json: members)
        case nil:
            // An empty body: nothing to report, and nothing wrong said either.
            root = ClaimMDElement()
        default:
            throw Self.malformed(endpoint, "it is neither JSON nor XML")
        }
    }

    /// The answer's `error` entries: elements with `error_code`/`error_mesg`, or bare strings
    /// (`"error": "…"`; `false`, `0` and empty strings are not errors).
    var errors: [APIError] {
        let elements = root.elements("error")
        guard elements.isEmpty else {
            return elements.map { element in
                APIError(
                    code: element.value("error_code") ?? element.value("code"),
                    message: element.value("error_mesg") ?? element.value("error_message")
                        ?? element.value("message") ?? element.text)
            }
        }
        return root.values("error").filter { !["false", "0"].contains($0.lowercased()) }.map {
            APIError(code: nil, message: $0)
        }
    }

    private static let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]

    private static func malformed(_ endpoint: String, _ reason: String) -> PluginError {
        PluginError(.malformedResponse, "Claim.MD's answer to /\(endpoint)/ cannot be read: \(reason)")
    }
}
