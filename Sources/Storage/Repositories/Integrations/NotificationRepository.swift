import BillingCore
import Foundation
import NIOCore
import PostgresNIO

/// A `notifications` row: the frozen message and where its delivery stands.
public struct NotificationRecord: Sendable {
    public var id: NotificationID
    public var template: String
    /// `email` or `sms`.
    public var channel: String
    /// The address or E.164 number.
    public var recipient: String
    /// `client`, `contact` or `practice`.
    public var recipientKind: String
    public var clientID: ClientID?
    public var contactID: ContactID?
    public var billID: BillID?
    public var subject: String?
    public var bodyText: String
    public var bodyHTML: String?
    public var attachmentName: String?
    public var attachmentType: String?
    /// Loaded only by `find(_:withAttachment:)` with `withAttachment: true`.
    public var attachment: [UInt8]?
    /// Stable across retries; passed to the provider.
    public var idempotencyKey: String
    /// `queued`, `sent` or `failed`.
    public var status: String
    public var attempts: Int
    public var providerMessageID: String?
    public var lastError: String?
    public var requestedBy: MemberID?
    public var createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?

    /// Creates a record.
    public init(id: NotificationID, template: String, channel: String, recipient: String, recipientKind: String,
                clientID: ClientID?, contactID: ContactID?, billID: BillID?, subject: String?, bodyText: String,
                bodyHTML: String?, attachmentName: String?, attachmentType: String?, attachment: [UInt8]?,
                idempotencyKey: String, status: String = "queued", attempts: Int = 0, providerMessageID: String? = nil,
                lastError: String? = nil, requestedBy: MemberID?, createdAt: Date, updatedAt: Date, sentAt: Date? = nil) {
        self.id = id
        self.template = template
        self.channel = channel
        self.recipient = recipient
        self.recipientKind = recipientKind
        self.clientID = clientID
        self.contactID = contactID
        self.billID = billID
        self.subject = subject
        self.bodyText = bodyText
        self.bodyHTML = bodyHTML
        self.attachmentName = attachmentName
        self.attachmentType = attachmentType
        self.attachment = attachment
        self.idempotencyKey = idempotencyKey
        self.status = status
        self.attempts = attempts
        self.providerMessageID = providerMessageID
        self.lastError = lastError
        self.requestedBy = requestedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sentAt = sentAt
    }
}

/// One hand-off of a notification to its provider.
public struct NotificationAttemptRecord: Sendable, Hashable {
    public var attempt: Int
    /// `accepted`, `retry` or `failed`.
    public var outcome: String
    public var providerMessageID: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var plugin: String
    public var at: Date

    /// Creates an attempt.
    public init(attempt: Int, outcome: String, providerMessageID: String?, errorCode: String?, errorMessage: String?,
                plugin: String, at: Date) {
        self.attempt = attempt
        self.outcome = outcome
        self.providerMessageID = providerMessageID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.plugin = plugin
        self.at = at
    }
}

/// Filters of `notification.list`.
public struct NotificationFilter: Sendable {
    public var billID: BillID?
    public var clientID: ClientID?
    public var statuses: [String]?
    public var channel: String?

    /// Creates a filter; `nil` members match everything.
    public init(billID: BillID? = nil, clientID: ClientID? = nil, statuses: [String]? = nil, channel: String? = nil) {
        self.billID = billID
        self.clientID = clientID
        self.statuses = statuses
        self.channel = channel
    }
}

