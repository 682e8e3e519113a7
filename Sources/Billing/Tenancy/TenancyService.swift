import BillingCore
import Foundation
import Storage

/// Use cases for practices, members and API keys.
public struct TenancyService: Sendable {
    let practices = PracticeRepository()
    let members = MemberRepository()
    let keys = APIKeyRepository()

    /// Creates the service.
    public init() {}

    /// The result of creating a practice: the practice, its owner and the owner's first key (secret shown once).
    public struct CreatedPractice: Sendable {
        public let practice: Practice
        public let owner: Member
        public let apiKey: APIKey
        public let secret: String
    }

    /// Creates a practice with its owner member and the owner's first API key.
    /// Sets the transaction's practice to the new practice.
    public func createPractice(_ input: NewPractice, in transaction: Transaction, now: Date = Date()) async throws
        -> CreatedPractice
    {
        var problems = Self.practiceProblems(npi: input.npi, taxonomyCode: input.taxonomyCode, taxId: input.taxId,
                                             taxIdType: input.taxIdType, pointerPrefix: "")
        problems += Self.memberProblems(npi: input.owner.npi, taxonomyCode: input.owner.taxonomyCode, pointerPrefix: "/owner")
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        let practice = Practice(
            id: .generate(), legalName: input.legalName, taxId: input.taxId, taxIdType: input.taxIdType, npi: input.npi,
            taxonomyCode: input.taxonomyCode, billingProviderType: input.billingProviderType, address: input.address,
            phone: input.phone, timeZone: input.timeZone, version: 1, createdAt: now, updatedAt: now)
        try await transaction.setTenant(practice.id)
        try await practices.insert(practice, in: transaction)
        let owner = Member(
            id: .generate(), firstName: input.owner.firstName, lastName: input.owner.lastName, email: input.owner.email,
            role: .owner, npi: input.owner.npi, taxonomyCode: input.owner.taxonomyCode,
            credentials: input.owner.credentials, active: true, version: 1, createdAt: now, updatedAt: now)
        try await members.insert(owner, practiceID: practice.id, in: transaction)
        let (key, secret) = try await createKey(for: owner.id, name: "Owner key", practiceID: practice.id,
                                                in: transaction, now: now)
        return CreatedPractice(practice: practice, owner: owner, apiKey: key, secret: secret)
    }

    /// The current practice.
    public func practice(in transaction: Transaction) async throws -> Practice {
        guard let practice = try await practices.current(in: transaction) else { throw DomainError.notFound("practice") }
        return practice
    }

    /// Applies changes to the practice's business information.
    public func updatePractice(_ changes: PracticeChanges, in transaction: Transaction) async throws -> Practice {
        var practice = try await practice(in: transaction)
        practice.legalName = changes.legalName.applied(to: practice.legalName)
        practice.taxId = changes.taxId.applied(to: practice.taxId)
        practice.taxIdType = changes.taxIdType.applied(to: practice.taxIdType)
        practice.npi = changes.npi.applied(to: practice.npi)
        practice.taxonomyCode = changes.taxonomyCode.applied(to: practice.taxonomyCode)
        practice.billingProviderType = changes.billingProviderType.applied(to: practice.billingProviderType)
        practice.address = changes.address.applied(to: practice.address)
        practice.phone = changes.phone.applied(to: practice.phone)
        practice.timeZone = changes.timeZone.applied(to: practice.timeZone)
        practice.requireTwoFactor = changes.requireTwoFactor.applied(to: practice.requireTwoFactor)
        let problems = Self.practiceProblems(npi: practice.npi, taxonomyCode: practice.taxonomyCode, taxId: practice.taxId,
                                             taxIdType: practice.taxIdType, pointerPrefix: "")
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        guard let stored = try await practices.update(practice, expectedVersion: changes.version, in: transaction) else {
            throw DomainError.staleVersion("practice")
        }
        return stored
    }

