import API
import Billing
import BillingCore
import Foundation
import Hummingbird
import JSONRPC
import NIOCore
import PluginHost
import Storage

/// What `GET /metrics` serves.
public struct MetricsExposure: Sendable {
    /// The job kinds this server runs (their gauges read 0 when none are queued).
    public var jobKinds: [String]
    /// When set, a scrape must send `Authorization: Bearer <token>` (`LEDGERLINE_METRICS_TOKEN`).
    public var token: String?

    /// Describes the endpoint.
    public init(jobKinds: [String], token: String? = nil) {
        self.jobKinds = jobKinds
        self.token = token
    }
}

/// The HTTP surface: `POST /rpc`, `POST /webhooks/{plugin}/{token}`, `GET /files/{token}`,
/// `GET /health/live`, `GET /health/ready`, and `GET /metrics` when metrics are on.
public enum HTTPRoutes {
    /// Builds the router.
    /// - Parameters:
    ///   - trustedProxies: peer addresses (a load balancer) whose `X-Forwarded-For` names the
    ///     client; from anyone else the header is ignored (sign-in throttling counts the real client).
    ///   - metrics: serves `GET /metrics` (Prometheus text, see ``ServerMetrics``) when given.
    public static func router(processor: RPCProcessor<LedgerlineExecutor>, database: Database,
                              maximumBodyBytes: Int, trustedProxies: Set<String> = [],
                              metrics: MetricsExposure? = nil)
        -> Router<LedgerlineRequestContext>
    {
        let router = Router(context: LedgerlineRequestContext.self)
        if let metrics {
            let expected = metrics.token.map { Array("Bearer \($0)".utf8) }
            router.get("/metrics") { request, context -> Response in
                if let expected {
                    let presented = Array((request.headers[.authorization] ?? "").utf8)
                    guard Secrets.constantTimeEquals(presented, expected) else {
                        return Response(status: .unauthorized, headers: [.contentType: "application/json"],
                                        body: jsonBody(#"{"error":"send Authorization: Bearer <LEDGERLINE_METRICS_TOKEN>"}"#))
                    }
                }
                let text = await ServerMetrics.scrape(database: database, kinds: metrics.jobKinds, logger: context.logger)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8",
                                                       .cacheControl: "no-store"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        router.post("/rpc") { request, context -> Response in
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: maximumBodyBytes)
            } catch is NIOTooManyBytesError {
                return Response(status: .contentTooLarge, headers: [.contentType: "application/json"],
                                body: jsonBody(#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"type":"bodyTooLarge","reason":"request body exceeds \#(maximumBodyBytes) bytes"}},"id":null}"#))
            }
            let environment = RequestEnvironment(authorization: request.headers[.authorization],
                                                 remoteAddress: clientAddress(peer: context.remoteAddress,
                                                                              forwardedFor: request.headers.first { $0.name.canonicalName == "x-forwarded-for" }?.value,
                                                                              trustedProxies: trustedProxies),
                                                 userAgent: request.headers[.userAgent].map { String($0.prefix(300)) })
            let result = await processor.handle(body: Array(buffer: buffer), environment: environment)
            guard let body = result.body else { return Response(status: .noContent) }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        // Clearinghouse webhooks (Claim.MD enrollment events): the token names the practice's
        // endpoint and carries its secret; unknown tokens, wrong secrets and other plugins all
        // answer the same 404, and each event is applied once.
        router.post("/webhooks/:plugin/:token") { request, context -> Response in
            let plugin = context.parameters.get("plugin") ?? ""
            let token = context.parameters.get("token") ?? ""
            let notFound = Response(status: .notFound, headers: [.contentType: "application/json"],
                                    body: jsonBody(#"{"error":"no such webhook"}"#))
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: maximumBodyBytes)
            } catch {
                return Response(status: .contentTooLarge, headers: [.contentType: "application/json"],
                                body: jsonBody(#"{"error":"body too large"}"#))
            }
            do {
                let delivery: ClearinghouseEnrollmentService.Delivery? = try await database.withTransaction { transaction in
                    guard let practice = try await ClearinghouseEnrollmentService.practice(
                        plugin: plugin, token: token, in: transaction) else { return nil }
                    try await transaction.setTenant(practice)
                    return try await ClearinghouseEnrollmentService(
                        runtime: PluginRuntime(plugins: LoadedPlugins([:]), secretBox: nil)
                    ).apply(webhook: Array(buffer: buffer), source: plugin, practiceID: practice, in: transaction)
                }
                guard let delivery else { return notFound }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(delivery))))
            } catch let error as DomainError {
                let reason = error.message.replacingOccurrences(of: "\"", with: "'")
                return Response(status: .badRequest, headers: [.contentType: "application/json"],
                                body: jsonBody(#"{"error":"\#(reason)"}"#))
            } catch {
                return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                                body: jsonBody(#"{"error":"try again later"}"#))
            }
        }
        router.get("/files/:token") { _, context -> Response in
            let token = context.parameters.get("token") ?? ""
            let file = try? await database.withTransaction { transaction in
                try await DocumentService().fetch(token: token, in: transaction)
            }
            guard let found = file ?? nil else {
                return Response(status: .notFound, headers: [.contentType: "application/json"],
                                body: jsonBody(#"{"error":"no such file, or its link has expired"}"#))
            }
            return Response(status: .ok,
                            headers: [.contentType: found.contentType, .cacheControl: "private, no-store",
                                      .contentDisposition: "inline"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: found.content)))
        }
        router.get("/health/live") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: jsonBody(#"{"status":"live"}"#))
        }
        router.get("/health/ready") { _, _ -> Response in
            do {
                let pending = try await database.withConnection { transaction in
                    try await MigrationRunner.pendingMigrations(in: transaction)
                }
                guard pending.isEmpty else {
                    return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                                    body: jsonBody(#"{"status":"migrations pending","pending":\#(pending.count)}"#))
                }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: jsonBody(#"{"status":"ready"}"#))
            } catch {
                return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                                body: jsonBody(#"{"status":"database unreachable"}"#))
            }
        }
        return router
    }

    static func jsonBody(_ text: String) -> ResponseBody { ResponseBody(byteBuffer: ByteBuffer(string: text)) }

    /// The client's address: the peer, or — when the peer is a trusted proxy — the last address the
    /// proxies appended to `X-Forwarded-For` that is not itself a trusted proxy.
    public static func clientAddress(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String? {
        guard let peer, trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last(where: { !trustedProxies.contains($0) }).map { String($0.prefix(64)) } ?? peer
    }
}
