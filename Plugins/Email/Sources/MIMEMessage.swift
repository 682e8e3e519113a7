import Foundation
import PluginAPI

/// A notification as an Internet message (RFC 5322, MIME RFC 2045–2047, 2231), ready for SMTP.
///
/// The layout follows what mail clients expect: a lone `text/plain` part; `multipart/alternative`
/// with `text/html` when there is HTML; both inside `multipart/mixed` with each attachment in
/// base64 when there are attachments. Bodies are quoted-printable UTF-8, so every line is 7-bit
/// and at most 76 characters.
struct MIMEMessage: Sendable {
    /// The whole message: headers, a blank line and the body, CRLF line breaks throughout.
    let bytes: [UInt8]
    /// The `Message-ID` (with angle brackets), derived from the idempotency key.
    let messageID: String

    /// The longest idempotency key, in UTF-8 bytes, that still makes a short `Message-ID`.
    static let maximumIdempotencyKeyBytes = 200
    /// The longest attachment file name, in characters.
    static let maximumFilenameLength = 200

    /// Builds the message.
    /// - Parameters:
    ///   - message: the notification; `to` must already be checked with ``EmailAddress``.
    ///   - recipient: the checked `to` address.
    ///   - from: the sender address.
    ///   - fromName: the sender's display name.
    ///   - date: the `Date:` header's value.
    /// - Throws: `PluginError` with code `invalidParams` naming the offending field: a header value
    ///   with a line break, an attachment that is not base64, an unusable content type.
    init(
        _ message: NotificationMessage, recipient: EmailAddress, from: EmailAddress, fromName: String?,
        date: Date
    ) throws(PluginError) {
        messageID = try Self.messageID(for: message.idempotencyKey)
        if let subject = message.subject, Self.hasLineBreakOrControl(subject) {
            throw PluginError(
                .invalidParams, "subject must be one line (no CR, LF or control characters)",
                field: "/subject")
        }
        if let fromName, Self.hasLineBreakOrControl(fromName) {
            throw PluginError(
                .invalidSettings, "fromName must be one line (no CR, LF or control characters)",
                field: "/settings/fromName")
        }

        var headers: [String] = []
        headers.append("Date: \(Self.rfc5322Date(date))")
        let sender = fromName.map { "\(MIMEEncoding.displayName($0)) \(from.angleBracketed)" } ?? from.value
        headers.append("From: \(sender)")
        headers.append("To: \(recipient.value)")
        if let subject = message.subject, !subject.isEmpty {
            headers.append("Subject: \(MIMEEncoding.unstructuredHeaderValue(subject, nameLength: 9))")
        }
        headers.append("Message-ID: \(messageID)")
        // An automatic notice (RFC 3834): vacation responders should not answer it.
        headers.append("Auto-Submitted: auto-generated")
        headers.append("MIME-Version: 1.0")

        let body = try Self.bodyPart(of: message)
        var rendered = Self.render(body, extraHeaders: headers)
        // SMTP content ends with a line break: after a multipart's closing delimiter it is
        // epilogue (a lone text part already ends with one, see `bodyPart`).
        if rendered.suffix(2) != [0x0D, 0x0A] { rendered += [0x0D, 0x0A] }
        bytes = rendered
    }

    /// `<key@ledgerline>` with every character of the key other than letters, digits, `-` and `_`
    /// written as `=XX` (its UTF-8 bytes): distinct keys give distinct ids, and the same key gives
    /// the same id on every retry, so a recipient's mail system can spot a duplicate.
    /// - Throws: `PluginError` (`invalidParams`, `/idempotencyKey`) for an empty or overlong key.
    static func messageID(for idempotencyKey: String) throws(PluginError) -> String {
        guard !idempotencyKey.isEmpty, idempotencyKey.utf8.count <= maximumIdempotencyKeyBytes else {
            throw PluginError(
                .invalidParams, "idempotencyKey must be 1–\(maximumIdempotencyKeyBytes) bytes",
                field: "/idempotencyKey")
        }
        var local = ""
        for byte in idempotencyKey.utf8 {
            let scalar = Unicode.Scalar(byte)
            if scalar.isASCII,
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || byte == 0x2D
                    || byte == 0x5F
            {
                local.unicodeScalars.append(scalar)
            } else {
                local += String(format: "=%02X", byte)
            }
        }
        return "<\(local)@ledgerline>"
    }

