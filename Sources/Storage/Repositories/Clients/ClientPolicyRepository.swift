import BillingCore
import Foundation
import PostgresNIO

/// Reads and writes insurance `policies` of the current practice's clients, and reads the global payer catalog.
public struct PolicyRepository: Sendable {
    /// Creates the repository.
    public init() {}

    static let columns = """
        id, client_id, payer_id, coverage_order, member_number, group_number, plan_name, relationship,
        subscriber::text as subscriber, copay_cents, coinsurance_percent, deductible_cents,
        effective_from::text as effective_from, effective_to::text as effective_to,
        prior_authorization::text as prior_authorization, version, created_at, updated_at
        """

    /// Inserts a policy.
    public func insert(_ policy: InsurancePolicy, practiceID: PracticeID, in transaction: Transaction) async throws {
        try await transaction.query("""
            insert into policies (practice_id, id, client_id, payer_id, coverage_order, member_number, group_number,
                                  plan_name, relationship, subscriber, copay_cents, coinsurance_percent, deductible_cents,
                                  effective_from, effective_to, prior_authorization, active, version, created_at, updated_at)
            values (\(practiceID.uuid), \(policy.id.uuid), \(policy.clientId.uuid), \(policy.payerId.uuid),
                    \(policy.order.rawValue), \(policy.memberId), \(policy.groupNumber), \(policy.planName),
                    \(policy.relationshipToSubscriber.rawValue), \(try policy.subscriber.map(jsonText))::jsonb,
                    \(policy.copayCents), \(policy.coinsurancePercent), \(policy.deductibleCents),
                    \(policy.effectiveFrom.description)::date, \(policy.effectiveTo?.description)::date,
                    \(try policy.priorAuthorization.map(jsonText))::jsonb, true, \(policy.version), \(policy.createdAt),
                    \(policy.updatedAt))
            """)
    }

    /// The policy with `id`; `forUpdate` locks it until the transaction ends.
    public func find(_ id: PolicyID, in transaction: Transaction, forUpdate: Bool = false) async throws -> InsurancePolicy? {
        let lock = forUpdate ? " for update" : ""
        guard let row = try await transaction.firstRow(
            "select \(unescaped: Self.columns) from policies where id = \(id.uuid) and active\(unescaped: lock)")
        else { return nil }
        return try Self.decode(row)
    }

    /// A page of `clientID`'s policies ordered by id.
    public func list(clientID: ClientID, after cursor: PolicyID?, limit: Int, in transaction: Transaction) async throws
        -> Page<InsurancePolicy>
    {
        let rows = try await transaction.rows("""
            select \(unescaped: Self.columns) from policies
            where client_id = \(clientID.uuid) and active and (\(cursor?.uuid)::uuid is null or id > \(cursor?.uuid))
            order by id limit \(limit + 1)
            """)
        var policies = try rows.map(Self.decode)
        var next: String? = nil
        if policies.count > limit {
            policies.removeLast()
            next = policies.last?.id.description
        }
        return Page(items: policies, nextCursor: next)
    }

    /// Every policy of `clientID` with coverage `order` (for the one-per-order-at-a-time rule).
    public func policies(of clientID: ClientID, order: CoverageOrder, in transaction: Transaction) async throws
        -> [InsurancePolicy]
    {
        try await transaction.rows("""
            select \(unescaped: Self.columns) from policies
            where client_id = \(clientID.uuid) and coverage_order = \(order.rawValue) and active order by effective_from, id
            """).map(Self.decode)
    }

    /// The policy of `clientID` with coverage `order` that covers `date`, if any.
    public func activePolicy(for clientID: ClientID, order: CoverageOrder, on date: CalendarDate,
                             in transaction: Transaction) async throws -> InsurancePolicy? {
        guard let row = try await transaction.firstRow("""
            select \(unescaped: Self.columns) from policies
            where client_id = \(clientID.uuid) and coverage_order = \(order.rawValue) and active
              and effective_from <= \(date.description)::date
              and (effective_to is null or effective_to >= \(date.description)::date)
            order by effective_from desc, id desc limit 1
            """) else { return nil }
        return try Self.decode(row)
    }

