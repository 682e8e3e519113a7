import Foundation

/// One signed version of a session's note: the ordered diagnoses snapshotted at signing, the
/// signer and the time. No clinical text is stored. Immutable; an amendment is a new version.
public struct SignedNote: Sendable, Hashable {
    public var id: NoteID
    public var sessionId: SessionID
    /// 1 for the first signature, then 2, 3 … for amendments.
    public var version: Int
    /// ICD-10-CM codes with their decimal point, in claim order (the first is the principal diagnosis).
    public var diagnoses: [String]
    public var signedBy: MemberID
    public var signedAt: Date

    /// Creates a note version.
    public init(id: NoteID, sessionId: SessionID, version: Int, diagnoses: [String], signedBy: MemberID, signedAt: Date) {
        self.id = id
        self.sessionId = sessionId
        self.version = version
        self.diagnoses = diagnoses
        self.signedBy = signedBy
        self.signedAt = signedAt
    }

    /// The diagnoses as claims send them: without the decimal point (`F411`).
    public var claimDiagnoses: [String] { diagnoses.map(ICD10.claimForm) }
}
