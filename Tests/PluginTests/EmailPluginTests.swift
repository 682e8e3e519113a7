import Foundation
import PluginAPI
import PluginConformance
import PluginHost
import StandIns
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The email plugin, loaded from its built `.so` exactly as the server loads it, against a real
/// SMTP server (aiosmtpd through `SMTPSink`): what arrives is read back and compared byte for byte.
///
/// Serialized: each test starts its own Python SMTP server, and twenty starting at once saturate a
/// two-core machine long enough to delay the timers of timing-sensitive suites running alongside.
@Suite(.serialized) struct EmailPluginTests {
    // MARK: Delivery

    @Test func deliversTextHTMLAndAttachmentIntact() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()
        let message = NotificationMessage(
            to: "client@example.com", subject: "Your bill INV-2026-0042", text: EmailFixtures.text,
            html: EmailFixtures.html,
            attachments: [
                NotificationAttachment(
                    filename: "bill-2026-0042.pdf", contentType: "application/pdf",
                    base64: EmailFixtures.pdf.base64EncodedString())
            ],
            idempotencyKey: "notice-7f3a-0042")

        let receipt = try await plugin.send(message, settings: EmailFixtures.practice(port: sink.port))

        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(receipt.status == "accepted")
        #expect(receipt.providerMessageID == "<notice-7f3a-0042@ledgerline>")
        #expect(mail.header("Message-ID") == receipt.providerMessageID)
        #expect(mail.header("From") == "\"Riverside Physio\" <billing@riverside.example>")
        #expect(mail.header("To") == "client@example.com")
        #expect(mail.header("Subject") == "Your bill INV-2026-0042")
        #expect(mail.header("MIME-Version") == "1.0")
        #expect(mail.header("Date").map(EmailFixtures.isRFC5322Date) == true)
        #expect(mail.mailFrom == "billing@riverside.example")
        #expect(mail.rcptTos == ["client@example.com"])
        #expect(mail.mediaType == "multipart/mixed")
        #expect(mail.partTypes == ["text/plain", "text/html", "application/pdf"])
        #expect(mail.text == EmailFixtures.text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(mail.html == EmailFixtures.html.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(
            mail.attachments == [
                ReceivedMail.Attachment(
                    filename: "bill-2026-0042.pdf", contentType: "application/pdf", data: EmailFixtures.pdf)
            ])
    }

    @Test func messageIsSevenBitWithShortBodyLines() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()
        let message = NotificationMessage(
            to: "client@example.com", subject: "Statement", text: EmailFixtures.text, html: EmailFixtures.html,
            attachments: [
                NotificationAttachment(
                    filename: "statement.pdf", contentType: "application/pdf",
                    base64: EmailFixtures.pdf.base64EncodedString())
            ], idempotencyKey: "seven-bit-1")

        _ = try await plugin.send(message, settings: EmailFixtures.practice(port: sink.port))

        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(mail.raw.allSatisfy { $0 < 0x80 })
        let text = String(decoding: mail.raw, as: UTF8.self)
        let body = try #require(text.range(of: "\r\n\r\n")).upperBound
        let longLines = text[body...].components(separatedBy: "\r\n").filter { $0.utf8.count > 76 }
        #expect(longLines == [])
    }

    @Test func loneTextPartArrivesUnchangedWhateverItsLength() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()
        // Lengths around the 76-character line limit, with and without a final line break.
        let texts = [75, 76, 77, 152].map { String(repeating: "a", count: $0) } + ["two\nlines\n", "ends with space "]

        for (index, text) in texts.enumerated() {
            _ = try await plugin.send(
                NotificationMessage(to: "client@example.com", text: text, idempotencyKey: "lone-\(index)"),
                settings: EmailFixtures.practice(port: sink.port))
        }

        let mails = try await sink.waitForMessages(count: texts.count)
        #expect(mails.map(\.text) == texts.map { $0.replacingOccurrences(of: "\n", with: "\r\n") })
        for mail in mails {
            let lines = String(decoding: mail.raw, as: UTF8.self).components(separatedBy: "\r\n")
            #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        }
    }

    @Test func nonASCIISubjectAndSenderNameRoundTrip() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()
        let subject = "Facture n° 42 — Zoë's café, réglée ✓ — rappel 🧾 pour la séance du 12 mai à São Paulo"
        let message = NotificationMessage(
            to: "client@example.com", subject: subject, text: "Merci, Zoë !", idempotencyKey: "unicode-1")

        _ = try await plugin.send(
            message, settings: EmailFixtures.practice(port: sink.port, ["fromName": "Clínica São José"]))

        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(mail.header("Subject") == subject)
        #expect(mail.rawHeader("Subject")?.hasPrefix("=?UTF-8?B?") == true)
        #expect(mail.header("From") == "Clínica São José <billing@riverside.example>")
        #expect(mail.text == "Merci, Zoë !")
        #expect(mail.mediaType == "text/plain")
    }

    @Test func startTLSWithLoginDeliversAndLogsIn() async throws {
        let sink = try await SMTPSink.start(tls: true, auth: ("billing", "s3cret-pass"))
        defer { sink.stop() }
        let plugin = try EmailFixtures.load(settings: ["caFile": .string(sink.caFile ?? "")])

        let receipt = try await plugin.send(
            EmailFixtures.message(key: "tls-1"),
            settings: EmailFixtures.practice(
                port: sink.port,
                ["security": "starttls", "username": "billing", "password": "s3cret-pass"]))

        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(mail.authUser == "billing")
        #expect(mail.header("Message-ID") == receipt.providerMessageID)
    }

    @Test func selfSignedCertificateAcceptedWhenVerificationIsOff() async throws {
        let sink = try await SMTPSink.start(tls: true)
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()

        _ = try await plugin.send(
            EmailFixtures.message(key: "noverify-1"),
            settings: EmailFixtures.practice(port: sink.port, ["security": "starttls", "verifyCertificates": false]))

        #expect(try await sink.waitForMessages(count: 1).count == 1)
    }

    // MARK: Refusals

    @Test func untrustedCertificateIsUnavailable() async throws {
        let sink = try await SMTPSink.start(tls: true, auth: ("billing", "s3cret-pass"))
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(
                EmailFixtures.message(key: "untrusted-1"),
                settings: EmailFixtures.practice(
                    port: sink.port, ["security": "starttls", "username": "billing", "password": "s3cret-pass"]))
        }

        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("certificate") == true)
        #expect(try sink.messages().isEmpty)
    }

    @Test func wrongPasswordIsRefusedClearlyAndNothingDelivered() async throws {
        let sink = try await SMTPSink.start(tls: true, auth: ("billing", "s3cret-pass"))
        defer { sink.stop() }
        let plugin = try EmailFixtures.load(settings: ["caFile": .string(sink.caFile ?? "")])

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(
                EmailFixtures.message(key: "badpass-1"),
                settings: EmailFixtures.practice(
                    port: sink.port, ["security": "starttls", "username": "billing", "password": "wrong-pass-123"]))
        }

        #expect(error?.code == .invalidSettings)
        #expect(error?.field == "/settings/password")
        #expect(error?.message.contains("refused the username/password") == true)
        #expect(error?.message.contains("wrong-pass-123") == false)
        #expect(try sink.messages().isEmpty)
    }

    @Test func refusedRecipientIsRejectedNamingTo() async throws {
        let sink = try await SMTPSink.start(refuse: ["gone@example.com"])
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(
                EmailFixtures.message(to: "gone@example.com", key: "refused-1"),
                settings: EmailFixtures.practice(port: sink.port))
        }

        #expect(error?.code == .rejected)
        #expect(error?.field == "/to")
        #expect(error?.message.contains("550") == true)
        #expect(try sink.messages().isEmpty)
    }

    @Test func serverNotListeningIsUnavailable() async throws {
        let plugin = try EmailFixtures.load()

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(
                EmailFixtures.message(key: "nobody-1"),
                settings: EmailFixtures.practice(port: EmailFixtures.closedPort()))
        }

        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("cannot connect") == true)
    }

    @Test func silentServerTimesOutAsUnavailable() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let plugin = try EmailFixtures.load(settings: ["timeoutSeconds": 1])

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(
                EmailFixtures.message(key: "silent-1"), settings: EmailFixtures.practice(port: listener.port))
        }

        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("did not finish within 1 s") == true)
    }

    @Test func headerInjectionInSubjectIsRefusedBeforeConnecting() async throws {
        // A closed port: had the plugin connected first, the error would be `unavailable`.
        let plugin = try EmailFixtures.load()
        let message = NotificationMessage(
            to: "client@example.com", subject: "Your bill\r\nBcc: everyone@example.com", text: "Hello",
            idempotencyKey: "inject-1")

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(message, settings: EmailFixtures.practice(port: EmailFixtures.closedPort()))
        }

        #expect(error?.code == .invalidParams)
        #expect(error?.field == "/subject")
    }

    @Test(arguments: [
        "client@example.com\r\nBcc: everyone@example.com", "client@example.com, other@example.com",
        "Client <client@example.com>", "not-an-address", "",
    ])
    func recipientMustBeOnePlainAddress(_ to: String) async throws {
        let plugin = try EmailFixtures.load()

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(
                EmailFixtures.message(to: to, key: "to-1"),
                settings: EmailFixtures.practice(port: EmailFixtures.closedPort()))
        }

        #expect(error?.code == .invalidParams)
        #expect(error?.field == "/to")
    }

    @Test func plainTextPasswordToARemoteServerIsRefused() async throws {
        let plugin = try EmailFixtures.load()
        let settings: PluginJSON = [
            "smtpURL": "smtp://mail.example.com:25", "fromAddress": "billing@riverside.example",
            "security": "none", "username": "billing", "password": "s3cret-pass",
        ]

        let error = await #expect(throws: PluginError.self) {
            try await plugin.send(EmailFixtures.message(key: "plain-1"), settings: settings)
        }

        #expect(error?.code == .invalidSettings)
        #expect(error?.field == "/settings/security")
        #expect(error?.message.contains("s3cret-pass") == false)
    }

    // MARK: Idempotency

    @Test func sameIdempotencyKeyGivesSameMessageID() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let plugin = try EmailFixtures.load()
        let settings = EmailFixtures.practice(port: sink.port)

        let first = try await plugin.send(EmailFixtures.message(key: "bill 42/retry ✓"), settings: settings)
        let retry = try await plugin.send(EmailFixtures.message(key: "bill 42/retry ✓"), settings: settings)
        let other = try await plugin.send(EmailFixtures.message(key: "bill 43"), settings: settings)

        let mails = try await sink.waitForMessages(count: 3)
        #expect(first.providerMessageID == retry.providerMessageID)
        #expect(first.providerMessageID != other.providerMessageID)
        #expect(mails.map { $0.header("Message-ID") } == [first, retry, other].map(\.providerMessageID))
        #expect(first.providerMessageID.hasSuffix("@ledgerline>"))
        #expect(first.providerMessageID.allSatisfy { $0.isASCII && !$0.isWhitespace })
    }

    // MARK: verify

    @Test func verifyAcceptsWorkingSettingsWithoutSending() async throws {
        let sink = try await SMTPSink.start(tls: true, auth: ("billing", "s3cret-pass"))
        defer { sink.stop() }
        let plugin = try EmailFixtures.load(settings: ["caFile": .string(sink.caFile ?? "")])

        let result = try await plugin.verify(
            settings: EmailFixtures.practice(
                port: sink.port, ["security": "starttls", "username": "billing", "password": "s3cret-pass"]))

        #expect(result == .ok)
        #expect(try sink.messages().isEmpty)
    }

    @Test func verifyNamesThePasswordWhenTheLoginIsRefused() async throws {
        let sink = try await SMTPSink.start(tls: true, auth: ("billing", "s3cret-pass"))
        defer { sink.stop() }
        let plugin = try EmailFixtures.load(settings: ["caFile": .string(sink.caFile ?? "")])

        let result = try await plugin.verify(
            settings: EmailFixtures.practice(
                port: sink.port, ["security": "starttls", "username": "billing", "password": "wrong-pass-123"]))

        #expect(!result.ok)
        #expect(result.problems.map(\.pointer) == ["/password"])
        #expect(result.problems.first?.message.contains("refused the login") == true)
        #expect(result.problems.first?.message.contains("wrong-pass-123") == false)
    }

    @Test func verifyNamesTheURLWhenTheServerIsUnreachable() async throws {
        let plugin = try EmailFixtures.load()

        let result = try await plugin.verify(settings: EmailFixtures.practice(port: EmailFixtures.closedPort()))

        #expect(result.problems.map(\.pointer) == ["/smtpURL"])
        #expect(result.problems.first?.message.contains("cannot connect") == true)
    }

    @Test func manifestMarksThePasswordWriteOnly() throws {
        let manifest = try PluginLoader.inspect(path: EmailFixtures.library)
        #expect(manifest.name == "email")
        #expect(manifest.kind == .notificationChannel)
        #expect(manifest.practiceSettingsSchema?["properties"]?["password"]?["writeOnly"] == true)
        #expect(manifest.practiceSettingsSchema?["required"] == ["smtpURL", "fromAddress"])
    }

    // MARK: Conformance

    @Test func passesTheConformanceKit() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let closed = EmailFixtures.closedPort()
        let kit = PluginConformanceKit(
            path: EmailFixtures.library, settings: ["timeoutSeconds": 10, "heloName": "ledgerline.test"],
            invalidSettings: [
                ["timeoutSeconds": 0], ["timeoutSeconds": 500], ["caFile": "/nonexistent/ca.pem"],
                ["heloName": "bad name"], ["unknown": true],
            ],
            practiceSettings: EmailFixtures.practice(port: sink.port),
            invalidPracticeSettings: [
                EmailFixtures.practice(port: closed),
                ["smtpURL": "https://mail.example.com", "fromAddress": "billing@riverside.example"],
                ["smtpURL": "smtp://127.0.0.1:25", "fromAddress": "not an address"],
                EmailFixtures.practice(port: sink.port, ["security": "sometimes"]),
            ],
            sampleInput: try PluginJSON(encoding: EmailFixtures.message(key: "conformance-1")))

        #expect(await kit.run() == [])
        let mails = try await sink.waitForMessages(count: 1)
        #expect(mails.map { $0.header("Message-ID") } == ["<conformance-1@ledgerline>"])
        #expect(mails.first?.heloName == "ledgerline.test")
    }
}

