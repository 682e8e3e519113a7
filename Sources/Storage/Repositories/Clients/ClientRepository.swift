import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes `clients` and their assigned clinicians (`client_clinicians`) in the current practice.
public struct ClientRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Filters for ``list(_:after:limit:in:)``.
    public struct Filter: Sendable {
        /// Words that must each appear in the client's names (case-insensitive), or the exact external id.
        public var query: String?
        /// Only clients assigned to this member.
        public var assignedMemberID: MemberID?
        /// Only active (`true`) or inactive (`false`) clients; `nil` for both.
        public var active: Bool?
        /// Row-level restriction for clinicians: only clients assigned to this member.
        public var visibleTo: MemberID?

        /// Creates a filter.
        public init(query: String? = nil, assignedMemberID: MemberID? = nil, active: Bool? = nil,
                    visibleTo: MemberID? = nil) {
            self.query = query
            self.assignedMemberID = assignedMemberID
            self.active = active
            self.visibleTo = visibleTo
        }
    }

    static let columns = """
        c.id, c.external_id, c.first_name, c.middle_name, c.last_name, c.preferred_name,
        c.date_of_birth::text as date_of_birth, c.sex, c.address::text as address, c.phone, c.email, c.consent_email,
        c.consent_sms, c.diagnoses, c.active, c.version, c.created_at, c.updated_at,
        array(select cc.member_id from client_clinicians cc
              where cc.practice_id = c.practice_id and cc.client_id = c.id order by cc.member_id) as assigned_member_ids
        """

    /// Inserts a client and its clinician assignments into the current practice.
    public func insert(_ client: Client, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into clients (practice_id, id, external_id, first_name, middle_name, last_name, preferred_name,
                                 date_of_birth, sex, address, phone, email, consent_email, consent_sms, diagnoses,
                                 active, version, created_at, updated_at)
            values (\(practiceID.uuid), \(client.id.uuid), \(client.externalId), \(client.firstName), \(client.middleName),
                    \(client.lastName), \(client.preferredName), \(client.dateOfBirth.description)::date,
                    \(client.sex.rawValue), \(try client.address.map(jsonText))::jsonb, \(client.phone), \(client.email),
                    \(client.consents.email), \(client.consents.sms), \(client.diagnoses), \(client.active),
                    \(client.version), \(client.createdAt), \(client.updatedAt))
            """)
        try await replaceClinicians(of: client.id, with: client.assignedMemberIds, practiceID: practiceID, in: transaction)
    }

    /// The client with `id` in the current practice; `forUpdate` locks its row until the transaction ends.
    public func find(_ id: ClientID, in transaction: Transaction, forUpdate: Bool = false) async throws -> Client? {
        let lock = forUpdate ? " for update of c" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from clients c where c.id = \(id.uuid)\(unescaped: lock)")
        else { return nil }
        return try Self.decode(row)
    }

    /// The clients with these ids (any order; unknown ids are skipped).
    public func find(_ ids: [ClientID], in transaction: Transaction) async throws -> [Client] {
        guard !ids.isEmpty else { return [] }
        return try await transaction.rows(
            "select \(unescaped: Self.columns) from clients c where c.id = any(\(ids.map(\.uuid)))").map(Self.decode)
    }

    /// A page of clients ordered by id (creation order), after `cursor`.
    public func list(_ filter: Filter, after cursor: ClientID?, limit: Int, in transaction: Transaction) async throws
        -> Page<Client>
    {
        let query = filter.query?.trimmingCharacters(in: .whitespaces)
        let patterns = query.map(likePatterns) ?? []
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from clients c
            where (\(cursor?.uuid)::uuid is null or c.id > \(cursor?.uuid))
              and (cardinality(\(patterns)::text[]) = 0
                   or concat_ws(' ', c.first_name, c.middle_name, c.last_name, c.preferred_name)
                      ilike all(\(patterns)::text[])
                   or c.external_id = \(query))
              and (\(filter.active)::boolean is null or c.active = \(filter.active))
              and (\(filter.assignedMemberID?.uuid)::uuid is null or exists (
                    select 1 from client_clinicians cc where cc.practice_id = c.practice_id and cc.client_id = c.id
                      and cc.member_id = \(filter.assignedMemberID?.uuid)))
              and (\(filter.visibleTo?.uuid)::uuid is null or exists (
                    select 1 from client_clinicians cc where cc.practice_id = c.practice_id and cc.client_id = c.id
                      and cc.member_id = \(filter.visibleTo?.uuid)))
            order by c.id limit \(limit + 1)
            """)
        var clients = try rows.map(Self.decode)
        var next: String? = nil
        if clients.count > limit {
            clients.removeLast()
            next = clients.last?.id.description
        }
        return Page(items: clients, nextCursor: next)
    }

    /// Writes `client` (and its clinician assignments) if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ client: Client, expectedVersion: Int, practiceID: PracticeID, in transaction: Transaction)
        async throws -> Client?
    {
        let row = try await transaction.firstRow("""
            update clients set external_id = \(client.externalId), first_name = \(client.firstName),
                middle_name = \(client.middleName), last_name = \(client.lastName), preferred_name = \(client.preferredName),
                date_of_birth = \(client.dateOfBirth.description)::date, sex = \(client.sex.rawValue),
                address = \(try client.address.map(jsonText))::jsonb, phone = \(client.phone), email = \(client.email),
                consent_email = \(client.consents.email), consent_sms = \(client.consents.sms),
                diagnoses = \(client.diagnoses), active = \(client.active), version = version + 1, updated_at = now()
            where id = \(client.id.uuid) and version = \(expectedVersion)
            returning id
            """)
        guard row != nil else { return nil }
        try await replaceClinicians(of: client.id, with: client.assignedMemberIds, practiceID: practiceID, in: transaction)
        return try await find(client.id, in: transaction)
    }

    /// `true` when another client of the practice already has `externalId`.
    public func externalIdTaken(_ externalId: String, except id: ClientID?, in transaction: Transaction) async throws
        -> Bool
    {
        try await transaction.firstRow("""
            select 1 from clients where external_id = \(externalId) and (\(id?.uuid)::uuid is null or id <> \(id?.uuid))
            """) != nil
    }

    /// Which of `clientIDs` are assigned to `memberID`.
    public func assigned(to memberID: MemberID, among clientIDs: [ClientID], in transaction: Transaction) async throws
        -> Set<ClientID>
    {
        guard !clientIDs.isEmpty else { return [] }
        let rows = try await transaction.rows("""
            select client_id from client_clinicians
            where member_id = \(memberID.uuid) and client_id = any(\(clientIDs.map(\.uuid))::uuid[])
            """)
        return Set(try rows.map { try RowReader($0).id(ClientID.self, "client_id") })
    }

    private func replaceClinicians(of clientID: ClientID, with memberIDs: [MemberID], practiceID: PracticeID,
                                   in transaction: Transaction) async throws {
        try await transaction.query("""
            delete from client_clinicians where client_id = \(clientID.uuid)
              and not (member_id = any(\(memberIDs.map(\.uuid))::uuid[]))
            """)
        guard !memberIDs.isEmpty else { return }
        try await transaction.query("""
            insert into client_clinicians (practice_id, client_id, member_id)
            select \(practiceID.uuid), \(clientID.uuid), m from unnest(\(memberIDs.map(\.uuid))::uuid[]) as m
            on conflict do nothing
            """)
    }

    static func decode(_ row: PostgresRow) throws -> Client {
        let reader = RowReader(row)
        return Client(
            id: try reader.id(ClientID.self, "id"),
            externalId: try reader.optionalString("external_id"),
            firstName: try reader.string("first_name"),
            middleName: try reader.optionalString("middle_name"),
            lastName: try reader.string("last_name"),
            preferredName: try reader.optionalString("preferred_name"),
            dateOfBirth: try reader.calendarDate("date_of_birth"),
            sex: try reader.enumeration(Sex.self, "sex"),
            address: try reader.optionalJSON(Address.self, "address"),
            phone: try reader.optionalString("phone"),
            email: try reader.optionalString("email"),
            consents: Consents(email: try reader.bool("consent_email"), sms: try reader.bool("consent_sms")),
            assignedMemberIds: try reader.ids(MemberID.self, "assigned_member_ids"),
            diagnoses: try reader.strings("diagnoses"),
            active: try reader.bool("active"),
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
