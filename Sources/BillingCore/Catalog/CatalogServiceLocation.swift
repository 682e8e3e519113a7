import Foundation

/// A place where a practice provides services, printed as the service facility on claims
/// (CMS-1500 box 32, loop 2310C).
///
/// The address is always required: even a telehealth location (place of service 02 or 10) is
/// printed as a facility with a physical address.
public struct ServiceLocation: Sendable, Hashable, Codable {
    public var id: LocationID
    public var name: String
    /// The CMS place-of-service code sessions at this location default to (`11` office, `10` telehealth at home …).
    public var placeOfService: String
    public var address: Address
    /// Inactive locations stay on existing sessions but are not offered for new ones.
    public var active: Bool
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a location value.
    public init(id: LocationID, name: String, placeOfService: String, address: Address, active: Bool, version: Int,
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.placeOfService = placeOfService
        self.address = address
        self.active = active
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// `true` when the location's place of service is a telehealth code.
    public var isTelehealth: Bool { PlaceOfService.isTelehealth(placeOfService) }

    /// Every problem with the location's fields, named by JSON Pointers under `pointerPrefix`.
    public func problems(pointerPrefix: String = "") -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if name.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldProblem(pointer: pointerPrefix + "/name", reason: "must not be blank", code: "blank"))
        }
        if let reason = PlaceOfService.problem(placeOfService) {
            problems.append(FieldProblem(pointer: pointerPrefix + "/placeOfService", reason: reason, code: "placeOfService"))
        }
        if address.line1.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldProblem(pointer: pointerPrefix + "/address/line1", reason: "must not be blank",
                                         code: "blank"))
        }
        if address.city.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldProblem(pointer: pointerPrefix + "/address/city", reason: "must not be blank",
                                         code: "blank"))
        }
        return problems
    }
}
