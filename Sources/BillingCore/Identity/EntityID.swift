import Foundation

/// A typed, prefixed identifier such as `prc_0193…` for a practice.
///
/// On the wire an id is its prefix, an underscore and 32 lowercase hex digits of a UUIDv7
/// (time-ordered, so new rows land at the end of the primary-key index).
public protocol EntityID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The type prefix without underscore (`prc`, `mem`, `key`, …).
    static var prefix: String { get }
    /// The underlying UUID, as stored in the database.
    var uuid: UUID { get }
    /// Wraps an existing UUID.
    init(uuid: UUID)
}

extension EntityID {
    /// A new time-ordered identifier.
    public static func generate() -> Self { Self(uuid: UUIDv7.make()) }

    /// Parses the wire form; `nil` when the prefix or the hex part is wrong.
    public init?(_ text: String) {
        guard let uuid = IDCodec.decode(text, prefix: Self.prefix) else { return nil }
        self.init(uuid: uuid)
    }

    /// The wire form, e.g. `prc_0193a5d2c1e07b3f9a…`.
    public var description: String { IDCodec.encode(uuid, prefix: Self.prefix) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.uuid.uuidString < rhs.uuid.uuidString }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = Self(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be a \(Self.prefix)_ id")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Encodes and decodes the wire form of ids.
public enum IDCodec {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `prefix_` followed by 32 lowercase hex digits.
    public static func encode(_ uuid: UUID, prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        bytes.append(UInt8(ascii: "_"))
        withUnsafeBytes(of: uuid.uuid) { raw in
            for byte in raw {
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The UUID inside `text` when it carries `prefix`.
    public static func decode(_ text: String, prefix: String) -> UUID? {
        let utf8 = Array(text.utf8)
        let prefixBytes = Array(prefix.utf8)
        guard utf8.count == prefixBytes.count + 33, utf8.starts(with: prefixBytes),
              utf8[prefixBytes.count] == UInt8(ascii: "_") else { return nil }
        var raw = [UInt8](repeating: 0, count: 16)
        var position = prefixBytes.count + 1
        for index in 0..<16 {
            guard let high = nibble(utf8[position]), let low = nibble(utf8[position + 1]) else { return nil }
            raw[index] = high << 4 | low
            position += 2
        }
        return UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                           raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
    }

    /// `true` when `text` looks like an id with `prefix`.
    public static func isValid(_ text: String, prefix: String) -> Bool { decode(text, prefix: prefix) != nil }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

/// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits.
public enum UUIDv7 {
    /// A new UUIDv7 for the current time.
    public static func make(now: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        for index in 6..<16 { bytes[index] = generator.next() }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

/// Identifies a practice (tenant): `prc_…`.
public struct PracticeID: EntityID {
    public static let prefix = "prc"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a member of a practice: `mem_…`.
public struct MemberID: EntityID {
    public static let prefix = "mem"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies an API key: `key_…`.
public struct APIKeyID: EntityID {
    public static let prefix = "key"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies an audit entry: `aud_…`.
public struct AuditEntryID: EntityID {
    public static let prefix = "aud"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies a member's sign-in session: `ses_…`.
public struct UserSessionID: EntityID {
    public static let prefix = "ses"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// Identifies an invitation to sign in to a practice: `inv_…`.
public struct InvitationID: EntityID {
    public static let prefix = "inv"
    public let uuid: UUID
    public init(uuid: UUID) { self.uuid = uuid }
}

/// The credential a member's call came with: an API key (integrations) or a sign-in session (people).
public enum CredentialID: Sendable, Hashable, CustomStringConvertible {
    case apiKey(APIKeyID)
    case session(UserSessionID)

    /// The credential's id (`key_…` or `ses_…`), as the audit log records it.
    public var description: String {
        switch self {
        case .apiKey(let id): id.description
        case .session(let id): id.description
        }
    }
}
