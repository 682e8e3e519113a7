import Foundation
import PluginAPI
import Synchronization

/// Keeps each Claim.MD account within a number of requests per rolling 60 seconds, across every
/// call in the process (Claim.MD allows 100 per minute per account).
///
/// Each account (keyed by a hash of its base URL and AccountKey, so the key itself is not held
/// here) has the send times of its recent requests, including reservations in the near future. A
/// request goes at once while the window has room; otherwise it waits for the oldest request to
/// leave the window when that happens within ``maximumWait``, in arrival order, and is refused
/// with `unavailable` when it would wait longer (the kernel retries later; a call left hanging for
/// a minute helps nobody).
final class RequestRateLimiter: Sendable {
    /// The one limiter of the process: the plugin is loaded once, and every call shares it.
    static let shared = RequestRateLimiter()

    /// The rolling window.
    static let window: Duration = .seconds(60)
    /// The longest a request waits for a free slot before it is refused.
    static let maximumWait: Duration = .seconds(15)

    private let sendTimes = Mutex<[Int: [ContinuousClock.Instant]]>([:])

    /// What `reserve` decided.
    enum Decision: Equatable {
        /// Send at this instant (now, or after a short wait); the slot is taken.
        case sendAt(ContinuousClock.Instant)
        /// Too long to wait: try again after this long.
        case retryAfter(Duration)
    }

    /// Takes a slot for one request of `account` if one is free within ``maximumWait``.
    ///
    /// Pure bookkeeping, no waiting: `acquire` sleeps until the returned instant.
    func reserve(account: Int, limit: Int, now: ContinuousClock.Instant) -> Decision {
        sendTimes.withLock { table in
            // Times are kept in ascending order; those out of the window no longer count.
            var times = (table[account] ?? []).filter { $0 > now - Self.window }
            var sendAt = max(now, times.last ?? now)
            if times.count >= limit {
                sendAt = max(sendAt, times[times.count - limit] + Self.window)
            }
            let decision: Decision
            if sendAt - now <= Self.maximumWait {
                times.append(sendAt)
                decision = .sendAt(sendAt)
            } else {
                decision = .retryAfter(sendAt - now)
            }
            table[account] = times.isEmpty ? nil : times
            return decision
        }
    }

    /// Waits for a slot for one request of `account`.
    /// - Throws: `unavailable` when no slot frees within ``maximumWait``; `cancelled` when the task
    ///   is cancelled while it waits.
    func acquire(account: Int, limit: Int) async throws(PluginError) {
        let clock = ContinuousClock()
        switch reserve(account: account, limit: limit, now: clock.now) {
        case .sendAt(let instant):
            if instant > clock.now {
                do {
                    try await clock.sleep(until: instant, tolerance: .milliseconds(10))
                } catch {
                    throw PluginError(.cancelled, "the call was cancelled while it waited for a rate-limit slot")
                }
            }
        case .retryAfter(let duration):
            let exact = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            let seconds = max(1, Int(exact.rounded(.up)))
            throw PluginError(
                .unavailable,
                "rate limited by us to stay within Claim.MD's \(ClaimMDProcessSettings.maximumRequestsPerMinute) "
                    + "requests per minute; retry after \(seconds)s (this plugin allows \(limit) per account)")
        }
    }

    /// The key of an account: a per-process keyed hash (SipHash) of where it is and its AccountKey.
    static func accountHash(baseURL: String, accountKey: String) -> Int {
        var hasher = Hasher()
        hasher.combine(baseURL)
        hasher.combine(accountKey)
        return hasher.finalize()
    }
}
