import BillingCore
import Foundation
import PostgresNIO

/// Reads what bills and superbills print: practice header, client, providers, diagnoses, policy.
public struct DocumentSourceRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// The practice header.
    public func practice(in transaction: Transaction) async throws -> SuperbillData.Practice? {
        guard let row = try await transaction.firstRow(
            "select legal_name, address::text as address, phone, tax_id, npi from practices") else { return nil }
        let reader = RowReader(row)
        return SuperbillData.Practice(name: try reader.string("legal_name"), address: try reader.json(Address.self, "address"),
                                      phone: try reader.string("phone"), taxId: try reader.string("tax_id"),
                                      npi: try reader.string("npi"))
    }

    /// The client's legal name, birth date and address.
    public func client(_ id: ClientID, in transaction: Transaction) async throws -> SuperbillData.Client? {
        guard let row = try await transaction.firstRow("""
            select first_name, middle_name, last_name, date_of_birth::text as dob, address::text as address
            from clients where id = \(id.uuid)
            """) else { return nil }
        let reader = RowReader(row)
        let name = [try reader.string("first_name"), try reader.optionalString("middle_name"), try reader.string("last_name")]
            .compactMap { $0 }.joined(separator: " ")
        let address = try reader.optionalString("address").flatMap {
            try? JSONDecoder().decode(Address.self, from: Data($0.utf8))
        }
        return SuperbillData.Client(name: name, dateOfBirth: CalendarDate(try reader.string("dob"))!, address: address)
    }

    /// The client's primary policy active on `date`, with the payer's name.
    public func primaryPolicy(of clientID: ClientID, on date: CalendarDate, in transaction: Transaction) async throws
        -> SuperbillData.Policy?
    {
        guard let row = try await transaction.firstRow("""
            select p.member_number, p.group_number, y.name from policies p join payers y on y.id = p.payer_id
            where p.client_id = \(clientID.uuid) and p.active and p.coverage_order = 'primary'
              and p.effective_from <= \(date.description)::date
              and (p.effective_to is null or p.effective_to >= \(date.description)::date)
            order by p.effective_from desc limit 1
            """) else { return nil }
        let reader = RowReader(row)
        return SuperbillData.Policy(payerName: try reader.string("name"), memberId: try reader.string("member_number"),
                                    groupNumber: try reader.optionalString("group_number"))
    }

    /// Per session: rendering member, place of service, and the latest signed note's diagnoses.
    public func sessionFacts(_ ids: [SessionID], in transaction: Transaction) async throws
        -> [SessionID: (renderingMemberID: MemberID, placeOfService: String, diagnoses: [String])]
    {
        guard !ids.isEmpty else { return [:] }
        var result: [SessionID: (MemberID, String, [String])] = [:]
        for row in try await transaction.rows("""
            select s.id, s.rendering_member_id, s.place_of_service,
                   coalesce((select n.diagnoses from notes n where n.session_id = s.id
                             order by n.note_version desc limit 1), '{}') as diagnoses
            from sessions s where s.id = any(\(ids.map(\.uuid)))
            """) {
            let reader = RowReader(row)
            result[try reader.id(SessionID.self, "id")] = (try reader.id(MemberID.self, "rendering_member_id"),
                                                          try reader.string("place_of_service"),
                                                          try reader.strings("diagnoses"))
        }
        return result
    }

    /// Providers by member id.
    public func providers(_ ids: [MemberID], in transaction: Transaction) async throws -> [SuperbillData.Provider] {
        guard !ids.isEmpty else { return [] }
        return try await transaction.rows("""
            select id, first_name, last_name, npi, taxonomy_code, credentials from members where id = any(\(ids.map(\.uuid)))
            order by last_name, first_name
            """).map { row in
            let reader = RowReader(row)
            return SuperbillData.Provider(
                memberId: try reader.id(MemberID.self, "id").description,
                name: "\(try reader.string("first_name")) \(try reader.string("last_name"))", npi: try reader.optionalString("npi"),
                taxonomyCode: try reader.optionalString("taxonomy_code"), credentials: try reader.optionalString("credentials"))
        }
    }

    /// Bills of a client with a line dated in the range, any status.
    public func billIDs(of clientID: ClientID, from: CalendarDate, to: CalendarDate, in transaction: Transaction) async throws
        -> [BillID]
    {
        try await transaction.rows("""
            select distinct b.id, b.number from bills b join bill_lines l on l.practice_id = b.practice_id and l.bill_id = b.id
            where b.client_id = \(clientID.uuid) and l.date_of_service between \(from.description)::date and \(to.description)::date
            order by b.number
            """).map { try RowReader($0).id(BillID.self, "id") }
    }

    /// Stores a superbill's data.
    public func insertSuperbill(id: SuperbillID, clientID: ClientID, from: CalendarDate, to: CalendarDate, data: SuperbillData,
                                createdBy: MemberID?, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into superbills (practice_id, id, client_id, period_from, period_to, data, created_by)
            values (\(practiceID.uuid), \(id.uuid), \(clientID.uuid), \(from.description)::date, \(to.description)::date,
                    \(try jsonText(data))::jsonb, \(createdBy?.uuid))
            """)
    }

    /// A stored superbill's client, period and data.
    public func superbill(_ id: SuperbillID, in transaction: Transaction) async throws -> SuperbillData? {
        guard let row = try await transaction.firstRow("select data::text as data from superbills where id = \(id.uuid)")
        else { return nil }
        return try RowReader(row).json(SuperbillData.self, "data")
    }
}

/// Short-lived generated files, fetched by an unguessable token through `GET /files/{token}`.
public struct FileRepository: Sendable {
    /// Creates the repository.
    public init() {}

    /// Stores a file for the current practice under the token's hash.
    public func insert(id: FileID, tokenHash: [UInt8], kind: String, contentType: String, content: [UInt8], expiresAt: Date,
                       practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into files (practice_id, id, token_hash, kind, content_type, content, expires_at)
            values (\(practiceID.uuid), \(id.uuid), \(ByteBuffer(bytes: tokenHash)), \(kind), \(contentType),
                    \(ByteBuffer(bytes: content)), \(expiresAt))
            """)
    }

    /// The file behind a token hash, if it exists and has not expired (no tenant needed: the token is the key).
    public func fetch(tokenHash: [UInt8], in transaction: Transaction) async throws -> (contentType: String, content: [UInt8])? {
        guard let row = try await transaction.firstRow(
            "select content_type, content from ll_file_by_token(\(ByteBuffer(bytes: tokenHash)))") else { return nil }
        let random = row.makeRandomAccess()
        return (try random["content_type"].decode(String.self, context: .default),
                Array(buffer: try random["content"].decode(ByteBuffer.self, context: .default)))
    }
}
