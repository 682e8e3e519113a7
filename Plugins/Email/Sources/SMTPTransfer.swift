import CCurl
import Foundation

/// One SMTP conversation through libcurl's easy interface: deliver a message, or only connect,
/// greet, upgrade to TLS and log in (what `verify` needs).
///
/// libcurl's calls block, so each conversation runs on a thread of its own, never on Swift's
/// cooperative pool (two threads on a two-core machine: a blocked one would starve every timer)
/// nor on an event loop. The timeout bounds how long that thread lives.
struct SMTPTransfer: Sendable {
    /// What the conversation is for.
    enum Purpose: Sendable {
        /// Deliver `message` from `from` to `to`.
        case deliver(from: EmailAddress, to: EmailAddress, message: [UInt8])
        /// Connect, EHLO, STARTTLS and AUTH as configured, then hang up.
        case check
    }

    /// The practice's account.
    var account: SMTPAccount
    /// The process-wide settings (CA file, timeout).
    var settings: EmailProcessSettings

    /// Whether `curl_global_init` succeeded; evaluated once, before the first transfer.
    static let libraryReady: Bool = ll_curl_global_init() == CURLE_OK

    /// Runs the conversation on its own thread and suspends until it ends.
    func run(_ purpose: Purpose) async -> Result<Void, SMTPFailure> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: perform(purpose))
            }
            thread.name = "ledgerline-email-smtp"
            thread.start()
        }
    }

    // MARK: - The blocking part

    private func perform(_ purpose: Purpose) -> Result<Void, SMTPFailure> {
        guard Self.libraryReady, let handle = curl_easy_init() else {
            return .failure(failure(.other, curlText: "libcurl could not be initialised", detail: "", reply: nil))
        }
        defer { curl_easy_cleanup(handle) }

        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        let transcript = SMTPTranscript()
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        var reader: MessageReader?

        var setupError: CURLcode = CURLE_OK
        func check(_ code: CURLcode) {
            if setupError == CURLE_OK, code != CURLE_OK { setupError = code }
        }
        check(ll_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        check(ll_curl_setopt_string(handle, CURLOPT_URL, account.curlURL))
        check(ll_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        check(ll_curl_setopt_long(handle, CURLOPT_TIMEOUT, settings.timeoutSeconds))
        check(ll_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, settings.timeoutSeconds))
        let tlsMode = account.security == .none ? CURLUSESSL_NONE : CURLUSESSL_ALL
        check(ll_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(tlsMode.rawValue)))
        check(ll_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, account.verifyCertificates ? 1 : 0))
        check(ll_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, account.verifyCertificates ? 2 : 0))
        if let caFile = settings.caFile { check(ll_curl_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
        if let username = account.username, let password = account.password {
            check(ll_curl_setopt_string(handle, CURLOPT_USERNAME, username))
            check(ll_curl_setopt_string(handle, CURLOPT_PASSWORD, password))
        }
        // The transcript learns the step and the server's last reply through libcurl's debug hook.
        check(ll_curl_setopt_long(handle, CURLOPT_VERBOSE, 1))
        check(ll_curl_setopt_debug_function(handle, SMTPTranscript.debugCallback))
        check(ll_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(transcript).toOpaque()))

        switch purpose {
        case .check:
            check(ll_curl_setopt_long(handle, CURLOPT_CONNECT_ONLY, 1))
        case .deliver(let from, let to, let message):
            check(ll_curl_setopt_string(handle, CURLOPT_MAIL_FROM, from.angleBracketed))
            recipients = curl_slist_append(nil, to.angleBracketed)
            check(ll_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients))
            let messageReader = MessageReader(message)
            reader = messageReader
            check(ll_curl_setopt_read_function(handle, MessageReader.readCallback))
            check(ll_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(messageReader).toOpaque()))
            check(ll_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        }
        guard setupError == CURLE_OK else {
            return .failure(
                failure(
                    .other, curlText: "libcurl refused an option: \(Self.text(of: setupError))", detail: "",
                    reply: nil))
        }

        let result = withExtendedLifetime((transcript, reader)) { curl_easy_perform(handle) }
        guard result != CURLE_OK else { return .success(()) }

        var responseCode = transcript.lastReplyCode ?? 0
        if responseCode == 0 { _ = ll_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode) }
        let detail = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = Self.reason(for: result, responseCode: responseCode, command: transcript.lastCommand)
        return .failure(failure(reason, curlText: Self.text(of: result), detail: detail, reply: transcript.lastReply))
    }

    private func failure(_ reason: SMTPFailure.Reason, curlText: String, detail: String, reply: String?)
        -> SMTPFailure
    {
        SMTPFailure(
            reason: reason, curlText: curlText, detail: detail, reply: reply, timeoutSeconds: settings.timeoutSeconds)
    }

    private static func text(of code: CURLcode) -> String {
        curl_easy_strerror(code).map { String(cString: $0) } ?? "libcurl error \(code.rawValue)"
    }

    /// Sorts libcurl's result, the last SMTP reply code and the step it answered into a reason.
    static func reason(for code: CURLcode, responseCode: Int, command: String?) -> SMTPFailure.Reason {
        switch code {
        case CURLE_LOGIN_DENIED: return .loginRefused
        case CURLE_PEER_FAILED_VERIFICATION: return .certificate
        case CURLE_USE_SSL_FAILED: return .noStartTLS
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER: return .tlsHandshake
        case CURLE_COULDNT_RESOLVE_HOST: return .unresolvable
        case CURLE_COULDNT_CONNECT: return .unreachable
        case CURLE_OPERATION_TIMEDOUT: return .timedOut
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .badURL
        default: break
        }
        guard responseCode >= 400 else { return .other }
        let permanent = responseCode >= 500
        switch command {
        case "AUTH": return permanent ? .loginRefused : .other
        case "MAIL": return responseCode == 530 ? .loginRequired : .senderRefused(permanent: permanent)
        case "RCPT": return .recipientRefused(permanent: permanent)
        case "DATA": return .messageRefused(permanent: permanent)
        default: return .other
        }
    }
}

