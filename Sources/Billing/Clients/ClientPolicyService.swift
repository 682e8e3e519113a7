import BillingCore
import Foundation
import Storage

/// Use cases for clients' insurance policies.
///
/// Only one policy per coverage order may cover a client on any day; changes to one client's
/// policies are serialized by locking the client row, so two concurrent requests cannot both pass
/// the overlap check.
public struct PolicyService: Sendable {
    let policies = PolicyRepository()
    let clientService = ClientService()
    let calendar = PracticeCalendar()

    /// Creates the service.
    public init() {}

    /// Adds a policy to a client.
    /// - Throws: −32004 when the client (or, for a clinician, an unassigned client) or the payer does not exist;
    ///   −32602 with every field problem (subscriber rules, date ranges); −32009 when another policy of the
    ///   same order covers an overlapping period.
    public func create(_ input: NewPolicy, by caller: Caller, in transaction: Transaction, now: Date = Date())
        async throws -> PolicyDetails
    {
        let practiceID = try ClientService.practiceID(of: caller)
        _ = try await clientService.visibleClient(input.clientId, by: caller, pointer: "/clientId", forUpdate: true,
                                                  in: transaction)
        guard let payer = try await policies.payer(input.payerId, in: transaction) else {
            throw DomainError.notFound("payer", pointer: "/payerId")
        }
        let policy = InsurancePolicy(
            id: .generate(), clientId: input.clientId, payerId: input.payerId, order: input.order,
            memberId: PolicyRules.normalizedMemberId(input.memberId), groupNumber: input.groupNumber,
            planName: input.planName,
            relationshipToSubscriber: input.relationshipToSubscriber, subscriber: input.subscriber,
            copayCents: input.copayCents ?? 0, coinsurancePercent: input.coinsurancePercent ?? 0,
            deductibleCents: input.deductibleCents ?? 0, effectiveFrom: input.effectiveFrom,
            effectiveTo: input.effectiveTo, priorAuthorization: input.priorAuthorization, version: 1, createdAt: now,
            updatedAt: now)
        let problems = PolicyRules.problems(policy, today: try await calendar.today(in: transaction, now: now))
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        try await checkNoOverlap(policy, in: transaction)
        try await policies.insert(policy, practiceID: practiceID, in: transaction)
        return PolicyDetails(policy: policy, payer: payer)
    }

    /// A policy of a client the caller may see.
    /// - Throws: −32004 otherwise.
    public func policy(_ id: PolicyID, by caller: Caller, pointer: String = "/id", forUpdate: Bool = false,
                       in transaction: Transaction) async throws -> PolicyDetails {
        let policy = try await visiblePolicy(id, by: caller, pointer: pointer, forUpdate: forUpdate, in: transaction)
        return try await details([policy], in: transaction)[0]
    }

    /// A page of one client's policies (current, past and future), ordered by id.
    public func list(clientID: ClientID, by caller: Caller, after cursor: PolicyID?, limit: Int,
                     in transaction: Transaction) async throws -> Page<PolicyDetails> {
        _ = try await clientService.visibleClient(clientID, by: caller, pointer: "/clientId", in: transaction)
        let page = try await policies.list(clientID: clientID, after: cursor, limit: limit, in: transaction)
        return Page(items: try await details(page.items, in: transaction), nextCursor: page.nextCursor)
    }

    /// Applies changes to a policy. Switching to `self` clears the subscriber; switching away from it needs one.
    /// - Throws: −32004, −32602 as for ``create(_:by:in:now:)``; −32009 on a stale version, an overlap, or
    ///   when sessions billed to this policy would fall outside its new dates.
    public func update(_ changes: PolicyChanges, by caller: Caller, in transaction: Transaction, now: Date = Date())
        async throws -> PolicyDetails
    {
        let current = try await visiblePolicy(changes.id, by: caller, forUpdate: true, in: transaction)
        var policy = current
        if case .value(let payerID) = changes.payerId, try await policies.payer(payerID, in: transaction) == nil {
            throw DomainError.notFound("payer", pointer: "/payerId")
        }
        policy.payerId = changes.payerId.applied(to: policy.payerId)
        policy.order = changes.order.applied(to: policy.order)
        policy.memberId = PolicyRules.normalizedMemberId(changes.memberId.applied(to: policy.memberId))
        policy.groupNumber = changes.groupNumber.applied(to: policy.groupNumber)
        policy.planName = changes.planName.applied(to: policy.planName)
        policy.relationshipToSubscriber = changes.relationshipToSubscriber.applied(to: policy.relationshipToSubscriber)
        policy.subscriber = changes.subscriber.applied(to: policy.subscriber)
        if policy.relationshipToSubscriber == .`self`, !changes.subscriber.isPresent {
            policy.subscriber = nil  // the client became the subscriber: the old subscriber no longer applies
        }
        policy.copayCents = changes.copayCents.applied(to: policy.copayCents)
        policy.coinsurancePercent = changes.coinsurancePercent.applied(to: policy.coinsurancePercent)
        policy.deductibleCents = changes.deductibleCents.applied(to: policy.deductibleCents)
        policy.effectiveFrom = changes.effectiveFrom.applied(to: policy.effectiveFrom)
        policy.effectiveTo = changes.effectiveTo.applied(to: policy.effectiveTo)
        policy.priorAuthorization = changes.priorAuthorization.applied(to: policy.priorAuthorization)
        return try await store(policy, replacing: current, expectedVersion: changes.version, in: transaction, now: now)
    }

