import CPluginABI
import Foundation

/// The C completion callback of `plugin_v1_call`, as a plugin's `@_cdecl` shim declares it.
public typealias PluginDoneCallback =
    @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<UInt8>?, Int) -> Void

/// Puts a Swift plugin type behind the C ABI v1.
///
/// PluginAPI declares no C symbol itself (the server imports it too). Each plugin adds these five
/// shims, replacing `MyChannel` with its type:
///
/// ```swift
/// @_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { PluginExport.abiVersion() }
/// @_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { PluginExport.manifest(MyChannel.self) }
/// @_cdecl("plugin_v1_create") public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?) -> UnsafeMutableRawPointer? { PluginExport.create(MyChannel.self, settings, length, host) }
/// @_cdecl("plugin_v1_call") public func pluginCall(_ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?) { PluginExport.call(handle, method, params, length, done, context) }
/// @_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) { PluginExport.destroy(handle) }
/// ```
///
/// Every call's params are `{"settings": <practice settings>, "input": <method input>}`; the
/// result is the method's result object, or `{"code", "message", "field"?}` with a non-zero status.
public enum PluginExport {
    /// The ABI version to return from `plugin_abi_version`.
    public static func abiVersion() -> UInt32 { pluginABIVersion }

    /// The manifest of `type` as a NUL-terminated JSON string that stays valid for the process's life.
    public static func manifest<P: Plugin>(_ type: P.Type) -> UnsafePointer<CChar>? {
        manifestCache.withLock { cache in
            let key = ObjectIdentifier(type)
            if let cached = cache[key] { return UnsafePointer(cached) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let json = (try? encoder.encode(P.manifest)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            let copy = strdup(json)!  // kept for the process's life, as the ABI promises
            cache[key] = copy
            return UnsafePointer(copy)
        }
    }

    /// Creates an instance of `type` from the process-wide settings JSON; `nil` when it refuses them
    /// (the reason goes to the host's log).
    public static func create<P: Plugin>(
        _ type: P.Type, _ settings: UnsafePointer<UInt8>?, _ length: Int,
        _ host: UnsafeRawPointer?
    ) -> UnsafeMutableRawPointer? {
        let capabilities = HostCapabilities(table: host)
        do {
            let data = settings.map { Data(bytes: $0, count: max(length, 0)) } ?? Data()
            let json = data.isEmpty ? PluginJSON.object([:]) : try PluginJSON(parsing: data)
            let problems = SettingsSchemaValidator.validate(json, against: P.manifest.settingsSchema)
            guard problems.isEmpty else {
                throw PluginError(.invalidSettings, problems.map(\.description).joined(separator: "; "))
            }
            let instance = PluginInstance(plugin: try P(settings: json, host: capabilities), manifest: P.manifest)
            return Unmanaged.passRetained(instance).toOpaque()
        } catch {
            capabilities.log(.error, "\(P.manifest.name): refused its settings: \(error)")
            return nil
        }
    }

    /// Runs `method` asynchronously and completes through `done` exactly once, with `context`.
    ///
    /// Returns at once; the answer comes later from another thread (or, for trivial methods, may
    /// come before this returns).
    public static func call(
        _ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?,
        _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?,
        _ context: UnsafeMutableRawPointer?
    ) {
        guard let done else { return }
        let completion = Completion(done: done, context: UInt(bitPattern: context))
        guard let handle, let method else {
            completion.finish(.failure(PluginError(.internal, "plugin_v1_call without a handle or method")))
            return
        }
        let instance = Unmanaged<PluginInstance>.fromOpaque(handle).takeUnretainedValue()
        let name = String(cString: method)
        let data = params.map { Data(bytes: $0, count: max(length, 0)) } ?? Data()
        Task {
            completion.finish(await instance.dispatch(name, data))
        }
    }

    /// Releases an instance made by `create`.
    public static func destroy(_ handle: UnsafeMutableRawPointer?) {
        guard let handle else { return }
        Unmanaged<PluginInstance>.fromOpaque(handle).release()
    }

    private static let manifestCache = LockedValue<[ObjectIdentifier: UnsafeMutablePointer<CChar>]>([:])
}

/// The C completion of one call, carried across the task that computes the answer.
private struct Completion: @unchecked Sendable {
    let done: PluginDoneCallback
    let context: UInt

    func finish(_ result: Result<Data, PluginError>) {
        let (status, bytes): (Int32, Data)
        switch result {
        case .success(let data): (status, bytes) = (0, data)
        case .failure(let error): (status, bytes) = (1, (try? JSONEncoder().encode(error)) ?? Data("{}".utf8))
        }
        bytes.withUnsafeBytes { buffer in
            done(
                UnsafeMutableRawPointer(bitPattern: context), status, buffer.bindMemory(to: UInt8.self).baseAddress,
                buffer.count)
        }
    }
}

/// A created plugin and its manifest; routes method names to the kind protocol's functions.
final class PluginInstance: Sendable {
    let plugin: any Plugin
    let manifest: PluginManifest

    init(plugin: any Plugin, manifest: PluginManifest) {
        self.plugin = plugin
        self.manifest = manifest
    }

    func dispatch(_ method: String, _ params: Data) async -> Result<Data, PluginError> {
        do {
            return .success(try await route(method, params))
        } catch let error as PluginError {
            return .failure(error)
        } catch {
            return .failure(PluginError(.internal, "\(manifest.name).\(method) failed: \(error)"))
        }
    }

    private func route(_ method: String, _ params: Data) async throws -> Data {
        let envelope = params.isEmpty ? PluginJSON.object([:]) : try PluginJSON(parsing: params)
        guard case .object = envelope else { throw PluginError(.invalidParams, "params must be an object") }
        let settings = envelope["settings"] ?? .object([:])
        let input = envelope["input"] ?? .null
        let problems =
            manifest.practiceSettingsSchema.map { SettingsSchemaValidator.validate(settings, against: $0) } ?? []

        switch method {
        case "ping":
            // Every plugin answers `ping`: a liveness probe, and (with a delay) the conformance kit's
            // way to exercise the host's timeout.
            let delay = input["delayMilliseconds"]?.numberValue ?? 0
            if delay > 0 { try await Task.sleep(for: .milliseconds(Int(min(delay, 60_000)))) }
            return try encode(["name": .string(manifest.name), "ok": true] as PluginJSON)
        case "verify":
            return try encode(problems.isEmpty ? await plugin.verify(settings: settings) : .problems(problems))
        default:
            break
        }
        guard manifest.kind.methods.contains(method) else {
            throw PluginError(
                .unsupportedMethod, "\(manifest.name) (\(manifest.kind.rawValue)) has no method '\(method)'")
        }
        guard problems.isEmpty else {
            throw PluginError(
                .invalidSettings, problems.map(\.description).joined(separator: "; "),
                field: problems.first.map { "/settings" + $0.pointer })
        }
        switch (method, plugin) {
        case ("send", let channel as any NotificationChannel):
            return try encode(try await channel.send(input.decode(as: NotificationMessage.self), settings: settings))
        case ("charge", let processor as any PaymentProcessor):
            return try encode(try await processor.charge(input.decode(as: ChargeRequest.self), settings: settings))
        case ("refund", let processor as any PaymentProcessor):
            return try encode(try await processor.refund(input.decode(as: RefundRequest.self), settings: settings))
        case ("payers", let clearinghouse as any Clearinghouse):
            let query = input == .null ? PayerQuery() : try input.decode(as: PayerQuery.self)
            return try encode(try await clearinghouse.payers(query, settings: settings))
        case ("submit", let clearinghouse as any Clearinghouse):
            return try encode(try await clearinghouse.submit(input.decode(as: ClaimBatch.self), settings: settings))
        case ("lookupSubmission", let clearinghouse as any Clearinghouse):
            return try encode(
                try await clearinghouse.lookupSubmission(input.decode(as: SubmissionLookup.self), settings: settings))
        case ("statusUpdates", let clearinghouse as any Clearinghouse):
            let cursor = input == .null ? nil : try input.decode(as: CursorRequest.self).since
            return try encode(try await clearinghouse.statusUpdates(since: cursor, settings: settings))
        case ("remittances", let clearinghouse as any Clearinghouse):
            let cursor = input == .null ? nil : try input.decode(as: CursorRequest.self).since
            return try encode(try await clearinghouse.remittances(since: cursor, settings: settings))
        case ("eligibility", let clearinghouse as any Clearinghouse):
            return try encode(
                try await clearinghouse.eligibility(input.decode(as: EligibilityRequest.self), settings: settings))
        case ("enrollment", let clearinghouse as any Clearinghouse):
            return try encode(
                try await clearinghouse.enrollment(input.decode(as: EnrollmentRequest.self), settings: settings))
        default:
            throw PluginError(
                .internal,
                "\(manifest.name) says it is a \(manifest.kind.rawValue) but does not conform to its protocol")
        }
    }

    private func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// A value behind an `NSLock` (PluginAPI depends on Foundation only).
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
