import BillingCore
import Crypto
import Foundation

/// Encrypts integration secrets (clearinghouse account keys, SMTP passwords, SMS tokens) at rest
/// with AES-256-GCM. The practice id is bound as associated data, so a ciphertext copied into
/// another practice's row does not decrypt; each ciphertext names its key id, so keys can rotate.
///
/// Key material comes from `LEDGERLINE_SECRET_KEY`: `kid:base64key[,kid:base64key…]`, the first key
/// encrypts, all of them decrypt.
public struct SecretBox: Sendable {
    private let keys: [(id: String, key: SymmetricKey)]

    /// Errors a person can act on.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case noKey
        case malformedKeySpecification(String)
        case unknownKey(String)
        case malformedCiphertext
        case authenticationFailed

        public var description: String {
            switch self {
            case .noKey: return "LEDGERLINE_SECRET_KEY is not set; integration secrets cannot be stored"
            case .malformedKeySpecification(let reason): return "LEDGERLINE_SECRET_KEY is malformed: \(reason)"
            case .unknownKey(let id): return "the secret was encrypted with key \(id), which is not configured"
            case .malformedCiphertext: return "the stored secret is not a Ledgerline ciphertext"
            case .authenticationFailed: return "the stored secret does not belong to this practice or was altered"
            }
        }
    }

    /// Parses `kid:base64key[,…]`; each key must be 32 bytes.
    public init(specification: String?) throws(Failure) {
        guard let specification, !specification.isEmpty else { throw .noKey }
        var keys: [(String, SymmetricKey)] = []
        for part in specification.split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, !pieces[0].isEmpty, pieces[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
            else { throw .malformedKeySpecification("each entry must be kid:base64key") }
            guard let bytes = Data(base64Encoded: String(pieces[1])), bytes.count == 32 else {
                throw .malformedKeySpecification("key \(pieces[0]) must be 32 bytes in base64")
            }
            keys.append((String(pieces[0]), SymmetricKey(data: bytes)))
        }
        self.keys = keys
    }

    /// A new random key specification entry (`kid:base64`), for operators.
    public static func generateKeySpecification(keyID: String) -> String {
        keyID + ":" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Encrypts `plaintext` for `practiceID`: `v1.<kid>.<base64(nonce‖ciphertext‖tag)>`.
    public func seal(_ plaintext: String, for practiceID: PracticeID) throws -> String {
        let current = keys[0]
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: current.key,
                                   authenticating: Data(practiceID.description.utf8))
        guard let combined = box.combined else { throw Failure.malformedCiphertext }
        return "v1.\(current.id).\(combined.base64EncodedString())"
    }

    /// Decrypts a value sealed for `practiceID`.
    public func open(_ sealed: String, for practiceID: PracticeID) throws -> String {
        let parts = sealed.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "v1", let combined = Data(base64Encoded: String(parts[2])) else {
            throw Failure.malformedCiphertext
        }
        guard let key = keys.first(where: { $0.id == parts[1] })?.key else { throw Failure.unknownKey(String(parts[1])) }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Data(practiceID.description.utf8))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw Failure.authenticationFailed
        }
    }

    /// `true` when `sealed` was encrypted with a key other than the current one (re-seal it).
    public func needsRotation(_ sealed: String) -> Bool {
        let parts = sealed.split(separator: ".", maxSplits: 2)
        return parts.count == 3 && parts[1] != keys[0].id
    }
}
