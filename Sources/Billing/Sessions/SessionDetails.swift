import BillingCore

/// A session with its lines, its latest signed note and the live bill it is on.
public struct SessionDetails: Sendable, Hashable {
    public var session: Session
    /// The latest signed version of the note, if signed.
    public var note: SignedNote?
    /// The bill the session is on (a non-void bill), if billed.
    public var billId: BillID?

    /// Creates the details.
    public init(session: Session, note: SignedNote?, billId: BillID?) {
        self.session = session
        self.note = note
        self.billId = billId
    }
}
