import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A running stand-in for Twilio's Messages API (`scripts/standins/sms_standin.py`), for tests of
/// the SMS plugin: it accepts messages the way Twilio documents, answers Twilio's error objects,
/// and tells the test what it received.
///
/// ```swift
/// let standIn = try await SMSStandIn.start()
/// defer { standIn.stop() }
/// // load the SMS plugin with settings ["baseURL": .string(standIn.baseURL)] …
/// let sent = try await standIn.messages()
/// ```
///
/// The process is started with its stdin on a socket this object holds, so it also exits when the
/// test process dies without calling `stop()`.
public final class SMSStandIn: Sendable {
    /// The Account SID the stand-in serves; any other answers 404 (code 20404).
    public let accountSid: String
    /// The Auth Token it accepts for `accountSid`; any other answers 401 (code 20003).
    public let authToken: String
    /// The loopback port it listens on.
    public let port: Int
    /// `http://127.0.0.1:PORT`: the SMS plugin's `baseURL` setting.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private let processID: pid_t
    /// This process's end of the socket that is the child's stdin and stdout; `nil` once stopped.
    private let controlSocket: Mutex<Int32?>

    private init(accountSid: String, authToken: String, port: Int, processID: pid_t, controlSocket: Int32) {
        self.accountSid = accountSid
        self.authToken = authToken
        self.port = port
        self.processID = processID
        self.controlSocket = Mutex(controlSocket)
    }

    deinit { stop() }

    /// Why the stand-in could not start or answer.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the stand-in's log when it has one.
        public let description: String
    }

    /// Starts the stand-in on a free loopback port and waits until it listens.
    /// - Parameters:
    ///   - accountSid: the account it serves (`AC` and 32 hex digits); a random one by default.
    ///   - authToken: the token it accepts; a random one by default.
    ///   - unsubscribed: numbers that have opted out: messages to them answer 400 with code 21610.
    /// - Throws: ``Failure`` when Python cannot be started or does not print `READY <port>` within 15 s.
    public static func start(
        accountSid: String = "AC" + randomHex(32), authToken: String = randomHex(32), unsubscribed: [String] = []
    ) async throws -> SMSStandIn {
        let script = repositoryRoot.appendingPathComponent("scripts/standins/sms_standin.py").path
        let venvPython = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "python3"
        var arguments = [
            python, script, "--port", "0", "--account-sid", accountSid, "--auth-token", authToken,
            "--exit-on-stdin-eof",
        ]
        for number in unsubscribed { arguments += ["--unsubscribed", number] }
        let command = arguments
        let logPath = NSTemporaryDirectory() + "ledgerline-sms-standin-\(UUID().uuidString).log"

        // Spawning and the blocking read of `READY <port>` run on a Dispatch thread, never on one
        // of Swift concurrency's few threads.
        let launch = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Launch, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try spawn(command, logPath: logPath) })
            }
        }
        return SMSStandIn(
            accountSid: accountSid, authToken: authToken, port: launch.port, processID: launch.processID,
            controlSocket: launch.controlSocket)
    }

    /// Every message the stand-in accepted, in order.
    /// - Throws: ``Failure`` when the admin endpoint does not answer a list.
    public func messages() async throws -> [SentSMS] {
        let data = try await admin("GET", "/_admin/messages")
        do {
            return try JSONDecoder().decode([SentSMS].self, from: data)
        } catch {
            throw Failure(description: "the SMS stand-in's message list did not decode: \(error)")
        }
    }

    /// Makes the next `count` message requests answer `status` (429, 500, 503, …) with a
    /// Twilio-style error object, before any other check.
    public func failNext(_ count: Int, status: Int) async throws {
        _ = try await admin("POST", "/_admin/fail?status=\(status)&count=\(count)")
    }

    /// Forgets every message and pending failure.
    public func reset() async throws {
        _ = try await admin("POST", "/_admin/reset")
    }

    /// Stops the stand-in (SIGTERM) and reaps it in the background. Safe to call more than once.
    public func stop() {
        guard terminate() else { return }
        let processID = self.processID
        Thread.detachNewThread { Self.reap(processID) }
    }

    /// Stops the stand-in and returns once it has exited, so its port no longer answers. Returns at
    /// once when it was already stopped.
    public func stopAndWait() async {
        guard terminate() else { return }
        let processID = self.processID
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                Self.reap(processID)
                continuation.resume()
            }
        }
    }

    /// Closes this end of the child's stdin and sends SIGTERM; `false` when already done.
    private func terminate() -> Bool {
        guard
            let socket = controlSocket.withLock({ value -> Int32? in
                defer { value = nil }
                return value
            })
        else { return false }
        close(socket)
        kill(processID, SIGTERM)
        return true
    }

    /// Waits for the child to exit (blocking: call it on a Dispatch thread).
    private static func reap(_ processID: pid_t) {
        var status: Int32 = 0
        while waitpid(processID, &status, 0) == -1, errno == EINTR {}
    }

    private func admin(_ method: String, _ path: String) async throws -> Data {
        guard let url = URL(string: baseURL + path) else { throw Failure(description: "bad admin path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode, status == 200 else {
            throw Failure(description: "the SMS stand-in answered \(method) \(path) with \(response)")
        }
        return data
    }

    // MARK: - Launching

    /// The repository root, from this file's place in it (`Tests/StandIns/SMSStandIn.swift`).
    private static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private typealias Launch = StandInLauncher.Launch

    /// Starts the script (see `StandInLauncher.spawn`), failing with this type's ``Failure``.
    private static func spawn(_ arguments: [String], logPath: String) throws -> Launch {
        do {
            return try StandInLauncher.spawn(arguments, logPath: logPath, name: "the SMS stand-in")
        } catch let failure as StandInFailure {
            throw Failure(description: failure.description)
        }
    }

    /// `count` random lowercase hex digits.
    public static func randomHex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement() ?? "0" })
    }
}

/// One message the SMS stand-in accepted (`GET /_admin/messages`).
public struct SentSMS: Decodable, Sendable, Hashable {
    /// The `To` number.
    public let to: String
    /// The `From` number, when the request named one.
    public let from: String?
    /// The `MessagingServiceSid`, when the request named one.
    public let messagingServiceSid: String?
    /// The `Body`, exactly as decoded from the form.
    public let body: String
    /// The Message SID it answered (`SM…`).
    public let sid: String
    /// When it accepted the message (ISO 8601).
    public let receivedAt: String

    enum CodingKeys: String, CodingKey {
        case to
        case from
        case messagingServiceSid = "messaging_service_sid"
        case body
        case sid
        case receivedAt = "received_at"
    }
}
