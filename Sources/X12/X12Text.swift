import BillingCore
import Foundation

/// How values become X12 element text: the character set, length limits and number formats.
public enum X12Text {
    /// Uppercases `text`, keeps only the X12 basic character set plus `% @ # $ _`, folds accented
    /// letters to ASCII (É → E), drops every delimiter, collapses runs of spaces, trims, and
    /// truncates to `maxLength` characters (never leaving a trailing space).
    ///
    /// - Parameters:
    ///   - text: the value as stored.
    ///   - maxLength: the element's maximum length in the implementation guide.
    ///   - delimiters: the interchange's delimiters, which must never appear in data.
    public static func clean(_ text: String, maxLength: Int, delimiters: X12Delimiters = .standard) -> String {
        let forbidden = delimiterBytes(delimiters)
        if isClean(text, maxLength: maxLength, forbidden: forbidden) { return text }
        var source = text
        if source.utf8.contains(where: { $0 >= 0x80 }) {
            source = source.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(source.utf8.count, maxLength))
        var pendingSpace = false
        for var byte in source.utf8 {
            if bytes.count >= maxLength { break }
            if byte >= 97 && byte <= 122 { byte -= 32 }
            if byte == 32 || byte == 9 || byte == 10 || byte == 13 {
                pendingSpace = !bytes.isEmpty
                continue
            }
            guard allowed[Int(byte)], !forbidden.contains(byte) else { continue }
            if pendingSpace {
                if bytes.count + 1 >= maxLength { break }
                bytes.append(32)
                pendingSpace = false
            }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Keeps only the ASCII digits of `text` (phones, ZIP codes, tax ids), at most `maxLength` of them.
    public static func digits(_ text: String, maxLength: Int = .max) -> String {
        String(decoding: text.utf8.filter { $0 >= 48 && $0 <= 57 }.prefix(maxLength), as: UTF8.self)
    }

    /// Cents as an X12 decimal (type R) with no trailing zeros: 15000 → `150`, 15050 → `150.5`,
    /// 15025 → `150.25`, −500 → `-5`.
    public static func amount(cents: Int64) -> String {
        let negative = cents < 0
        let magnitude = cents.magnitude
        let whole = magnitude / 100
        let fraction = magnitude % 100
        var text = negative ? "-" : ""
        text += String(whole)
        if fraction != 0 {
            text += fraction % 10 == 0 ? "." + String(fraction / 10) : (fraction < 10 ? ".0" : ".") + String(fraction)
        }
        return text
    }

    /// A date as X12 writes it (`CCYYMMDD`), without going through a format string.
    public static func date(_ date: CalendarDate) -> String {
        zeroPadded(date.year, width: 4) + zeroPadded(date.month, width: 2) + zeroPadded(date.day, width: 2)
    }

    /// `value` as decimal digits, left-padded with zeros to `width` (ISA13 is always 9 digits).
    public static func zeroPadded(_ value: Int, width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `text` padded with spaces (or cut) to exactly `width` characters, as ISA's fixed-width elements need.
    public static func spacePadded(_ text: String, width: Int) -> String {
        let cut = String(text.prefix(width))
        return cut + String(repeating: " ", count: width - cut.count)
    }

    // MARK: - Internals

    /// The bytes allowed in data after uppercasing: A–Z, 0–9, space and `! " & ' ( ) * + , - . / : ; ? = % @ # $ _`.
    private static let allowed: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = true }
        for character in " !\"&'()*+,-./:;?=%@#$_".utf8 { table[Int(character)] = true }
        return table
    }()

    /// The four delimiter bytes, compared without allocating.
    private struct Forbidden {
        let element, component, repetition, segment: UInt8

        func contains(_ byte: UInt8) -> Bool {
            byte == element || byte == component || byte == repetition || byte == segment
        }
    }

    private static func delimiterBytes(_ delimiters: X12Delimiters) -> Forbidden {
        Forbidden(element: delimiters.element.asciiValue ?? 0, component: delimiters.component.asciiValue ?? 0,
                  repetition: delimiters.repetition.asciiValue ?? 0, segment: delimiters.segment.asciiValue ?? 0)
    }

    /// The fast path: text that is already clean is returned as it is.
    private static func isClean(_ text: String, maxLength: Int, forbidden: Forbidden) -> Bool {
        var count = 0
        var previous: UInt8 = 32
        for byte in text.utf8 {
            count += 1
            if count > maxLength { return false }
            if byte == 32 {
                if previous == 32 { return false }
            } else if !allowed[Int(byte)] || forbidden.contains(byte) {
                return false
            }
            previous = byte
        }
        return previous != 32 || count == 0
    }
}
