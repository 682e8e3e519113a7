import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A running stand-in for Claim.MD's REST API (`scripts/standins/claimmd_standin.py`), for tests of
/// the Claim.MD plugin. It speaks the wire format of `shared/domain/claimmd-api.md` (POST form or
/// multipart with `AccountKey`, XML by default, JSON on `Accept: application/json`), scrubs uploaded
/// 837P files claim by claim, plays each accepted claim's life forward (payer acknowledgement, in
/// process, paid by an 835 ERA), and tells the test exactly what it received.
///
/// ```swift
/// let standIn = try await ClaimMDStandIn.start(accountKeys: ["1234_test"])
/// defer { standIn.stop() }
/// // point the plugin at standIn.baseURL, upload, poll /response/ …
/// try await standIn.advance()        // the payer acknowledges, then pends, every accepted claim
/// try await standIn.pay()            // an ERA pays every claim that is in process
/// #expect(try await standIn.received().pcns["C1000001"] == 1)
/// ```
///
/// The process is started with its stdin on a socket this object holds, so it also exits when the
/// test process dies without calling `stop()`.
public final class ClaimMDStandIn: Sendable {
    /// The AccountKeys it serves; each has its own claims, files, responses and ERAs. Any other key
    /// gets an `error` element.
    public let accountKeys: [String]
    /// The loopback port it listens on.
    public let port: Int
    /// `http://127.0.0.1:PORT/services`: the Claim.MD base URL, under which `/upload/`,
    /// `/response/`, `/uploadlist/`, `/payerlist/`, `/eralist/`, `/era835/` and `/eradata/` answer.
    public var baseURL: String { "http://127.0.0.1:\(port)/services" }
    /// `http://127.0.0.1:PORT`: where the admin endpoints (`/_admin/…`) live.
    public var rootURL: String { "http://127.0.0.1:\(port)" }

    private let processID: pid_t
    /// This process's end of the socket that is the child's stdin and stdout; `nil` once stopped.
    private let controlSocket: Mutex<Int32?>

