import Crypto
import Foundation

/// Random secrets and their stored hashes.
public enum Secrets {
    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `prefix` followed by 43 base-62 characters carrying 256 random bits.
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = Array(prefix.utf8)
        for _ in 0..<43 { bytes.append(base62[Int(generator.next(upperBound: UInt8(62)))]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// SHA-256 of the secret's UTF-8 bytes (what the database stores).
    public static func hash(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Array(secret.utf8))) }

    /// SHA-256 of raw bytes.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// Compares two byte strings in time independent of where they differ.
    public static func constantTimeEquals(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
