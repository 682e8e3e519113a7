import BillingCore
import Foundation
import JSONRPC
import Synchronization

/// Per-practice request limits: a token bucket per practice, so one practice's burst of calls
/// cannot starve the others of database connections and workers.
///
/// Each JSON-RPC call (each element of a batch) takes one token; tokens come back at `rate` per
/// second up to `burst`. A call that finds the bucket empty is answered −32029 with
/// `data.retryAfterSeconds` and does nothing. The buckets live in this process: with N instances
/// behind a load balancer a practice may reach N × `rate` in all — size `rate` for that.
public final class PracticeRateLimiter: Sendable {
    /// Tokens per second each practice earns.
    public let rate: Double
    /// The most tokens a practice can save up (the largest burst it may send at once).
    public let burst: Double
    private let buckets = Mutex([PracticeID: Bucket]())
    /// Practices seen recently, so the table of buckets stays bounded.
    private let maximumPractices: Int

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// The verdict for one call.
    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Refused; a token will be there after this many seconds.
        case limited(retryAfterSeconds: Double)
    }

    /// Creates a limiter; `burst` below 1 is raised to 1.
    public init(rate: Double, burst: Double, maximumPractices: Int = 100_000) {
        self.rate = rate
        self.burst = max(1, burst)
        self.maximumPractices = maximumPractices
    }

    /// Reads `LEDGERLINE_RATE_LIMIT` (calls per second per practice, default 50; 0 turns limiting
    /// off) and `LEDGERLINE_RATE_BURST` (default three times the rate, at least 100 so a full batch
    /// fits). Returns `nil` when limiting is off.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> PracticeRateLimiter?
    {
        let rate = environment["LEDGERLINE_RATE_LIMIT"].flatMap(Double.init) ?? 50
        guard rate > 0, rate.isFinite else { return nil }
        let burst = environment["LEDGERLINE_RATE_BURST"].flatMap(Double.init).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            ?? max(100, rate * 3)
        return PracticeRateLimiter(rate: rate, burst: burst)
    }

    /// Takes one token from the practice's bucket, or says how long to wait for one.
    public func acquire(_ practiceID: PracticeID, now: ContinuousClock.Instant = .now) -> Verdict {
        buckets.withLock { buckets in
            var bucket = buckets[practiceID] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            bucket.tokens = min(burst, bucket.tokens + max(0, seconds) * rate)
            bucket.updated = now
            let verdict: Verdict
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                verdict = .allowed
            } else {
                verdict = .limited(retryAfterSeconds: (1 - bucket.tokens) / rate)
            }
            if buckets[practiceID] == nil, buckets.count >= maximumPractices {
                // A full bucket is the same as no bucket: forget those first.
                buckets = buckets.filter { $0.value.tokens < burst }
            }
            buckets[practiceID] = bucket
            return verdict
        }
    }

    /// The JSON-RPC error code of a refused call.
    public static let errorCode = -32029

    /// The JSON-RPC error for a refused call.
    static func error(retryAfterSeconds: Double) -> RPCError {
        let milliseconds = Int64(min(3_600_000, max(1, (retryAfterSeconds * 1000).rounded(.up))))
        let seconds = "\(milliseconds / 1000).\(String(format: "%03d", Int(milliseconds % 1000)))"
        return RPCError(code: errorCode, message: "Too many requests",
                        data: ["type": "rateLimited",
                               "reason": "this practice is over its request rate; retry after retryAfterSeconds",
                               "retryAfterSeconds": .number(JSONNumber(literal: seconds))])
    }
}

/// Remembers which practice a credential (by its hash) belonged to when it last authenticated.
/// Only the rate limiter reads it, to refuse an over-limit call before the database; every call
/// that goes on is authenticated against the database as usual.
final class CredentialPracticeCache: Sendable {
    private let entries = Mutex([[UInt8]: PracticeID]())
    private let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func practice(for hash: [UInt8]) -> PracticeID? { entries.withLock { $0[hash] } }

    func remember(_ hash: [UInt8], practiceID: PracticeID) {
        entries.withLock { entries in
            if entries[hash] == nil, entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = practiceID
        }
    }
}
