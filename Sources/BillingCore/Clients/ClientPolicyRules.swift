/// Pure rules for insurance policies: subscriber presence, date ranges, prior authorization.
public enum PolicyRules {
    /// Every problem with `policy`'s own fields, with pointers relative to the params object.
    ///
    /// - The member id holds at least 2 letters, digits and hyphens (it is written into X12 segments).
    /// - The subscriber is required unless the client is the subscriber (`self`), and must be absent then.
    /// - `effectiveTo` may not be before `effectiveFrom`; a prior authorization's `to` may not be before its `from`.
    /// - A subscriber cannot be born after `today`.
    public static func problems(_ policy: InsurancePolicy, today: CalendarDate) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        switch (policy.relationshipToSubscriber, policy.subscriber) {
        case (.`self`, .some):
            problems.append(FieldProblem(
                pointer: "/subscriber",
                reason: "must be absent when relationshipToSubscriber is self: the client is the subscriber",
                code: "subscriberNotAllowed"))
        case (let relationship, .none) where relationship != .`self`:
            problems.append(FieldProblem(
                pointer: "/subscriber",
                reason: "is required when relationshipToSubscriber is \(relationship.rawValue)", code: "required"))
        case (_, .some(let subscriber)) where subscriber.dateOfBirth > today:
            problems.append(FieldProblem(pointer: "/subscriber/dateOfBirth", reason: "must not be in the future",
                                         code: "future"))
        default:
            break
        }
        let memberIdCharacters = policy.memberId.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
        }
        if !memberIdCharacters || policy.memberId.count < 2 {
            problems.append(FieldProblem(pointer: "/memberId", reason: "must be at least 2 letters, digits or hyphens",
                                         code: "memberId"))
        }
        if let effectiveTo = policy.effectiveTo, effectiveTo < policy.effectiveFrom {
            problems.append(FieldProblem(pointer: "/effectiveTo", reason: "must not be before effectiveFrom",
                                         code: "dateRange"))
        }
        if let authorization = policy.priorAuthorization, authorization.to < authorization.from {
            problems.append(FieldProblem(pointer: "/priorAuthorization/to", reason: "must not be before from",
                                         code: "dateRange"))
        }
        return problems
    }

    /// A member id as stored: spaces removed (cards often print the id in spaced groups).
    public static func normalizedMemberId(_ memberId: String) -> String {
        String(memberId.filter { !$0.isWhitespace })
    }

    /// `true` when the inclusive ranges [`fromA`, `toA`] and [`fromB`, `toB`] share a day (`nil` = open-ended).
    public static func rangesOverlap(_ fromA: CalendarDate, _ toA: CalendarDate?, _ fromB: CalendarDate,
                                     _ toB: CalendarDate?) -> Bool {
        let aStartsBeforeBEnds = toB.map { fromA <= $0 } ?? true
        let bStartsBeforeAEnds = toA.map { fromB <= $0 } ?? true
        return aStartsBeforeBEnds && bStartsBeforeAEnds
    }

    /// The policies among `others` that would conflict with `policy`: same client and order, another id,
    /// overlapping dates. Only one policy per order may cover a client on any day.
    public static func conflicts(of policy: InsurancePolicy, among others: [InsurancePolicy]) -> [InsurancePolicy] {
        others.filter {
            $0.id != policy.id && $0.clientId == policy.clientId && $0.order == policy.order && $0.overlaps(policy)
        }
    }
}
