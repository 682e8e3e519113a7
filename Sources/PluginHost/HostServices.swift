import AsyncHTTPClient
import CPluginABI
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PluginAPI
import Synchronization

/// The capabilities lent to one plugin (`host_v1`): its log and HTTP through the host's client.
///
/// One instance per created plugin; it and its C table are deliberately never freed, because
/// plugins are never unloaded and may use the table until the process exits.
final class HostServices: Sendable {
    let pluginName: String
    let logger: Logger
    let allowedHosts: Set<String>?
    let httpTimeout: Duration
    /// The last error the plugin logged, to explain a refused `create`.
    private let lastError = Mutex<String?>(nil)

    init(pluginName: String, logger: Logger, allowedHosts: [String]?, httpTimeout: Duration) {
        self.pluginName = pluginName
        var logger = logger
        logger[metadataKey: "plugin"] = "\(pluginName)"
        self.logger = logger
        self.allowedHosts = allowedHosts.map { Set($0.map { $0.lowercased() }) }
        self.httpTimeout = httpTimeout
    }

    /// A `host_v1` table whose context is this object; valid for the rest of the process.
    func makeTable() -> UnsafePointer<host_v1> {
        let table = UnsafeMutablePointer<host_v1>.allocate(capacity: 1)
        table.initialize(
            to: host_v1(
                context: Unmanaged.passRetained(self).toOpaque(),
                log: { context, level, message, length in
                    guard let context else { return }
                    let services = Unmanaged<HostServices>.fromOpaque(context).takeUnretainedValue()
                    let text =
                        message.map {
                            String(decoding: UnsafeBufferPointer(start: $0, count: max(length, 0)), as: UTF8.self)
                        } ?? ""
                    services.log(level: level, text)
                },
                http: { context, request, length, done, doneContext in
                    guard let done else { return }
                    let completion = HTTPCompletion(done: done, context: UInt(bitPattern: doneContext))
                    guard let context else {
                        completion.fail(PluginError(.internal, "http called without the host context"))
                        return
                    }
                    let services = Unmanaged<HostServices>.fromOpaque(context).takeUnretainedValue()
                    let data = request.map { Data(bytes: $0, count: max(length, 0)) } ?? Data()
                    Task { await services.perform(data, completion: completion) }
                }))
        return UnsafePointer(table)
    }

    /// Takes the last error message the plugin logged (and forgets it).
    func takeLastError() -> String? {
        lastError.withLock { value in
            defer { value = nil }
            return value
        }
    }

    private func log(level: Int32, _ text: String) {
        let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error]
        let level = levels[Int(min(max(level, 0), 5))]
        if level == .error { lastError.withLock { $0 = text } }
        logger.log(level: level, "\(text)")
    }

    private func perform(_ data: Data, completion: HTTPCompletion) async {
        let request: PluginAPI.HostHTTPRequest
        do {
            request = try JSONDecoder().decode(PluginAPI.HostHTTPRequest.self, from: data)
        } catch {
            completion.fail(PluginError(.invalidParams, "http request is not {method, url, headers, bodyBase64}"))
            return
        }
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(),
            ["http", "https"].contains(scheme),
            let host = url.host?.lowercased()
        else {
            completion.fail(PluginError(.invalidParams, "http request needs an absolute http(s) URL"))
            return
        }
        if let allowedHosts, !allowedHosts.contains(host) {
            logger.warning("http request refused: host not allowed", metadata: ["host": "\(host)"])
            completion.fail(PluginError(.rejected, "host \(host) is not in this plugin's allowedHosts"))
            return
        }
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method.uppercased())
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        var timeout = httpTimeout
        if let seconds = request.timeoutSeconds, seconds > 0 {
            timeout = min(timeout, .milliseconds(Int(seconds * 1000)))
        }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let started = ContinuousClock.now
        do {
            let response = try await HTTPClient.shared.execute(outgoing, timeout: .nanoseconds(nanoseconds))
            let body = try await response.body.collect(upTo: 16 << 20)
            // Redacted: method, host, path and status only; never the query, headers or bodies.
            logger.debug(
                "http",
                metadata: [
                    "method": "\(request.method)", "host": "\(host)", "path": "\(url.path)",
                    "status": "\(response.status.code)",
                    "elapsed": "\(ContinuousClock.now - started)",
                ])
            let answer = PluginAPI.HostHTTPResponse(
                status: Int(response.status.code),
                headers: response.headers.map { PluginAPI.HostHTTPHeader(name: $0.name, value: $0.value) },
                body: Data(body.readableBytesView))
            completion.succeed((try? JSONEncoder().encode(answer)) ?? Data())
        } catch {
            logger.notice(
                "http request failed",
                metadata: [
                    "method": "\(request.method)", "host": "\(host)",
                    "error": "\(type(of: error))",
                ])
            let code: PluginError.Code = "\(error)".lowercased().contains("deadline") ? .timeout : .unavailable
            completion.fail(PluginError(code, "http \(request.method) \(host) failed: \(error)"))
        }
    }
}

/// The plugin's completion for one HTTP request, called exactly once.
private struct HTTPCompletion: @unchecked Sendable {
    let done: plugin_done_fn
    let context: UInt

    func succeed(_ bytes: Data) { finish(0, bytes) }
    func fail(_ error: PluginError) { finish(1, (try? JSONEncoder().encode(error)) ?? Data()) }

    private func finish(_ status: Int32, _ bytes: Data) {
        bytes.withUnsafeBytes { buffer in
            done(
                UnsafeMutableRawPointer(bitPattern: context), status, buffer.bindMemory(to: UInt8.self).baseAddress,
                buffer.count)
        }
    }
}
