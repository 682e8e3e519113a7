import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import StandIns
import Testing

/// `integration.configure/list/test/remove` with the shipped plugins loaded from their `.so` files.
@Suite struct IntegrationMethodTests {
    static func emailSettings(port: Int, password: String? = nil) -> JSONValue {
        var settings: JSONObject = [
            "smtpURL": .string("smtp://127.0.0.1:\(port)"), "fromAddress": "billing@practice.example",
            "fromName": "Springfield Counseling", "security": "none",
        ]
        if let password {
            settings["username"] = "billing"
            settings["password"] = .string(password)
        }
        return .object(settings)
    }

    func integrationCount(_ practice: TestPractice) async throws -> Int {
        let id = try #require(TableInspector.uuid(of: practice.id))
        return try await practice.environment.count("select count(*)::int from integrations where practice_id = \(id)")
    }

    @Test func configureSealsSecretsAndListMasksThem() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let practice = try await plugins.environment.createPractice()
        let password = "s3cret-\(UUID().uuidString)"
        let configured = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "email", "plugin": "email",
            "settings": Self.emailSettings(port: 2525, password: password),
        ])
        let integration = try #require(configured["result"]?["integration"], "\(configured.text)")
        #expect(integration["slot"]?.stringValue == "email")
        #expect(integration["settings"]?["password"]?.stringValue == "********")
        #expect(integration["settings"]?["fromAddress"]?.stringValue == "billing@practice.example")
        #expect(!configured.text.contains(password))

        let listed = try await practice.call("integration.list")
        #expect(listed["result"]?["items"]?.arrayValue.count == 1)
        #expect(!listed.text.contains(password))
        let available = listed["result"]?["available"]?.arrayValue.compactMap { $0["name"]?.stringValue } ?? []
        #expect(Set(available) == ["email", "sms", "example-processor"])

        // At rest the settings are ciphertext: neither the password nor the address is readable.
        let id = try #require(TableInspector.uuid(of: practice.id))
        let sealed = try await practice.environment.admin.withConnection { connection in
            try await connection.firstRow("select settings_sealed from integrations where practice_id = \(id)")?
                .decode(String.self)
        }
        let stored = try #require(sealed)
        #expect(stored.hasPrefix("v1.test1."))
        #expect(!stored.contains(password) && !stored.contains("billing@practice.example"))
    }

    @Test func ciphertextCopiedToAnotherPracticeDoesNotOpen() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let alpha = try await plugins.environment.createPractice()
        let bravo = try await plugins.environment.createPractice()
        for practice in [alpha, bravo] {
            let configured = try await practice.call("integration.configure", [
                "kind": "notificationChannel", "channel": "email", "plugin": "email",
                "settings": Self.emailSettings(port: 2525, password: "pw-\(practice.id)"),
            ])
            #expect(configured["result"] != nil, "\(configured.text)")
        }
        let alphaID = try #require(TableInspector.uuid(of: alpha.id))
        let bravoID = try #require(TableInspector.uuid(of: bravo.id))
        // An attacker with write access to the table copies alpha's sealed settings onto bravo's row.
        _ = try await plugins.environment.admin.withConnection { connection in
            try await connection.query("""
                update integrations set settings_sealed =
                    (select settings_sealed from integrations where practice_id = \(alphaID) and slot = 'email')
                where practice_id = \(bravoID) and slot = 'email'
                """)
        }
        let listed = try await bravo.call("integration.list")
        #expect(listed.errorCode == -32012, "\(listed.text)")
        #expect(listed["error"]?["data"]?["type"]?.stringValue == "integration.unreadable")
        #expect(!listed.text.contains("pw-\(alpha.id)"))
        // Alpha's own row still opens.
        #expect(try await alpha.call("integration.list")["result"]?["items"]?.arrayValue.count == 1)
    }

    @Test func badConfigurationsNameTheFieldAndWriteNothing() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let practice = try await plugins.environment.createPractice()
        let cases: [(JSONValue, String)] = [
            (["kind": "notificationChannel", "channel": "email", "plugin": "sendgrid", "settings": [:]], "/plugin"),
            (["kind": "clearinghouse", "plugin": "email", "settings": Self.emailSettings(port: 25)], "/plugin"),
            (["kind": "notificationChannel", "plugin": "email", "settings": Self.emailSettings(port: 25)], "/channel"),
            (["kind": "notificationChannel", "channel": "email", "plugin": "email",
              "settings": ["smtpURL": "ftp://mail", "fromAddress": "billing@practice.example"]], "/settings/smtpURL"),
            (["kind": "notificationChannel", "channel": "email", "plugin": "email",
              "settings": ["smtpURL": "smtp://127.0.0.1:25"]], "/settings/fromAddress"),
            (["kind": "notificationChannel", "channel": "email", "plugin": "email", "settings": "smtp://x"], "/settings"),
            (["kind": "paymentProcessor", "plugin": "example-processor",
              "settings": ["accountId": "acct_123456", "secretKey": "sk_live_nope"]], "/settings/secretKey"),
        ]
        for (params, pointer) in cases {
            let response = try await practice.call("integration.configure", params)
            #expect(response.errorCode == -32602, "\(params.text) → \(response.text)")
            #expect(response.errorPointers.contains(pointer), "\(params.text) → \(response.text)")
        }
        #expect(try await integrationCount(practice) == 0)
        let billerKey = try await practice.member(role: .biller).key
        let forbidden = try await plugins.environment.call("integration.configure", [
            "kind": "notificationChannel", "channel": "email", "plugin": "email",
            "settings": Self.emailSettings(port: 25),
        ], key: billerKey)
        #expect(forbidden.errorCode == -32003)
        #expect(try await integrationCount(practice) == 0)
    }

    @Test func reconfiguringKeepsAnOmittedSecretAndTestUsesIt() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let sink = try await SMTPSink.start(auth: ("billing", "right-password"))
        defer { sink.stop() }
        let practice = try await plugins.environment.createPractice()
        _ = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "email", "plugin": "email",
            "settings": Self.emailSettings(port: sink.port, password: "right-password"),
        ])
        // The front end sends back what it was shown: the masked value, or nothing.
        var shown = Self.emailSettings(port: sink.port, password: "********")
        if case .object(var object) = shown {
            object["fromName"] = "Front Desk"
            shown = .object(object)
        }
        let updated = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "email", "plugin": "email", "settings": shown,
        ])
        #expect(updated["result"]?["integration"]?["version"]?.int64Value == 2, "\(updated.text)")
        #expect(updated["result"]?["integration"]?["settings"]?["fromName"]?.stringValue == "Front Desk")

        let tested = try await practice.call("integration.test", ["slot": "email"])
        #expect(tested["result"]?["ok"] == true, "\(tested.text)")
        #expect(tested["result"]?["integration"]?["lastTest"]?["ok"] == true)

        _ = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "email", "plugin": "email",
            "settings": Self.emailSettings(port: sink.port, password: "wrong-password"),
        ])
        let refused = try await practice.call("integration.test", ["slot": "email"])
        #expect(refused["result"]?["ok"] == false, "\(refused.text)")
        #expect(!(refused["result"]?["problems"]?.arrayValue.isEmpty ?? true))
        #expect(!refused.text.contains("wrong-password"))
        let listed = try await practice.call("integration.list")
        #expect(listed["result"]?["items"]?.arrayValue.first?["lastTest"]?["ok"] == false)
    }

    @Test func testingAnEmptySlotIsNotFoundAndRemoveEmptiesIt() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let practice = try await plugins.environment.createPractice()
        #expect(try await practice.call("integration.test", ["slot": "sms"]).errorCode == -32004)
        _ = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "sms", "plugin": "sms",
            "settings": ["accountSid": .string(PluginTestEnvironment.twilioAccountSid),
                         "authToken": .string(PluginTestEnvironment.twilioAuthToken), "fromNumber": "+12175550199"],
        ])
        let tested = try await practice.call("integration.test", ["slot": "sms"])
        #expect(tested["result"]?["ok"] == true, "\(tested.text)")
        #expect(try await practice.call("integration.remove", ["slot": "sms"])["result"]?["removed"] == true)
        #expect(try await practice.call("integration.remove", ["slot": "sms"])["result"]?["removed"] == false)
        #expect(try await integrationCount(practice) == 0)
    }

    @Test func withoutASecretKeyIntegrationsAreNotConfigured() async throws {
        let base = try await TestEnvironment.shared()
        let practice = try await base.createPractice()
        let response = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "email", "plugin": "email",
            "settings": Self.emailSettings(port: 25),
        ])
        // The base environment loads no plugins: the plugin name itself is unknown.
        #expect(response.errorCode == -32602)
        #expect(response.errorPointers == ["/plugin"])
        #expect(response["error"]?["data"]?["errors"]?.arrayValue.first?["reason"]?.stringValue?.contains("loads none") == true)
    }
}
