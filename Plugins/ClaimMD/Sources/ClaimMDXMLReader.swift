import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads Claim.MD's XML answers (`<result …>…</result>`) into a ``ClaimMDElement`` tree.
///
/// Attributes become scalars, child elements become children, character data and CDATA become the
/// element's text. Namespaces, comments and processing instructions are ignored; external entities
/// are never resolved.
enum ClaimMDXMLReader {
    /// The root element of `data`, or `nil` when it is not well-formed XML.
    ///
    /// The root is returned under its own name (`result` normally); the caller decides what a
    /// root with another name means.
    static func read(_ data: Data) -> (name: String, element: ClaimMDElement)? {
        if let root = parse(data) { return root }
        // Claim.MD's names include `1500_claims`, which XML does not allow as a name (names cannot
        // start with a digit); a serializer that does not check writes it anyway. Such names are
        // given a marker prefix, parsed, and read back without it.
        guard let repaired = repairingNames(data) else { return nil }
        return parse(repaired)
    }

    /// The prefix given to names that start with a digit; removed again when the tree is built.
    static let digitNameMarker = "ledgerline-digit-"

    private static func parse(_ data: Data) -> (name: String, element: ClaimMDElement)? {
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        let builder = TreeBuilder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    /// `data` with ``digitNameMarker`` before every element or attribute name that starts with a
    /// digit; `nil` when there is none (the document is broken in some other way).
    static func repairingNames(_ data: Data) -> Data? {
        let bytes = [UInt8](data)
        let marker = Array(digitNameMarker.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 256)
        var repaired = false
        var index = 0

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        func starts(_ text: String, at position: Int) -> Bool {
            let pattern = Array(text.utf8)
            return position + pattern.count <= bytes.count
                && Array(bytes[position..<position + pattern.count]) == pattern
        }
        /// Copies through the end of `terminator` (or the end of the document).
        func copy(through terminator: String) {
            while index < bytes.count, !starts(terminator, at: index) {
                output.append(bytes[index])
                index += 1
            }
            let end = min(bytes.count, index + terminator.utf8.count)
            output += bytes[index..<end]
            index = end
        }

        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "<") else {
                output.append(byte)
                index += 1
                continue
            }
            if starts("<!--", at: index) {
                copy(through: "-->")
            } else if starts("<![CDATA[", at: index) {
                copy(through: "]]>")
            } else if starts("<?", at: index) {
                copy(through: "?>")
            } else if starts("<!", at: index) {
                copy(through: ">")
            } else {
                // A start or end tag: names after `<`, `</` and whitespace, outside quoted values.
                output.append(byte)
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "/") {
                    output.append(bytes[index])
                    index += 1
                }
                var quote: UInt8?
                var nameMayStart = true
                while index < bytes.count {
                    let current = bytes[index]
                    if let open = quote {
                        if current == open { quote = nil }
                    } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") {
                        quote = current
                    } else if nameMayStart, isDigit(current) {
                        output += marker
                        repaired = true
                    }
                    if quote == nil, current == UInt8(ascii: ">") {
                        output.append(current)
                        index += 1
                        break
                    }
                    nameMayStart = quote == nil && isSpace(current)
                    output.append(current)
                    index += 1
                }
            }
        }
        return repaired ? Data(output) : nil
    }

    /// A name as the tree keeps it: lowercased, without ``digitNameMarker``.
    private static func normalized(_ name: String) -> String {
        let lowered = name.lowercased()
        return lowered.hasPrefix(digitNameMarker) ? String(lowered.dropFirst(digitNameMarker.utf8.count)) : lowered
    }

    /// Collects the tree while XMLParser walks the document. Used by one parse on one thread.
    private final class TreeBuilder: NSObject, XMLParserDelegate {
        /// Open elements, innermost last, with their text so far.
        private var stack: [(name: String, element: ClaimMDElement, text: String)] = []
        /// The finished root.
        var root: (name: String, element: ClaimMDElement)?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            var element = ClaimMDElement()
            for (name, value) in attributeDict {
                element.scalars[ClaimMDXMLReader.normalized(name), default: []].append(value)
            }
            stack.append((ClaimMDXMLReader.normalized(elementName), element, ""))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?
        ) {
            guard let open = stack.popLast() else { return }
            var element = open.element
            let text = open.text.trimmingCharacters(in: .whitespacesAndNewlines)
            element.text = text.isEmpty ? nil : text
            if stack.isEmpty {
                root = (open.name, element)
            } else {
                stack[stack.count - 1].element.children[open.name, default: []].append(element)
            }
        }
    }
}
