/// A service line as a caller asks for it; the rate defaults from the service.
public struct RequestedSessionLine: Sendable, Hashable, Codable {
    public var serviceId: ServiceID
    public var units: Int
    /// Rate per unit in cents; `nil` takes the service's default rate.
    public var rateCents: Int64?
    public var modifiers: [String]?

    /// Creates a requested line.
    public init(serviceId: ServiceID, units: Int, rateCents: Int64? = nil, modifiers: [String]? = nil) {
        self.serviceId = serviceId
        self.units = units
        self.rateCents = rateCents
        self.modifiers = modifiers
    }
}

/// Pure rules for sessions: building lines from services, the billing/policy pairing, and who signs.
public enum SessionRules {
    /// The most lines a session may have.
    public static let maximumLines = 50
    /// The most modifiers a line may carry (837P SV101-3…6).
    public static let maximumModifiers = 4

    /// Builds session lines from `requested`, snapshotting each service's code and defaulting the rate.
    ///
    /// Problems (pointers under `/lines`): a disabled service; a service that may not repeat appearing
    /// twice; an add-on code without one of its parent codes in the session; more than four modifiers
    /// or a modifier repeated. Every requested service id must be in `services` (callers report
    /// unknown ids as not found first); a missing one is reported as a problem too.
    /// - Parameter keepingDisabled: services already on the session being changed; they stay allowed
    ///   after the practice disables them, so an existing session can still be edited.
    public static func lines(_ requested: [RequestedSessionLine], services: [ServiceID: SessionServiceFacts],
                             keepingDisabled: Set<ServiceID> = []) -> (lines: [SessionLine], problems: [FieldProblem])
    {
        var problems: [FieldProblem] = []
        var lines: [SessionLine] = []
        var firstUse: [ServiceID: Int] = [:]
        let codesInSession = Set(requested.compactMap { services[$0.serviceId]?.code })
        for (index, line) in requested.enumerated() {
            let pointer = "/lines/\(index)"
            guard let service = services[line.serviceId] else {
                problems.append(FieldProblem(pointer: pointer + "/serviceId", reason: "no such service", code: "notFound"))
                continue
            }
            if !service.enabled && !keepingDisabled.contains(service.id) {
                problems.append(FieldProblem(pointer: pointer + "/serviceId",
                                             reason: "service \(service.code) is disabled", code: "disabled"))
            }
            if let first = firstUse[service.id] {
                if !service.mayRepeat {
                    problems.append(FieldProblem(
                        pointer: pointer + "/serviceId",
                        reason: "service \(service.code) may appear only once in a session (already on line \(first + 1))",
                        code: "repeated"))
                }
            } else {
                firstUse[service.id] = index
            }
            if !service.addonParentCodes.isEmpty, codesInSession.isDisjoint(with: service.addonParentCodes) {
                problems.append(FieldProblem(
                    pointer: pointer + "/serviceId",
                    reason: "add-on code \(service.code) needs one of "
                        + "\(service.addonParentCodes.joined(separator: ", ")) in the same session",
                    code: "addonWithoutParent"))
            }
            let modifiers = (line.modifiers ?? []).map { $0.uppercased() }
            if modifiers.count > maximumModifiers {
                problems.append(FieldProblem(pointer: pointer + "/modifiers",
                                             reason: "must have at most \(maximumModifiers) modifiers", code: "maxItems"))
            }
            if Set(modifiers).count != modifiers.count {
                problems.append(FieldProblem(pointer: pointer + "/modifiers", reason: "must not repeat a modifier",
                                             code: "duplicate"))
            }
            for (offset, modifier) in modifiers.enumerated() {
                if let reason = ProcedureCode.modifierProblem(modifier) {
                    problems.append(FieldProblem(pointer: pointer + "/modifiers/\(offset)", reason: reason,
                                                 code: "modifier"))
                }
            }
            if line.units < 1 {
                problems.append(FieldProblem(pointer: pointer + "/units", reason: "must be at least 1", code: "minimum"))
            }
            if let rate = line.rateCents, rate < 0 {
                problems.append(FieldProblem(pointer: pointer + "/rateCents", reason: "must be at least 0", code: "minimum"))
            }
            lines.append(SessionLine(lineNumber: index + 1, serviceId: service.id, code: service.code, units: line.units,
                                     rateCents: line.rateCents ?? service.defaultRateCents, modifiers: modifiers))
        }
        if requested.count > maximumLines {
            problems.append(FieldProblem(pointer: "/lines", reason: "must have at most \(maximumLines) lines",
                                         code: "maxItems"))
        }
        return (lines, problems)
    }

    /// Every problem with `session` as a whole, given (for insurance) its policy:
    /// - the supervising member must differ from the rendering member;
    /// - insurance needs a policy of the same client that is active on the date of service; self-pay takes none;
    /// - a completed session needs at least one line and cannot be dated after `today`.
    public static func problems(_ session: Session, policy: InsurancePolicy?, today: CalendarDate) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let supervisor = session.supervisingMemberId, supervisor == session.renderingMemberId {
            problems.append(FieldProblem(pointer: "/supervisingMemberId", reason: "must differ from renderingMemberId",
                                         code: "sameMember"))
        }
        switch session.billing {
        case .selfPay:
            if session.policyId != nil {
                problems.append(FieldProblem(pointer: "/policyId", reason: "must be absent when billing is selfPay",
                                             code: "policyNotAllowed"))
            }
        case .insurance:
            if session.policyId == nil {
                problems.append(FieldProblem(pointer: "/policyId", reason: "is required when billing is insurance",
                                             code: "required"))
            } else if let policy {
                if policy.clientId != session.clientId {
                    problems.append(FieldProblem(pointer: "/policyId", reason: "is not a policy of this client",
                                                 code: "otherClient"))
                } else if !policy.isActive(on: session.dateOfService) {
                    problems.append(FieldProblem(
                        pointer: "/policyId",
                        reason: "is not active on the date of service \(session.dateOfService)", code: "inactive"))
                }
            }
        }
        if session.attendance == .completed {
            if session.lines.isEmpty {
                problems.append(FieldProblem(pointer: "/lines", reason: "a completed session needs at least one line",
                                             code: "required"))
            }
            if session.dateOfService > today {
                problems.append(FieldProblem(pointer: "/dateOfService",
                                             reason: "a completed session cannot be dated in the future", code: "future"))
            }
        }
        return problems
    }

    /// `true` when `memberID` may sign `session`'s note: only its rendering or supervising member.
    public static func maySign(_ session: Session, memberID: MemberID) -> Bool {
        session.isRenderedOrSupervised(by: memberID)
    }
}
