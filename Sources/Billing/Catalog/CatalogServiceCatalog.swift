import BillingCore
import Foundation
import Storage

/// Use cases for a practice's billable services ("Billing Settings > Services").
public struct ServiceCatalog: Sendable {
    let services = ServiceRepository()

    /// Creates the use cases.
    public init() {}

    /// The result of importing the common codes.
    public struct ImportResult: Sendable {
        /// Every service of the practice whose code is in the common table, ordered by code
        /// (existing ones as they were, new ones as created).
        public let items: [BillableService]
        /// How many services the import created.
        public let createdCount: Int
    }

    /// Adds a service to the current practice.
    /// - Throws: validation errors naming every bad field; a conflict on `/code` when the practice already has the code.
    public func create(_ input: NewService, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> BillableService
    {
        let service = BillableService(
            id: .generate(), code: input.code, codeType: input.codeType, name: input.name,
            description: input.description ?? input.name, defaultRateCents: input.defaultRateCents ?? 0,
            defaultDurationMinutes: input.defaultDurationMinutes, billedInUnits: input.billedInUnits ?? false,
            mayRepeat: input.mayRepeat ?? false, addonParentCodes: input.addonParentCodes ?? [],
            enabled: input.enabled ?? true, version: 1, createdAt: now, updatedAt: now)
        var problems = service.problems()
        // An absent description is the name: a blank name is reported once, on /name.
        if input.description == nil { problems.removeAll { $0.pointer == "/description" } }
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if try await services.codeTaken(service.code, except: nil, in: transaction) {
            throw Self.duplicateCode(service.code)
        }
        try await services.insert(service, practiceID: practiceID, in: transaction)
        return service
    }

    /// A service of the current practice.
    public func service(_ id: ServiceID, in transaction: Transaction) async throws -> BillableService {
        guard let service = try await services.find(id, in: transaction) else { throw DomainError.notFound("service") }
        return service
    }

    /// A page of services ordered by code.
    /// - Parameters:
    ///   - enabled: only services with this flag; when `nil`, enabled ones unless `includeDisabled`.
    ///   - cursor: the `nextCursor` of the previous page.
    public func list(enabled: Bool?, includeDisabled: Bool, codeType: ServiceCodeType?, after cursor: ServiceID?,
                     limit: Int, in transaction: Transaction) async throws -> Page<BillableService> {
        var afterCode: String? = nil
        if let cursor {
            guard let last = try await services.find(cursor, in: transaction) else {
                throw DomainError.invalid("/cursor", "is not a cursor returned by this method")
            }
            afterCode = last.code
        }
        let filter: Bool? = enabled ?? (includeDisabled ? nil : true)
        return try await services.list(enabled: filter, codeType: codeType, afterCode: afterCode, limit: limit,
                                       in: transaction)
    }

    /// Applies changes to a service.
    /// - Throws: not found, validation errors naming every bad field, a conflict on a duplicate code or a stale version.
    public func update(_ changes: ServiceChanges, in transaction: Transaction) async throws -> BillableService {
        guard var service = try await services.find(changes.id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("service")
        }
        guard service.version == changes.version else { throw DomainError.staleVersion("service") }
        service.code = changes.code.applied(to: service.code)
        service.codeType = changes.codeType.applied(to: service.codeType)
        service.name = changes.name.applied(to: service.name)
        service.description = changes.description.applied(to: service.description)
        service.defaultRateCents = changes.defaultRateCents.applied(to: service.defaultRateCents)
        service.defaultDurationMinutes = changes.defaultDurationMinutes.applied(to: service.defaultDurationMinutes)
        service.billedInUnits = changes.billedInUnits.applied(to: service.billedInUnits)
        service.mayRepeat = changes.mayRepeat.applied(to: service.mayRepeat)
        service.addonParentCodes = changes.addonParentCodes.applied(to: service.addonParentCodes)
        service.enabled = changes.enabled.applied(to: service.enabled)
        let problems = service.problems()
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        if changes.code.isPresent, try await services.codeTaken(service.code, except: service.id, in: transaction) {
            throw Self.duplicateCode(service.code)
        }
        guard let stored = try await services.update(service, expectedVersion: changes.version, in: transaction) else {
            throw DomainError.staleVersion("service")
        }
        return stored
    }

    /// Disables a service (idempotent): it stays on existing sessions and bills but is no longer offered.
    public func disable(_ id: ServiceID, version: Int?, in transaction: Transaction) async throws -> BillableService {
        guard var service = try await services.find(id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("service")
        }
        if let version, version != service.version { throw DomainError.staleVersion("service") }
        guard service.enabled else { return service }
        service.enabled = false
        guard let stored = try await services.update(service, expectedVersion: service.version, in: transaction) else {
            throw DomainError.staleVersion("service")
        }
        return stored
    }

    /// Adds the common behavioral-health codes (``CommonServiceCodes``) the practice does not have
    /// yet, with a rate of 0. Codes the practice already has are left untouched, so the import is
    /// idempotent.
    public func importCommon(practiceID: PracticeID, in transaction: Transaction, now: Date = Date()) async throws
        -> ImportResult
    {
        var created = 0
        for entry in CommonServiceCodes.entries {
            if try await services.insertIfCodeIsNew(entry.service(now: now), practiceID: practiceID, in: transaction) {
                created += 1
            }
        }
        let items = try await services.withCodes(CommonServiceCodes.entries.map(\.code), in: transaction)
        return ImportResult(items: items, createdCount: created)
    }

    static func duplicateCode(_ code: String) -> DomainError {
        DomainError(
            .conflict, code: "service.duplicateCode", message: "the practice already has a service with code \(code)",
            problems: [FieldProblem(pointer: "/code", reason: "is already used by another service", code: "duplicate")])
    }
}
