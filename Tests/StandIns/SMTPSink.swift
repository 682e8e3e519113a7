import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real SMTP server for tests: `scripts/standins/smtp_sink.py` (aiosmtpd) started in a child
/// process, listening on 127.0.0.1 at a free port and keeping every message it accepts in a
/// folder that ``messages()`` reads back.
///
/// ```swift
/// let sink = try await SMTPSink.start(tls: true, auth: ("bob", "secret"))
/// defer { sink.stop() }
/// // … send to smtp://127.0.0.1:\(sink.port) with caFile sink.caFile …
/// let mail = try await sink.waitForMessages(count: 1, timeout: .seconds(10))
/// ```
///
/// Nothing here blocks Swift's cooperative threads: the child is spawned with `posix_spawn`, its
/// `READY` line is polled from a file, and it is reaped on a thread of its own.
public final class SMTPSink: Sendable {
    /// Why the sink could not start or did not receive what was expected.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the sink's log when it helps.
        public let description: String
    }

    /// The TCP port on 127.0.0.1 the sink listens on.
    public let port: Int
    /// The PEM certificate the sink presents for STARTTLS (self-signed for `127.0.0.1`), when
    /// started with `tls: true`; pass it to a client as its CA file.
    public let caFile: String?
    /// The folder holding everything of this sink: messages, certificate, log.
    public let workDirectory: URL

    private let processID: pid_t
    private let stopped = Mutex(false)

    private var mailDirectory: URL { workDirectory.appendingPathComponent("mail") }
    private var logFile: URL { workDirectory.appendingPathComponent("sink.log") }

    private init(port: Int, caFile: String?, workDirectory: URL, processID: pid_t) {
        self.port = port
        self.caFile = caFile
        self.workDirectory = workDirectory
        self.processID = processID
    }

    deinit { stop() }

    /// Starts a sink and waits until it listens.
    /// - Parameters:
    ///   - tls: offer STARTTLS with a fresh self-signed certificate for 127.0.0.1 (see ``caFile``)
    ///     and refuse mail without it.
    ///   - auth: the user name and password that AUTH must present; mail without a login is refused.
    ///     With `tls`, AUTH is only offered after STARTTLS.
    ///   - refuse: recipient addresses refused with `550 5.1.1 mailbox unavailable` at RCPT.
    /// - Throws: ``Failure`` when the Python environment is missing or the sink does not start.
    public static func start(tls: Bool = false, auth: (String, String)? = nil, refuse: [String] = [])
        async throws -> SMTPSink
    {
        let root = repositoryRoot
        let python = root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "\(python) is missing; run scripts/deps.sh to install aiosmtpd")
        }
        let work = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("ledgerline-smtp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: work.appendingPathComponent("mail"), withIntermediateDirectories: true)

        let processID: pid_t
        var caFile: String?
        do {
            var arguments = [
                root.appendingPathComponent("scripts/standins/smtp_sink.py").path,
                "--port", "0", "--dir", work.appendingPathComponent("mail").path,
            ]
            if tls {
                // An EC key: RSA key generation costs about half a second of CPU per sink, which on a
                // two-core machine delays the timers of tests running alongside.
                let certificate = work.appendingPathComponent("cert.pem").path
                let key = work.appendingPathComponent("key.pem").path
                try await run(
                    try executable(named: "openssl"),
                    [
                        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                        "-keyout", key, "-out", certificate,
                    ],
                    output: work.appendingPathComponent("openssl.log").path)
                arguments += ["--tls-cert", certificate, "--tls-key", key, "--require-starttls"]
                caFile = certificate
            }
            if let (user, password) = auth { arguments += ["--auth", "\(user):\(password)"] }
            for address in refuse { arguments += ["--refuse-recipient", address] }
            processID = try spawn(python, arguments, output: work.appendingPathComponent("sink.log").path)
        } catch {
            try? FileManager.default.removeItem(at: work)
            throw error
        }
        let logPath = work.appendingPathComponent("sink.log").path
        let port = try await waitUntilReady(processID: processID, logPath: logPath, work: work, timeout: .seconds(30))
        return SMTPSink(port: port, caFile: caFile, workDirectory: work, processID: processID)
    }

    /// Every message received so far, in the order received.
    /// - Throws: when a stored message cannot be read.
    public func messages() throws -> [ReceivedMail] {
        let names = try FileManager.default.contentsOfDirectory(atPath: mailDirectory.path)
        // The .json is written (atomically) after the .eml, so its presence means both are complete.
        let numbers = names.compactMap { name -> Int? in
            name.hasSuffix(".json") ? Int(name.dropLast(5)) : nil
        }
        return try numbers.sorted().map { number in
            let metadata = try Data(contentsOf: mailDirectory.appendingPathComponent("\(number).json"))
            let raw = try Data(contentsOf: mailDirectory.appendingPathComponent("\(number).eml"))
            let envelope = try JSONDecoder().decode(Envelope.self, from: metadata)
            return ReceivedMail(
                raw: raw, mailFrom: envelope.mailFrom ?? "", rcptTos: envelope.rcptTos ?? [],
                authUser: envelope.authUser, heloName: envelope.helo)
        }
    }

    /// Waits (polling, at most `timeout`) until at least `count` messages have arrived.
    /// - Throws: ``Failure`` naming how many arrived when fewer than `count` did in time.
    public func waitForMessages(count: Int, timeout: Duration = .seconds(10)) async throws -> [ReceivedMail] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let received = try messages()
            if received.count >= count { return received }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "expected \(count) message(s) within \(timeout), got \(received.count)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// What the sink printed (aiosmtpd's log), for diagnosing a failed test.
    public func log() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Stops the sink (SIGTERM) and removes its folder. Returns at once: the child, which writes
    /// nothing more once signalled, is reaped on a thread of its own. Not on Dispatch: Linux adds
    /// Dispatch workers only about once a second, so a worker waiting for a child delays every
    /// Dispatch timer in the process, the plugin host's call timeouts included. Calling it again
    /// does nothing.
    public func stop() {
        let alreadyStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        let processID = processID
        kill(processID, SIGTERM)
        try? FileManager.default.removeItem(at: workDirectory)
        Self.reapInBackground(processID)
    }

    // MARK: - Process handling

    /// The repository root: this file is Tests/StandIns/SMTPSink.swift.
    private static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The sink's `<n>.json`.
    private struct Envelope: Decodable {
        var mailFrom: String?
        var rcptTos: [String]?
        var authUser: String?
        var helo: String?

        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from"
            case rcptTos = "rcpt_tos"
            case authUser = "auth_user"
            case helo
        }
    }

    private static func executable(named name: String) throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for folder in folders + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(description: "\(name) is not installed (needed to make the sink's TLS certificate)")
    }

    /// Starts `executable` with stdin from /dev/null and stdout and stderr into `output`.
    private static func spawn(_ executable: String, _ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var processID: pid_t = 0
        let spawned = posix_spawn(&processID, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        return processID
    }

    /// Runs a short-lived program to completion, polling its exit from this task. Unlike
    /// `ChildProcess.runDetached`, no thread waits in `waitpid`: a Dispatch worker parked there
    /// delays every Dispatch timer in the process (Linux adds workers only about once a second).
    private static func run(_ executable: String, _ arguments: [String], output: String) async throws {
        let processID = try spawn(executable, arguments, output: output)
        var status: Int32 = 0
        while true {
            let result = waitpid(processID, &status, WNOHANG)
            if result == processID { break }
            guard result == 0 else {
                throw Failure(description: "waitpid for \(executable) failed: \(String(cString: strerror(errno)))")
            }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                kill(processID, SIGKILL)
                reapInBackground(processID)
                throw error
            }
        }
        let exitedNormally = (status & 0x7F) == 0
        guard exitedNormally, (status >> 8) & 0xFF == 0 else {
            let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw Failure(description: "\(executable) \(arguments.first ?? "") failed (status \(status)):\n\(log)")
        }
    }

    /// Polls the log for `READY <port>`. Fails early when the child exits; stops the child when it
    /// does not become ready in time or the waiting task is cancelled.
    private static func waitUntilReady(processID: pid_t, logPath: String, work: URL, timeout: Duration)
        async throws -> Int
    {
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        // Handing the child to a sink makes stop() terminate and reap it, and remove the folder.
        func abandon() { SMTPSink(port: 0, caFile: nil, workDirectory: work, processID: processID).stop() }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for line in log().split(separator: "\n") where line.hasPrefix("READY ") {
                if let port = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) { return port }
            }
            var status: Int32 = 0
            if waitpid(processID, &status, WNOHANG) == processID {
                let output = log()
                try? FileManager.default.removeItem(at: work)
                throw Failure(description: "the SMTP sink exited during start-up:\n\(output)")
            }
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                abandon()
                throw error
            }
        }
        let output = log()
        abandon()
        throw Failure(description: "the SMTP sink did not print READY within \(timeout):\n\(output)")
    }

    /// Reaps a signalled child on a thread of its own, killing it if it has not exited in 10 s.
    private static func reapInBackground(_ processID: pid_t) {
        Thread {
            if !reap(processID, within: .seconds(10)) {
                kill(processID, SIGKILL)
                _ = reap(processID, within: .seconds(5))
            }
        }.start()
    }

    /// Waits (polling `WNOHANG`, so never stuck) until the child has exited; `false` when it has not.
    private static func reap(_ processID: pid_t, within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let result = waitpid(processID, &status, WNOHANG)
            if result == processID || (result == -1 && errno == ECHILD) { return true }
            usleep(20_000)
        }
        return false
    }
}

