import Billing
import BillingCore
import Foundation
import JSONRPC

/// A billable service as the API shows it.
struct ServiceView: Encodable, Sendable {
    let id: ServiceID
    let code: String
    let codeType: ServiceCodeType
    let name: String
    let description: String
    let defaultRateCents: Int64
    let defaultDurationMinutes: Int?
    let billedInUnits: Bool
    let mayRepeat: Bool
    let addonParentCodes: [String]
    let enabled: Bool
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ service: BillableService) {
        id = service.id
        code = service.code
        codeType = service.codeType
        name = service.name
        description = service.description
        defaultRateCents = service.defaultRateCents
        defaultDurationMinutes = service.defaultDurationMinutes
        billedInUnits = service.billedInUnits
        mayRepeat = service.mayRepeat
        addonParentCodes = service.addonParentCodes
        enabled = service.enabled
        version = service.version
        createdAt = service.createdAt
        updatedAt = service.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(ServiceID.self), "code": .string(), "codeType": .enumeration(ServiceCodeType.self),
        "name": .string(), "description": Schema.string().described("shown on bills and superbills"),
        "defaultRateCents": Schemas.cents, "defaultDurationMinutes?": Schema.integer().orNull,
        "billedInUnits": .boolean(), "mayRepeat": Schema.boolean().described("may appear on several lines of one session"),
        "addonParentCodes": Schema.array(.string()).described("for an add-on code, the codes it may accompany"),
        "enabled": .boolean(), "version": .integer(minimum: 1), "createdAt": Schemas.dateTime,
        "updatedAt": Schemas.dateTime,
    ], title: "Service")
}

/// A service location as the API shows it.
struct LocationView: Encodable, Sendable {
    let id: LocationID
    let name: String
    let placeOfService: String
    let placeOfServiceName: String?
    let telehealth: Bool
    let address: Address
    let active: Bool
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ location: ServiceLocation) {
        id = location.id
        name = location.name
        placeOfService = location.placeOfService
        placeOfServiceName = PlaceOfService.codes[location.placeOfService]
        telehealth = location.isTelehealth
        address = location.address
        active = location.active
        version = location.version
        createdAt = location.createdAt
        updatedAt = location.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(LocationID.self), "name": .string(), "placeOfService": .string(),
        "placeOfServiceName?": Schema.string().orNull, "telehealth": .boolean(), "address": Schemas.address,
        "active": .boolean(), "version": .integer(minimum: 1), "createdAt": Schemas.dateTime,
        "updatedAt": Schemas.dateTime,
    ], title: "ServiceLocation")
}

/// A payer from the global catalog as the API shows it.
struct PayerView: Encodable, Sendable {
    let id: PayerID
    let name: String
    let clearinghousePayerId: String
    let payerType: PayerType
    let address: Address?
    let phone: String?
    let claimsEnrollmentRequired: Bool
    let eraEnrollmentRequired: Bool

    init(_ payer: Payer) {
        id = payer.id
        name = payer.name
        clearinghousePayerId = payer.clearinghousePayerId
        payerType = payer.payerType
        address = payer.address
        phone = payer.phone
        claimsEnrollmentRequired = payer.claimsEnrollmentRequired
        eraEnrollmentRequired = payer.eraEnrollmentRequired
    }

    static let schema = Schema.object([
        "id": Schemas.id(PayerID.self), "name": .string(), "clearinghousePayerId": .string(),
        "payerType": .enumeration(PayerType.self), "address?": Schemas.address.orNull, "phone?": Schema.string().orNull,
        "claimsEnrollmentRequired": .boolean(), "eraEnrollmentRequired": .boolean(),
    ], title: "Payer")
}

/// A practice × payer enrollment as the API shows it.
struct EnrollmentView: Encodable, Sendable {
    let id: EnrollmentID
    let payerId: PayerID
    let kind: EnrollmentKind
    let status: EnrollmentStatus
    let submittedOn: CalendarDate?
    let decidedOn: CalendarDate?
    let note: String?
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ enrollment: Enrollment) {
        id = enrollment.id
        payerId = enrollment.payerId
        kind = enrollment.kind
        status = enrollment.status
        submittedOn = enrollment.submittedOn
        decidedOn = enrollment.decidedOn
        note = enrollment.note
        version = enrollment.version
        createdAt = enrollment.createdAt
        updatedAt = enrollment.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(EnrollmentID.self), "payerId": Schemas.id(PayerID.self),
        "kind": .enumeration(EnrollmentKind.self), "status": .enumeration(EnrollmentStatus.self),
        "submittedOn?": Schemas.date.orNull, "decidedOn?": Schemas.date.orNull, "note?": Schema.string().orNull,
        "version": .integer(minimum: 1), "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
    ], title: "Enrollment")
}

/// What `settings.get`, `settings.update` and `settings.updateClient` answer.
struct SettingsView: Encodable, Sendable {
    let settings: BillSettings
    let version: Int
    let effective: BillSettings
    let overrides: BillSettingsOverrides?

    init(_ snapshot: SettingsSnapshot) {
        settings = snapshot.settings
        version = snapshot.version
        effective = snapshot.effective
        overrides = snapshot.overrides
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(settings, forKey: .settings)
        try container.encode(version, forKey: .version)
        try container.encode(effective, forKey: .effective)
        try container.encode(overrides, forKey: .overrides)
    }

    enum CodingKeys: String, CodingKey { case settings, version, effective, overrides }

    static func settingsSchema(title: String) -> Schema {
        .object([
            "billCreation": .enumeration(BillCreationMode.self),
            "dueDays": .integer(minimum: 0, maximum: 365),
            "noShowFee": .object(["enabled": .boolean(), "amountCents": Schemas.cents,
                                  "appliesTo": .array(.enumeration(MissedSessionKind.self))], title: "NoShowFee"),
            "monthlySuperbills": .object(["enabled": .boolean(), "dayOfMonth": .integer(minimum: 1, maximum: 28),
                                          "clientOptIn": .boolean()], title: "MonthlySuperbills"),
            "autoSendBills": .boolean(), "autoGenerateClaims": .boolean(), "autoSubmitClaims": .boolean(),
            "autoPay": .object(["enabled": .boolean(), "retryDays": .array(.integer(minimum: 1, maximum: 30))],
                               title: "AutoPay"),
            "statementFooter": Schema.string().orNull,
        ], title: title)
    }

    static let schema = Schema.object([
        "settings": settingsSchema(title: "BillSettings").described("the practice's settings (defaults where never set)"),
        "version": Schema.integer(minimum: 1).described("send it back with settings.update"),
        "effective": settingsSchema(title: "EffectiveBillSettings")
            .described("what applies: the practice's settings with the client's overrides when clientId was given"),
        "overrides": CatalogMethods.overridesSchema(nullableFields: false).orNull
            .described("the client's overrides when clientId was given, else null"),
    ], title: "BillSettingsResult")
}
