import Foundation
import PluginAPI
import PluginConformance
import PluginHost
import StandIns
import Testing

/// The SMS plugin (`libLedgerlineSMSPlugin.so`), loaded as the server loads it, against the
/// Twilio stand-in: what reaches Twilio, and how each of Twilio's answers comes back.
@Suite struct SMSPluginTests {
    static let accountSid = "AC0123456789abcdef0123456789abcdef"
    static let authToken = "stand-in-auth-token-0123456789ab"
    static let fromNumber = "+15005550006"
    static let messagingServiceSid = "MG0123456789abcdef0123456789abcdef"
    static let optedOut = "+15005550009"

    static let practice: PluginJSON = [
        "accountSid": .string(accountSid), "authToken": .string(authToken), "fromNumber": .string(fromNumber),
    ]

    /// The practice settings with `changes` applied and the members named in `removing` left out.
    static func practice(_ changes: [String: PluginJSON] = [:], removing: [String] = []) -> PluginJSON {
        var members = practice.objectValue ?? [:]
        for (name, value) in changes { members[name] = value }
        for name in removing { members[name] = nil }
        return .object(members)
    }

    static func load(baseURL: String, allowedHosts: [String]? = ["127.0.0.1"], timeoutSeconds: Double = 5) throws
        -> LoadedPlugin
    {
        try PluginLoader.load(
            PluginConfigurationEntry(
                name: "sms", path: PluginFiles.library("LedgerlineSMSPlugin"),
                settings: ["baseURL": .string(baseURL), "timeoutSeconds": .number(timeoutSeconds)],
                allowedHosts: allowedHosts,
                timeoutSeconds: 10))
    }

    /// Runs `body` with a fresh stand-in and the plugin pointed at it.
    static func withStandIn(
        unsubscribed: [String] = [optedOut], _ body: (SMSStandIn, LoadedPlugin) async throws -> Void
    ) async throws {
        let standIn = try await SMSStandIn.start(
            accountSid: accountSid, authToken: authToken, unsubscribed: unsubscribed)
        defer { standIn.stop() }
        try await body(standIn, try load(baseURL: standIn.baseURL))
    }

    static func message(to: String = "+15551230001", _ text: String = "Your bill is ready: $120.00")
        -> NotificationMessage
    {
        NotificationMessage(to: to, text: text, idempotencyKey: "sms-\(UUID().uuidString)")
    }

    // MARK: - send

    @Test func sendDeliversTheExactBodyFromTheConfiguredNumber() async throws {
        try await Self.withStandIn { standIn, plugin in
            let text = "Zoë, bill #42: $120.00 due — pay at https://pay.example/p?a=1&b=2+3 (100% ✓) 🎉\nThanks!"
            let receipt = try await plugin.send(Self.message(to: "+15551230001", text), settings: Self.practice)

            #expect(receipt.providerMessageID.hasPrefix("SM"))
            #expect(receipt.providerMessageID.count == 34)
            #expect(receipt.status == "queued")
            let sent = try await standIn.messages()
            #expect(sent.count == 1)
            #expect(sent.first?.to == "+15551230001")
            #expect(sent.first?.from == Self.fromNumber)
            #expect(sent.first?.messagingServiceSid == nil)
            #expect(sent.first?.body == text)
            #expect(sent.first?.sid == receipt.providerMessageID)
        }
    }

    @Test func sendThroughAMessagingServiceNamesTheServiceInsteadOfANumber() async throws {
        try await Self.withStandIn { standIn, plugin in
            let settings = Self.practice(
                ["messagingServiceSid": .string(Self.messagingServiceSid)], removing: ["fromNumber"])
            let receipt = try await plugin.send(Self.message(), settings: settings)

            #expect(receipt.status == "accepted")
            let sent = try await standIn.messages()
            #expect(sent.map(\.messagingServiceSid) == [Self.messagingServiceSid])
            #expect(sent.map(\.from) == [nil])
        }
    }

