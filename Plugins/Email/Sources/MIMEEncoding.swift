import Foundation

/// The encodings a message needs to travel as 7-bit text: quoted-printable bodies (RFC 2045),
/// base64 bodies in 76-character lines, RFC 2047 encoded words for headers and RFC 2231 parameters.
enum MIMEEncoding {
    /// The longest line of an encoded body, without its CRLF (RFC 2045 §6.7, §6.8).
    static let maximumLineLength = 76

    /// `text` with every line break (CRLF, LF or a lone CR) written as CRLF, MIME's canonical form.
    static func canonicalLineBreaks(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 40)
        var previousWasCR = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\r"):
                output += [0x0D, 0x0A]
                previousWasCR = true
                continue
            case UInt8(ascii: "\n"):
                if !previousWasCR { output += [0x0D, 0x0A] }
            default:
                output.append(byte)
            }
            previousWasCR = false
        }
        return output
    }

    /// Quoted-printable encoding of `text` (line breaks made CRLF first), lines of at most 76
    /// characters with soft breaks, trailing white space and every non-printable byte as `=XX`.
    /// - Parameter endingWithLineBreak: end the output with CRLF even when `text` does not end
    ///   with a line break, by closing with a soft break (`=` CRLF), which decodes to nothing. SMTP
    ///   content always ends with a line break, so a lone text part needs this to arrive unchanged.
    static func quotedPrintable(_ text: String, endingWithLineBreak: Bool = false) -> [UInt8] {
        let bytes = canonicalLineBreaks(text)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        var lineStart = bytes.startIndex
        while lineStart <= bytes.endIndex {
            var lineEnd = lineStart
            while lineEnd < bytes.endIndex, bytes[lineEnd] != 0x0D { lineEnd += 1 }
            let isFinalLine = lineEnd == bytes.endIndex
            let softBreakFollows = isFinalLine && endingWithLineBreak && lineStart < lineEnd
            encodeQuotedPrintableLine(bytes[lineStart..<lineEnd], softBreakFollows: softBreakFollows, into: &output)
            if softBreakFollows { output += [UInt8(ascii: "="), 0x0D, 0x0A] }
            guard !isFinalLine else { break }
            output += [0x0D, 0x0A]
            lineStart = lineEnd + 2  // past the CRLF that canonicalLineBreaks guarantees
        }
        return output
    }

    /// Encodes one line (without its line break). When `softBreakFollows`, the line's last token
    /// also leaves room for the `=` of a soft break.
    private static func encodeQuotedPrintableLine(
        _ line: ArraySlice<UInt8>, softBreakFollows: Bool, into output: inout [UInt8]
    ) {
        var length = 0
        for index in line.indices {
            let byte = line[index]
            let isLast = index == line.index(before: line.endIndex)
            let literal =
                (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) && !isLast)
            let token: [UInt8] = literal ? [byte] : hexEscape(byte)
            // Leave room for the `=` of a soft break, except on the last token of a line that ends
            // with a hard line break.
            let fits =
                length + token.count <= maximumLineLength - 1
                || (isLast && !softBreakFollows && length + token.count <= maximumLineLength)
            if !fits {
                output += [UInt8(ascii: "="), 0x0D, 0x0A]
                length = 0
            }
            output += token
            length += token.count
        }
    }

    private static func hexEscape(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return [UInt8(ascii: "="), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }

    /// `data` in base64, lines of 76 characters separated by CRLF (no CRLF after the last line).
    static func base64Lines(_ data: Data) -> [UInt8] {
        let encoded = Array(data.base64EncodedString().utf8)
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count + encoded.count / maximumLineLength * 2)
        var start = 0
        while start < encoded.count {
            if start > 0 { output += [0x0D, 0x0A] }
            let end = min(start + maximumLineLength, encoded.count)
            output += encoded[start..<end]
            start = end
        }
        return output
    }

    /// Whether `text` can stand in a header as it is: printable ASCII and spaces, nothing a reader
    /// could take for an encoded word.
    static func isPlainHeaderText(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 32 && $0 <= 126 } && !text.contains("=?")
    }

    /// `text` as RFC 2047 encoded words (`=?UTF-8?B?…?=`), each at most 75 characters, joined by
    /// folding white space. A character is never split across two words.
    static func encodedWords(_ text: String) -> String {
        // 75 − len("=?UTF-8?B??=") = 63 characters of base64 hold 45 bytes.
        let maximumBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
            chunk.removeAll(keepingCapacity: true)
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if bytes.count > maximumBytes {
                // A grapheme longer than one word (a long emoji sequence): split between scalars.
                for scalar in character.unicodeScalars {
                    let scalarBytes = Array(String(scalar).utf8)
                    if chunk.count + scalarBytes.count > maximumBytes { flush() }
                    chunk += scalarBytes
                }
                continue
            }
            if chunk.count + bytes.count > maximumBytes { flush() }
            chunk += bytes
        }
        flush()
        return words.joined(separator: "\r\n ")
    }

    /// An unstructured header value (a subject): as it is when it is plain ASCII, folded at spaces
    /// to keep lines near 78 characters; as encoded words otherwise.
    /// - Parameter nameLength: the length of `Name: ` before the value on the first line.
    static func unstructuredHeaderValue(_ text: String, nameLength: Int) -> String {
        guard isPlainHeaderText(text) else { return encodedWords(text) }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        if words.contains(where: { $0.utf8.count > 900 }) { return encodedWords(text) }
        var lines: [String] = []
        var line = ""
        var lineLength = nameLength
        for (index, word) in words.enumerated() {
            let addition = index == 0 ? String(word) : " " + word
            if index > 0, !word.isEmpty, lineLength + addition.utf8.count > 78, !line.isEmpty {
                lines.append(line)
                line = ""
                lineLength = 0
            }
            line += addition
            lineLength += addition.utf8.count
        }
        lines.append(line)
        // Each continuation line starts with the space that separated the words: folding is CRLF.
        return lines.joined(separator: "\r\n")
    }

    /// A display name for `From:`: a quoted string when ASCII, encoded words otherwise.
    static func displayName(_ name: String) -> String {
        guard isPlainHeaderText(name) else { return encodedWords(name) }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// `name="value"` when `value` is plain ASCII, else RFC 2231 `name*=UTF-8''percent-encoded`.
    static func parameter(_ name: String, _ value: String) -> String {
        if isPlainHeaderText(value) {
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"", with: "\\\"")
            return "\(name)=\"\(escaped)\""
        }
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        var encoded = ""
        for byte in value.utf8 {
            if unreserved.contains(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return "\(name)*=UTF-8''\(encoded)"
    }
}
