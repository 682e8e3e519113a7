import Foundation
import PluginAPI
import PluginHost
import Testing

/// The host owns every completion: whatever the plugin does with `done`, a call ends once.
@Suite struct MisbehavingPluginTests {
    @Test func lateAnswerAfterTheTimeoutIsIgnored() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        do {
            _ = try await plugin.call("late", params: Data("{}".utf8), timeout: .milliseconds(50))
            Issue.record("late answer did not time out")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.message == "plugin 'misbehaving' did not answer late within 0.05 seconds")
        }
        #expect(plugin.ignoredAnswers == 0)
        #expect(await PluginFiles.waitForIgnoredAnswers(of: plugin, above: 0))
        let answer = try await plugin.call("synchronous", params: Data("{}".utf8))
        #expect(String(decoding: answer, as: UTF8.self) == #"{"synchronous":true}"#)
    }

    @Test func secondAnswerToTheSameCallIsIgnored() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        let answer = try await plugin.call("twice", params: Data("{}".utf8))
        #expect(String(decoding: answer, as: UTF8.self) == #"{"answer":1}"#)
        #expect(await PluginFiles.waitForIgnoredAnswers(of: plugin, above: 0))
        #expect(plugin.ignoredAnswers == 1)
    }

    @Test func garbageResultIsAMalformedResponseError() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        await #expect(
            throws: PluginError(
                .malformedResponse, "plugin 'misbehaving' answered garbage with bytes that are not JSON")
        ) {
            try await plugin.call("garbage", params: Data("{}".utf8))
        }
    }

    @Test func garbageErrorIsAMalformedResponseError() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        do {
            _ = try await plugin.call("garbageError", params: Data("{}".utf8))
            Issue.record("garbage error accepted")
        } catch {
            #expect(error.code == .malformedResponse)
            #expect(error.message.contains("status 7"))
        }
    }

    @Test func errorObjectBecomesTheTypedError() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        await #expect(throws: PluginError(.rejected, "recipient refused", field: "/to")) {
            try await plugin.call("pluginError", params: Data("{}".utf8))
        }
    }

    @Test func neverAnsweringTimesOut() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        let started = ContinuousClock.now
        do {
            _ = try await plugin.call("never", params: Data("{}".utf8), timeout: .milliseconds(100))
            Issue.record("a call that is never answered returned")
        } catch {
            #expect(error.code == .timeout)
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func answerWithAnInventedContextIsIgnored() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        let ignoredBefore = LoadedPlugin.ignoredCompletions
        let answer = try await plugin.call("inventedContext", params: Data("{}".utf8))
        #expect(String(decoding: answer, as: UTF8.self) == #"{"ok":true}"#)
        #expect(LoadedPlugin.ignoredCompletions > ignoredBefore)
    }

    @Test func answerGivenBeforeCallReturnsIsDelivered() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        let answer = try await plugin.call("synchronous", params: Data("{}".utf8))
        #expect(String(decoding: answer, as: UTF8.self) == #"{"synchronous":true}"#)
    }

    @Test func cancellingTheCallerEndsTheCallOnce() async throws {
        let plugin = try PluginFiles.loadMisbehaving()
        let task = Task { try await plugin.call("never", params: Data("{}".utf8), timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("cancelled call returned a value")
        } catch let error as PluginError {
            #expect(error.code == .cancelled)
        }
    }
}