    private init(accountKeys: [String], port: Int, processID: pid_t, controlSocket: Int32) {
        self.accountKeys = accountKeys
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
    ///   - accountKeys: the AccountKeys it serves (at least one).
    ///   - ackSeconds: seconds from upload to the payer's acknowledgement (or rejection) of an accepted claim.
    ///   - processSeconds: seconds from upload to the payer's "in process" response.
    ///   - rateLimit: requests per AccountKey in any 60 seconds before it answers HTTP 429; 0 turns it off.
    ///   - singleObjectQuirk: answer a one-element JSON list as an object instead of an array, as
    ///     integrators report Claim.MD sometimes does.
    /// - Throws: ``Failure`` when no key is given, Python cannot be started, or it does not print
    ///   `READY <port>` within 15 s.
    public static func start(
        accountKeys: [String], ackSeconds: Double = 5, processSeconds: Double = 10, rateLimit: Int = 100,
        singleObjectQuirk: Bool = false
    ) async throws -> ClaimMDStandIn {
        guard !accountKeys.isEmpty else { throw Failure(description: "the Claim.MD stand-in needs an AccountKey") }
        let script = BuiltProducts.repositoryRoot.appendingPathComponent("scripts/standins/claimmd_standin.py").path
        let venvPython = BuiltProducts.repositoryRoot.appendingPathComponent(".venv/bin/python").path
        let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "python3"
        var arguments = [
            python, script, "--port", "0", "--ack-seconds", String(ackSeconds), "--process-seconds",
            String(processSeconds), "--rate-limit", String(rateLimit), "--exit-on-stdin-eof",
        ]
        for key in accountKeys { arguments += ["--account-key", key] }
        if singleObjectQuirk { arguments.append("--single-object-quirk") }
        let command = arguments
        let logPath = NSTemporaryDirectory() + "ledgerline-claimmd-standin-\(UUID().uuidString).log"

        // Spawning and the blocking read of `READY <port>` run on a thread of their own, never on
        // one of Swift concurrency's few threads nor on a Dispatch worker.
        let launch = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Launch, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try spawn(command, logPath: logPath) })
            }
        }
        return ClaimMDStandIn(
            accountKeys: accountKeys, port: launch.port, processID: launch.processID,
            controlSocket: launch.controlSocket)
    }

    // MARK: - What it received

    /// Every PCN (CLM01) it received in an upload whose envelope was sound, with how many times, and
    /// every uploaded file name in order (including files refused as a whole).
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func received() async throws -> (pcns: [String: Int], files: [String]) {
        let received = try await receivedFiles()
        return (received.pcns, received.files.map(\.filename))
    }

    /// Like ``received()``, with each file's account (masked), claim count and arrival time.
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func receivedFiles(accountKey: String? = nil) async throws -> ReceivedUploads {
        try await decode(ReceivedUploads.self, from: admin("GET", "/_admin/received", query: accountKey))
    }

    /// Every claim of every account with its current stage, in upload order.
    /// - Parameter accountKey: only this account's claims, when given.
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func claims(accountKey: String? = nil) async throws -> [StandInClaim] {
        try await decode([StandInClaim].self, from: admin("GET", "/_admin/claims", query: accountKey))
    }

    /// Every `/enroll/` request the stand-in kept (one per payer, type and provider): `payerid`,
    /// `enroll_type`, `prov_taxid`, `prov_npi`, `enrollid`, `status`.
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func enrollments() async throws -> [[String: String]] {
        try await decode([[String: String]].self, from: admin("GET", "/_admin/enrollments"))
    }

    /// When each Claim.MD request with `accountKey` arrived (seconds since 1970), per endpoint
    /// (`upload`, `response`, …), including requests answered 429 or by a fault.
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func requestTimes(accountKey: String) async throws -> [String: [Double]] {
        try await decode([String: [Double]].self, from: admin("GET", "/_admin/requests", query: accountKey))
    }

    // MARK: - Driving it

    /// Makes every pending timed step happen now: payer acknowledgements (or rejections for
    /// subscriber ids starting with `REJ`), then "in process" responses. Tests call this instead of sleeping.
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func advance() async throws {
        _ = try await admin("POST", "/_admin/advance")
    }

    /// Pays claims that are in process, in full, with one ERA per account, payer and billing NPI
    /// (listed by `/eralist/`, its 835 by `/era835/`).
    /// - Parameter pcns: only these PCNs; every in-process claim when `nil`.
    /// - Returns: the PCNs paid.
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    @discardableResult
    public func pay(_ pcns: [String]? = nil) async throws -> [String] {
        try await adjudicate(pcns, allowedPercent: 100, patientResponsibility: nil)
    }

    /// Adjudicates in-process claims in one ERA per payer: the payer allows `allowedPercent` of each
    /// line (CO-45 writes off the rest) and leaves `patientResponsibility` (e.g. "25.00", PR group with
    /// CARC `prReason`) to the patient; or, with `deny` (a CARC), denies them (CLP02 4, nothing paid).
    /// - Returns: the patient control numbers adjudicated.
    public func adjudicate(_ pcns: [String]?, allowedPercent: Int = 100, patientResponsibility: String? = nil,
                           prReason: String = "3", deny: String? = nil) async throws -> [String] {
        struct Request: Encodable {
            let pcns: [String]?
            let allowedPercent: Int
            let patientResponsibility: String?
            let prReason: String
            let deny: String?
        }
        struct Answer: Decodable { let paid: [String] }
        let body = try JSONEncoder().encode(Request(pcns: pcns, allowedPercent: allowedPercent,
                                                    patientResponsibility: patientResponsibility, prReason: prReason,
                                                    deny: deny))
        return try await decode(Answer.self, from: admin("POST", "/_admin/pay", body: body)).paid
    }

    /// Adds a fault that later Claim.MD requests meet (after the rate limit, before anything else).
    /// - Throws: ``Failure`` when the stand-in refuses the fault.
    public func inject(_ fault: Fault) async throws {
        var object: [String: Any] = ["endpoint": fault.endpoint.rawValue, "mode": fault.mode.rawValue]
        switch fault.frequency {
        case .count(let count): object["count"] = count
        case .probability(let probability): object["probability"] = probability
        }
        if let delaySeconds = fault.delaySeconds { object["delaySeconds"] = delaySeconds }
        _ = try await admin("POST", "/_admin/faults", body: try JSONSerialization.data(withJSONObject: object))
    }

    /// Removes every fault.
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func clearFaults() async throws {
        _ = try await admin("POST", "/_admin/faults/clear")
    }

    /// Forgets every claim, file, response, ERA, fault and logged request (ids keep increasing).
    /// - Throws: ``Failure`` when the admin endpoint does not answer.
    public func reset() async throws {
        _ = try await admin("POST", "/_admin/reset")
    }

    /// A failure the stand-in plays instead of (or around) a normal answer.
    public struct Fault: Sendable, Hashable {
        /// Which service it hits.
        public enum Endpoint: String, Sendable, Hashable, CaseIterable {
            case upload, uploadlist, response, payerlist, eralist, era835, eradata
            /// Every service.
            case any = "*"
        }

        /// What happens to a request it hits.
        public enum Mode: String, Sendable, Hashable {
            /// HTTP 503 with an HTML body; the request is not processed.
            case serviceUnavailable = "503"
            /// Waits `delaySeconds` (default 5), then closes the connection; the request is not processed.
            case timeout
            /// Processes the request (an upload's claims are recorded) and closes the connection
            /// without answering: the ambiguous case.
            case drop
            /// Processes the request and answers after `delaySeconds` (default 5).
            case slow
        }

        /// How often it strikes.
        public enum Frequency: Sendable, Hashable {
            /// The next `count` matching requests.
            case count(Int)
            /// Each matching request with this probability (0…1), until cleared.
            case probability(Double)
        }

        /// Which service it hits.
        public var endpoint: Endpoint
        /// What happens.
        public var mode: Mode
        /// How often.
        public var frequency: Frequency
        /// The wait for `timeout` and `slow`; the stand-in's default (5 s) when `nil`.
        public var delaySeconds: Double?

        /// A fault for the next `count` requests to `endpoint`.
        public init(endpoint: Endpoint = .any, mode: Mode, count: Int = 1, delaySeconds: Double? = nil) {
            self.init(endpoint: endpoint, mode: mode, frequency: .count(count), delaySeconds: delaySeconds)
        }

        /// A fault for `endpoint` with the given frequency.
        public init(endpoint: Endpoint = .any, mode: Mode, frequency: Frequency, delaySeconds: Double? = nil) {
            self.endpoint = endpoint
            self.mode = mode
            self.frequency = frequency
            self.delaySeconds = delaySeconds
        }
    }

    /// What `GET /_admin/received` answers.
    public struct ReceivedUploads: Decodable, Sendable {
        /// Each PCN received, with how many times.
        public let pcns: [String: Int]
        /// Each uploaded file, in order.
        public let files: [File]

        /// One uploaded file.
        public struct File: Decodable, Sendable, Hashable {
            /// The `Filename` field, or the `File` part's filename.
            public let filename: String
            /// The AccountKey that sent it, masked (`1234****yz`).
            public let accountKey: String
            /// How many claims it held (0 when refused as a whole).
            public let claims: Int
            /// When it arrived (seconds since 1970).
            public let at: Double
            /// Why it was refused as a whole, if it was.
            public let error: String?
        }
    }

    // MARK: - Stopping

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

    /// Waits for the child to exit (blocking: call it on a thread of its own).
    private static func reap(_ processID: pid_t) {
        var status: Int32 = 0
        while waitpid(processID, &status, 0) == -1, errno == EINTR {}
    }

    // MARK: - Admin requests

    private func admin(_ method: String, _ path: String, query accountKey: String? = nil, body: Data? = nil)
        async throws -> Data
    {
        var components = URLComponents(string: rootURL + path)
        if let accountKey { components?.queryItems = [URLQueryItem(name: "accountKey", value: accountKey)] }
        guard let url = components?.url else { throw Failure(description: "bad admin path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 10
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode, status == 200 else {
            let text = String(decoding: data, as: UTF8.self)
            throw Failure(description: "the Claim.MD stand-in answered \(method) \(path) with \(response): \(text)")
        }
        return data
    }

    private func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw Failure(description: "the Claim.MD stand-in's admin answer did not decode as \(type): \(error)")
        }
    }

    // MARK: - Launching

    private typealias Launch = StandInLauncher.Launch

    /// Starts the script (see `StandInLauncher.spawn`), failing with this type's ``Failure``.
    private static func spawn(_ arguments: [String], logPath: String) throws -> Launch {
        do {
            return try StandInLauncher.spawn(arguments, logPath: logPath, name: "the Claim.MD stand-in")
        } catch let failure as StandInFailure {
            throw Failure(description: failure.description)
        }
    }
}