    /// Adds a member to the current practice.
    public func createMember(_ input: NewMember, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> Member
    {
        let problems = Self.memberProblems(npi: input.npi, taxonomyCode: input.taxonomyCode, pointerPrefix: "")
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if try await members.emailTaken(input.email, except: nil, in: transaction) {
            throw DomainError(.conflict, code: "member.emailTaken", message: "another member of this practice uses that email",
                              problems: [FieldProblem(pointer: "/email", reason: "is already used by another member", code: "duplicate")])
        }
        let member = Member(
            id: .generate(), firstName: input.firstName, lastName: input.lastName, email: input.email,
            role: input.role ?? .viewer, npi: input.npi, taxonomyCode: input.taxonomyCode, credentials: input.credentials,
            supervisorMemberId: input.supervisorMemberId, active: true, version: 1, createdAt: now, updatedAt: now)
        try await checkSupervisor(of: member, in: transaction)
        try await members.insert(member, practiceID: practiceID, in: transaction)
        return member
    }

    /// A member of the current practice.
    public func member(_ id: MemberID, in transaction: Transaction) async throws -> Member {
        guard let member = try await members.find(id, in: transaction) else { throw DomainError.notFound("member") }
        return member
    }

    /// Lists members.
    public func listMembers(after cursor: MemberID?, limit: Int, includeInactive: Bool, role: Role?,
                            in transaction: Transaction) async throws -> Page<Member> {
        try await members.list(after: cursor, limit: limit, includeInactive: includeInactive, role: role, in: transaction)
    }

    /// Applies changes to a member; the last active owner cannot stop being an owner.
    public func updateMember(_ changes: MemberChanges, in transaction: Transaction) async throws -> Member {
        guard var member = try await members.find(changes.id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("member")
        }
        let wasOwner = member.role == .owner && member.active
        member.firstName = changes.firstName.applied(to: member.firstName)
        member.lastName = changes.lastName.applied(to: member.lastName)
        member.email = changes.email.applied(to: member.email)
        member.role = changes.role.applied(to: member.role)
        member.npi = changes.npi.applied(to: member.npi)
        member.taxonomyCode = changes.taxonomyCode.applied(to: member.taxonomyCode)
        member.credentials = changes.credentials.applied(to: member.credentials)
        member.supervisorMemberId = changes.supervisorMemberId.applied(to: member.supervisorMemberId)
        if changes.supervisorMemberId.isPresent { try await checkSupervisor(of: member, in: transaction) }
        let problems = Self.memberProblems(npi: member.npi, taxonomyCode: member.taxonomyCode, pointerPrefix: "")
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if changes.email.isPresent, try await members.emailTaken(member.email, except: member.id, in: transaction) {
            throw DomainError(.conflict, code: "member.emailTaken", message: "another member of this practice uses that email",
                              problems: [FieldProblem(pointer: "/email", reason: "is already used by another member", code: "duplicate")])
        }
        if wasOwner, member.role != .owner, try await members.activeOwnerCount(in: transaction) <= 1 {
            throw DomainError(.conflict, code: "member.lastOwner", message: "a practice must keep at least one active owner",
                              problems: [FieldProblem(pointer: "/role", reason: "the last owner cannot change role", code: "lastOwner")])
        }
        guard let stored = try await members.update(member, expectedVersion: changes.version, in: transaction) else {
            throw DomainError.staleVersion("member")
        }
        return stored
    }

    /// Deactivates a member and revokes their API keys; the last active owner cannot be deactivated.
    public func deactivateMember(_ id: MemberID, version: Int?, in transaction: Transaction) async throws -> Member {
        guard var member = try await members.find(id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("member")
        }
        if let version, version != member.version { throw DomainError.staleVersion("member") }
        guard member.active else { return member }
        if member.role == .owner, try await members.activeOwnerCount(in: transaction) <= 1 {
            throw DomainError(.conflict, code: "member.lastOwner", message: "a practice must keep at least one active owner",
                              problems: [FieldProblem(pointer: "/id", reason: "is the last active owner", code: "lastOwner")])
        }
        member.active = false
        guard let stored = try await members.update(member, expectedVersion: member.version, in: transaction) else {
            throw DomainError.staleVersion("member")
        }
        try await keys.revokeAll(of: id, in: transaction)
        return stored
    }

    /// Creates an API key for an active member; returns the key and its secret (shown once).
    public func createKey(for memberID: MemberID, name: String, practiceID: PracticeID, in transaction: Transaction,
                          now: Date = Date()) async throws -> (APIKey, String) {
        guard let member = try await members.find(memberID, in: transaction) else {
            throw DomainError.notFound("member", pointer: "/memberId")
        }
        guard member.active else {
            throw DomainError(.conflict, code: "member.inactive", message: "keys cannot be issued to an inactive member",
                              problems: [FieldProblem(pointer: "/memberId", reason: "member is inactive", code: "inactive")])
        }
        let secret = Secrets.generate(prefix: "llk_")
        let key = APIKey(id: .generate(), memberId: memberID, name: name, secretPrefix: String(secret.prefix(10)),
                         createdAt: now, lastUsedAt: nil, revokedAt: nil)
        try await keys.insert(key, secretHash: Secrets.hash(secret), practiceID: practiceID, in: transaction)
        return (key, secret)
    }

    /// Lists API keys.
    public func listKeys(memberID: MemberID?, after cursor: APIKeyID?, limit: Int, in transaction: Transaction)
        async throws -> Page<APIKey>
    {
        if let memberID, try await members.find(memberID, in: transaction) == nil {
            throw DomainError.notFound("member", pointer: "/memberId")
        }
        return try await keys.list(memberID: memberID, after: cursor, limit: limit, in: transaction)
    }

    /// The practice's audit log, newest first; an unknown member filter is not found.
    public func auditLog(_ filter: AuditRepository.Filter, before cursor: AuditEntryID?, limit: Int,
                         in transaction: Transaction) async throws -> Page<AuditEntry> {
        if let memberID = filter.memberID, try await members.find(memberID, in: transaction) == nil {
            throw DomainError.notFound("member", pointer: "/memberId")
        }
        return try await AuditRepository().list(filter, before: cursor, limit: limit, in: transaction)
    }

    /// Revokes an API key (idempotent).
    public func revokeKey(_ id: APIKeyID, in transaction: Transaction) async throws -> APIKey {
        guard let key = try await keys.revoke(id, in: transaction) else { throw DomainError.notFound("apiKey") }
        return key
    }

    /// A supervisor must be another active member with an individual NPI, and not be supervised themselves
    /// (claims carry one supervising provider).
    func checkSupervisor(of member: Member, in transaction: Transaction) async throws {
        guard let supervisorID = member.supervisorMemberId else { return }
        let pointer = "/supervisorMemberId"
        guard supervisorID != member.id else { throw DomainError.invalid(pointer, "a member cannot supervise themselves") }
        guard let supervisor = try await members.find(supervisorID, in: transaction) else {
            throw DomainError.notFound("member", pointer: pointer)
        }
        var problems: [FieldProblem] = []
        if !supervisor.active { problems.append(FieldProblem(pointer: pointer, reason: "the supervisor is inactive", code: "inactive")) }
        if supervisor.npi == nil {
            problems.append(FieldProblem(pointer: pointer, reason: "the supervisor has no NPI to bill under", code: "noNPI"))
        }
        if supervisor.supervisorMemberId != nil {
            problems.append(FieldProblem(pointer: pointer, reason: "the supervisor is supervised themselves", code: "chained"))
        }
        guard problems.isEmpty else { throw DomainError.validation(problems) }
    }

    static func practiceProblems(npi: String, taxonomyCode: String, taxId: String, taxIdType: TaxID.Kind,
                                 pointerPrefix: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let reason = NPI.problem(npi) { problems.append(FieldProblem(pointer: pointerPrefix + "/npi", reason: reason, code: "npi")) }
        if let reason = TaxonomyCode.problem(taxonomyCode) {
            problems.append(FieldProblem(pointer: pointerPrefix + "/taxonomyCode", reason: reason, code: "taxonomy"))
        }
        if let reason = TaxID.problem(taxId, kind: taxIdType) {
            problems.append(FieldProblem(pointer: pointerPrefix + "/taxId", reason: reason, code: "taxId"))
        }
        return problems
    }

    static func memberProblems(npi: String?, taxonomyCode: String?, pointerPrefix: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let npi, let reason = NPI.problem(npi) {
            problems.append(FieldProblem(pointer: pointerPrefix + "/npi", reason: reason, code: "npi"))
        }
        if let taxonomyCode, let reason = TaxonomyCode.problem(taxonomyCode) {
            problems.append(FieldProblem(pointer: pointerPrefix + "/taxonomyCode", reason: reason, code: "taxonomy"))
        }
        return problems
    }
}
