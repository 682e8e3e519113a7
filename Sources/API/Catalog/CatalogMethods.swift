import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// Methods for services, service locations, payers, enrollments and practice settings.
enum CatalogMethods {
    /// Owners and billers change the catalog and settings; every member role reads them.
    static let catalogWriters = Access.members([.owner, .biller])

    static let serviceFields: KeyValuePairs<String, Schema> = [
        "code": Schema.string(minLength: 1, maxLength: 20, description: "CPT, HCPCS or the practice's own code"),
        "codeType": .enumeration(ServiceCodeType.self),
        "name": .string(minLength: 1, maxLength: 100),
        "description": Schema.string(minLength: 1, maxLength: 300, description: "shown on bills and superbills"),
        "defaultRateCents": Schemas.cents,
        "defaultDurationMinutes": Schema.integer(minimum: 1, maximum: 1440).orNull,
        "billedInUnits": .boolean(),
        "mayRepeat": Schema.boolean(description: "may appear on more than one line of one session"),
        "addonParentCodes": Schema.array(.string(minLength: 1, maxLength: 20), maxItems: 50, uniqueItems: true,
                                         description: "for an add-on code, the codes it may accompany"),
        "enabled": .boolean(),
    ]

    static let locationFields: KeyValuePairs<String, Schema> = [
        "name": .string(minLength: 1, maxLength: 100),
        "placeOfService": .string(maxLength: 2, format: Formats.placeOfService),
        "address": Schemas.address.described("required even for telehealth: it is printed as the service facility"),
        "active": .boolean(),
    ]

    static let enrollmentNote = Schema.string(maxLength: 1000).orNull

    static let noShowFeeChange = Schema.object([
        "enabled?": .boolean(), "amountCents?": Schemas.cents,
        "appliesTo?": .array(.enumeration(MissedSessionKind.self), maxItems: 2, uniqueItems: true),
    ], title: "NoShowFeeChange")
    static let autoPayChange = Schema.object([
        "enabled?": .boolean(),
        "retryDays?": .array(.integer(minimum: 1, maximum: 30), maxItems: 5, uniqueItems: true,
                             description: "days after a failed charge on which it is retried, ascending"),
    ], title: "AutoPayChange")

    /// The shape of a client's overrides: every field optional; in `settings.updateClient` each may be `null` (clear it).
    static func overridesSchema(nullableFields: Bool) -> Schema {
        func field(_ schema: Schema) -> Schema { nullableFields ? schema.orNull : schema }
        return .object([
            "billCreation?": field(.enumeration(BillCreationMode.self)),
            "dueDays?": field(.integer(minimum: 0, maximum: 365)),
            "noShowFee?": field(noShowFeeChange),
            "monthlySuperbills?": field(.object(["enabled?": Schema.boolean(description: "the client's opt-in"),
                                                 "dayOfMonth?": .integer(minimum: 1, maximum: 28)],
                                                title: "MonthlySuperbillsOverride")),
            "autoSendBills?": field(.boolean()),
            "autoGenerateClaims?": field(.boolean()),
            "autoSubmitClaims?": field(.boolean()),
            "autoPay?": field(autoPayChange),
            "statementFooter?": field(.string(maxLength: 500, description: "an empty string means no footer")),
        ], title: nullableFields ? "BillSettingsOverrideChanges" : "BillSettingsOverrides")
    }

    /// `schema` with exactly the members named in `required` required, the rest optional.
    static func requiring(_ required: Set<String>, of schema: Schema) -> Schema {
        var copy = schema
        copy.properties = schema.properties.map {
            Schema.Property(name: $0.name, schema: $0.schema, required: required.contains($0.name))
        }
        return copy
    }

    struct ServiceResult: Encodable, Sendable { let service: ServiceView }
    struct LocationResult: Encodable, Sendable { let location: LocationView }
    struct PayerResult: Encodable, Sendable { let payer: PayerView }
    struct EnrollmentResult: Encodable, Sendable { let enrollment: EnrollmentView }
    struct ImportResult: Encodable, Sendable {
        let items: [ServiceView]
        let createdCount: Int
    }

    struct DisableParams<ID: EntityID>: Decodable, Sendable {
        let id: ID
        let version: Int?
    }
    struct ListServicesParams: Decodable, Sendable {
        let enabled: Bool?
        let includeDisabled: Bool?
        let codeType: ServiceCodeType?
        let limit: Int?
        let cursor: String?
    }
    struct ListLocationsParams: Decodable, Sendable {
        let includeInactive: Bool?
        let limit: Int?
        let cursor: String?
    }
    struct ListPayersParams: Decodable, Sendable {
        let query: String?
        let limit: Int?
        let cursor: String?
    }
    struct ListEnrollmentsParams: Decodable, Sendable {
        let payerId: PayerID?
        let kind: EnrollmentKind?
        let status: EnrollmentStatus?
        let limit: Int?
        let cursor: String?
    }
    struct SettingsParams: Decodable, Sendable { let clientId: ClientID? }