/// One claim the Claim.MD stand-in holds (`GET /_admin/claims`), with where it is in its life.
public struct StandInClaim: Decodable, Sendable, Hashable {
    /// Where a claim is in the stand-in's lifecycle.
    public enum Stage: String, Decodable, Sendable, Hashable {
        /// Rejected by the upload edits (status R).
        case rejected
        /// Accepted at upload, waiting for the payer's acknowledgement.
        case accepted
        /// Acknowledged by the payer ("Accepted by payer").
        case received
        /// Rejected by the payer ("Subscriber not found").
        case payerRejected = "payer_rejected"
        /// Pended by the payer ("Claim pended for adjudication - in process").
        case inProcess = "in_process"
        /// Paid by an ERA.
        case paid
        /// Denied by an ERA.
        case denied
    }

    /// The AccountKey it was uploaded with, masked.
    public let accountKey: String
    /// Claim.MD's id for it.
    public let claimMDID: String
    /// CLM01.
    public let pcn: String
    /// The latest claim status: `A` or `R`.
    public let status: String
    /// Where it is now.
    public let stage: Stage
    /// NM109 of the subscriber loop's payer.
    public let payerID: String
    /// NM109 of the subscriber.
    public let insuranceNumber: String
    /// NM109 of the billing provider.
    public let billingNPI: String
    /// CLM02 as "150.00".
    public let totalCharge: String
    /// The 2300 REF*D9 value, or "".
    public let remoteClaimID: String
    /// The file it came in.
    public let fileID: String
    /// That file's name.
    public let fileName: String
    /// The payer's claim number ("" for claims rejected at upload).
    public let senderICN: String
    /// The ERA that paid it, or "".
    public let eraID: String
    /// CLM05-3: `1` original, `7` replacement, `8` void.
    public let frequency: String
    /// The 2300 REF*F8 value (the payer's claim number a replacement or void refers to), or "".
    public let originalReference: String

    enum CodingKeys: String, CodingKey {
        case accountKey
        case claimMDID = "claimmd_id"
        case pcn
        case status
        case stage
        case payerID = "payerid"
        case insuranceNumber = "ins_number"
        case billingNPI = "bill_npi"
        case totalCharge = "total_charge"
        case remoteClaimID = "remote_claimid"
        case fileID = "fileid"
        case fileName = "filename"
        case senderICN = "sender_icn"
        case eraID = "eraid"
        case frequency
        case originalReference = "original_ref"
    }
}