/// Settings, messages and helpers shared by the email tests.
private enum EmailFixtures {
    static var library: String { PluginFiles.library("LedgerlineEmailPlugin") }

    static func load(settings: PluginJSON = [:]) throws -> LoadedPlugin {
        try PluginLoader.load(
            PluginConfigurationEntry(name: "email", path: library, settings: settings, timeoutSeconds: 30))
    }

    /// Practice settings for the sink at `port` on 127.0.0.1, plain SMTP unless `extra` says otherwise.
    static func practice(port: Int, _ extra: [String: PluginJSON] = [:]) -> PluginJSON {
        var settings: [String: PluginJSON] = [
            "smtpURL": .string("smtp://127.0.0.1:\(port)"), "fromAddress": "billing@riverside.example",
            "fromName": "Riverside Physio", "security": "none",
        ]
        settings.merge(extra) { _, new in new }
        return .object(settings)
    }

    static func message(to: String = "client@example.com", key: String) -> NotificationMessage {
        NotificationMessage(to: to, subject: "Your bill", text: "Amount due: $120.00", idempotencyKey: key)
    }

    /// Several lines: non-ASCII, a lone `.` (SMTP's end of data, so it must be escaped), `=`,
    /// trailing white space and a line far longer than 76 characters.
    static let text = """
        Hello Zoë,

        Your bill INV-2026-0042 of $120.00 is attached.
        .
        Balance = $0.00 after payment.\("   ")
        \(String(repeating: "Long line with many words to force soft line breaks. ", count: 6))
        — Riverside Physio
        """

