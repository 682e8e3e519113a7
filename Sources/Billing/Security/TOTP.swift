import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238) with HMAC-SHA1, as authenticator apps implement them.
///
/// ```swift
/// let totp = TOTP(secret: TOTP.generateSecret())
/// let uri = totp.provisioningURI(issuer: "Ledgerline", account: "jane@example.com")  // shown as a QR code
/// // at sign-in:
/// if let step = totp.verify(typed, at: .now), step > lastAcceptedStep {
///     lastAcceptedStep = step  // store it, so the same code cannot be used twice
/// }
/// ```
public struct TOTP: Sendable {
    /// The shared secret (the HMAC key).
    public let secret: [UInt8]
    /// Digits in a code: 6 to 8 (RFC 4226 §5.3 asks for at least 6).
    public let digits: Int
    /// Seconds each code is valid: the length of a time step.
    public let period: Int

    /// Byte count of a secret from ``generateSecret()``: 160 bits, as RFC 4226 §4 recommends for SHA-1.
    public static let secretByteCount = 20

    /// A generator for `secret`; `digits` must be in 6...8 and `period` positive.
    public init(secret: [UInt8], digits: Int = 6, period: Int = 30) {
        precondition((6...8).contains(digits), "TOTP digits must be 6, 7 or 8")
        precondition(period > 0, "TOTP period must be positive")
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// 20 random bytes from the system's secure generator.
    public static func generateSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<secretByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The time step `date` falls in: ⌊seconds since 1970 / ``period``⌋.
    ///
    /// Dates that are not finite or lie beyond ±10^15 seconds are clamped, so no date traps.
    public func timeStep(at date: Date) -> Int {
        let seconds = date.timeIntervalSince1970
        let bounded = seconds.isNaN ? 0 : min(max(seconds, -1e15), 1e15)
        return Int((bounded / Double(period)).rounded(.down))
    }

    /// The code for the time step containing `date`, zero-padded to ``digits`` digits.
    public func code(at date: Date) -> String {
        code(forStep: timeStep(at: date))
    }

    /// The code for time step `step` (HOTP, RFC 4226, with the step as its counter).
    public func code(forStep step: Int) -> String {
        let counter = UInt64(bitPattern: Int64(step)).bigEndian
        let message = withUnsafeBytes(of: counter) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The time step whose code is `code`, searching `window` steps either side of the one containing
    /// `date` (clock drift, a code typed just as it changed); `nil` when none matches.
    ///
    /// Spaces in `code` are ignored (`123 456`); anything else that is not exactly ``digits`` ASCII digits
    /// matches nothing. Every candidate step is compared in constant time. The nearest step wins.
    /// `window` is taken within 0...100.
    ///
    /// - Important: Store the returned step and refuse a later code whose step is not greater: a code
    ///   stays valid for its whole step (and the window), so an observed code could otherwise be replayed.
    public func verify(_ code: String, at date: Date, window: Int = 1) -> Int? {
        let typed = Array(code.utf8.filter { $0 != 0x20 })
        guard typed.count == digits, typed.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let now = timeStep(at: date)
        let reach = min(max(window, 0), 100)
        var candidates = [now]
        for distance in stride(from: 1, through: reach, by: 1) {
            candidates.append(now - distance)
            candidates.append(now + distance)
        }
        var matched: Int?
        for step in candidates {
            let equal = Secrets.constantTimeEquals(Array(self.code(forStep: step).utf8), typed)
            if equal, matched == nil { matched = step }
        }
        return matched
    }

    /// ``secret`` in RFC 4648 base32 (`A`–`Z`, `2`–`7`) without padding, as authenticator apps take it.
    public var base32Secret: String { Self.encodeBase32(secret) }

    private static let base32Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// `bytes` in RFC 4648 base32 without `=` padding.
    public static func encodeBase32(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(base32Alphabet[Int((buffer >> UInt32(bits)) & 0x1F)])
            }
        }
        if bits > 0 { output.append(base32Alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes RFC 4648 base32: case-insensitive, spaces and hyphens ignored (people type secrets in
    /// groups), trailing `=` padding optional. `nil` for any other character or an impossible length.
    public static func decodeBase32(_ text: String) -> [UInt8]? {
        var symbols = text.utf8.filter { $0 != 0x20 && $0 != 0x2D }
        while symbols.last == 0x3D { symbols.removeLast() }
        guard ![1, 3, 6].contains(symbols.count % 8) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(symbols.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for symbol in symbols {
            let value: UInt8
            switch symbol {
            case 0x41...0x5A: value = symbol - 0x41  // A-Z
            case 0x61...0x7A: value = symbol - 0x61  // a-z
            case 0x32...0x37: value = symbol - 0x32 + 26  // 2-7
            default: return nil
            }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return output
    }

    /// The `otpauth://` URI authenticator apps read from a QR code:
    /// `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    ///
    /// Issuer and account are percent-encoded (UTF-8; everything but letters, digits, `-._~` and `@`),
    /// so a colon, space, `&` or `?` in either cannot break the label or the query.
    public func provisioningURI(issuer: String, account: String) -> String {
        let label = Self.percentEncoded(issuer) + ":" + Self.percentEncoded(account)
        return "otpauth://totp/\(label)?secret=\(base32Secret)&issuer=\(Self.percentEncoded(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }

    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E, 0x40:
                output.append(byte)
            default:
                output += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Single-use recovery codes for people who lose their authenticator: `xxxx-xxxx-xx`.
///
/// The alphabet leaves out characters that are easy to confuse (`0`/`o`, `1`/`l`/`i`), so each of the
/// 10 characters carries log2(31) ≈ 4.95 bits, about 49 bits a code. Store codes hashed, never in the
/// clear, and compare what a person types after ``normalized(_:)``.
public enum RecoveryCodes {
    /// The characters codes are drawn from: `2`–`9` and the lowercase letters but `i`, `l`, `o`.
    public static let alphabet = "23456789abcdefghjkmnpqrstuvwxyz"

    private static let symbols = Array(alphabet.utf8)

    /// `count` fresh random codes, all different.
    public static func generate(count: Int = 10) -> [String] {
        var generator = SystemRandomNumberGenerator()
        var codes: [String] = []
        var seen = Set<String>()
        while codes.count < max(count, 0) {
            var characters: [UInt8] = []
            for index in 0..<10 {
                if index == 4 || index == 8 { characters.append(0x2D) }
                characters.append(symbols[Int(generator.next(upperBound: UInt64(symbols.count)))])
            }
            let code = String(decoding: characters, as: UTF8.self)
            if seen.insert(code).inserted { codes.append(code) }
        }
        return codes
    }

    /// What a person typed, in the canonical `xxxx-xxxx-xx` form: lowercased, spaces and hyphens
    /// dropped and put back; `nil` unless it is 10 characters of ``alphabet``.
    public static func normalized(_ typed: String) -> String? {
        let characters = typed.lowercased().utf8.filter { $0 != 0x20 && $0 != 0x2D }
        guard characters.count == 10, characters.allSatisfy(symbols.contains) else { return nil }
        return String(decoding: characters[0..<4], as: UTF8.self) + "-"
            + String(decoding: characters[4..<8], as: UTF8.self) + "-"
            + String(decoding: characters[8..<10], as: UTF8.self)
    }
}
