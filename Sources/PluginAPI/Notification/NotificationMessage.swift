/// One message for a notification channel. SMS channels use `to` and `text` only.
public struct NotificationMessage: Codable, Sendable, Hashable {
    /// The recipient: an email address or an E.164 phone number.
    public var to: String
    /// The subject line (email).
    public var subject: String?
    /// The plain-text body (the SMS body).
    public var text: String
    /// An HTML alternative body (email).
    public var html: String?
    /// Files to attach (email), such as a bill PDF.
    public var attachments: [NotificationAttachment]
    /// Stable across retries of the same message; pass it to the provider where it takes one.
    public var idempotencyKey: String

    /// Creates a message.
    public init(
        to: String, subject: String? = nil, text: String, html: String? = nil,
        attachments: [NotificationAttachment] = [], idempotencyKey: String
    ) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.idempotencyKey = idempotencyKey
    }

    /// Decodes a message; `attachments` may be omitted.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decode(String.self, forKey: .to)
        subject = try container.decodeIfPresent(String.self, forKey: .subject)
        text = try container.decode(String.self, forKey: .text)
        html = try container.decodeIfPresent(String.self, forKey: .html)
        attachments = try container.decodeIfPresent([NotificationAttachment].self, forKey: .attachments) ?? []
        idempotencyKey = try container.decode(String.self, forKey: .idempotencyKey)
    }
}

/// A file attached to a message, its bytes in base64.
public struct NotificationAttachment: Codable, Sendable, Hashable {
    /// The file name the recipient sees (`bill-2026-0042.pdf`).
    public var filename: String
    /// The MIME type (`application/pdf`).
    public var contentType: String
    /// The file's bytes, base64-encoded.
    public var base64: String

    /// Creates an attachment from base64 text.
    public init(filename: String, contentType: String, base64: String) {
        self.filename = filename
        self.contentType = contentType
        self.base64 = base64
    }
}

/// What the provider said when it accepted a message.
public struct DeliveryReceipt: Codable, Sendable, Hashable {
    /// The provider's id for the message (SMTP queue id, SMS sid).
    public var providerMessageID: String
    /// The provider's status word (`queued`, `accepted`, `sent`).
    public var status: String

    /// Creates a receipt.
    public init(providerMessageID: String, status: String = "accepted") {
        self.providerMessageID = providerMessageID
        self.status = status
    }
}
