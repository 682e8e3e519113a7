import BillingCore

/// A client with what is derived from it on the practice's date: minor status and who receives its bills.
public struct ClientDetails: Sendable, Hashable {
    public var client: Client
    /// `true` when the client is under 18 on the practice's date.
    public var isMinor: Bool
    /// Who receives bills and billing messages, or `nil` with ``billingRecipientProblem``.
    public var billingRecipient: BillingRecipient?
    /// Why there is no billing recipient (a minor without a billing contact).
    public var billingRecipientProblem: String?

    /// Derives the details of `client` from its linked `contacts` on `today`.
    public init(client: Client, contacts: [Contact], today: CalendarDate) {
        self.client = client
        isMinor = client.isMinor(on: today)
        let resolution = BillingRecipient.resolve(client: client, contacts: contacts, today: today)
        billingRecipient = resolution.recipient
        billingRecipientProblem = resolution.problem
    }
}
