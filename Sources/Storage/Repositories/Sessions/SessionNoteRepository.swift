import BillingCore
import Foundation
import PostgresNIO

/// Appends and reads signed note versions (`notes`, immutable rows) in the current practice.
public struct NoteRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = "id, session_id, note_version, diagnoses, signed_by, signed_at"

    /// Appends a note version; a second row with the same version for the session is a unique violation.
    public func insert(_ note: SignedNote, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into notes (practice_id, id, session_id, note_version, diagnoses, signed_by, signed_at)
            values (\(practiceID.uuid), \(note.id.uuid), \(note.sessionId.uuid), \(note.version), \(note.diagnoses),
                    \(note.signedBy.uuid), \(note.signedAt))
            """)
    }

    /// Every version of `sessionID`'s note, oldest first.
    public func versions(of sessionID: SessionID, in transaction: Transaction) async throws -> [SignedNote] {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from notes where session_id = \(sessionID.uuid) order by note_version
            """).map(Self.decode)
    }

    /// The latest version of each of `sessionIDs`' notes (sessions without a note are absent).
    public func latest(for sessionIDs: [SessionID], in transaction: Transaction) async throws -> [SessionID: SignedNote] {
        guard !sessionIDs.isEmpty else { return [:] }
        let rows = try await transaction.rows("""
            select distinct on (session_id) \(unescaped: Self.columns) from notes
            where session_id = any(\(sessionIDs.map(\.uuid))::uuid[])
            order by session_id, note_version desc
            """)
        var notes: [SessionID: SignedNote] = [:]
        for note in try rows.map(Self.decode) { notes[note.sessionId] = note }
        return notes
    }

    static func decode(_ row: PostgresRow) throws -> SignedNote {
        let reader = RowReader(row)
        return SignedNote(
            id: try reader.id(NoteID.self, "id"),
            sessionId: try reader.id(SessionID.self, "session_id"),
            version: try reader.int("note_version"),
            diagnoses: try reader.strings("diagnoses"),
            signedBy: try reader.id(MemberID.self, "signed_by"),
            signedAt: try reader.date("signed_at"))
    }
}
