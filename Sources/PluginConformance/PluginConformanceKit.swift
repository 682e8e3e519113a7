import Foundation
import PluginAPI
import PluginHost

/// One check of the conformance kit that a plugin failed.
public struct ConformanceFailure: Sendable, Hashable, CustomStringConvertible {
    /// The check (`verifyHappyPath`, `timeoutHandling`, …).
    public var check: String
    /// What went wrong.
    public var message: String

    /// `check: message`.
    public var description: String { "\(check): \(message)" }
}

/// The suite every adapter runs against its stand-in: it loads the built `.so` exactly as the
/// server does and checks the manifest, settings refusal, `verify`, the kind's main method, error
/// mapping and timeout handling.
///
/// It returns failures instead of asserting, so it works under any test framework:
///
/// ```swift
/// @Test func passesTheConformanceKit() async {
///     let kit = PluginConformanceKit(path: soPath, settings: [...], practiceSettings: [...])
///     #expect(await kit.run() == [])
/// }
/// ```
public struct PluginConformanceKit: Sendable {
    /// The built plugin file.
    public var path: String
    /// Valid process-wide settings.
    public var settings: PluginJSON
    /// Process-wide settings the plugin must refuse; `42` (not an object) and, when the schema
    /// requires members, `{}` are always added.
    public var invalidSettings: [PluginJSON]
    /// A practice's valid settings: `verify` must answer ok, and the main method must succeed.
    public var practiceSettings: PluginJSON
    /// Practice settings `verify` must answer with problems; `{}` is added when the schema requires members.
    public var invalidPracticeSettings: [PluginJSON]
    /// The input of the kind's main method (`send`, `charge`, `payers`); a sample when `nil`.
    public var sampleInput: PluginJSON?
    /// The timeout of each call the kit makes.
    public var callTimeout: Duration

    /// Creates a kit for the plugin at `path`.
    public init(
        path: String, settings: PluginJSON, invalidSettings: [PluginJSON] = [], practiceSettings: PluginJSON = [:],
        invalidPracticeSettings: [PluginJSON] = [], sampleInput: PluginJSON? = nil,
        callTimeout: Duration = .seconds(10)
    ) {
        self.path = path
        self.settings = settings
        self.invalidSettings = invalidSettings
        self.practiceSettings = practiceSettings
        self.invalidPracticeSettings = invalidPracticeSettings
        self.sampleInput = sampleInput
        self.callTimeout = callTimeout
    }