/// What libcurl's debug hook shows of the conversation, kept to what error messages may carry:
/// the verb of the last command sent (never its arguments, which for `AUTH` are credentials) and
/// the server's reply to it. libcurl says `QUIT` after a failure; that exchange is not recorded,
/// so the transcript keeps the step that failed.
final class SMTPTranscript {
    /// The verbs recorded; any other line sent (a base64 `AUTH LOGIN` answer) is not.
    private static let verbs: Set<String> = ["EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA"]

    /// The verb of the last command sent before any `QUIT` (`RCPT`).
    private(set) var lastCommand: String?
    /// The server's last reply line before any `QUIT` (`550 5.1.1 mailbox unavailable`), at most
    /// 200 characters.
    private(set) var lastReply: String?
    private var quitting = false

    /// The three-digit code of ``lastReply``.
    var lastReplyCode: Int? { lastReply.flatMap { Int($0.prefix(3)) } }

    /// The `CURLOPT_DEBUGFUNCTION`; its user pointer is an unretained `SMTPTranscript`.
    static let debugCallback: curl_debug_callback = { _, type, bytes, count, context in
        guard let bytes, let context, count > 0 else { return 0 }
        let transcript = Unmanaged<SMTPTranscript>.fromOpaque(context).takeUnretainedValue()
        let buffer = UnsafeRawBufferPointer(start: bytes, count: count)
        if type == CURLINFO_HEADER_OUT {
            transcript.recordCommand(buffer)
        } else if type == CURLINFO_HEADER_IN {
            transcript.recordReply(buffer)
        }
        return 0
    }

    private func recordCommand(_ line: UnsafeRawBufferPointer) {
        guard !quitting else { return }
        let verb = String(
            decoding: line.prefix(while: { $0 != 0x20 && $0 != 0x0D && $0 != 0x0A }).prefix(10), as: UTF8.self
        ).uppercased()
        if verb == "QUIT" {
            quitting = true
        } else if Self.verbs.contains(verb) {
            lastCommand = verb
        }
    }

    private func recordReply(_ line: UnsafeRawBufferPointer) {
        guard !quitting else { return }
        let printable = line.prefix(200).filter { $0 >= 0x20 && $0 < 0x7F }
        guard printable.count >= 3, printable.prefix(3).allSatisfy({ (0x30...0x39).contains($0) }) else { return }
        lastReply = String(decoding: printable, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}

/// Feeds the message to libcurl's `CURLOPT_READFUNCTION` in the chunks it asks for.
final class MessageReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The `CURLOPT_READFUNCTION`; its user pointer is an unretained `MessageReader`. Returns 0 at the end.
    static let readCallback: curl_read_callback = { buffer, size, count, context in
        guard let buffer, let context else { return 0 }
        let reader = Unmanaged<MessageReader>.fromOpaque(context).takeUnretainedValue()
        return reader.read(into: buffer, capacity: size * count)
    }

    private func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let length = min(capacity, bytes.count - offset)
        guard length > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            guard let base = source.baseAddress else { return }
            UnsafeMutableRawPointer(buffer).copyMemory(from: base + offset, byteCount: length)
        }
        offset += length
        return length
    }
}