/// One message the sink accepted: its envelope, its bytes and a reading of its MIME structure
/// sufficient to get back exactly what was sent (headers, text, HTML, attachment bytes).
public struct ReceivedMail: Sendable {
    /// An attachment: a part with `Content-Disposition: attachment`.
    public struct Attachment: Sendable, Hashable {
        /// The file name from `Content-Disposition` (RFC 2231 decoded), else from `Content-Type`'s `name`.
        public var filename: String
        /// The media type, lowercased, without parameters (`application/pdf`).
        public var contentType: String
        /// The decoded bytes.
        public var data: Data

        /// An attachment, for comparing with what was received.
        public init(filename: String, contentType: String, data: Data) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
        }
    }

    /// The message exactly as received after DATA (dot-unstuffed by the server).
    public let raw: Data
    /// The envelope sender (`MAIL FROM`).
    public let mailFrom: String
    /// The envelope recipients the server accepted (`RCPT TO`).
    public let rcptTos: [String]
    /// The user name the client logged in with, if it did.
    public let authUser: String?
    /// The name the client greeted the server with (`EHLO name`).
    public let heloName: String?

    private let root: MIMEEntity

    /// Reads `raw` as a MIME message.
    public init(raw: Data, mailFrom: String, rcptTos: [String], authUser: String? = nil, heloName: String? = nil) {
        self.raw = raw
        self.mailFrom = mailFrom
        self.rcptTos = rcptTos
        self.authUser = authUser
        self.heloName = heloName
        root = MIMEEntity(Array(raw))
    }

    /// The top-level header `name` (case-insensitive), unfolded and with RFC 2047 encoded words
    /// decoded: `header("Subject")`.
    public func header(_ name: String) -> String? {
        root.rawHeader(name).map(MIMEEntity.decodeEncodedWords)
    }

    /// The top-level header `name` unfolded but otherwise as sent (encoded words left encoded).
    public func rawHeader(_ name: String) -> String? { root.rawHeader(name) }

    /// Every top-level header as sent, unfolded, in order.
    public var headers: [(name: String, value: String)] { root.headers }

    /// The first `text/plain` part that is not an attachment, decoded to a string. Line breaks are
    /// as transported, which for MIME text is CRLF.
    public var text: String? { root.firstBody(ofType: "text/plain") }

    /// The first `text/html` part that is not an attachment, decoded (CRLF line breaks).
    public var html: String? { root.firstBody(ofType: "text/html") }

    /// Every attachment, in order.
    public var attachments: [Attachment] {
        root.leaves.compactMap { leaf in
            guard leaf.isAttachment else { return nil }
            return Attachment(filename: leaf.filename ?? "", contentType: leaf.mediaType, data: leaf.decodedBody)
        }
    }

    /// The media type of every leaf part, depth first (`["text/plain", "text/html", "application/pdf"]`).
    public var partTypes: [String] { root.leaves.map(\.mediaType) }

    /// The media type of the top-level entity (`multipart/mixed`).
    public var mediaType: String { root.mediaType }
}

