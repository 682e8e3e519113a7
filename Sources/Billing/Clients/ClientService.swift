import BillingCore
import Foundation
import Storage

/// Use cases for clients: create, read, list, change, deactivate; and who receives a client's bills.
///
/// Clinicians see and change only clients assigned to them; any other client behaves as if it did
/// not exist (−32004), so ids cannot be probed.
public struct ClientService: Sendable {
    let clients = ClientRepository()
    let contacts = ContactRepository()
    let memberReferences = MemberReferences()
    let calendar = PracticeCalendar()

    /// Creates the service.
    public init() {}

    /// Creates a client.
    /// - Throws: −32004 when an assigned member is not in the practice; −32602 with every problem
    ///   (birth date in the future, a diagnosis that is not billable, an assigned member who is inactive
    ///   or not a clinician, a clinician not assigning themselves); −32009 when the external id is taken.
    public func create(_ input: NewClient, by caller: Caller, in transaction: Transaction, now: Date = Date())
        async throws -> ClientDetails
    {
        let practiceID = try Self.practiceID(of: caller)
        let assigned = Self.uniqueSorted(input.assignedMemberIds)
        var problems = try await memberReferences.clinicalMembers(
            input.assignedMemberIds.enumerated().map { ($0.element, "/assignedMemberIds/\($0.offset)") }, in: transaction)
        let today = try await calendar.today(in: transaction, now: now)
        let client = Client(
            id: .generate(), externalId: input.externalId, firstName: input.firstName, middleName: input.middleName,
            lastName: input.lastName, preferredName: input.preferredName, dateOfBirth: input.dateOfBirth, sex: input.sex,
            address: input.address, phone: input.phone, email: input.email, consents: input.consents,
            assignedMemberIds: assigned, diagnoses: DiagnosisList.normalized(input.diagnoses ?? []), active: true,
            version: 1, createdAt: now, updatedAt: now)
        problems += ClientRules.problems(client, today: today)
        if let clinician = ClientVisibility(caller).restrictedTo, !assigned.contains(clinician) {
            problems.append(FieldProblem(pointer: "/assignedMemberIds",
                                         reason: "must include you: a clinician can only add clients assigned to them",
                                         code: "selfNotAssigned"))
        }
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if let externalId = client.externalId, try await clients.externalIdTaken(externalId, except: nil, in: transaction) {
            throw Self.externalIdTaken
        }
        try await clients.insert(client, practiceID: practiceID, in: transaction)
        return ClientDetails(client: client, contacts: [], today: today)
    }

    /// A client the caller may see, with its derived details.
    /// - Throws: −32004 when the client is not in the practice or not visible to the caller.
    public func client(_ id: ClientID, by caller: Caller, in transaction: Transaction, now: Date = Date()) async throws
        -> ClientDetails
    {
        let client = try await visibleClient(id, by: caller, in: transaction)
        return try await details([client], in: transaction, now: now)[0]
    }

    /// A page of the clients the caller may see, ordered by id.
    public func list(_ filter: ClientRepository.Filter, by caller: Caller, after cursor: ClientID?, limit: Int,
                     in transaction: Transaction, now: Date = Date()) async throws -> Page<ClientDetails> {
        var filter = filter
        filter.visibleTo = ClientVisibility(caller).restrictedTo
        if let memberID = filter.assignedMemberID,
           try await memberReferences.members.find(memberID, in: transaction) == nil {
            throw DomainError.notFound("member", pointer: "/assignedMemberId")
        }
        let page = try await clients.list(filter, after: cursor, limit: limit, in: transaction)
        return Page(items: try await details(page.items, in: transaction, now: now), nextCursor: page.nextCursor)
    }

    /// Applies changes to a client the caller may see.
    /// - Throws: −32004, −32602 as for ``create(_:by:in:now:)``; −32009 on a stale version or a taken external id.
    public func update(_ changes: ClientChanges, by caller: Caller, in transaction: Transaction, now: Date = Date())
        async throws -> ClientDetails
    {
        let practiceID = try Self.practiceID(of: caller)
        var client = try await visibleClient(changes.id, by: caller, forUpdate: true, in: transaction)
        var problems: [FieldProblem] = []
        if case .value(let memberIDs) = changes.assignedMemberIds {
            // Members already assigned stay acceptable even if they became inactive since.
            let added = memberIDs.enumerated().filter { !client.assignedMemberIds.contains($0.element) }
            problems += try await memberReferences.clinicalMembers(
                added.map { ($0.element, "/assignedMemberIds/\($0.offset)") }, in: transaction)
        }
        client.firstName = changes.firstName.applied(to: client.firstName)
        client.middleName = changes.middleName.applied(to: client.middleName)
        client.lastName = changes.lastName.applied(to: client.lastName)
        client.preferredName = changes.preferredName.applied(to: client.preferredName)
        client.dateOfBirth = changes.dateOfBirth.applied(to: client.dateOfBirth)
        client.sex = changes.sex.applied(to: client.sex)
        client.address = changes.address.applied(to: client.address)
        client.phone = changes.phone.applied(to: client.phone)
        client.email = changes.email.applied(to: client.email)
        client.consents = changes.consents.applied(to: client.consents)
        client.assignedMemberIds = Self.uniqueSorted(changes.assignedMemberIds.applied(to: client.assignedMemberIds))
        client.externalId = changes.externalId.applied(to: client.externalId)
        let currentDiagnoses: [String]? = client.diagnoses
        client.diagnoses = DiagnosisList.normalized(changes.diagnoses.applied(to: currentDiagnoses) ?? [])
        let today = try await calendar.today(in: transaction, now: now)
        problems += ClientRules.problems(client, today: today)
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if changes.externalId.isPresent, let externalId = client.externalId,
           try await clients.externalIdTaken(externalId, except: client.id, in: transaction) {
            throw Self.externalIdTaken
        }
        guard let stored = try await clients.update(client, expectedVersion: changes.version, practiceID: practiceID,
                                                    in: transaction) else {
            throw DomainError.staleVersion("client")
        }
        return try await details([stored], in: transaction, now: now)[0]
    }

