import BillingCore
import Foundation

/// Parses X12 element values exactly: amounts into integer cents, quantities into `Decimal`,
/// dates into ``CalendarDate``. Nothing goes through `Double`.
enum X12Value {
    /// Why an amount could not be read.
    struct AmountProblem: Error {
        var reason: String
    }

    /// An X12 decimal (type R) as cents: `"132.5"` → 13250, `"-20"` → −2000, `"1.000"` → 100.
    ///
    /// Accepts an optional leading minus, digits, and an optional point with digits after it.
    /// More than two decimal places are refused unless the extra digits are zeros (they would
    /// lose money otherwise: `0.005` is not a number of cents).
    static func cents(_ text: String) -> Result<Int64, AmountProblem> {
        var utf8 = Substring(text).utf8
        while let first = utf8.first, first == 32 { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == 32 { utf8 = utf8.dropLast() }
        var negative = false
        if utf8.first == UInt8(ascii: "-") {
            negative = true
            utf8 = utf8.dropFirst()
        }
        var whole: Int64 = 0
        var wholeDigits = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenPoint = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return .failure(AmountProblem(reason: "has two decimal points")) }
                seenPoint = true
                continue
            }
            guard byte >= 48 && byte <= 57 else {
                return .failure(AmountProblem(reason: "is not a decimal amount"))
            }
            let digit = Int64(byte - 48)
            if seenPoint {
                fractionDigits += 1
                if fractionDigits <= 2 {
                    fraction = fraction * 10 + digit
                } else if digit != 0 {
                    return .failure(AmountProblem(reason: "has more than two decimal places (amounts are whole cents)"))
                }
            } else {
                wholeDigits += 1
                guard wholeDigits <= 15 else {
                    return .failure(AmountProblem(reason: "has more than 15 digits before the decimal point"))
                }
                whole = whole * 10 + digit
            }
        }
        guard wholeDigits + fractionDigits > 0 else {
            return .failure(AmountProblem(reason: "is not a decimal amount"))
        }
        if fractionDigits == 1 { fraction *= 10 }
        let cents = whole * 100 + fraction
        return .success(negative ? -cents : cents)
    }

    /// An X12 decimal quantity (units, CAS quantities) as an exact `Decimal`, or `nil`.
    static func decimal(_ text: String) -> Decimal? {
        var significand: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        var negative = false
        for (offset, byte) in text.utf8.enumerated() {
            switch byte {
            case 48...57:
                digits += 1
                guard digits <= 18 else { return nil }
                significand = significand * 10 + UInt64(byte - 48)
                if seenPoint { fractionDigits += 1 }
            case UInt8(ascii: "."):
                guard !seenPoint else { return nil }
                seenPoint = true
            case UInt8(ascii: "-") where offset == 0:
                negative = true
            default:
                return nil
            }
        }
        guard digits > 0 else { return nil }
        return Decimal(sign: negative && significand != 0 ? .minus : .plus, exponent: -fractionDigits,
                       significand: Decimal(significand))
    }

    /// A `CCYYMMDD` date, or `nil` when the text is not one (or names a day that does not exist).
    static func date(_ text: String) -> CalendarDate? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 8, utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { utf8[range].reduce(0) { $0 * 10 + Int($1 - 48) } }
        return CalendarDate(year: number(0..<4), month: number(4..<6), day: number(6..<8))
    }

    /// An ISA09 `YYMMDD` date; years 00–79 are 2000–2079, 80–99 are 1980–1999.
    static func shortDate(_ text: String) -> CalendarDate? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { utf8[range].reduce(0) { $0 * 10 + Int($1 - 48) } }
        let year = number(0..<2)
        return CalendarDate(year: year < 80 ? 2000 + year : 1900 + year, month: number(2..<4), day: number(4..<6))
    }

    /// Cents as dollars with two decimals, for messages: 13250 → `132.50`, −127 → `-1.27`.
    static func dollars(_ cents: Int64) -> String {
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return (cents < 0 ? "-" : "") + String(magnitude / 100) + (fraction < 10 ? ".0" : ".") + String(fraction)
    }
}
