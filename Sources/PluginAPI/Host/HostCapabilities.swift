import CPluginABI
import Foundation

/// The capabilities the host lends a plugin at create (the C `host_v1` table), as Swift calls.
///
/// Use `http` instead of an HTTP library of your own: requests then go through the host's client,
/// timeouts, egress allow-list, metrics and redacted logs.
public struct HostCapabilities: @unchecked Sendable {
    // The table and its context live for the whole process (plugins are never unloaded), so a
    // copy of this pointer in any task is safe.
    private let table: UnsafePointer<host_v1>?

    /// Wraps the `host_v1` table passed to `plugin_v1_create` (`nil`: no capabilities).
    public init(table: UnsafeRawPointer?) {
        self.table = table?.assumingMemoryBound(to: host_v1.self)
    }

    /// No capabilities: `log` does nothing and `http` throws `unavailable`. For unit tests of a plugin type.
    public static let none = HostCapabilities(table: nil)

    /// Log levels, most to least verbose.
    public enum LogLevel: Int32, Sendable {
        case trace = 0
        case debug, info, notice, warning, error
    }

    /// Writes `message` to the host's log, labelled with the plugin's name. Never log secrets or PHI.
    public func log(_ level: LogLevel, _ message: String) {
        guard let table, let log = table.pointee.log else { return }
        var bytes = Array(message.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            log(table.pointee.context, level.rawValue, buffer.baseAddress, buffer.count)
        }
    }

    /// Performs `request` through the host.
    /// - Returns: the response, whatever its status code.
    /// - Throws: `PluginError` (`unavailable` when the host cannot reach the server or has no HTTP,
    ///   `timeout`, `rejected` for a host outside the egress allow-list).
    public func http(_ request: HostHTTPRequest) async throws -> HostHTTPResponse {
        guard let table, let http = table.pointee.http else {
            throw PluginError(.unavailable, "the host offers no HTTP capability")
        }
        let body = try JSONEncoder().encode(request)
        let (status, answer) = await withCheckedContinuation {
            (continuation: CheckedContinuation<(Int32, Data), Never>) in
            // The host completes every request exactly once, so the retained box is released once.
            let context = Unmanaged.passRetained(HTTPCompletion(continuation)).toOpaque()
            body.withUnsafeBytes { buffer in
                http(
                    table.pointee.context, buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count,
                    { context, status, bytes, length in
                        guard let context else { return }
                        let completion = Unmanaged<HTTPCompletion>.fromOpaque(context).takeRetainedValue()
                        let data = bytes.map { Data(bytes: $0, count: max(length, 0)) } ?? Data()
                        completion.continuation.resume(returning: (status, data))
                    }, context)
            }
        }
        if status == 0 {
            do {
                return try JSONDecoder().decode(HostHTTPResponse.self, from: answer)
            } catch {
                throw PluginError(.malformedResponse, "the host's HTTP answer is not a response object")
            }
        }
        throw (try? JSONDecoder().decode(PluginError.self, from: answer))
            ?? PluginError(.unavailable, "HTTP request failed")
    }
}

private final class HTTPCompletion: @unchecked Sendable {
    let continuation: CheckedContinuation<(Int32, Data), Never>
    init(_ continuation: CheckedContinuation<(Int32, Data), Never>) { self.continuation = continuation }
}
