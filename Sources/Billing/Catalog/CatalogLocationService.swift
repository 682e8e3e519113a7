import BillingCore
import Foundation
import Storage

/// Use cases for a practice's service locations.
public struct LocationService: Sendable {
    let locations = LocationRepository()

    /// Creates the use cases.
    public init() {}

    /// Adds a service location to the current practice.
    /// - Throws: validation errors naming every bad field.
    public func create(_ input: NewLocation, practiceID: PracticeID, in transaction: Transaction, now: Date = Date())
        async throws -> ServiceLocation
    {
        let location = ServiceLocation(id: .generate(), name: input.name, placeOfService: input.placeOfService,
                                       address: input.address, active: input.active ?? true, version: 1, createdAt: now,
                                       updatedAt: now)
        let problems = location.problems()
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        try await locations.insert(location, practiceID: practiceID, in: transaction)
        return location
    }

    /// A location of the current practice.
    public func location(_ id: LocationID, in transaction: Transaction) async throws -> ServiceLocation {
        guard let location = try await locations.find(id, in: transaction) else { throw DomainError.notFound("location") }
        return location
    }

    /// A page of locations ordered by name, active ones unless `includeInactive`.
    public func list(after cursor: LocationID?, limit: Int, includeInactive: Bool, in transaction: Transaction)
        async throws -> Page<ServiceLocation>
    {
        var last: ServiceLocation? = nil
        if let cursor {
            guard let found = try await locations.find(cursor, in: transaction) else {
                throw DomainError.invalid("/cursor", "is not a cursor returned by this method")
            }
            last = found
        }
        return try await locations.list(after: last, limit: limit, includeInactive: includeInactive, in: transaction)
    }

    /// Applies changes to a location.
    /// - Throws: not found, validation errors naming every bad field, or a stale version.
    public func update(_ changes: LocationChanges, in transaction: Transaction) async throws -> ServiceLocation {
        guard var location = try await locations.find(changes.id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("location")
        }
        guard location.version == changes.version else { throw DomainError.staleVersion("location") }
        location.name = changes.name.applied(to: location.name)
        location.placeOfService = changes.placeOfService.applied(to: location.placeOfService)
        location.address = changes.address.applied(to: location.address)
        location.active = changes.active.applied(to: location.active)
        let problems = location.problems()
        guard problems.isEmpty else { throw DomainError.validation(problems) }
        guard let stored = try await locations.update(location, expectedVersion: changes.version, in: transaction) else {
            throw DomainError.staleVersion("location")
        }
        return stored
    }

    /// Deactivates a location (idempotent): it stays on existing sessions but is no longer offered.
    public func deactivate(_ id: LocationID, version: Int?, in transaction: Transaction) async throws -> ServiceLocation {
        guard var location = try await locations.find(id, in: transaction, forUpdate: true) else {
            throw DomainError.notFound("location")
        }
        if let version, version != location.version { throw DomainError.staleVersion("location") }
        guard location.active else { return location }
        location.active = false
        guard let stored = try await locations.update(location, expectedVersion: location.version, in: transaction) else {
            throw DomainError.staleVersion("location")
        }
        return stored
    }
}
