/// Who receives a client's bills and billing messages: the client, or for a minor the contact
/// linked with the ``ContactRole/billingContact`` role.
public struct BillingRecipient: Sendable, Hashable {
    /// Whether the recipient is the client or one of their contacts.
    public enum Kind: String, Sendable, Codable, CaseIterable, Hashable {
        case client
        case contact
    }

    public var kind: Kind
    /// The client the bills are about.
    public var clientId: ClientID
    /// The contact, when ``kind`` is ``Kind/contact``.
    public var contactId: ContactID?
    public var firstName: String
    public var lastName: String
    public var email: String?
    /// E.164 phone number.
    public var phone: String?
    public var address: Address?
    /// What the recipient agreed to receive; senders must check it per channel.
    public var consents: Consents

    /// Creates a recipient.
    public init(kind: Kind, clientId: ClientID, contactId: ContactID?, firstName: String, lastName: String,
                email: String?, phone: String?, address: Address?, consents: Consents) {
        self.kind = kind
        self.clientId = clientId
        self.contactId = contactId
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.address = address
        self.consents = consents
    }

    /// The outcome of choosing a recipient: one, or the reason there is none.
    public enum Resolution: Sendable, Hashable {
        case recipient(BillingRecipient)
        /// No recipient can be chosen; the string says why in plain words.
        case missing(String)

        /// The recipient, if one was found.
        public var recipient: BillingRecipient? {
            if case .recipient(let recipient) = self { return recipient }
            return nil
        }

        /// The reason no recipient was found, if so.
        public var problem: String? {
            if case .missing(let reason) = self { return reason }
            return nil
        }
    }

    /// The reason given when a minor has no billing contact.
    public static let minorWithoutBillingContact =
        "the client is a minor and has no linked contact with the billingContact role"

    /// Chooses the recipient of `client`'s bills on `today` (the practice's date).
    ///
    /// An adult receives their own bills. A minor's bills go to a contact linked with the
    /// billing-contact role; when several are linked, the first in `contacts` order (the caller
    /// passes them oldest first) is chosen so the choice is stable.
    /// - Parameters:
    ///   - client: The client.
    ///   - contacts: Contacts linked to the client (any roles; those without the billing-contact role are skipped).
    ///   - today: The practice's current date, which decides whether the client is a minor.
    public static func resolve(client: Client, contacts: [Contact], today: CalendarDate) -> Resolution {
        guard client.isMinor(on: today) else {
            return .recipient(BillingRecipient(
                kind: .client, clientId: client.id, contactId: nil, firstName: client.firstName,
                lastName: client.lastName, email: client.email, phone: client.phone, address: client.address,
                consents: client.consents))
        }
        guard let contact = contacts.first(where: { $0.roles(for: client.id).contains(.billingContact) }) else {
            return .missing(minorWithoutBillingContact)
        }
        return .recipient(BillingRecipient(
            kind: .contact, clientId: client.id, contactId: contact.id, firstName: contact.firstName,
            lastName: contact.lastName, email: contact.email, phone: contact.phone, address: contact.address,
            consents: contact.consents))
    }
}
