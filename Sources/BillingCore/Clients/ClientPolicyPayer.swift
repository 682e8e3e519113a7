/// The payer of a policy as policies show it: catalog id, name and clearinghouse payer id.
public struct PolicyPayer: Sendable, Hashable {
    public var id: PayerID
    public var name: String
    /// The payer id the clearinghouse routes claims by (e.g. Aetna `60054`).
    public var clearinghousePayerId: String

    /// Creates the payer facts.
    public init(id: PayerID, name: String, clearinghousePayerId: String) {
        self.id = id
        self.name = name
        self.clearinghousePayerId = clearinghousePayerId
    }
}