    /// Marks a client inactive (`active: false`) or active again; idempotent.
    /// - Parameter version: when given, must match the stored version (−32009 otherwise).
    public func setActive(_ active: Bool, client id: ClientID, version: Int?, by caller: Caller,
                          in transaction: Transaction, now: Date = Date()) async throws -> ClientDetails {
        let practiceID = try Self.practiceID(of: caller)
        var client = try await visibleClient(id, by: caller, forUpdate: true, in: transaction)
        if let version, version != client.version { throw DomainError.staleVersion("client") }
        if client.active != active {
            client.active = active
            guard let stored = try await clients.update(client, expectedVersion: client.version, practiceID: practiceID,
                                                        in: transaction) else {
                throw DomainError.staleVersion("client")
            }
            client = stored
        }
        return try await details([client], in: transaction, now: now)[0]
    }

    /// Who receives `clientID`'s bills and billing messages today (for `bill.send` and statements):
    /// the client, or for a minor the contact linked with the billing-contact role.
    ///
    /// Not restricted by role: callers authorize first.
    /// - Throws: −32004 when the client does not exist; −32009 (`client.noBillingRecipient`) when the
    ///   client is a minor without a billing contact.
    public func billingRecipient(for clientID: ClientID, in transaction: Transaction, now: Date = Date()) async throws
        -> BillingRecipient
    {
        let resolution = try await billingRecipientResolution(for: clientID, in: transaction, now: now)
        switch resolution {
        case .recipient(let recipient):
            return recipient
        case .missing(let reason):
            throw DomainError(.conflict, code: "client.noBillingRecipient", message: reason)
        }
    }

    /// The recipient of `clientID`'s bills, or the reason there is none, without throwing for the latter.
    /// - Throws: −32004 when the client does not exist.
    public func billingRecipientResolution(for clientID: ClientID, in transaction: Transaction, now: Date = Date())
        async throws -> BillingRecipient.Resolution
    {
        guard let client = try await clients.find(clientID, in: transaction) else {
            throw DomainError.notFound("client", pointer: "/clientId")
        }
        let today = try await calendar.today(in: transaction, now: now)
        let linked = try await contacts.linked(to: [clientID], in: transaction)
        return BillingRecipient.resolve(client: client, contacts: linked, today: today)
    }

    /// The client `id` if the caller may see it.
    /// - Parameters:
    ///   - pointer: the JSON Pointer named in the not-found error (`/id`, `/clientId`, `/links/0/clientId`).
    ///   - forUpdate: lock the client row until the transaction ends (serializes changes to one client).
    /// - Throws: −32004 when the client is not in the practice or is not assigned to a clinician caller.
    public func visibleClient(_ id: ClientID, by caller: Caller, pointer: String = "/id", forUpdate: Bool = false,
                              in transaction: Transaction) async throws -> Client {
        guard let client = try await clients.find(id, in: transaction, forUpdate: forUpdate),
              ClientVisibility(caller).allows(client) else {
            throw DomainError.notFound("client", pointer: pointer)
        }
        return client
    }

    func details(_ clients: [Client], in transaction: Transaction, now: Date) async throws -> [ClientDetails] {
        let today = try await calendar.today(in: transaction, now: now)
        let linked = try await contacts.linked(to: clients.map(\.id), in: transaction)
        return clients.map { client in
            ClientDetails(client: client, contacts: linked.filter { !$0.roles(for: client.id).isEmpty }, today: today)
        }
    }

    static let externalIdTaken = DomainError(
        .conflict, code: "client.externalIdTaken", message: "another client of this practice has that externalId",
        problems: [FieldProblem(pointer: "/externalId", reason: "is already used by another client", code: "duplicate")])

    static func practiceID(of caller: Caller) throws -> PracticeID {
        guard let practiceID = caller.practiceID else {
            throw DomainError(.forbidden, code: "practice.required", message: "this method needs a practice member's key")
        }
        return practiceID
    }

    static func uniqueSorted<ID: EntityID>(_ ids: [ID]) -> [ID] { Array(Set(ids)).sorted() }
}