    static let html = """
        <!doctype html>
        <html><body><p>Hello Zoë,</p>
        <p style="font-family: sans-serif">Your bill <b>INV-2026-0042</b> of $120.00 is attached.</p></body></html>
        """

    /// Bytes shaped like a PDF, with every byte value from 0x00 to 0xFF in the middle.
    static let pdf: Data = {
        var bytes = Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
        bytes += Array("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nstream\n".utf8)
        bytes += (0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) }
        bytes += Array("\nendstream\n%%EOF\n".utf8)
        return Data(bytes)
    }()

    /// `Tue, 12 May 2026 09:30:00 +0000`.
    static func isRFC5322Date(_ value: String) -> Bool {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.date(from: value) != nil
    }

    /// A port on 127.0.0.1 with nothing listening: bound by the OS, then released.
    static func closedPort() -> Int {
        guard let (descriptor, port) = boundSocket(listening: false) else { return 9 }
        close(descriptor)
        return port
    }

    /// A TCP socket bound to a free port on 127.0.0.1, listening when asked.
    static func boundSocket(listening: Bool) -> (Int32, Int)? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard ready, !listening || listen(descriptor, 4) == 0 else {
            close(descriptor)
            return nil
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// A server that accepts TCP connections (the kernel completes the handshake) but never says a
/// word: an SMTP client waits for a greeting that never comes.
private struct SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        guard let (descriptor, port) = EmailFixtures.boundSocket(listening: true) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot listen on 127.0.0.1"])
        }
        self.descriptor = descriptor
        self.port = port
    }

    func close() { _ = Glibc.close(descriptor) }
}
