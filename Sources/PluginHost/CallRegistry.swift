import CPluginABI
import Dispatch
import Foundation
import Synchronization

/// Every call in flight to any plugin, by call id.
///
/// The completion context handed to a plugin is the call id itself, never a pointer to Swift
/// memory. An answer is delivered only by removing its id from the registry, so whatever a plugin
/// does with `done` — answer after the timeout, answer twice, invent a context — at most one
/// outcome reaches the caller, and the rest are counted and dropped.
final class CallRegistry: Sendable {
    /// How a call ended.
    enum Outcome: Sendable {
        case answered(status: Int32, bytes: Data)
        case timedOut
        case cancelled
    }

    /// A scheduled timeout; DispatchWorkItem is thread-safe but not marked `Sendable`.
    private struct Timer: @unchecked Sendable {
        let item: DispatchWorkItem
    }

    private struct Pending {
        let continuation: CheckedContinuation<Outcome, Never>
        var timer: Timer?
    }

    private struct State {
        var nextSequence: UInt64 = 1
        var nextOwner: UInt64 = 1
        var pending: [UInt64: Pending] = [:]
        var ignoredCompletions = 0
        var ignoredByOwner: [UInt64: Int] = [:]
    }

    /// A call id is `owner << 40 | sequence`: the owner (one per loaded plugin) lets a stray answer
    /// be counted against the plugin that sent it, without any pointer crossing the boundary.
    private static let ownerShift: UInt64 = 40

    static let shared = CallRegistry()

    private let state = Mutex(State())

    /// A new owner number for a loaded plugin.
    func makeOwner() -> UInt64 {
        state.withLock { state in
            defer { state.nextOwner += 1 }
            return state.nextOwner & 0xFF_FFFF
        }
    }

    /// Registers a call of `owner` and returns its id (never 0, never reused).
    func register(_ continuation: CheckedContinuation<Outcome, Never>, owner: UInt64) -> UInt64 {
        state.withLock { state in
            let id = owner << Self.ownerShift | (state.nextSequence & (1 << Self.ownerShift - 1))
            state.nextSequence += 1
            state.pending[id] = Pending(continuation: continuation)
            return id
        }
    }

    /// Arms the timeout of call `id`: after `timeout` it completes with `.timedOut`, unless answered first.
    ///
    /// The timer runs on Dispatch, not on the Swift concurrency pool, so a deadline holds even
    /// while every pool thread is busy.
    func armTimeout(_ id: UInt64, after timeout: Duration) {
        let timer = Timer(item: DispatchWorkItem { [self] in _ = complete(id, .timedOut) })
        let stillPending = state.withLock { state -> Bool in
            guard state.pending[id] != nil else { return false }
            state.pending[id]?.timer = timer
            return true
        }
        guard stillPending else { return }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: timer.item)
    }

    /// Completes call `id` once. Returns `false` (and counts it) when the id is unknown or already completed.
    @discardableResult
    func complete(_ id: UInt64, _ outcome: Outcome) -> Bool {
        let pending = state.withLock { state -> Pending? in
            guard let pending = state.pending.removeValue(forKey: id) else {
                if case .answered = outcome {
                    state.ignoredCompletions += 1
                    state.ignoredByOwner[id >> Self.ownerShift, default: 0] += 1
                }
                return nil
            }
            return pending
        }
        guard let pending else { return false }
        pending.timer?.item.cancel()
        pending.continuation.resume(returning: outcome)
        return true
    }

    /// Answers from plugins that arrived for no pending call (late, repeated or with an invented context).
    var ignoredCompletions: Int { state.withLock { $0.ignoredCompletions } }

    /// Stray answers whose call id carries `owner`.
    func ignoredCompletions(owner: UInt64) -> Int { state.withLock { $0.ignoredByOwner[owner] ?? 0 } }

    /// Calls still waiting for an answer.
    var pendingCount: Int { state.withLock { $0.pending.count } }
}

/// The `done` function given to every plugin call: the context is the call id.
let pluginCallDone: plugin_done_fn = { context, status, bytes, length in
    let id = UInt64(UInt(bitPattern: context))
    let data = (bytes != nil && length > 0) ? Data(bytes: bytes!, count: length) : Data()
    CallRegistry.shared.complete(id, .answered(status: status, bytes: data))
}