    /// Runs every check; an empty list means the plugin conforms.
    public func run() async -> [ConformanceFailure] {
        var failures: [ConformanceFailure] = []
        func fail(_ check: String, _ message: String) {
            failures.append(ConformanceFailure(check: check, message: message))
        }

        // Manifest
        let manifest: PluginManifest
        do {
            manifest = try PluginLoader.inspect(path: path)
        } catch {
            fail("manifestValid", error.description)
            return failures
        }
        for problem in manifest.problems() { fail("manifestValid", problem) }
        if manifest.contractVersion != manifest.kind.contractVersion {
            fail(
                "manifestValid",
                "contract version \(manifest.contractVersion), expected \(manifest.kind.contractVersion)")
        }

        // Bad settings refused
        var refused = invalidSettings + [42]
        if case .array(let required)? = manifest.settingsSchema["required"], !required.isEmpty { refused.append([:]) }
        for bad in refused {
            do {
                _ = try PluginLoader.load(entry(bad))
                fail("badSettingsRefused", "settings \(text(bad)) were accepted")
            } catch  where error.code == .settingsInvalid || error.code == .createFailed {
                continue
            } catch {
                fail("badSettingsRefused", "settings \(text(bad)) refused for the wrong reason: \(error)")
            }
        }

        // Load with good settings
        let plugin: LoadedPlugin
        do {
            plugin = try PluginLoader.load(entry(settings))
        } catch {
            fail("loads", error.description)
            return failures
        }

        // verify
        do {
            let result = try await plugin.verify(settings: practiceSettings, timeout: callTimeout)
            if !result.ok { fail("verifyHappyPath", "valid practice settings answered \(result.problems)") }
        } catch {
            fail("verifyHappyPath", error.description)
        }
        var badPractice = invalidPracticeSettings
        if case .array(let required)? = manifest.practiceSettingsSchema?["required"], !required.isEmpty {
            badPractice.append([:])
        }
        for bad in badPractice {
            do {
                let result = try await plugin.verify(settings: bad, timeout: callTimeout)
                if result.ok || result.problems.isEmpty {
                    fail("verifyRefusesBadSettings", "practice settings \(text(bad)) answered ok")
                }
            } catch {
                fail("verifyRefusesBadSettings", "verify threw instead of listing problems: \(error)")
            }
        }

        // Happy path of the kind's main method
        let (method, input) = mainMethod(of: manifest.kind)
        do {
            let data = try await plugin.call(method, params: envelope(practiceSettings, input), timeout: callTimeout)
            if let problem = checkResult(of: manifest.kind, data) { fail("happyPath", "\(method): \(problem)") }
        } catch {
            fail("happyPath", "\(method) failed: \(error)")
        }

        // Error mapping
        await expectError(
            .unsupportedMethod, from: plugin, "conformance.noSuchMethod", envelope(practiceSettings, [:]),
            check: "errorMapping", into: &failures)
        await expectError(
            .invalidParams, from: plugin, method, envelope(practiceSettings, ["unexpected": true]),
            check: "errorMapping", into: &failures, skipIf: manifest.kind == .clearinghouse)
        if manifest.practiceSettingsSchema?["required"] != nil, let bad = badPractice.last {
            await expectError(
                .invalidSettings, from: plugin, method, envelope(bad, input), check: "errorMapping",
                into: &failures)
        }

        // Timeout: a call the plugin answers late times out once; the late answer is dropped and the
        // plugin keeps answering.
        let ignoredBefore = plugin.ignoredAnswers
        do {
            try await plugin.ping(delay: .milliseconds(1000), timeout: .milliseconds(100))
            fail("timeoutHandling", "a call answered after 1 s did not time out at 100 ms")
        } catch  where error.code == .timeout {
        } catch {
            fail("timeoutHandling", "expected a timeout error, got \(error)")
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while plugin.ignoredAnswers == ignoredBefore, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if plugin.ignoredAnswers == ignoredBefore {
            fail("timeoutHandling", "the late answer never reached the host (ping must answer after its delay)")
        }
        do {
            try await plugin.ping(timeout: callTimeout)
        } catch {
            fail("timeoutHandling", "the plugin stopped answering after a timeout: \(error)")
        }
        return failures
    }

    private func entry(_ settings: PluginJSON) -> PluginConfigurationEntry {
        PluginConfigurationEntry(name: "conformance", path: path, settings: settings)
    }

    private func envelope(_ settings: PluginJSON, _ input: PluginJSON) -> Data {
        PluginJSON.object(["settings": settings, "input": input]).encoded()
    }

    private func text(_ value: PluginJSON) -> String { String(decoding: value.encoded(), as: UTF8.self) }

    private func mainMethod(of kind: PluginKind) -> (String, PluginJSON) {
        switch kind {
        case .notificationChannel:
            (
                "send",
                sampleInput ?? [
                    "to": "client@example.com", "subject": "Your bill", "text": "Amount due: $120.00",
                    "attachments": [], "idempotencyKey": .string("conformance-\(UUID().uuidString)"),
                ]
            )
        case .paymentProcessor:
            (
                "charge",
                sampleInput ?? [
                    "amountCents": 12000, "paymentMethodToken": "tok_conformance",
                    "idempotencyKey": .string("conformance-\(UUID().uuidString)"),
                ]
            )
        case .clearinghouse:
            ("payers", sampleInput ?? ["limit": 5])
        }
    }

    private func checkResult(of kind: PluginKind, _ data: Data) -> String? {
        let decoder = JSONDecoder()
        switch kind {
        case .notificationChannel:
            guard let receipt = try? decoder.decode(DeliveryReceipt.self, from: data) else {
                return "not a DeliveryReceipt"
            }
            return receipt.providerMessageID.isEmpty ? "empty providerMessageID" : nil
        case .paymentProcessor:
            return (try? decoder.decode(ChargeResult.self, from: data)) == nil ? "not a ChargeResult" : nil
        case .clearinghouse:
            return (try? decoder.decode([Payer].self, from: data)) == nil ? "not a list of payers" : nil
        }
    }

    private func expectError(
        _ code: PluginError.Code, from plugin: LoadedPlugin, _ method: String, _ params: Data,
        check: String, into failures: inout [ConformanceFailure], skipIf skip: Bool = false
    ) async {
        guard !skip else { return }
        do {
            _ = try await plugin.call(method, params: params, timeout: callTimeout)
            failures.append(ConformanceFailure(check: check, message: "\(method) succeeded; expected a \(code) error"))
        } catch  where error.code == code {
        } catch {
            failures.append(ConformanceFailure(check: check, message: "\(method): expected \(code), got \(error)"))
        }
    }
}