// MARK: - MIME reading

/// One MIME entity parsed from bytes: headers, and either a body or child entities.
private struct MIMEEntity: Sendable {
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    let children: [MIMEEntity]

    init(_ bytes: [UInt8]) {
        let (headerBytes, body) = Self.splitHeaders(bytes)
        headers = Self.parseHeaders(headerBytes)
        self.body = body
        let (type, parameters) = Self.parseContentType(headers.first { $0.name.lowercased() == "content-type" }?.value)
        if type.hasPrefix("multipart/"), let boundary = parameters["boundary"] {
            children = Self.splitMultipart(body, boundary: boundary).map(MIMEEntity.init)
        } else {
            children = []
        }
    }

    func rawHeader(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var mediaType: String { Self.parseContentType(rawHeader("Content-Type")).type }

    var leaves: [MIMEEntity] { children.isEmpty ? [self] : children.flatMap(\.leaves) }

    var isAttachment: Bool {
        rawHeader("Content-Disposition")?.lowercased().trimmingCharacters(in: .whitespaces).hasPrefix("attachment")
            ?? false
    }

    var filename: String? {
        let disposition = Self.parseParameters(rawHeader("Content-Disposition") ?? "")
        return disposition["filename"] ?? Self.parseContentType(rawHeader("Content-Type")).parameters["name"]
    }

    /// The body with its Content-Transfer-Encoding undone.
    var decodedBody: Data {
        switch rawHeader("Content-Transfer-Encoding")?.lowercased().trimmingCharacters(in: .whitespaces) {
        case "base64":
            let compact = body.filter { !($0 == 0x0D || $0 == 0x0A || $0 == 0x20 || $0 == 0x09) }
            return Data(base64Encoded: Data(compact)) ?? Data()
        case "quoted-printable":
            return Data(Self.decodeQuotedPrintable(body))
        default:
            return Data(body)
        }
    }

    func firstBody(ofType type: String) -> String? {
        guard let leaf = leaves.first(where: { $0.mediaType == type && !$0.isAttachment }) else { return nil }
        return String(decoding: leaf.decodedBody, as: UTF8.self)
    }

    // MARK: Parsing

    /// Headers and body, split at the first empty line (CRLF CRLF, or LF LF).
    static func splitHeaders(_ bytes: [UInt8]) -> ([UInt8], [UInt8]) {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                // An empty line: LF directly after a LF (or after CRLF).
                let next = index + 1
                if next < bytes.count, bytes[next] == 0x0A {
                    return (Array(bytes[..<index]), Array(bytes[(next + 1)...]))
                }
                if next + 1 < bytes.count, bytes[next] == 0x0D, bytes[next + 1] == 0x0A {
                    return (Array(bytes[..<index]), Array(bytes[(next + 2)...]))
                }
            }
            index += 1
        }
        return (bytes, [])
    }

    /// Unfolds and splits header lines into name and value.
    static func parseHeaders(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        var unfolded: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first == " " || first == "\t", !unfolded.isEmpty {
                unfolded[unfolded.count - 1] += line
            } else if !line.isEmpty {
                unfolded.append(String(line))
            }
        }
        return unfolded.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (
                name: String(line[..<colon]).trimmingCharacters(in: .whitespacesAndNewlines),
                value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
    }

    /// `type/subtype` (lowercased) and the parameters of a Content-Type value; `text/plain` by default.
    static func parseContentType(_ value: String?) -> (type: String, parameters: [String: String]) {
        guard let value else { return ("text/plain", [:]) }
        let type = value.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        return (type.isEmpty ? "text/plain" : type, parseParameters(value))
    }

    /// The `; name=value` parameters of a header value: quoted strings unescaped, RFC 2231
    /// `name*=charset''percent-encoded` decoded, names lowercased.
    static func parseParameters(_ value: String) -> [String: String] {
        var parameters: [String: String] = [:]
        var rest = Substring(value.drop { $0 != ";" })
        while rest.first == ";" {
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            let name = rest.prefix { $0 != "=" && $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest.drop { $0 != "=" && $0 != ";" }
            guard rest.first == "=" else { continue }
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            var parameterValue = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        parameterValue.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        parameterValue.append(character)
                    }
                }
                rest = rest.drop { $0 != ";" }
            } else {
                parameterValue = rest.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
                rest = rest.drop { $0 != ";" }
            }
            if name.hasSuffix("*") {
                parameters[String(name.dropLast())] = decodeExtendedValue(parameterValue)
            } else if parameters[name] == nil {
                parameters[name] = decodeEncodedWords(parameterValue)
            }
        }
        return parameters
    }

    /// RFC 2231 `charset'language'percent-encoded` (UTF-8 or ASCII).
    static func decodeExtendedValue(_ value: String) -> String {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        let encoded = pieces.count == 3 ? pieces[2] : Substring(value)
        return encoded.removingPercentEncoding ?? String(encoded)
    }

    /// The body parts between `--boundary` delimiter lines (preamble and epilogue dropped).
    static func splitMultipart(_ body: [UInt8], boundary: String) -> [[UInt8]] {
        let bytes: [UInt8] = [0x0D, 0x0A] + body
        let delimiter: [UInt8] = [0x0D, 0x0A] + Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var index = 0
        while index + delimiter.count <= bytes.count {
            if bytes[index] == 0x0D, bytes[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                positions.append(index)
                index += delimiter.count
            } else {
                index += 1
            }
        }
        var parts: [[UInt8]] = []
        for (number, position) in positions.enumerated() {
            var start = position + delimiter.count
            // `--` after the boundary closes the multipart.
            if start + 1 < bytes.count, bytes[start] == 0x2D, bytes[start + 1] == 0x2D { break }
            // Skip transport padding up to the end of the delimiter line.
            while start < bytes.count, bytes[start] != 0x0A { start += 1 }
            start += 1
            let end = number + 1 < positions.count ? positions[number + 1] : bytes.count
            if start <= end { parts.append(Array(bytes[start..<end])) }
        }
        return parts
    }

    /// Undoes quoted-printable: `=XX` escapes and `=` soft line breaks.
    static func decodeQuotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "=") else {
                output.append(byte)
                index += 1
                continue
            }
            if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A {
                index += 3  // soft line break
            } else if index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                index += 2
            } else if index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`); white space between two
    /// adjacent encoded words is dropped, as the RFC says.
    static func decodeEncodedWords(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        let pattern = #/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/#
        var output = ""
        var rest = Substring(value)
        var previousWasEncoded = false
        while let match = rest.firstMatch(of: pattern) {
            let between = rest[..<match.range.lowerBound]
            if !(previousWasEncoded && between.allSatisfy(\.isWhitespace)) { output += between }
            let charset = match.output.1.lowercased()
            let payload = String(match.output.3)
            var bytes: [UInt8]?
            if match.output.2.lowercased() == "b" {
                bytes = Data(base64Encoded: payload).map(Array.init)
            } else {
                bytes = decodeQuotedPrintable(Array(payload.replacingOccurrences(of: "_", with: " ").utf8))
            }
            if let bytes {
                let encoding: String.Encoding = charset == "iso-8859-1" || charset == "latin1" ? .isoLatin1 : .utf8
                output += String(data: Data(bytes), encoding: encoding) ?? String(decoding: bytes, as: UTF8.self)
                previousWasEncoded = true
            } else {
                output += rest[match.range]
                previousWasEncoded = false
            }
            rest = rest[match.range.upperBound...]
        }
        return output + rest
    }
}
