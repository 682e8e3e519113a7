import BillingCore
import Foundation
import PostgresNIO

/// Idempotency records: the first request with a key runs; later ones replay its stored result.
///
/// The record is inserted in the request's own transaction. A duplicate arriving while the first
/// is still running blocks on the primary key until that transaction ends: if it committed, the
/// duplicate replays the stored result; if it rolled back, the duplicate runs itself. Either way
/// there is exactly one effect.
public struct IdempotencyRepository: Sendable {
    /// What to do with a request carrying an idempotency key.
    public enum Decision: Sendable {
        /// First request with this key: run it, then ``complete(_:response:in:)``.
        case proceed
        /// A finished request with the same params: return its response.
        case replay([UInt8])
        /// The key was used for another method or other params.
        case mismatch
    }

    /// Creates the repository.
    public init() {}

    /// Claims `key` for this request or reports how an earlier one ended. Waits at most
    /// `waitMilliseconds` for a concurrent request with the same key.
    public func begin(key: String, method: String, requestHash: [UInt8], practiceID: PracticeID,
                      waitMilliseconds: Int = 30_000, in transaction: Transaction) async throws -> Decision {
        try await transaction.query("select set_config('lock_timeout', \(String(waitMilliseconds)), true)")
        let inserted = try await transaction.firstRow("""
            insert into idempotency_keys (practice_id, key, method, request_hash)
            values (\(practiceID.uuid), \(key), \(method), \(ByteBuffer(bytes: requestHash)))
            on conflict (practice_id, key) do nothing
            returning key
            """) != nil
        try await transaction.query("select set_config('lock_timeout', '0', true)")
        if inserted { return .proceed }
        guard let row = try await transaction.firstRow(
            "select method, request_hash, response from idempotency_keys where key = \(key)") else { return .proceed }
        let random = row.makeRandomAccess()
        let storedMethod = try random["method"].decode(String.self, context: .default)
        let storedHash = try random["request_hash"].decode(ByteBuffer.self, context: .default)
        guard storedMethod == method, Array(buffer: storedHash) == requestHash else { return .mismatch }
        guard let response = try random["response"].decode(ByteBuffer?.self, context: .default) else { return .mismatch }
        return .replay(Array(buffer: response))
    }

    /// Stores the response of the request that claimed `key` (same transaction as its effect).
    public func complete(_ key: String, response: [UInt8], in transaction: Transaction) async throws {
        try await transaction.query(
            "update idempotency_keys set response = \(ByteBuffer(bytes: response)) where key = \(key)")
    }
}
