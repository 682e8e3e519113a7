import Foundation
import PluginAPI
import PluginHost
import Testing

@Suite struct PluginCallTests {
    let message = NotificationMessage(
        to: "client@example.com", subject: "Your bill", text: "Amount due: $120.00",
        attachments: [
            NotificationAttachment(
                filename: "bill.pdf", contentType: "application/pdf",
                base64: "JVBERi0=")
        ],
        idempotencyKey: "bill_1-send-1")

    @Test func sendAnswersATypedReceipt() async throws {
        let plugin = try PluginFiles.loadExample()
        let receipt = try await plugin.call(
            "send", input: message, settings: PluginFiles.examplePracticeSettings,
            as: DeliveryReceipt.self)
        #expect(receipt == DeliveryReceipt(providerMessageID: "example-bill_1-send-1", status: "accepted"))
    }

    @Test func pluginErrorBecomesATypedError() async throws {
        let plugin = try PluginFiles.loadExample()
        var refused = message
        refused.to = "refuse@example.com"
        await #expect(throws: PluginError(.rejected, "recipient refused", field: "/to")) {
            try await plugin.call(
                "send", input: refused, settings: PluginFiles.examplePracticeSettings,
                as: DeliveryReceipt.self)
        }
    }

    @Test func malformedInputIsInvalidParamsNamingTheField() async throws {
        let plugin = try PluginFiles.loadExample()
        await #expect(throws: PluginError(.invalidParams, "/to is required")) {
            try await plugin.call(
                "send", input: ["text": "hi", "idempotencyKey": "k"] as PluginJSON,
                settings: PluginFiles.examplePracticeSettings, as: DeliveryReceipt.self)
        }
    }

    @Test func methodOfAnotherKindIsUnsupported() async throws {
        let plugin = try PluginFiles.loadExample()
        await #expect(throws: PluginError(.unsupportedMethod, "example (notificationChannel) has no method 'charge'")) {
            try await plugin.call("charge", input: PluginJSON.object([:]), as: PluginJSON.self)
        }
    }

    @Test func invalidPracticeSettingsAreRefusedBeforeThePluginRuns() async throws {
        let plugin = try PluginFiles.loadExample()
        do {
            _ = try await plugin.call(
                "send", input: message, settings: ["accountKey": "short"], as: DeliveryReceipt.self)
            Issue.record("short account key accepted")
        } catch {
            #expect(error.code == .invalidSettings)
            #expect(error.message == "/accountKey must be at least 8 characters")
            #expect(error.field == "/settings/accountKey")
        }
    }

    @Test func verifyAcceptsGoodPracticeSettings() async throws {
        let plugin = try PluginFiles.loadExample()
        #expect(try await plugin.verify(settings: PluginFiles.examplePracticeSettings) == .ok)
    }

    @Test func verifyListsSchemaProblems() async throws {
        let plugin = try PluginFiles.loadExample()
        let result = try await plugin.verify(settings: ["accountKey": 42])
        #expect(!result.ok)
        #expect(result.problems == [SettingsProblem(pointer: "/accountKey", message: "must be string, not integer")])
    }

    @Test func verifyReportsThePluginsOwnCheck() async throws {
        let plugin = try PluginFiles.loadExample()
        let result = try await plugin.verify(settings: ["accountKey": "revoked-key"])
        #expect(result.problems.map(\.description) == ["/accountKey was revoked by the provider"])
    }

    @Test func hostHTTPRefusesHostsOutsideTheAllowList() async throws {
        let plugin = try PluginFiles.loadExample(allowedHosts: ["sms.example.com"])
        await #expect(throws: PluginError(.rejected, "host 127.0.0.1 is not in this plugin's allowedHosts")) {
            try await plugin.call(
                "send", input: message,
                settings: ["accountKey": "key-12345678", "webhookURL": "http://127.0.0.1:9/hook"],
                as: DeliveryReceipt.self)
        }
    }

    @Test func hostHTTPFailureReachesThePluginAsUnavailable() async throws {
        let plugin = try PluginFiles.loadExample()
        do {
            // Port 9 (discard) on loopback: nothing listens; the host retries the connection until the
            // plugin's 2-second request deadline, then reports the refusal.
            _ = try await plugin.call(
                "send", input: message,
                settings: ["accountKey": "key-12345678", "webhookURL": "http://127.0.0.1:9/hook"],
                as: DeliveryReceipt.self)
            Issue.record("send through an unreachable host succeeded")
        } catch {
            #expect(error.code == .unavailable)
        }
    }

    @Test func manyConcurrentCallsEachGetTheirOwnAnswer() async throws {
        let plugin = try PluginFiles.loadExample()
        let receipts = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<200 {
                group.addTask {
                    var message = self.message
                    message.idempotencyKey = "k\(index)"
                    return try await plugin.call(
                        "send", input: message, settings: PluginFiles.examplePracticeSettings,
                        as: DeliveryReceipt.self
                    ).providerMessageID
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(receipts == Set((0..<200).map { "example-k\($0)" }))
    }
}
