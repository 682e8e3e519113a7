import Foundation
import Hummingbird
import HummingbirdTesting
import PluginAPI
import PluginHost
import Synchronization
import Testing

/// A plugin's `host.http` goes through the host's AsyncHTTPClient to a real server.
@Suite struct HostHTTPTests {
    @Test func pluginReachesAServerThroughTheHost() async throws {
        let received = Mutex<[String]>([])
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            received.withLock { $0.append(String(buffer: body)) }
            return Response(status: .created)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let plugin = try PluginFiles.loadExample(allowedHosts: ["127.0.0.1"])
            let message = NotificationMessage(
                to: "client@example.com", text: "Amount due: $120.00", idempotencyKey: "k1")
            let receipt = try await plugin.send(
                message,
                settings: [
                    "accountKey": "key-12345678",
                    "webhookURL": .string("http://127.0.0.1:\(port)/hook"),
                ])
            #expect(receipt == DeliveryReceipt(providerMessageID: "http-201", status: "sent"))
        }
        #expect(received.withLock { $0 } == ["Amount due: $120.00"])
    }

    @Test func typedCallOfAnotherKindIsRefusedBeforeReachingThePlugin() async throws {
        let plugin = try PluginFiles.loadExample()
        await #expect(
            throws: PluginError(
                .unsupportedMethod,
                "plugin 'example' is a notificationChannel, not a paymentProcessor: it has no charge")
        ) {
            try await plugin.charge(
                ChargeRequest(amountCents: 100, paymentMethodToken: "tok", idempotencyKey: "k"),
                settings: [:])
        }
    }
}