    // MARK: - Structure

    /// One MIME entity: a leaf with its encoded body, or a multipart of entities.
    private indirect enum Part {
        case leaf(headers: [String], body: [UInt8])
        case multipart(subtype: String, parts: [Part])
    }

    private static func bodyPart(of message: NotificationMessage) throws(PluginError) -> Part {
        let standalone = message.html == nil && message.attachments.isEmpty
        let text = Part.leaf(
            headers: ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
            body: MIMEEncoding.quotedPrintable(message.text, endingWithLineBreak: standalone))
        var content = text
        if let html = message.html {
            let htmlPart = Part.leaf(
                headers: ["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
                body: MIMEEncoding.quotedPrintable(html))
            content = .multipart(subtype: "alternative", parts: [text, htmlPart])
        }
        guard !message.attachments.isEmpty else { return content }
        var parts = [content]
        for (index, attachment) in message.attachments.enumerated() {
            parts.append(try attachmentPart(attachment, pointer: "/attachments/\(index)"))
        }
        return .multipart(subtype: "mixed", parts: parts)
    }

    private static func attachmentPart(_ attachment: NotificationAttachment, pointer: String) throws(PluginError)
        -> Part
    {
        let filename = attachment.filename
        guard !filename.isEmpty, filename.count <= maximumFilenameLength, !hasLineBreakOrControl(filename) else {
            throw PluginError(
                .invalidParams, "filename must be 1–\(maximumFilenameLength) characters on one line",
                field: "\(pointer)/filename")
        }
        let contentType = attachment.contentType.lowercased()
        guard isMediaType(contentType) else {
            throw PluginError(
                .invalidParams, "contentType must be a MIME type such as application/pdf",
                field: "\(pointer)/contentType")
        }
        let compact = attachment.base64.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else {
            throw PluginError(.invalidParams, "base64 is not valid base64", field: "\(pointer)/base64")
        }
        return .leaf(
            headers: [
                "Content-Type: \(contentType);\r\n \(MIMEEncoding.parameter("name", filename))",
                "Content-Disposition: attachment;\r\n \(MIMEEncoding.parameter("filename", filename))",
                "Content-Transfer-Encoding: base64",
            ],
            body: MIMEEncoding.base64Lines(data))
    }

    /// An entity's header lines, a blank line and its body. Multipart boundaries start with `=_`,
    /// which neither quoted-printable nor base64 can produce, so they never occur in a body.
    private static func render(_ part: Part, extraHeaders: [String] = []) -> [UInt8] {
        let crlf: [UInt8] = [0x0D, 0x0A]
        switch part {
        case .leaf(let headers, let body):
            return Array((extraHeaders + headers).joined(separator: "\r\n").utf8) + crlf + crlf + body
        case .multipart(let subtype, let parts):
            let boundary = "=_ledgerline_\(subtype)_\(UUID().uuidString)"
            var headers = extraHeaders
            headers.append("Content-Type: multipart/\(subtype);\r\n boundary=\"\(boundary)\"")
            var output = Array(headers.joined(separator: "\r\n").utf8) + crlf + crlf
            for child in parts {
                output += Array("--\(boundary)".utf8) + crlf
                output += render(child)
                output += crlf
            }
            output += Array("--\(boundary)--".utf8)
            return output
        }
    }

    // MARK: - Checks and formats

    private static func hasLineBreakOrControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\t" }
    }

    /// `type/subtype` made of RFC 2045 token characters.
    private static func isMediaType(_ text: String) -> Bool {
        let token = Set("abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-".utf8)
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        return halves.count == 2 && halves.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(token.contains) }
    }

    /// `Tue, 12 May 2026 09:30:00 +0000`.
    private static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