    @Test(arguments: ["5551230001", "+05551230001", "+1 555 123 0001", "+1555123000123456", "", "client@example.com"])
    func recipientThatIsNotE164IsRefusedBeforeAnyRequest(to: String) async throws {
        try await Self.withStandIn { standIn, plugin in
            // A pending failure would be used up by any request; it is still there afterwards.
            try await standIn.failNext(1, status: 503)
            let error = await #expect(throws: PluginError.self) {
                try await plugin.send(Self.message(to: to), settings: Self.practice)
            }
            #expect(error?.code == .rejected)
            #expect(error?.field == "/to")

            let next = await #expect(throws: PluginError.self) {
                try await plugin.send(Self.message(), settings: Self.practice)
            }
            #expect(next?.code == .unavailable)
            let received = try await standIn.messages()
            #expect(received.isEmpty)
        }
    }

    @Test func emptyOrOverlongBodyIsRefusedNamingText() async throws {
        try await Self.withStandIn { standIn, plugin in
            for text in ["", "  \n ", String(repeating: "a", count: 1601)] {
                let error = await #expect(throws: PluginError.self) {
                    try await plugin.send(Self.message(text), settings: Self.practice)
                }
                #expect(error?.code == .rejected)
                #expect(error?.field == "/text")
            }
            let longest = String(repeating: "é", count: 1600)
            _ = try await plugin.send(Self.message(longest), settings: Self.practice)
            let received = try await standIn.messages()
            #expect(received.map(\.body) == [longest])
        }
    }

    @Test func unsubscribedRecipientIsRejectedWithTwiliosCode() async throws {
        try await Self.withStandIn { standIn, plugin in
            let error = await #expect(throws: PluginError.self) {
                try await plugin.send(Self.message(to: Self.optedOut), settings: Self.practice)
            }
            #expect(error?.code == .rejected)
            #expect(error?.field == "/to")
            #expect(error?.message.contains("21610") == true)
            #expect(error?.message.contains("unsubscribed") == true)
            let received = try await standIn.messages()
            #expect(received.isEmpty)
        }
    }

    @Test func wrongAuthTokenIsAnAuthenticationErrorNamingTheToken() async throws {
        try await Self.withStandIn { _, plugin in
            let wrongToken = "wrong-token-that-must-not-leak"
            let error = await #expect(throws: PluginError.self) {
                try await plugin.send(Self.message(), settings: Self.practice(["authToken": .string(wrongToken)]))
            }
            #expect(error?.code == .invalidSettings)
            #expect(error?.field == "/settings/authToken")
            #expect(error?.message.contains("20003") == true)
            #expect(error?.message.contains(wrongToken) == false)
        }
    }

    @Test func unknownAccountIsAnErrorNamingTheAccountSid() async throws {
        try await Self.withStandIn { _, plugin in
            let other = "AC" + String(repeating: "f", count: 32)
            let error = await #expect(throws: PluginError.self) {
                try await plugin.send(Self.message(), settings: Self.practice(["accountSid": .string(other)]))
            }
            #expect(error?.code == .invalidSettings)
            #expect(error?.field == "/settings/accountSid")
        }
    }

    @Test func practiceWithoutASenderIsRefusedNamingFromNumber() async throws {
        try await Self.withStandIn { standIn, plugin in
            let error = await #expect(throws: PluginError.self) {
                try await plugin.send(Self.message(), settings: Self.practice(removing: ["fromNumber"]))
            }
            #expect(error?.code == .invalidSettings)
            #expect(error?.field == "/settings/fromNumber")
            let received = try await standIn.messages()
            #expect(received.isEmpty)
        }
    }

    @Test(arguments: [503, 500, 429])
    func providerFailureIsUnavailableAndTheNextSendSucceeds(status: Int) async throws {
        try await Self.withStandIn { standIn, plugin in
            try await standIn.failNext(2, status: status)
            for _ in 0..<2 {
                let error = await #expect(throws: PluginError.self) {
                    try await plugin.send(Self.message(), settings: Self.practice)
                }
                #expect(error?.code == .unavailable)
                #expect(error?.message.contains("\(status)") == true)
            }
            let receipt = try await plugin.send(Self.message(), settings: Self.practice)
            let received = try await standIn.messages()
            #expect(received.map(\.sid) == [receipt.providerMessageID])
        }
    }

    @Test func unreachableProviderIsUnavailable() async throws {
        let stopped = try await SMSStandIn.start(accountSid: Self.accountSid, authToken: Self.authToken)
        let baseURL = stopped.baseURL
        await stopped.stopAndWait()
        let plugin = try Self.load(baseURL: baseURL, timeoutSeconds: 1)

        // Refused connections are retried by the host's client until the deadline, which may
        // end them either way; both mean "try again later".
        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(Self.message(), settings: Self.practice)
        }
        #expect(error?.code == .unavailable || error?.code == .timeout)
        let result = try await plugin.verify(settings: Self.practice)
        #expect(!result.ok)
        #expect(result.problems.map(\.pointer) == ["/accountSid"])
    }

    @Test func hostOutsideAllowedHostsIsRefused() async throws {
        let standIn = try await SMSStandIn.start(accountSid: Self.accountSid, authToken: Self.authToken)
        defer { standIn.stop() }
        let plugin = try Self.load(baseURL: "http://localhost:\(standIn.port)", allowedHosts: ["127.0.0.1"])

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(Self.message(), settings: Self.practice)
        }
        #expect(error?.code == .rejected)
        #expect(error?.message.contains("allowedHosts") == true)
        let received = try await standIn.messages()
        #expect(received.isEmpty)
    }

    // MARK: - verify

    @Test func verifyAcceptsWorkingCredentials() async throws {
        try await Self.withStandIn { _, plugin in
            let verified = try await plugin.verify(settings: Self.practice)
            #expect(verified == .ok)
            let service = Self.practice(
                ["messagingServiceSid": .string(Self.messagingServiceSid)], removing: ["fromNumber"])
            let verifiedService = try await plugin.verify(settings: service)
            #expect(verifiedService == .ok)
        }
    }

    @Test func verifyNamesTheTokenTwilioRefuses() async throws {
        try await Self.withStandIn { _, plugin in
            let result = try await plugin.verify(settings: Self.practice(["authToken": "not-the-token"]))
            #expect(!result.ok)
            #expect(result.problems.map(\.pointer) == ["/authToken"])
        }
    }

    @Test func verifyNamesAnAccountTwilioDoesNotKnow() async throws {
        try await Self.withStandIn { _, plugin in
            let other = "AC" + String(repeating: "e", count: 32)
            let result = try await plugin.verify(settings: Self.practice(["accountSid": .string(other)]))
            #expect(!result.ok)
            #expect(result.problems.map(\.pointer) == ["/accountSid"])
        }
    }

    @Test func verifyListsEverySettingsProblem() async throws {
        try await Self.withStandIn { _, plugin in
            let malformed = try await plugin.verify(
                settings: [
                    "accountSid": "AC123", "fromNumber": "555-0100", "messagingServiceSid": "MGxyz", "extra": true,
                ])
            #expect(
                Set(malformed.problems.map(\.pointer))
                    == ["/accountSid", "/authToken", "/fromNumber", "/messagingServiceSid", "/extra"])

            let noSender = try await plugin.verify(settings: Self.practice(removing: ["fromNumber"]))
            #expect(noSender.problems.map(\.pointer) == ["/fromNumber"])
        }
    }

    @Test func manifestMarksTheAuthTokenWriteOnly() throws {
        let manifest = try PluginLoader.inspect(path: PluginFiles.library("LedgerlineSMSPlugin"))
        #expect(manifest.name == "sms")
        #expect(manifest.kind == .notificationChannel)
        let properties = manifest.practiceSettingsSchema?["properties"]
        #expect(properties?["authToken"]?["writeOnly"] == true)
        #expect(properties?["accountSid"]?["writeOnly"] == nil)
        #expect(manifest.practiceSettingsSchema?["required"] == ["accountSid", "authToken"])
    }

    @Test func badProcessWideSettingsAreRefused() {
        for settings: PluginJSON in [["baseURL": "ftp://api.twilio.com"], ["timeoutSeconds": 0], ["region": "us1"]] {
            #expect(throws: PluginLoadError.self) {
                try PluginLoader.load(
                    PluginConfigurationEntry(
                        name: "sms", path: PluginFiles.library("LedgerlineSMSPlugin"), settings: settings))
            }
        }
    }

    // MARK: - conformance

    @Test func passesTheConformanceKit() async throws {
        let standIn = try await SMSStandIn.start(accountSid: Self.accountSid, authToken: Self.authToken)
        defer { standIn.stop() }
        let kit = PluginConformanceKit(
            path: PluginFiles.library("LedgerlineSMSPlugin"),
            settings: ["baseURL": .string(standIn.baseURL)],
            invalidSettings: [
                ["baseURL": 42], ["baseURL": "not a url"], ["baseURL": "https://x.example", "extra": 1],
            ],
            practiceSettings: Self.practice,
            invalidPracticeSettings: [
                Self.practice(["authToken": "wrong-token"]),
                Self.practice(["accountSid": "AC123"]),
                Self.practice(removing: ["fromNumber"]),
            ],
            sampleInput: [
                "to": "+15551230001", "text": "Your bill is ready", "idempotencyKey": "conformance-sms-1",
            ])
        #expect(await kit.run() == [])
        let received = try await standIn.messages()
        #expect(received.map(\.body) == ["Your bill is ready"])
    }

    @Test func exportsOnlyTheFivePluginSymbols() async throws {
        let symbols = try await Command.run(
            "/usr/bin/nm", ["-D", "--defined-only", PluginFiles.library("LedgerlineSMSPlugin")])
        let exported = symbols.split(separator: "\n").compactMap { line -> Substring? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[1].first?.isUppercase == true, !fields[2].hasPrefix("_") else { return nil }
            return fields[2]
        }
        #expect(
            Set(exported) == [
                "plugin_abi_version", "plugin_v1_manifest", "plugin_v1_create", "plugin_v1_call", "plugin_v1_destroy",
            ])
    }
}
