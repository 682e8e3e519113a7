import BillingCore
import Foundation
import NIOCore
import PostgresNIO

/// Webhook endpoints (global, reached through security-definer functions) and the events received.
public struct WebhookRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Replaces the current practice's endpoint for `plugin`.
    public func register(plugin: String, id: UUID, secretHash: [UInt8], in transaction: Transaction) async throws {
        try await transaction.query("select ll_webhook_register(\(plugin), \(id), \(ByteBuffer(bytes: secretHash)))")
    }

    /// The endpoint with public id `id`: its practice, plugin and secret hash.
    public func endpoint(_ id: UUID, in transaction: Transaction) async throws
        -> (practiceID: PracticeID, plugin: String, secretHash: [UInt8])?
    {
        guard let row = try await transaction.firstRow(
            "select practice_id, plugin, secret_hash from ll_webhook_endpoint(\(id))") else { return nil }
        let (practice, plugin, hash) = try row.decode((UUID, String, ByteBuffer).self)
        return (PracticeID(uuid: practice), plugin, Array(buffer: hash))
    }

    /// Records an event; `false` when this source already delivered that event id.
    public func recordEvent(source: String, eventID: String, type: String, outcome: String, practiceID: PracticeID,
                            now: Date, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            insert into webhook_events (practice_id, source, event_id, event_type, outcome, received_at)
            values (\(practiceID.uuid), \(source), \(eventID), \(type), \(outcome), \(now))
            on conflict (practice_id, source, event_id) do nothing returning event_id
            """) != nil
    }

    /// `true` when this source already delivered `eventID`.
    public func hasEvent(source: String, eventID: String, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            select 1 from webhook_events where source = \(source) and event_id = \(eventID)
            """) != nil
    }
}
