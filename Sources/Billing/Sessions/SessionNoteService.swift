import BillingCore
import Foundation
import Storage

/// Use cases for signed notes: sign, amend, read; and the diagnoses claims must use.
///
/// Signing snapshots the ordered diagnoses into an immutable note version; later changes to the
/// client's diagnosis list never reach it. Only the session's rendering or supervising member signs.
public struct NoteService: Sendable {
    let notes = NoteRepository()
    let clients = ClientRepository()
    let sessionService = SessionService()

    /// Creates the service.
    public init() {}

    /// A session's note: the latest version and every version, oldest first (both empty when unsigned).
    public struct History: Sendable, Hashable {
        public var latest: SignedNote?
        public var versions: [SignedNote]
    }

    /// Signs a session's note, snapshotting `diagnoses` or, when `nil`, the client's current list.
    /// - Throws: −32004 when the session is not visible; −32003 when the caller neither renders nor
    ///   supervises it; −32009 when it is already signed (use ``amend(session:diagnoses:by:in:now:)``);
    ///   −32602 when the diagnoses are missing, more than 12, repeated or not billable (`F41` is a category).
    public func sign(session id: SessionID, diagnoses: [String]?, by caller: Caller, in transaction: Transaction,
                     now: Date = Date()) async throws -> SignedNote {
        let (session, signer) = try await signableSession(id, by: caller, in: transaction)
        if try await !notes.versions(of: id, in: transaction).isEmpty {
            throw DomainError(.conflict, code: "note.alreadySigned",
                              message: "the note is already signed; use note.amend to sign a new version",
                              problems: [FieldProblem(pointer: "/sessionId", reason: "is already signed", code: "signed")])
        }
        var codes = diagnoses
        if codes == nil {
            codes = try await clients.find(session.clientId, in: transaction)?.diagnoses ?? []
        }
        return try await append(version: 1, diagnoses: codes ?? [], copiedFromClient: diagnoses == nil,
                                session: session, signer: signer, in: transaction, now: now)
    }

    /// Signs a new version of an already signed note with `diagnoses`; earlier versions stay as they were.
    /// - Throws: as ``sign(session:diagnoses:by:in:now:)``; −32009 when the note was never signed.
    public func amend(session id: SessionID, diagnoses: [String], by caller: Caller, in transaction: Transaction,
                      now: Date = Date()) async throws -> SignedNote {
        let (session, signer) = try await signableSession(id, by: caller, in: transaction)
        guard let latest = try await notes.versions(of: id, in: transaction).last else {
            throw DomainError(.conflict, code: "note.notSigned", message: "the note is not signed yet; use note.sign",
                              problems: [FieldProblem(pointer: "/sessionId", reason: "is not signed", code: "notSigned")])
        }
        return try await append(version: latest.version + 1, diagnoses: diagnoses, copiedFromClient: false,
                                session: session, signer: signer, in: transaction, now: now)
    }

    /// The note history of a session the caller may see.
    /// - Throws: −32004 when the session is not visible.
    public func history(session id: SessionID, by caller: Caller, in transaction: Transaction) async throws -> History {
        _ = try await sessionService.visibleSession(id, by: caller, pointer: "/sessionId", in: transaction)
        let versions = try await notes.versions(of: id, in: transaction)
        return History(latest: versions.last, versions: versions)
    }

    /// The diagnoses claims must use for a session: the latest signed version's snapshot, in order,
    /// with decimal points (`ICD10.claimForm` drops them); `nil` when the note is not signed.
    ///
    /// Not restricted by role: callers authorize first.
    public func signedDiagnoses(for sessionID: SessionID, in transaction: Transaction) async throws -> [String]? {
        try await latestNote(for: sessionID, in: transaction)?.diagnoses
    }

    /// The latest signed version of a session's note, if any (no role checks).
    public func latestNote(for sessionID: SessionID, in transaction: Transaction) async throws -> SignedNote? {
        try await notes.latest(for: [sessionID], in: transaction)[sessionID]
    }

    private func signableSession(_ id: SessionID, by caller: Caller, in transaction: Transaction) async throws
        -> (Session, (practiceID: PracticeID, memberID: MemberID))
    {
        guard case .member(let practiceID, let memberID, _, _) = caller else {
            throw DomainError(.forbidden, code: "note.memberRequired", message: "only a member can sign a note")
        }
        // Locking the session serializes signatures and amendments of one note.
        let session = try await sessionService.visibleSession(id, by: caller, pointer: "/sessionId", forUpdate: true,
                                                              in: transaction)
        guard SessionRules.maySign(session, memberID: memberID) else {
            throw DomainError(
                .forbidden, code: "note.notSessionClinician",
                message: "only the session's rendering or supervising member may sign its note",
                problems: [FieldProblem(pointer: "/sessionId", reason: "you neither render nor supervise this session",
                                        code: "notSigner")])
        }
        return (session, (practiceID, memberID))
    }

    private func append(version: Int, diagnoses: [String], copiedFromClient: Bool, session: Session,
                        signer: (practiceID: PracticeID, memberID: MemberID), in transaction: Transaction, now: Date)
        async throws -> SignedNote
    {
        var problems = DiagnosisList.problems(diagnoses, pointer: "/diagnoses", required: true)
        if copiedFromClient, diagnoses.isEmpty {
            problems = [FieldProblem(pointer: "/diagnoses",
                                     reason: "is required: the client has no current diagnoses to copy", code: "required")]
        }
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        let note = SignedNote(id: .generate(), sessionId: session.id, version: version,
                              diagnoses: DiagnosisList.normalized(diagnoses), signedBy: signer.memberID, signedAt: now)
        try await notes.insert(note, practiceID: signer.practiceID, in: transaction)
        return note
    }
}
