import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes `contacts` and their links to clients (`contact_links`) in the current practice.
public struct ContactRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        t.id, t.first_name, t.last_name, t.email, t.phone, t.address::text as address, t.consent_email, t.consent_sms,
        t.version, t.created_at, t.updated_at
        """

    /// Inserts a contact and its links.
    public func insert(_ contact: Contact, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into contacts (practice_id, id, first_name, last_name, email, phone, address, consent_email, consent_sms,
                                  version, created_at, updated_at)
            values (\(practiceID.uuid), \(contact.id.uuid), \(contact.firstName), \(contact.lastName), \(contact.email),
                    \(contact.phone), \(try contact.address.map(jsonText))::jsonb, \(contact.consents.email),
                    \(contact.consents.sms), \(contact.version), \(contact.createdAt), \(contact.updatedAt))
            """)
        for link in contact.links {
            try await setLink(contactID: contact.id, link: link, practiceID: practiceID, in: transaction)
        }
    }

    /// The contact with `id`, with all its links.
    public func find(_ id: ContactID, in transaction: Transaction, forUpdate: Bool = false) async throws -> Contact? {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from contacts t where t.id = \(id.uuid)\(unescaped: lock)")
        else { return nil }
        return try await withLinks([try Self.decode(row)], in: transaction).first
    }

    /// A page of contacts ordered by id, optionally only those linked to `clientID`; `visibleTo`
    /// restricts to contacts linked to a client assigned to that clinician.
    public func list(clientID: ClientID?, visibleTo: MemberID?, after cursor: ContactID?, limit: Int,
                     in transaction: Transaction) async throws -> Page<Contact> {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from contacts t
            where (\(cursor?.uuid)::uuid is null or t.id > \(cursor?.uuid))
              and (\(clientID?.uuid)::uuid is null or exists (
                    select 1 from contact_links l where l.practice_id = t.practice_id and l.contact_id = t.id
                      and l.client_id = \(clientID?.uuid)))
              and (\(visibleTo?.uuid)::uuid is null or exists (
                    select 1 from contact_links l join client_clinicians cc
                      on cc.practice_id = l.practice_id and cc.client_id = l.client_id
                    where l.practice_id = t.practice_id and l.contact_id = t.id and cc.member_id = \(visibleTo?.uuid)))
            order by t.id limit \(limit + 1)
            """)
        var contacts = try rows.map(Self.decode)
        var next: String? = nil
        if contacts.count > limit {
            contacts.removeLast()
            next = contacts.last?.id.description
        }
        return Page(items: try await withLinks(contacts, in: transaction), nextCursor: next)
    }

    /// Contacts linked to any of `clientIDs`, oldest first, with their links.
    public func linked(to clientIDs: [ClientID], in transaction: Transaction) async throws -> [Contact] {
        guard !clientIDs.isEmpty else { return [] }
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from contacts t
            where exists (select 1 from contact_links l where l.practice_id = t.practice_id and l.contact_id = t.id
                            and l.client_id = any(\(clientIDs.map(\.uuid))::uuid[]))
            order by t.id
            """)
        return try await withLinks(try rows.map(Self.decode), in: transaction)
    }

    /// Writes the contact's own fields (not its links) if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ contact: Contact, expectedVersion: Int, in transaction: Transaction) async throws -> Contact? {
        let row = try await transaction.firstRow("""
            update contacts set first_name = \(contact.firstName), last_name = \(contact.lastName), email = \(contact.email),
                phone = \(contact.phone), address = \(try contact.address.map(jsonText))::jsonb,
                consent_email = \(contact.consents.email), consent_sms = \(contact.consents.sms),
                version = version + 1, updated_at = now()
            where id = \(contact.id.uuid) and version = \(expectedVersion)
            returning id
            """)
        guard row != nil else { return nil }
        return try await find(contact.id, in: transaction)
    }

    /// Sets the roles of the link between a contact and a client, creating the link if needed.
    public func setLink(contactID: ContactID, link: ContactLink, practiceID: PracticeID, in transaction: Transaction)
        async throws
    {
        // The application role may insert and delete links but not update them.
        try await transaction.query(
            "delete from contact_links where contact_id = \(contactID.uuid) and client_id = \(link.clientId.uuid)")
        try await transaction.query("""
            insert into contact_links (practice_id, contact_id, client_id, roles)
            values (\(practiceID.uuid), \(contactID.uuid), \(link.clientId.uuid), \(link.roles.map(\.rawValue)))
            """)
    }

    /// Removes the link between a contact and a client; `false` when there was none.
    public func removeLink(contactID: ContactID, clientID: ClientID, in transaction: Transaction) async throws -> Bool {
        try await transaction.firstRow("""
            delete from contact_links where contact_id = \(contactID.uuid) and client_id = \(clientID.uuid) returning 1
            """) != nil
    }

    /// Marks the contact changed (its links changed): bumps its version.
    public func touch(_ id: ContactID, in transaction: Transaction) async throws {
        try await transaction.query("update contacts set version = version + 1, updated_at = now() where id = \(id.uuid)")
    }

    private func withLinks(_ contacts: [Contact], in transaction: Transaction) async throws -> [Contact] {
        guard !contacts.isEmpty else { return [] }
        let rows = try await transaction.rows("""
            select contact_id, client_id, roles from contact_links
            where contact_id = any(\(contacts.map(\.id.uuid))::uuid[]) order by contact_id, client_id
            """)
        var links: [ContactID: [ContactLink]] = [:]
        for row in rows {
            let reader = RowReader(row)
            let roles = try reader.strings("roles").compactMap(ContactRole.init(rawValue:))
            links[try reader.id(ContactID.self, "contact_id"), default: []].append(
                ContactLink(clientId: try reader.id(ClientID.self, "client_id"), roles: roles))
        }
        return contacts.map { contact in
            var copy = contact
            copy.links = links[contact.id] ?? []
            return copy
        }
    }

    static func decode(_ row: PostgresRow) throws -> Contact {
        let reader = RowReader(row)
        return Contact(
            id: try reader.id(ContactID.self, "id"),
            firstName: try reader.string("first_name"),
            lastName: try reader.string("last_name"),
            email: try reader.optionalString("email"),
            phone: try reader.optionalString("phone"),
            address: try reader.optionalJSON(Address.self, "address"),
            consents: Consents(email: try reader.bool("consent_email"), sms: try reader.bool("consent_sms")),
            links: [],
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
