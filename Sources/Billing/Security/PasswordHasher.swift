import Crypto
import Foundation
import _CryptoExtras

/// Hashes and verifies sign-in passwords with scrypt.
///
/// A hash is a self-describing, PHC-like string that records the cost it was made with:
///
/// ```
/// scrypt$ln=15,r=8,p=1$<salt: 16 bytes, base64>$<key: 32 bytes, base64>
/// ```
///
/// Base64 is the standard alphabet without `=` padding (as in the PHC string format); padded
/// values are accepted when reading. Because the cost travels with the hash, it can be raised later:
/// after a successful ``verify(_:against:)``, call ``needsRehash(_:)`` and, when it says so, store a
/// fresh ``hash(_:)`` of the password the person just typed.
///
/// Passwords are normalized to Unicode NFKC before hashing, so the same password typed on keyboards
/// that compose characters differently (`é` as one scalar or as `e` + combining accent) verifies.
///
/// ```swift
/// let hasher = PasswordHasher()
/// let stored = try hasher.hash("correct horse battery staple")
/// if let user = lookUp(email) {
///     guard try hasher.verify(typed, against: user.passwordHash) else { throw SignInFailed() }
///     if hasher.needsRehash(user.passwordHash) { save(try hasher.hash(typed)) }
/// } else {
///     hasher.verifyDummy(typed)  // same work, so timing does not reveal unknown emails
///     throw SignInFailed()
/// }
/// ```
public struct PasswordHasher: Sendable {
    /// The scrypt work factors: N = 2^`logN` iterations, block size `r`, parallelism `p`.
    ///
    /// Memory used is about 128 · N · r bytes (32 MiB for the default), time grows with N · r · p.
    public struct Cost: Sendable, Hashable, CustomStringConvertible {
        /// Base-2 logarithm of scrypt's CPU/memory cost N.
        public var logN: Int
        /// scrypt's block size.
        public var r: Int
        /// scrypt's parallelism.
        public var p: Int

        /// A cost with the given factors; see ``isSupported`` for the accepted ranges.
        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }

        /// N = 2^15, r = 8, p = 1: about 32 MiB of memory per hash.
        ///
        /// This is below OWASP's scrypt minimum (N = 2^17, r = 8, p = 1, or N = 2^15, r = 8, p = 3 for the
        /// same work in less memory); raise it when the servers allow, and old hashes upgrade at sign-in
        /// through ``PasswordHasher/needsRehash(_:)``.
        public static let `default` = Cost(logN: 15, r: 8, p: 1)

        /// N = 2^10, r = 8, p = 1: fast, for tests only.
        public static let testing = Cost(logN: 10, r: 8, p: 1)

        /// Largest scrypt memory (128 · N · r bytes) a hash may ask for: 256 MiB.
        public static let maximumMemoryBytes = 256 << 20

        /// `true` when the factors are ones this hasher will compute: `logN` in 1...20, `r` and `p`
        /// in 1...16, N below 2^(16·r) (scrypt's own bound), and at most ``maximumMemoryBytes``.
        ///
        /// Stored hashes outside these bounds are refused rather than computed, so a damaged or
        /// planted hash cannot make one sign-in attempt take gigabytes of memory or minutes of CPU.
        public var isSupported: Bool {
            guard (1...20).contains(logN), (1...16).contains(r), (1...16).contains(p), logN < 16 * r else {
                return false
            }
            return 128 * (1 << logN) * r <= Self.maximumMemoryBytes
        }

        /// `true` when every factor is at least the corresponding factor of `other`.
        public func isAtLeast(_ other: Cost) -> Bool {
            logN >= other.logN && r >= other.r && p >= other.p
        }

