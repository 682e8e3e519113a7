import BillingCore
import Foundation
import Storage

/// Use cases for sessions and their service lines.
///
/// A clinician creates sessions only for clients assigned to them, and sees (and changes) sessions of
/// those clients plus sessions they render or supervise; any other session behaves as nonexistent.
/// A session on a live bill cannot change.
public struct SessionService: Sendable {
    let sessions = SessionRepository()
    let clients = ClientRepository()
    let notes = NoteRepository()
    let clientService = ClientService()
    let policyService = PolicyService()
    let memberReferences = MemberReferences()
    let calendar = PracticeCalendar()

    /// Creates the service.
    public init() {}

    /// Creates a session with its lines; each line's code is snapshotted from its service and its rate
    /// defaults to the service's default rate.
    /// - Throws: −32004 naming the first referenced client, member, location, policy or service that
    ///   is not in the practice (e.g. `/lines/0/serviceId`); −32602 with every rule broken (a disabled
    ///   or repeated service, an inactive member, a policy of another client or not active on the date
    ///   of service …); −32009 when the external id is taken.
    public func create(_ input: NewSession, by caller: Caller, in transaction: Transaction, now: Date = Date())
        async throws -> SessionDetails
    {
        let practiceID = try ClientService.practiceID(of: caller)
        let client = try await clientService.visibleClient(input.clientId, by: caller, pointer: "/clientId",
                                                           in: transaction)
        var problems: [FieldProblem] = []
        if !client.active {
            problems.append(FieldProblem(pointer: "/clientId", reason: "client is inactive", code: "inactive"))
        }
        var memberIDs: [(id: MemberID, pointer: String)] = [(input.renderingMemberId, "/renderingMemberId")]
        if let supervisor = input.supervisingMemberId { memberIDs.append((supervisor, "/supervisingMemberId")) }
        problems += try await memberReferences.clinicalMembers(memberIDs, in: transaction)
        problems += try await locationProblems(input.locationId, in: transaction)
        let policy = try await policy(input.policyId, in: transaction)
        let services = try await services(for: input.lines, in: transaction)
        let built = SessionRules.lines(input.lines, services: services)
        problems += built.problems
        let session = Session(
            id: .generate(), clientId: client.id, renderingMemberId: input.renderingMemberId,
            supervisingMemberId: input.supervisingMemberId, locationId: input.locationId, externalId: input.externalId,
            dateOfService: input.dateOfService, startTime: input.startTime, durationMinutes: input.durationMinutes,
            placeOfService: input.placeOfService, billing: input.billing, policyId: input.policyId,
            attendance: input.attendance, lines: built.lines, version: 1, createdAt: now, updatedAt: now)
        let today = try await calendar.today(in: transaction, now: now)
        problems += SessionRules.problems(session, policy: policy, today: today)
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if let externalId = session.externalId,
           try await sessions.externalIdTaken(externalId, except: nil, in: transaction) {
            throw Self.externalIdTaken
        }
        try await sessions.insert(session, practiceID: practiceID, in: transaction)
        return SessionDetails(session: session, note: nil, billId: nil)
    }

    /// A session the caller may see, with its lines, latest signed note and bill.
    /// - Throws: −32004 when it is not in the practice or not visible to the caller.
    public func session(_ id: SessionID, by caller: Caller, in transaction: Transaction) async throws -> SessionDetails {
        let session = try await visibleSession(id, by: caller, in: transaction)
        return try await details([session], in: transaction)[0]
    }

    /// A page of the sessions the caller may see, newest date of service first.
    /// - Throws: −32004 when `filter.clientID` names a client the caller cannot see.
    public func list(_ filter: SessionRepository.Filter, by caller: Caller, after cursor: SessionID?, limit: Int,
                     in transaction: Transaction) async throws -> Page<SessionDetails> {
        var filter = filter
        if let clientID = filter.clientID {
            _ = try await clientService.visibleClient(clientID, by: caller, pointer: "/clientId", in: transaction)
        }
        filter.visibleTo = ClientVisibility(caller).restrictedTo
        let page = try await sessions.list(filter, after: cursor, limit: limit, in: transaction)
        return Page(items: try await details(page.items, in: transaction), nextCursor: page.nextCursor)
    }