/// Reads and writes the current practice's notifications and their attempts.
public struct NotificationRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, template, channel, recipient, recipient_kind, client_id, contact_id, bill_id, subject, body_text, body_html,
        attachment_name, attachment_type, idempotency_key, status, attempts, provider_message_id, last_error,
        requested_by, created_at, updated_at, sent_at
        """

    /// Inserts a queued notification.
    public func insert(_ record: NotificationRecord, practiceID: PracticeID, in transaction: Transaction) async throws {
        let attachment = record.attachment.map { ByteBuffer(bytes: $0) }
        try await transaction.query("""
            insert into notifications (practice_id, id, template, channel, recipient, recipient_kind, client_id,
                contact_id, bill_id, subject, body_text, body_html, attachment_name, attachment_type, attachment,
                idempotency_key, status, attempts, requested_by, created_at, updated_at)
            values (\(practiceID.uuid), \(record.id.uuid), \(record.template), \(record.channel), \(record.recipient),
                    \(record.recipientKind), \(record.clientID?.uuid), \(record.contactID?.uuid), \(record.billID?.uuid),
                    \(record.subject), \(record.bodyText), \(record.bodyHTML), \(record.attachmentName),
                    \(record.attachmentType), \(attachment), \(record.idempotencyKey), \(record.status),
                    \(record.attempts), \(record.requestedBy?.uuid), \(record.createdAt), \(record.updatedAt))
            """)
    }

    /// The notification `id`, with its attachment bytes when asked, locked when `forUpdate`.
    public func find(_ id: NotificationID, withAttachment: Bool = false, forUpdate: Bool = false,
                     in transaction: Transaction) async throws -> NotificationRecord? {
        let extra = withAttachment ? ", attachment" : ""
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow("""
            select \(unescaped: Self.columns)\(unescaped: extra) from notifications where id = \(id.uuid)\(unescaped: lock)
            """) else { return nil }
        var record = try Self.decode(row)
        if withAttachment {
            record.attachment = try row.makeRandomAccess()["attachment"].decode(ByteBuffer?.self, context: .default)
                .map { Array(buffer: $0) }
        }
        return record
    }

    /// A page of notifications, newest first, after the notification `cursor`.
    public func list(_ filter: NotificationFilter, after cursor: NotificationRecord?, limit: Int,
                     in transaction: Transaction) async throws -> Page<NotificationRecord> {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from notifications
            where (\(filter.billID?.uuid)::uuid is null or bill_id = \(filter.billID?.uuid))
              and (\(filter.clientID?.uuid)::uuid is null or client_id = \(filter.clientID?.uuid))
              and (\(filter.channel)::text is null or channel = \(filter.channel))
              and (\(filter.statuses)::text[] is null or status = any(\(filter.statuses)))
              and (\(cursor?.id.uuid)::uuid is null
                   or (created_at, id) < (\(cursor?.createdAt)::timestamptz, \(cursor?.id.uuid)::uuid))
            order by created_at desc, id desc limit \(limit + 1)
            """)
        var records = try rows.map(Self.decode)
        var next: String? = nil
        if records.count > limit {
            records.removeLast()
            next = records.last?.id.description
        }
        return Page(items: records, nextCursor: next)
    }

    /// The attempts of each notification in `ids`, in order.
    public func attempts(of ids: [NotificationID], in transaction: Transaction) async throws
        -> [NotificationID: [NotificationAttemptRecord]]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try await transaction.rows("""
            select notification_id, attempt, outcome, provider_message_id, error_code, error_message, plugin, at
            from notification_attempts where notification_id = any(\(ids.map(\.uuid)))
            order by notification_id, attempt
            """)
        var result: [NotificationID: [NotificationAttemptRecord]] = [:]
        for row in rows {
            let reader = RowReader(row)
            let id = try reader.id(NotificationID.self, "notification_id")
            result[id, default: []].append(NotificationAttemptRecord(
                attempt: try reader.int("attempt"), outcome: try reader.string("outcome"),
                providerMessageID: try reader.optionalString("provider_message_id"),
                errorCode: try reader.optionalString("error_code"), errorMessage: try reader.optionalString("error_message"),
                plugin: try reader.string("plugin"), at: try reader.date("at")))
        }
        return result
    }

    /// Records an attempt and moves the notification to `status` (`queued` while it will be retried).
    public func record(_ attempt: NotificationAttemptRecord, status: String, for id: NotificationID,
                       practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into notification_attempts (practice_id, notification_id, attempt, outcome, provider_message_id,
                                               error_code, error_message, plugin, at)
            values (\(practiceID.uuid), \(id.uuid), \(attempt.attempt), \(attempt.outcome), \(attempt.providerMessageID),
                    \(attempt.errorCode), \(attempt.errorMessage), \(attempt.plugin), \(attempt.at))
            """)
        try await transaction.query("""
            update notifications set status = \(status), attempts = \(attempt.attempt),
                provider_message_id = coalesce(\(attempt.providerMessageID), provider_message_id),
                last_error = \(attempt.errorMessage), updated_at = \(attempt.at),
                sent_at = case when \(status) = 'sent' then \(attempt.at) else sent_at end
            where id = \(id.uuid)
            """)
    }

    static func decode(_ row: PostgresRow) throws -> NotificationRecord {
        let reader = RowReader(row)
        return NotificationRecord(
            id: try reader.id(NotificationID.self, "id"), template: try reader.string("template"),
            channel: try reader.string("channel"), recipient: try reader.string("recipient"),
            recipientKind: try reader.string("recipient_kind"), clientID: try reader.optionalID(ClientID.self, "client_id"),
            contactID: try reader.optionalID(ContactID.self, "contact_id"),
            billID: try reader.optionalID(BillID.self, "bill_id"), subject: try reader.optionalString("subject"),
            bodyText: try reader.string("body_text"), bodyHTML: try reader.optionalString("body_html"),
            attachmentName: try reader.optionalString("attachment_name"),
            attachmentType: try reader.optionalString("attachment_type"), attachment: nil,
            idempotencyKey: try reader.string("idempotency_key"), status: try reader.string("status"),
            attempts: try reader.int("attempts"), providerMessageID: try reader.optionalString("provider_message_id"),
            lastError: try reader.optionalString("last_error"),
            requestedBy: try reader.optionalID(MemberID.self, "requested_by"), createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"), sentAt: try reader.optionalDate("sent_at"))
    }
}
