import Foundation

/// `application/x-www-form-urlencoded` bodies, as the WHATWG URL standard serializes them.
enum FormEncoding {
    /// `name=value&…` with every byte outside `A–Z a–z 0–9 * - . _` percent-encoded (UTF-8) and
    /// spaces as `+`, so `+15551234567` travels as `%2B15551234567` and `&` inside a value as `%26`.
    static func encode(_ fields: [(name: String, value: String)]) -> Data {
        Data(fields.map { "\(escape($0.name))=\(escape($0.value))" }.joined(separator: "&").utf8)
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                escaped.append("+")
            default:
                escaped.append("%")
                escaped.append(hexDigits[Int(byte >> 4)])
                escaped.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return escaped
    }

    private static let hexDigits: [Character] = Array("0123456789ABCDEF")
}
