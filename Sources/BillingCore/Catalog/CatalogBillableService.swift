import Foundation

/// The code system a service's code belongs to.
public enum ServiceCodeType: String, Sendable, Codable, CaseIterable, Hashable {
    /// A CPT (Level I HCPCS) code: five digits, or four digits and F or T.
    case cpt
    /// A HCPCS Level II code: a capital letter and four digits (H0031, T1015 …).
    case hcpcs
    /// A practice's own code for something not billed to insurance (a report fee, a workshop).
    case custom
}

/// A billable service of a practice ("Billing Settings > Services"): a procedure code with the
/// practice's default rate and the rules for putting it on a session.
public struct BillableService: Sendable, Hashable, Codable {
    public var id: ServiceID
    /// The procedure code as billed (`90837`, `H0031`, or a custom code).
    public var code: String
    public var codeType: ServiceCodeType
    /// A short label for lists and pickers.
    public var name: String
    /// The plain-language description printed on bills and superbills.
    public var description: String
    /// The rate a new session line gets unless the line names its own.
    public var defaultRateCents: Int64
    /// The usual length of the service, used to prefill sessions.
    public var defaultDurationMinutes: Int?
    /// `true` when the service is reported in units (96127 per instrument, 90840 per added half hour).
    public var billedInUnits: Bool
    /// `true` when the service may appear on more than one line of one session.
    public var mayRepeat: Bool
    /// For an add-on code, the codes it may accompany (90785 only with 90791, 90832 …); empty for a primary code.
    public var addonParentCodes: [String]
    /// Disabled services stay on existing sessions and bills but are not offered for new ones.
    public var enabled: Bool
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a service value.
    public init(id: ServiceID, code: String, codeType: ServiceCodeType, name: String, description: String,
                defaultRateCents: Int64, defaultDurationMinutes: Int?, billedInUnits: Bool, mayRepeat: Bool,
                addonParentCodes: [String], enabled: Bool, version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.code = code
        self.codeType = codeType
        self.name = name
        self.description = description
        self.defaultRateCents = defaultRateCents
        self.defaultDurationMinutes = defaultDurationMinutes
        self.billedInUnits = billedInUnits
        self.mayRepeat = mayRepeat
        self.addonParentCodes = addonParentCodes
        self.enabled = enabled
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// `true` when the service is an add-on code that must accompany one of ``addonParentCodes``.
    public var isAddOn: Bool { !addonParentCodes.isEmpty }

    /// Every problem with the service's own fields, each named by a JSON Pointer under `pointerPrefix`:
    /// the code must fit its code type, rates are never negative, durations are 1–1440 minutes, and an
    /// add-on's parent codes are well-formed, distinct and not the service's own code.
    public func problems(pointerPrefix: String = "") -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let reason = ProcedureCode.problem(code, type: codeType.rawValue) {
            problems.append(FieldProblem(pointer: pointerPrefix + "/code", reason: reason, code: "code"))
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldProblem(pointer: pointerPrefix + "/name", reason: "must not be blank", code: "blank"))
        }
        if description.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(FieldProblem(pointer: pointerPrefix + "/description", reason: "must not be blank",
                                         code: "blank"))
        }
        if defaultRateCents < 0 {
            problems.append(FieldProblem(pointer: pointerPrefix + "/defaultRateCents", reason: "must not be negative",
                                         code: "minimum"))
        }
        if let minutes = defaultDurationMinutes, !(1...1440).contains(minutes) {
            problems.append(FieldProblem(pointer: pointerPrefix + "/defaultDurationMinutes",
                                         reason: "must be between 1 and 1440 minutes", code: "range"))
        }
        var seen: Set<String> = []
        for (index, parent) in addonParentCodes.enumerated() {
            let pointer = pointerPrefix + "/addonParentCodes/\(index)"
            if ProcedureCode.problem(parent, type: ServiceCodeType.cpt.rawValue) != nil,
               ProcedureCode.problem(parent, type: ServiceCodeType.hcpcs.rawValue) != nil,
               ProcedureCode.problem(parent, type: ServiceCodeType.custom.rawValue) != nil {
                problems.append(FieldProblem(pointer: pointer, reason: "must be a procedure code", code: "code"))
            } else if parent == code {
                problems.append(FieldProblem(pointer: pointer, reason: "an add-on cannot be its own parent",
                                             code: "selfParent"))
            } else if !seen.insert(parent).inserted {
                problems.append(FieldProblem(pointer: pointer, reason: "is listed twice", code: "duplicate"))
            }
        }
        return problems
    }
}