    /// Ends a policy: its last covered day becomes `effectiveTo`.
    /// - Parameter version: when given, must match the stored version.
    /// - Throws: −32602 when `effectiveTo` is before the policy's start; −32009 as for ``update(_:by:in:now:)``.
    public func end(_ id: PolicyID, effectiveTo: CalendarDate, version: Int?, by caller: Caller,
                    in transaction: Transaction, now: Date = Date()) async throws -> PolicyDetails {
        let current = try await visiblePolicy(id, by: caller, forUpdate: true, in: transaction)
        if let version, version != current.version { throw DomainError.staleVersion("policy") }
        var policy = current
        policy.effectiveTo = effectiveTo
        return try await store(policy, replacing: current, expectedVersion: current.version, in: transaction, now: now)
    }

    /// The client's policy of coverage `order` that covers `date`, if any (claims default to the primary).
    ///
    /// Not restricted by role: callers authorize first.
    public func activePolicy(for clientID: ClientID, order: CoverageOrder, on date: CalendarDate,
                             in transaction: Transaction) async throws -> InsurancePolicy? {
        try await policies.activePolicy(for: clientID, order: order, on: date, in: transaction)
    }

    /// The policy `id` without role checks (for sessions, bills and claims that already authorized the caller).
    /// - Parameter forUpdate: lock the policy row until the transaction ends.
    public func find(_ id: PolicyID, forUpdate: Bool = false, in transaction: Transaction) async throws
        -> InsurancePolicy?
    {
        try await policies.find(id, in: transaction, forUpdate: forUpdate)
    }

    private func store(_ policy: InsurancePolicy, replacing current: InsurancePolicy, expectedVersion: Int,
                       in transaction: Transaction, now: Date) async throws -> PolicyDetails {
        let problems = PolicyRules.problems(policy, today: try await calendar.today(in: transaction, now: now))
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if policy.order != current.order || policy.effectiveFrom != current.effectiveFrom
            || policy.effectiveTo != current.effectiveTo {
            try await checkNoOverlap(policy, in: transaction)
            let outside = try await policies.sessionsOutside(policyID: policy.id, from: policy.effectiveFrom,
                                                             to: policy.effectiveTo, in: transaction)
            if outside > 0 {
                let pointer = policy.effectiveTo != current.effectiveTo ? "/effectiveTo" : "/effectiveFrom"
                throw DomainError(
                    .conflict, code: "policy.inUse",
                    message: "\(outside) session(s) billed to this policy fall outside the new dates; "
                        + "change those sessions first",
                    problems: [FieldProblem(pointer: pointer, reason: "would leave sessions billed to this policy uncovered",
                                            code: "inUse")])
            }
        }
        guard let stored = try await policies.update(policy, expectedVersion: expectedVersion, in: transaction) else {
            throw DomainError.staleVersion("policy")
        }
        return try await details([stored], in: transaction)[0]
    }

    private func visiblePolicy(_ id: PolicyID, by caller: Caller, pointer: String = "/id", forUpdate: Bool = false,
                               in transaction: Transaction) async throws -> InsurancePolicy {
        guard let found = try await policies.find(id, in: transaction) else {
            throw DomainError.notFound("policy", pointer: pointer)
        }
        do {
            // Lock the client first, then the policy, in the same order as create, so writers cannot deadlock.
            _ = try await clientService.visibleClient(found.clientId, by: caller, forUpdate: forUpdate, in: transaction)
        } catch let error as DomainError where error.kind == .notFound {
            throw DomainError.notFound("policy", pointer: pointer)
        }
        guard forUpdate else { return found }
        guard let locked = try await policies.find(id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("policy", pointer: pointer)
        }
        return locked
    }

    private func checkNoOverlap(_ policy: InsurancePolicy, in transaction: Transaction) async throws {
        let existing = try await policies.policies(of: policy.clientId, order: policy.order, in: transaction)
        guard let conflict = PolicyRules.conflicts(of: policy, among: existing).first else { return }
        let period = "\(conflict.effectiveFrom) – \(conflict.effectiveTo?.description ?? "open-ended")"
        throw DomainError(
            .conflict, code: "policy.overlap",
            message: "another \(policy.order.rawValue) policy of this client covers \(period); end it first",
            problems: [FieldProblem(pointer: "/effectiveFrom",
                                    reason: "overlaps another \(policy.order.rawValue) policy (\(period))",
                                    code: "overlap")])
    }

    private func details(_ policies: [InsurancePolicy], in transaction: Transaction) async throws -> [PolicyDetails] {
        let payers = try await self.policies.payers(Array(Set(policies.map(\.payerId))), activeOnly: false, in: transaction)
        return policies.map { PolicyDetails(policy: $0, payer: payers[$0.payerId]) }
    }
}