    static var all: [LedgerlineMethod] { services + locations + payers + enrollments + settings }

    // MARK: - Services

    static var services: [LedgerlineMethod] {
        let serviceCreate = requiring(["code", "codeType", "name"], of: Schema.object(serviceFields))
        let updateParams = Schema.object(["id": Schemas.id(ServiceID.self), "version": Schemas.version])
            .merging(Schema.object(serviceFields).allOptional)
        let catalog = ServiceCatalog()
        return [
            LedgerlineMethod(
                "service.create", summary: "Add a billable service (CPT, HCPCS or custom code) with its default rate.",
                params: serviceCreate, result: .object(["service": ServiceView.schema]), errors: updateErrors,
                policy: catalogWriters
            ) { (input: NewService, context) in
                let service = try await catalog.create(input, practiceID: try context.practiceID, in: context.transaction)
                context.record(service.id)
                return ServiceResult(service: ServiceView(service))
            },
            LedgerlineMethod(
                "service.get", summary: "One service of the practice.",
                params: .object(["id": Schemas.id(ServiceID.self)]), result: .object(["service": ServiceView.schema]),
                errors: lookupErrors, policy: .anyMember
            ) { (params: IDParams<ServiceID>, context) in
                ServiceResult(service: ServiceView(try await catalog.service(params.id, in: context.transaction)))
            },
            LedgerlineMethod(
                "service.list",
                summary: "The practice's services ordered by code; enabled ones unless `enabled` or `includeDisabled` "
                    + "says otherwise.",
                params: .object(["enabled?": Schema.boolean(description: "only services with this flag"),
                                 "includeDisabled?": Schema.boolean(
                                     description: "with `enabled` absent, list disabled ones too"),
                                 "codeType?": .enumeration(ServiceCodeType.self), "limit?": Schemas.limit,
                                 "cursor?": Schemas.cursor]),
                result: Schemas.page(ServiceView.schema), errors: memberErrors, policy: .anyMember
            ) { (params: ListServicesParams, context) in
                let page = try await catalog.list(
                    enabled: params.enabled, includeDisabled: params.includeDisabled ?? false, codeType: params.codeType,
                    after: try decodeCursor(params.cursor, as: ServiceID.self), limit: params.limit ?? 50,
                    in: context.transaction)
                return PageView(items: page.items.map(ServiceView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "service.update",
                summary: "Change a service, e.g. its rate (absent fields unchanged, null clears defaultDurationMinutes).",
                params: updateParams, result: .object(["service": ServiceView.schema]), errors: updateErrors,
                policy: catalogWriters
            ) { (changes: ServiceChanges, context) in
                ServiceResult(service: ServiceView(try await catalog.update(changes, in: context.transaction)))
            },
            LedgerlineMethod(
                "service.disable",
                summary: "Stop offering a service for new sessions (idempotent); existing sessions and bills keep it.",
                params: .object(["id": Schemas.id(ServiceID.self), "version?": Schemas.version]),
                result: .object(["service": ServiceView.schema]), errors: updateErrors, policy: catalogWriters
            ) { (params: DisableParams<ServiceID>, context) in
                ServiceResult(service: ServiceView(
                    try await catalog.disable(params.id, version: params.version, in: context.transaction)))
            },
            LedgerlineMethod(
                "service.importCommon",
                summary: "Add the common behavioral-health codes the practice does not have yet (rates 0); "
                    + "existing codes are untouched.",
                params: .object([:]),
                result: .object(["items": .array(ServiceView.schema, maxItems: nil),
                                 "createdCount": Schema.integer(minimum: 0).described("services this call created")]),
                errors: memberErrors, policy: catalogWriters
            ) { (_: NoParams, context) in
                let result = try await catalog.importCommon(practiceID: try context.practiceID, in: context.transaction)
                for service in result.items { context.record(service.id) }
                return ImportResult(items: result.items.map(ServiceView.init), createdCount: result.createdCount)
            },
        ]
    }

    // MARK: - Locations

    static var locations: [LedgerlineMethod] {
        let createParams = requiring(["name", "placeOfService", "address"], of: Schema.object(locationFields))
        let updateParams = Schema.object(["id": Schemas.id(LocationID.self), "version": Schemas.version])
            .merging(Schema.object(locationFields).allOptional)
        let locations = LocationService()
        return [
            LedgerlineMethod(
                "location.create", summary: "Add a service location with its place-of-service code and address.",
                params: createParams, result: .object(["location": LocationView.schema]), errors: updateErrors,
                policy: catalogWriters
            ) { (input: NewLocation, context) in
                let location = try await locations.create(input, practiceID: try context.practiceID, in: context.transaction)
                context.record(location.id)
                return LocationResult(location: LocationView(location))
            },
            LedgerlineMethod(
                "location.get", summary: "One service location of the practice.",
                params: .object(["id": Schemas.id(LocationID.self)]), result: .object(["location": LocationView.schema]),
                errors: lookupErrors, policy: .anyMember
            ) { (params: IDParams<LocationID>, context) in
                LocationResult(location: LocationView(try await locations.location(params.id, in: context.transaction)))
            },
            LedgerlineMethod(
                "location.list", summary: "The practice's service locations by name, active ones unless includeInactive.",
                params: .object(["includeInactive?": .boolean(), "limit?": Schemas.limit, "cursor?": Schemas.cursor]),
                result: Schemas.page(LocationView.schema), errors: memberErrors, policy: .anyMember
            ) { (params: ListLocationsParams, context) in
                let page = try await locations.list(
                    after: try decodeCursor(params.cursor, as: LocationID.self), limit: params.limit ?? 50,
                    includeInactive: params.includeInactive ?? false, in: context.transaction)
                return PageView(items: page.items.map(LocationView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "location.update",
                summary: "Change a service location (absent fields unchanged; the address cannot be cleared).",
                params: updateParams, result: .object(["location": LocationView.schema]), errors: updateErrors,
                policy: catalogWriters
            ) { (changes: LocationChanges, context) in
                LocationResult(location: LocationView(try await locations.update(changes, in: context.transaction)))
            },
            LedgerlineMethod(
                "location.deactivate",
                summary: "Stop offering a location for new sessions (idempotent); existing sessions keep it.",
                params: .object(["id": Schemas.id(LocationID.self), "version?": Schemas.version]),
                result: .object(["location": LocationView.schema]), errors: updateErrors, policy: catalogWriters
            ) { (params: DisableParams<LocationID>, context) in
                LocationResult(location: LocationView(
                    try await locations.deactivate(params.id, version: params.version, in: context.transaction)))
            },
        ]
    }

    // MARK: - Payers

    static var payers: [LedgerlineMethod] {
        let payers = PayerService()
        return [
            LedgerlineMethod(
                "payer.list",
                summary: "Search the payer catalog by name or clearinghouse payer id (case-insensitive), ordered by name.",
                params: .object(["query?": Schema.string(maxLength: 100).orNull, "limit?": Schemas.limit,
                                 "cursor?": Schemas.cursor]),
                result: Schemas.page(PayerView.schema), errors: memberErrors, policy: .anyMember
            ) { (params: ListPayersParams, context) in
                let page = try await payers.search(params.query, after: try decodeCursor(params.cursor, as: PayerID.self),
                                                   limit: params.limit ?? 50, in: context.transaction)
                return PageView(items: page.items.map(PayerView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "payer.get", summary: "One payer of the catalog.",
                params: .object(["id": Schemas.id(PayerID.self)]), result: .object(["payer": PayerView.schema]),
                errors: lookupErrors, policy: .anyMember
            ) { (params: IDParams<PayerID>, context) in
                PayerResult(payer: PayerView(try await payers.payer(params.id, in: context.transaction)))
            },
        ]
    }

    // MARK: - Enrollments

    static var enrollments: [LedgerlineMethod] {
        let enrollments = EnrollmentService()
        let payers = PayerService()
        return [
            LedgerlineMethod(
                "enrollment.create", summary: "Record the practice's claims or ERA enrollment with a payer.",
                params: .object(["payerId": Schemas.id(PayerID.self), "kind": .enumeration(EnrollmentKind.self),
                                 "status?": .enumeration(EnrollmentStatus.self), "submittedOn?": Schemas.date.orNull,
                                 "decidedOn?": Schemas.date.orNull, "note?": enrollmentNote]),
                result: .object(["enrollment": EnrollmentView.schema]), errors: updateErrors, policy: catalogWriters
            ) { (input: NewEnrollment, context) in
                let enrollment = try await enrollments.create(input, practiceID: try context.practiceID,
                                                              in: context.transaction)
                context.record(enrollment.id)
                return EnrollmentResult(enrollment: EnrollmentView(enrollment))
            },
            LedgerlineMethod(
                "enrollment.get", summary: "One enrollment of the practice.",
                params: .object(["id": Schemas.id(EnrollmentID.self)]),
                result: .object(["enrollment": EnrollmentView.schema]), errors: lookupErrors, policy: .anyMember
            ) { (params: IDParams<EnrollmentID>, context) in
                EnrollmentResult(enrollment: EnrollmentView(
                    try await enrollments.enrollment(params.id, in: context.transaction)))
            },
            LedgerlineMethod(
                "enrollment.list", summary: "The practice's enrollments, optionally for one payer, kind or status.",
                params: .object(["payerId?": Schemas.id(PayerID.self), "kind?": .enumeration(EnrollmentKind.self),
                                 "status?": .enumeration(EnrollmentStatus.self), "limit?": Schemas.limit,
                                 "cursor?": Schemas.cursor]),
                result: Schemas.page(EnrollmentView.schema), errors: lookupErrors, policy: .anyMember
            ) { (params: ListEnrollmentsParams, context) in
                // An unknown payer is reported before a bad cursor: naming a missing record is the bigger problem.
                if let payerID = params.payerId {
                    _ = try await payers.payer(payerID, pointer: "/payerId", in: context.transaction)
                }
                let page = try await enrollments.list(
                    payerID: params.payerId, kind: params.kind, status: params.status,
                    after: try decodeCursor(params.cursor, as: EnrollmentID.self), limit: params.limit ?? 50,
                    in: context.transaction)
                return PageView(items: page.items.map(EnrollmentView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "enrollment.update",
                summary: "Change an enrollment: notStarted → pending → approved | rejected, rejected → pending "
                    + "(absent fields unchanged, null clears).",
                params: .object(["id": Schemas.id(EnrollmentID.self), "version": Schemas.version,
                                 "status?": .enumeration(EnrollmentStatus.self), "submittedOn?": Schemas.date.orNull,
                                 "decidedOn?": Schemas.date.orNull, "note?": enrollmentNote]),
                result: .object(["enrollment": EnrollmentView.schema]), errors: updateErrors, policy: catalogWriters
            ) { (changes: EnrollmentChanges, context) in
                EnrollmentResult(enrollment: EnrollmentView(try await enrollments.update(changes, in: context.transaction)))
            },
        ]
    }

    // MARK: - Settings

    static var settings: [LedgerlineMethod] {
        let settings = SettingsService()
        let updateParams = Schema.object([
            "version": Schemas.version,
            "billCreation?": .enumeration(BillCreationMode.self),
            "dueDays?": Schema.integer(minimum: 0, maximum: 365, description: "days from a bill's creation to its due date"),
            "noShowFee?": noShowFeeChange,
            "monthlySuperbills?": .object(["enabled?": .boolean(), "dayOfMonth?": .integer(minimum: 1, maximum: 28),
                                           "clientOptIn?": Schema.boolean(
                                               description: "only clients who opt in receive them")],
                                          title: "MonthlySuperbillsChange"),
            "autoSendBills?": .boolean(), "autoGenerateClaims?": .boolean(), "autoSubmitClaims?": .boolean(),
            "autoPay?": autoPayChange,
            "statementFooter?": Schema.string(maxLength: 500).orNull,
        ])
        return [
            LedgerlineMethod(
                "settings.get",
                summary: "The practice's bill and automation settings; with clientId also that client's overrides "
                    + "and the merged effective settings.",
                params: .object(["clientId?": Schemas.id(ClientID.self)]), result: SettingsView.schema,
                errors: lookupErrors, policy: .anyMember
            ) { (params: SettingsParams, context) in
                SettingsView(try await settings.snapshot(for: params.clientId, in: context.transaction))
            },
            LedgerlineMethod(
                "settings.update",
                summary: "Change the practice's bill and automation settings (absent fields unchanged; "
                    + "inside a group only the named sub-fields).",
                params: updateParams, result: SettingsView.schema, errors: updateErrors, policy: catalogWriters
            ) { (changes: SettingsChanges, context) in
                let updated = try await settings.update(changes, practiceID: try context.practiceID, in: context.transaction)
                try await BillingAutomation.ensureScheduled(practiceID: try context.practiceID,
                                                            hour: context.services.claims.automationHour,
                                                            in: context.transaction)
                return SettingsView(updated)
            },
            LedgerlineMethod(
                "settings.updateClient",
                summary: "Change one client's overrides of the practice's settings "
                    + "(absent unchanged, null removes an override).",
                params: .object(["clientId": Schemas.id(ClientID.self), "overrides": overridesSchema(nullableFields: true)]),
                result: SettingsView.schema, errors: updateErrors, policy: catalogWriters
            ) { (update: ClientOverridesUpdate, context) in
                let updated = try await settings.updateClient(update, in: context.transaction)
                try await BillingAutomation.ensureScheduled(practiceID: try context.practiceID,
                                                            hour: context.services.claims.automationHour,
                                                            in: context.transaction)
                return SettingsView(updated)
            },
        ]
    }
}