    /// Applies changes to a session that is not on a live bill. `lines`, when present, replaces every line
    /// (codes snapshotted and rates defaulted again).
    /// - Throws: −32004 / −32602 as for ``create(_:by:in:now:)``; −32009 on a stale version, a taken
    ///   external id, or when the session is billed (void the bill first).
    public func update(_ changes: SessionChanges, by caller: Caller, in transaction: Transaction, now: Date = Date())
        async throws -> SessionDetails
    {
        let practiceID = try ClientService.practiceID(of: caller)
        var session = try await visibleSession(changes.id, by: caller, forUpdate: true, in: transaction)
        guard changes.version == session.version else { throw DomainError.staleVersion("session") }
        if let billID = try await sessions.activeBills(for: [session.id], in: transaction)[session.id] {
            throw DomainError(
                .conflict, code: "session.billed",
                message: "the session is on bill \(billID) and can no longer change; void the bill first",
                problems: [FieldProblem(pointer: "/id", reason: "is billed", code: "billed")])
        }
        // Only references that change are checked again: a member or location that became inactive
        // after the session was written does not block editing its other fields.
        var problems: [FieldProblem] = []
        var memberIDs: [(id: MemberID, pointer: String)] = []
        if case .value(let rendering) = changes.renderingMemberId, rendering != session.renderingMemberId {
            memberIDs.append((rendering, "/renderingMemberId"))
        }
        if case .value(let supervisor) = changes.supervisingMemberId, supervisor != session.supervisingMemberId {
            memberIDs.append((supervisor, "/supervisingMemberId"))
        }
        problems += try await memberReferences.clinicalMembers(memberIDs, in: transaction)
        if case .value(let locationID) = changes.locationId, locationID != session.locationId {
            problems += try await locationProblems(locationID, in: transaction)
        }
        session.renderingMemberId = changes.renderingMemberId.applied(to: session.renderingMemberId)
        session.supervisingMemberId = changes.supervisingMemberId.applied(to: session.supervisingMemberId)
        session.locationId = changes.locationId.applied(to: session.locationId)
        session.externalId = changes.externalId.applied(to: session.externalId)
        session.dateOfService = changes.dateOfService.applied(to: session.dateOfService)
        session.startTime = changes.startTime.applied(to: session.startTime)
        session.durationMinutes = changes.durationMinutes.applied(to: session.durationMinutes)
        session.placeOfService = changes.placeOfService.applied(to: session.placeOfService)
        session.billing = changes.billing.applied(to: session.billing)
        session.policyId = changes.policyId.applied(to: session.policyId)
        if session.billing == .selfPay, !changes.policyId.isPresent {
            session.policyId = nil  // switching to self-pay drops the policy
        }
        session.attendance = changes.attendance.applied(to: session.attendance)
        let policy = try await policy(session.policyId, in: transaction)
        if case .value(let requested) = changes.lines {
            let built = SessionRules.lines(requested, services: try await services(for: requested, in: transaction),
                                           keepingDisabled: Set(session.lines.map(\.serviceId)))
            problems += built.problems
            session.lines = built.lines
        }
        let today = try await calendar.today(in: transaction, now: now)
        problems += SessionRules.problems(session, policy: policy, today: today)
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if changes.externalId.isPresent, let externalId = session.externalId,
           try await sessions.externalIdTaken(externalId, except: session.id, in: transaction) {
            throw Self.externalIdTaken
        }
        guard let stored = try await sessions.update(session, expectedVersion: changes.version, practiceID: practiceID,
                                                     in: transaction) else {
            throw DomainError.staleVersion("session")
        }
        return try await details([stored], in: transaction)[0]
    }

    /// Sessions with their lines, latest signed notes and live bills, for building bills and claims
    /// (date-of-service order; unknown ids are skipped, so compare counts to detect them).
    ///
    /// Not restricted by role: callers authorize first.
    public func sessionsForBilling(_ ids: [SessionID], in transaction: Transaction) async throws -> [SessionDetails] {
        try await details(try await sessions.find(ids, in: transaction), in: transaction)
    }

    /// The session `id` if the caller may see it.
    /// - Parameters:
    ///   - pointer: the JSON Pointer named in the not-found error.
    ///   - forUpdate: lock the session row until the transaction ends.
    /// - Throws: −32004 when the session is not in the practice or not visible to a clinician caller.
    public func visibleSession(_ id: SessionID, by caller: Caller, pointer: String = "/id", forUpdate: Bool = false,
                               in transaction: Transaction) async throws -> Session {
        guard let session = try await sessions.find(id, in: transaction, forUpdate: forUpdate) else {
            throw DomainError.notFound("session", pointer: pointer)
        }
        if let memberID = ClientVisibility(caller).restrictedTo, !session.isRenderedOrSupervised(by: memberID),
           try await clients.assigned(to: memberID, among: [session.clientId], in: transaction).isEmpty {
            throw DomainError.notFound("session", pointer: pointer)
        }
        return session
    }

    func details(_ sessions: [Session], in transaction: Transaction) async throws -> [SessionDetails] {
        let ids = sessions.map(\.id)
        let notes = try await self.notes.latest(for: ids, in: transaction)
        let bills = try await self.sessions.activeBills(for: ids, in: transaction)
        return sessions.map { SessionDetails(session: $0, note: notes[$0.id], billId: bills[$0.id]) }
    }

    private func locationProblems(_ id: LocationID?, in transaction: Transaction) async throws -> [FieldProblem] {
        guard let id else { return [] }
        guard let active = try await sessions.locationIsActive(id, in: transaction) else {
            throw DomainError.notFound("location", pointer: "/locationId")
        }
        return active ? [] : [FieldProblem(pointer: "/locationId", reason: "location is inactive", code: "inactive")]
    }

    private func policy(_ id: PolicyID?, in transaction: Transaction) async throws -> InsurancePolicy? {
        guard let id else { return nil }
        // Locked so a concurrent policy.end cannot leave this session outside the policy's dates.
        guard let policy = try await policyService.find(id, forUpdate: true, in: transaction) else {
            throw DomainError.notFound("policy", pointer: "/policyId")
        }
        return policy
    }

    private func services(for lines: [RequestedSessionLine], in transaction: Transaction) async throws
        -> [ServiceID: SessionServiceFacts]
    {
        let services = try await sessions.services(Array(Set(lines.map(\.serviceId))), in: transaction)
        for (index, line) in lines.enumerated() where services[line.serviceId] == nil {
            throw DomainError.notFound("service", pointer: "/lines/\(index)/serviceId")
        }
        return services
    }

    static let externalIdTaken = DomainError(
        .conflict, code: "session.externalIdTaken", message: "another session of this practice has that externalId",
        problems: [FieldProblem(pointer: "/externalId", reason: "is already used by another session", code: "duplicate")])
}