        /// The parameter segment of a hash: `ln=15,r=8,p=1`.
        public var description: String { "ln=\(logN),r=\(r),p=\(p)" }
    }

    /// Why a password could not be hashed or a stored hash could not be read.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The stored string is not a hash this type produces; the reason says which part is wrong.
        case malformedHash(String)
        /// The cost is outside ``Cost/isSupported``.
        case unsupportedCost(Cost)
        /// The password is longer than ``PasswordHasher/maximumPasswordBytes`` bytes of UTF-8.
        case passwordTooLong
        /// The key derivation itself failed (it should not for supported costs).
        case derivationFailed

        public var description: String {
            switch self {
            case .malformedHash(let reason): return "the stored password hash is malformed: \(reason)"
            case .unsupportedCost(let cost): return "the password hash cost \(cost) is not supported"
            case .passwordTooLong:
                return "the password is longer than \(PasswordHasher.maximumPasswordBytes) bytes"
            case .derivationFailed: return "the password could not be hashed"
            }
        }
    }

    /// Longest password accepted, in UTF-8 bytes before normalization. Far above
    /// ``PasswordPolicy/maximumLength``; it only bounds the work one request can cause.
    public static let maximumPasswordBytes = 1024

    /// The algorithm identifier that starts every hash.
    public static let algorithm = "scrypt"

    static let saltByteCount = 16
    static let keyByteCount = 32

    /// The cost new hashes are made with, and the one ``needsRehash(_:)`` compares against.
    public let cost: Cost

    /// A hasher that makes new hashes at `cost`.
    public init(cost: Cost = .default) {
        self.cost = cost
    }

    /// Hashes `password` with a fresh random 16-byte salt at ``cost``.
    ///
    /// - Returns: `scrypt$ln=…,r=…,p=…$<salt>$<key>`.
    /// - Throws: ``Failure/unsupportedCost(_:)`` when ``cost`` is out of bounds,
    ///   ``Failure/passwordTooLong`` past ``maximumPasswordBytes``.
    public func hash(_ password: String) throws -> String {
        guard cost.isSupported else { throw Failure.unsupportedCost(cost) }
        let bytes = try Self.normalizedBytes(password)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let key = try Self.derive(bytes, salt: salt, cost: cost, keyByteCount: Self.keyByteCount)
        return [Self.algorithm, cost.description, Self.base64(salt), Self.base64(key)].joined(separator: "$")
    }

    /// `true` when `password` is the one `stored` was made from.
    ///
    /// The cost is read from `stored`, not from ``cost``, so hashes made at an older cost keep
    /// verifying. The derived key is compared in constant time. A password longer than
    /// ``maximumPasswordBytes`` is simply wrong (`false`), since no stored hash can be of one.
    ///
    /// - Throws: ``Failure/malformedHash(_:)`` or ``Failure/unsupportedCost(_:)`` when `stored` is
    ///   not a readable hash. Never traps on bad input.
    public func verify(_ password: String, against stored: String) throws -> Bool {
        let parsed = try Self.parse(stored)
        guard let bytes = try? Self.normalizedBytes(password) else { return false }
        let key = try Self.derive(bytes, salt: parsed.salt, cost: parsed.cost, keyByteCount: parsed.key.count)
        return Secrets.constantTimeEquals(key, parsed.key)
    }

    /// `true` when `stored` should be replaced by a new ``hash(_:)``: its cost is lower than
    /// ``cost`` in any factor, or it cannot be read at all.
    ///
    /// Call it only after ``verify(_:against:)`` succeeded, while the plain password is at hand.
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = try? Self.parse(stored) else { return true }
        return !parsed.cost.isAtLeast(cost) || parsed.salt.count < Self.saltByteCount
            || parsed.key.count < Self.keyByteCount
    }

    /// Spends the same work as ``verify(_:against:)`` of a hash made at ``cost``, and discards it.
    ///
    /// Call it when no account matches the email given at sign-in, so the response takes as long as
    /// a wrong password for a real account and its timing does not reveal which emails have accounts.
    public func verifyDummy(_ password: String) {
        let bytes = (try? Self.normalizedBytes(password)) ?? []
        let salt = [UInt8](repeating: 0, count: Self.saltByteCount)
        let key = (try? Self.derive(bytes, salt: salt, cost: cost, keyByteCount: Self.keyByteCount)) ?? []
        _ = Secrets.constantTimeEquals(key, [UInt8](repeating: 0, count: Self.keyByteCount))
    }

    // MARK: - Internals

    /// NFKC-normalized UTF-8, after the length bound.
    static func normalizedBytes(_ password: String) throws -> [UInt8] {
        guard password.utf8.count <= maximumPasswordBytes else { throw Failure.passwordTooLong }
        return Array(password.precomposedStringWithCompatibilityMapping.utf8)
    }

    static func derive(_ password: [UInt8], salt: [UInt8], cost: Cost, keyByteCount: Int) throws -> [UInt8] {
        guard cost.isSupported else { throw Failure.unsupportedCost(cost) }
        // The KDF wrapper force-unwraps its buffers' base addresses, which an empty array or `Data` is
        // not guaranteed to have; a slice of a longer array always has one, even for the empty password.
        let buffer = password + [0]
        let derived: SymmetricKey
        do {
            derived = try KDF.Scrypt.deriveKey(
                from: buffer[0..<password.count], salt: salt, outputByteCount: keyByteCount,
                rounds: 1 << cost.logN, blockSize: cost.r, parallelism: cost.p
            )
        } catch {
            throw Failure.derivationFailed
        }
        return derived.withUnsafeBytes { Array($0) }
    }

    struct Parsed {
        var cost: Cost
        var salt: [UInt8]
        var key: [UInt8]
    }

    static func parse(_ stored: String) throws -> Parsed {
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 4 else { throw Failure.malformedHash("expected scrypt$<parameters>$<salt>$<key>") }
        guard fields[0] == algorithm else { throw Failure.malformedHash("the algorithm is not scrypt") }
        let parameters = fields[1].split(separator: ",", omittingEmptySubsequences: false)
        guard parameters.count == 3,
              let logN = number(parameters[0], named: "ln"),
              let r = number(parameters[1], named: "r"),
              let p = number(parameters[2], named: "p")
        else { throw Failure.malformedHash("the parameters must read ln=<n>,r=<n>,p=<n>") }
        let cost = Cost(logN: logN, r: r, p: p)
        guard cost.isSupported else { throw Failure.unsupportedCost(cost) }
        guard let salt = unbase64(fields[2]), (8...64).contains(salt.count) else {
            throw Failure.malformedHash("the salt is not 8 to 64 bytes of base64")
        }
        guard let key = unbase64(fields[3]), (16...64).contains(key.count) else {
            throw Failure.malformedHash("the key is not 16 to 64 bytes of base64")
        }
        return Parsed(cost: cost, salt: salt, key: key)
    }

    /// `name=digits` with 1 to 3 ASCII digits.
    private static func number(_ field: Substring, named name: String) -> Int? {
        guard field.hasPrefix(name + "=") else { return nil }
        let digits = field.dropFirst(name.count + 1)
        guard (1...3).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return nil
        }
        return Int(digits)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func unbase64(_ field: Substring) -> [UInt8]? {
        var text = String(field)
        guard !text.isEmpty, text.utf8.allSatisfy({ byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == 0x2B || byte == 0x2F || byte == 0x3D
        }) else { return nil }
        while text.hasSuffix("=") { text.removeLast() }
        guard !text.contains("=") else { return nil }
        switch text.utf8.count % 4 {
        case 1: return nil
        case 2: text += "=="
        case 3: text += "="
        default: break
        }
        return Data(base64Encoded: text).map { [UInt8]($0) }
    }
}
