import BillingCore
import Foundation
import Storage

/// Use cases for contacts (guardians, billing contacts, emergency contacts) and their links to clients.
///
/// A clinician sees a contact only through the clients assigned to them: the contact must be linked
/// to one of those clients, and only those links are shown.
public struct ContactService: Sendable {
    let contacts = ContactRepository()
    let clients = ClientRepository()
    let clientService = ClientService()

    /// Creates the service.
    public init() {}

    /// Creates a contact linked to one or more clients.
    /// - Throws: −32004 when a linked client is not in the practice (or not visible to a clinician);
    ///   −32602 when a client is linked twice.
    public func create(_ input: NewContact, by caller: Caller, in transaction: Transaction, now: Date = Date())
        async throws -> Contact
    {
        let practiceID = try ClientService.practiceID(of: caller)
        var problems: [FieldProblem] = []
        var seen: Set<ClientID> = []
        for (index, link) in input.links.enumerated() {
            _ = try await clientService.visibleClient(link.clientId, by: caller, pointer: "/links/\(index)/clientId",
                                                      in: transaction)
            if !seen.insert(link.clientId).inserted {
                problems.append(FieldProblem(pointer: "/links/\(index)/clientId", reason: "is linked twice",
                                             code: "duplicate"))
            }
        }
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        let contact = Contact(
            id: .generate(), firstName: input.firstName, lastName: input.lastName, email: input.email, phone: input.phone,
            address: input.address, consents: input.consents ?? .none,
            links: input.links.map { ContactLink(clientId: $0.clientId, roles: $0.roles) }
                .sorted { $0.clientId < $1.clientId },
            version: 1, createdAt: now, updatedAt: now)
        try await contacts.insert(contact, practiceID: practiceID, in: transaction)
        return contact
    }

    /// A contact the caller may see.
    /// - Throws: −32004 when it is not in the practice or not linked to a client visible to the caller.
    public func contact(_ id: ContactID, by caller: Caller, pointer: String = "/id", forUpdate: Bool = false,
                        in transaction: Transaction) async throws -> Contact {
        guard let contact = try await contacts.find(id, in: transaction, forUpdate: forUpdate),
              let visible = try await visible(contact, to: caller, in: transaction) else {
            throw DomainError.notFound("contact", pointer: pointer)
        }
        return visible
    }

    /// A page of contacts the caller may see, optionally only those linked to `clientID`.
    public func list(clientID: ClientID?, by caller: Caller, after cursor: ContactID?, limit: Int,
                     in transaction: Transaction) async throws -> Page<Contact> {
        if let clientID {
            _ = try await clientService.visibleClient(clientID, by: caller, pointer: "/clientId", in: transaction)
        }
        let page = try await contacts.list(clientID: clientID, visibleTo: ClientVisibility(caller).restrictedTo,
                                           after: cursor, limit: limit, in: transaction)
        var items: [Contact] = []
        for contact in page.items {
            if let visible = try await visible(contact, to: caller, in: transaction) { items.append(visible) }
        }
        return Page(items: items, nextCursor: page.nextCursor)
    }

    /// Applies changes to a contact's own fields.
    /// - Throws: −32004 when not visible; −32009 on a stale version.
    public func update(_ changes: ContactChanges, by caller: Caller, in transaction: Transaction) async throws -> Contact {
        var contact = try await contact(changes.id, by: caller, forUpdate: true, in: transaction)
        contact.firstName = changes.firstName.applied(to: contact.firstName)
        contact.lastName = changes.lastName.applied(to: contact.lastName)
        contact.email = changes.email.applied(to: contact.email)
        contact.phone = changes.phone.applied(to: contact.phone)
        contact.address = changes.address.applied(to: contact.address)
        contact.consents = changes.consents.applied(to: contact.consents)
        guard let stored = try await contacts.update(contact, expectedVersion: changes.version, in: transaction),
              let visible = try await visible(stored, to: caller, in: transaction) else {
            throw DomainError.staleVersion("contact")
        }
        return visible
    }

    /// Links a contact to a client with `roles`, replacing the roles of an existing link (upsert).
    /// - Throws: −32004 when the contact or client is not visible.
    public func link(contact contactID: ContactID, client clientID: ClientID, roles: [ContactRole], by caller: Caller,
                     in transaction: Transaction) async throws -> Contact {
        let practiceID = try ClientService.practiceID(of: caller)
        _ = try await contact(contactID, by: caller, pointer: "/contactId", forUpdate: true, in: transaction)
        _ = try await clientService.visibleClient(clientID, by: caller, pointer: "/clientId", in: transaction)
        try await contacts.setLink(contactID: contactID, link: ContactLink(clientId: clientID, roles: roles),
                                   practiceID: practiceID, in: transaction)
        try await contacts.touch(contactID, in: transaction)
        return try await contact(contactID, by: caller, pointer: "/contactId", in: transaction)
    }

    /// Removes the link between a contact and a client. The contact itself stays (it may be linked again).
    /// - Throws: −32004 when the contact, the client or the link does not exist for the caller.
    public func unlink(contact contactID: ContactID, client clientID: ClientID, by caller: Caller,
                       in transaction: Transaction) async throws -> Contact {
        _ = try await contact(contactID, by: caller, pointer: "/contactId", forUpdate: true, in: transaction)
        _ = try await clientService.visibleClient(clientID, by: caller, pointer: "/clientId", in: transaction)
        guard try await contacts.removeLink(contactID: contactID, clientID: clientID, in: transaction) else {
            throw DomainError.notFound("contactLink", pointer: "/clientId")
        }
        try await contacts.touch(contactID, in: transaction)
        // A clinician who removed their last visible link no longer sees the contact: show what remains to owners.
        guard let stored = try await contacts.find(contactID, in: transaction) else {
            throw DomainError.notFound("contact")
        }
        return try await visible(stored, to: caller, in: transaction)
            ?? Contact(id: stored.id, firstName: stored.firstName, lastName: stored.lastName, email: stored.email,
                       phone: stored.phone, address: stored.address, consents: stored.consents, links: [],
                       version: stored.version, createdAt: stored.createdAt, updatedAt: stored.updatedAt)
    }

    /// `contact` as `caller` may see it: unchanged for owners, billers and viewers; for a clinician only
    /// its links to clients assigned to them, or `nil` when there are none.
    func visible(_ contact: Contact, to caller: Caller, in transaction: Transaction) async throws -> Contact? {
        guard let memberID = ClientVisibility(caller).restrictedTo else { return contact }
        let assigned = try await clients.assigned(to: memberID, among: contact.links.map(\.clientId), in: transaction)
        guard !assigned.isEmpty else { return nil }
        var copy = contact
        copy.links = contact.links.filter { assigned.contains($0.clientId) }
        return copy
    }
}
