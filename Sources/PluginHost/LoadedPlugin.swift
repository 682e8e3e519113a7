import CPluginABI
import Foundation
import Logging
import Metrics
import PluginAPI
import Synchronization

/// A plugin that passed every check and was created with its settings; the server talks to it
/// only through `call`.
public final class LoadedPlugin: @unchecked Sendable {
    // @unchecked: `handle` is an opaque pointer owned by the plugin, never dereferenced here; the
    // other properties are immutable.

    /// The name the plugin list gives it.
    public let name: String
    /// Where it was loaded from.
    public let path: String
    /// What the plugin says about itself.
    public let manifest: PluginManifest
    /// The timeout of calls that do not set their own.
    public let defaultTimeout: Duration

    private let library: PluginLibrary
    private let handle: UnsafeMutableRawPointer
    private let logger: Logger
    private let owner = CallRegistry.shared.makeOwner()

    init(
        name: String, library: PluginLibrary, handle: UnsafeMutableRawPointer, defaultTimeout: Duration, logger: Logger
    ) {
        self.name = name
        self.path = library.path
        self.manifest = library.manifest
        self.library = library
        self.handle = handle
        self.defaultTimeout = defaultTimeout
        self.logger = logger
    }

    /// Calls `method` with raw params (`{"settings": …, "input": …}`) and returns the result's JSON bytes.
    /// - Parameters:
    ///   - timeout: how long to wait for the answer (`defaultTimeout` when `nil`).
    /// - Throws: `PluginError`: the plugin's own error, `timeout`, `malformedResponse` for an answer that
    ///   is not JSON (or an error that is not `{code, message}`), `cancelled`.
    ///
    /// Each call is measured: `ledgerline_plugin_call_duration_seconds{plugin, method}` and, when it fails,
    /// `ledgerline_plugin_call_failures_total{plugin, method, code}`.
    public func call(_ method: String, params: Data, timeout: Duration? = nil) async throws(PluginError) -> Data {
        let started = ContinuousClock.now
        let dimensions = [("plugin", name), ("method", method)]
        defer { Timer(label: "ledgerline_plugin_call_duration_seconds", dimensions: dimensions).record(duration: ContinuousClock.now - started) }
        do {
            return try await perform(method, params: params, timeout: timeout)
        } catch {
            Counter(label: "ledgerline_plugin_call_failures_total", dimensions: dimensions + [("code", error.code.rawValue)])
                .increment()
            throw error
        }
    }

    private func perform(_ method: String, params: Data, timeout: Duration?) async throws(PluginError) -> Data {
        let registry = CallRegistry.shared
        let callID = CallIDBox()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<CallRegistry.Outcome, Never>) in
                let id = registry.register(continuation, owner: owner)
                callID.set(id)
                registry.armTimeout(id, after: timeout ?? defaultTimeout)
                if Task.isCancelled {
                    registry.complete(id, .cancelled)
                    return
                }
                method.withCString { methodName in
                    params.withUnsafeBytes { buffer in
                        library.call(
                            handle, methodName, buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count,
                            pluginCallDone, UnsafeMutableRawPointer(bitPattern: UInt(id)))
                    }
                }
            }
        } onCancel: {
            if let id = callID.get() { registry.complete(id, .cancelled) }
        }
        return try result(of: outcome, method: method, timeout: timeout ?? defaultTimeout)
    }

    /// Calls `method` with a typed input and the practice's settings, decoding the typed result.
    /// - Throws: `PluginError` as `call(_:params:timeout:)`, and `malformedResponse` when the
    ///   result does not decode as `Output`.
    public func call<Input: Encodable, Output: Decodable>(
        _ method: String, input: Input, settings: PluginJSON = [:], as output: Output.Type, timeout: Duration? = nil
    ) async throws(PluginError) -> Output {
        let params: Data
        do {
            let envelope: PluginJSON = ["settings": settings, "input": try PluginJSON(encoding: input)]
            params = envelope.encoded()
        } catch {
            throw PluginError(.invalidParams, "cannot encode the input of \(method): \(error)")
        }
        let data = try await call(method, params: params, timeout: timeout)
        do {
            return try JSONDecoder().decode(Output.self, from: data)
        } catch {
            throw PluginError(
                .malformedResponse,
                "plugin '\(name)' answered \(method) with an unexpected result: "
                    + "\(String(decoding: data.prefix(200), as: UTF8.self))")
        }
    }

    /// Checks a practice's settings (`integration.test`).
    public func verify(settings: PluginJSON, timeout: Duration? = nil) async throws(PluginError) -> VerifyResult {
        try await call("verify", input: PluginJSON.null, settings: settings, as: VerifyResult.self, timeout: timeout)
    }

    /// A liveness probe every plugin answers; `delay` makes the plugin wait before answering.
    public func ping(delay: Duration = .zero, timeout: Duration? = nil) async throws(PluginError) {
        let milliseconds = Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15
        _ = try await call(
            "ping", input: ["delayMilliseconds": .number(milliseconds)] as PluginJSON,
            as: PluginJSON.self, timeout: timeout)
    }

    /// Answers from any plugin that arrived for no pending call and were dropped (late, repeated, invented).
    public static var ignoredCompletions: Int { CallRegistry.shared.ignoredCompletions }

    /// Answers to this plugin's calls that arrived after the call had ended (late or repeated) and were dropped.
    public var ignoredAnswers: Int { CallRegistry.shared.ignoredCompletions(owner: owner) }

    private func result(of outcome: CallRegistry.Outcome, method: String, timeout: Duration) throws(PluginError) -> Data
    {
        switch outcome {
        case .timedOut:
            logger.warning("plugin call timed out", metadata: ["plugin": "\(name)", "method": "\(method)"])
            throw PluginError(.timeout, "plugin '\(name)' did not answer \(method) within \(timeout)")
        case .cancelled:
            throw PluginError(.cancelled, "the call of \(method) on plugin '\(name)' was cancelled")
        case .answered(let status, let bytes):
            if status == 0 {
                guard (try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])) != nil else {
                    logger.error(
                        "plugin answered bytes that are not JSON",
                        metadata: ["plugin": "\(name)", "method": "\(method)"])
                    throw PluginError(
                        .malformedResponse, "plugin '\(name)' answered \(method) with bytes that are not JSON")
                }
                return bytes
            }
            guard let error = try? JSONDecoder().decode(PluginError.self, from: bytes) else {
                throw PluginError(
                    .malformedResponse,
                    "plugin '\(name)' failed \(method) (status \(status)) without a {code, message} error")
            }
            throw error
        }
    }
}

/// The id of a call, set once registered, read by the cancellation handler.
private final class CallIDBox: Sendable {
    private let value = Mutex<UInt64?>(nil)
    func set(_ id: UInt64) { value.withLock { $0 = id } }
    func get() -> UInt64? { value.withLock { $0 } }
}