    /// Writes `policy` if its stored version is `expectedVersion`; `nil` when stale.
    public func update(_ policy: InsurancePolicy, expectedVersion: Int, in transaction: Transaction) async throws
        -> InsurancePolicy?
    {
        let row = try await transaction.firstRow("""
            update policies set payer_id = \(policy.payerId.uuid), coverage_order = \(policy.order.rawValue),
                member_number = \(policy.memberId), group_number = \(policy.groupNumber), plan_name = \(policy.planName),
                relationship = \(policy.relationshipToSubscriber.rawValue),
                subscriber = \(try policy.subscriber.map(jsonText))::jsonb, copay_cents = \(policy.copayCents),
                coinsurance_percent = \(policy.coinsurancePercent), deductible_cents = \(policy.deductibleCents),
                effective_from = \(policy.effectiveFrom.description)::date,
                effective_to = \(policy.effectiveTo?.description)::date,
                prior_authorization = \(try policy.priorAuthorization.map(jsonText))::jsonb,
                version = version + 1, updated_at = now()
            where id = \(policy.id.uuid) and version = \(expectedVersion) and active
            returning \(unescaped: Self.columns)
            """)
        return try row.map(Self.decode)
    }

    /// How many sessions bill `policyID` on a date outside [`from`, `to`] (`to` nil = open-ended).
    public func sessionsOutside(policyID: PolicyID, from: CalendarDate, to: CalendarDate?, in transaction: Transaction)
        async throws -> Int
    {
        let row = try await transaction.firstRow("""
            select count(*)::int as n from sessions
            where policy_id = \(policyID.uuid)
              and (date_of_service < \(from.description)::date
                   or (\(to?.description)::date is not null and date_of_service > \(to?.description)::date))
            """)
        return try row.map { try RowReader($0).int("n") } ?? 0
    }

    /// The active catalog payer with `id`, if any.
    public func payer(_ id: PayerID, in transaction: Transaction) async throws -> PolicyPayer? {
        try await payers([id], in: transaction)[id]
    }

    /// Catalog payers by id (inactive payers included, so existing policies still show their payer).
    public func payers(_ ids: [PayerID], activeOnly: Bool = true, in transaction: Transaction) async throws
        -> [PayerID: PolicyPayer]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try await transaction.rows("""
            select id, name, clearinghouse_payer_id from payers
            where id = any(\(ids.map(\.uuid))::uuid[]) and (active or not \(activeOnly))
            """)
        var payers: [PayerID: PolicyPayer] = [:]
        for row in rows {
            let reader = RowReader(row)
            let payer = PolicyPayer(id: try reader.id(PayerID.self, "id"), name: try reader.string("name"),
                                    clearinghousePayerId: try reader.string("clearinghouse_payer_id"))
            payers[payer.id] = payer
        }
        return payers
    }

    static func decode(_ row: PostgresRow) throws -> InsurancePolicy {
        let reader = RowReader(row)
        return InsurancePolicy(
            id: try reader.id(PolicyID.self, "id"),
            clientId: try reader.id(ClientID.self, "client_id"),
            payerId: try reader.id(PayerID.self, "payer_id"),
            order: try reader.enumeration(CoverageOrder.self, "coverage_order"),
            memberId: try reader.string("member_number"),
            groupNumber: try reader.optionalString("group_number"),
            planName: try reader.optionalString("plan_name"),
            relationshipToSubscriber: try reader.enumeration(SubscriberRelationship.self, "relationship"),
            subscriber: try reader.optionalJSON(Subscriber.self, "subscriber"),
            copayCents: try reader.int64("copay_cents"),
            coinsurancePercent: try reader.int("coinsurance_percent"),
            deductibleCents: try reader.int64("deductible_cents"),
            effectiveFrom: try reader.calendarDate("effective_from"),
            effectiveTo: try reader.optionalCalendarDate("effective_to"),
            priorAuthorization: try reader.optionalJSON(PriorAuthorization.self, "prior_authorization"),
            version: try reader.int("version"),
            createdAt: try reader.date("created_at"),
            updatedAt: try reader.date("updated_at"))
    }
}
