import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

extension Access {
    /// Owners, billers and clinicians (clinicians only for clients assigned to them, enforced by the services).
    static let clientRecordWriters = Access.members([.owner, .biller, .clinician])
    /// Owners and billers: insurance policies are billing data.
    static let insuranceWriters = Access.members([.owner, .biller])
}

extension Services {
    /// Client use cases (stateless).
    var clients: ClientService { ClientService() }
    /// Contact use cases (stateless).
    var contacts: ContactService { ContactService() }
    /// Insurance policy use cases (stateless).
    var policies: PolicyService { PolicyService() }
}

/// Methods for clients, contacts and insurance policies: `client.*`, `contact.*`, `policy.*`.
enum ClientMethods {
    static let diagnoses = Schema.array(
        .string(maxLength: 8, format: Formats.icd10), maxItems: DiagnosisList.maximumCount, uniqueItems: true,
        description: "ordered ICD-10-CM codes (the first is the principal diagnosis), each billable")
    static let phone = Schema.string(maxLength: 16, format: Formats.phone)
    static let email = Schema.string(maxLength: 254, format: Formats.email)

    static let clientFields: KeyValuePairs<String, Schema> = [
        "firstName": Schemas.name, "middleName?": Schemas.name.orNull, "lastName": Schemas.name,
        "preferredName?": Schemas.name.orNull,
        "dateOfBirth": Schemas.date.described("not in the future"),
        "sex": Schema.enumeration(Sex.self, description: "X12 code: M, F or U (unknown)"),
        "address?": Schemas.address.orNull, "phone?": phone.orNull, "email?": email.orNull,
        "consents": ConsentsSchema.schema,
        "assignedMemberIds": Schema.array(Schemas.id(MemberID.self), maxItems: 20, uniqueItems: true,
                                          description: "active clinicians (or owners) of the practice"),
        "externalId?": Schema.string(minLength: 1, maxLength: 64, description: "the EHR's id, unique per practice").orNull,
        "diagnoses?": diagnoses.orNull,
    ]

    static let contactFields: KeyValuePairs<String, Schema> = [
        "firstName": Schemas.name, "lastName": Schemas.name, "email?": email.orNull, "phone?": phone.orNull,
        "address?": Schemas.address.orNull, "consents?": ConsentsSchema.schema,
    ]
    static let roles = Schema.array(.enumeration(ContactRole.self), minItems: 1, maxItems: ContactRole.allCases.count,
                                    uniqueItems: true)
    static let link = Schema.object(["clientId": Schemas.id(ClientID.self), "roles": roles], title: "ContactLinkInput")

    static let subscriber = Schema.object([
        "firstName": Schemas.name, "lastName": Schemas.name, "dateOfBirth": Schemas.date,
        "sex": .enumeration(Sex.self), "address": Schemas.address,
    ], title: "Subscriber")
    static let priorAuthorization = Schema.object([
        "number": .string(minLength: 1, maxLength: 50), "visitsAllowed": .integer(minimum: 1, maximum: 999),
        "from": Schemas.date, "to": Schemas.date,
    ], title: "PriorAuthorization")
    static let policyFields: KeyValuePairs<String, Schema> = [
        "payerId": Schemas.id(PayerID.self).described("a payer of the catalog (payer.list)"),
        "order": .enumeration(CoverageOrder.self),
        "memberId": Schema.string(minLength: 2, maxLength: 50, description: "the member id on the insurance card"),
        "groupNumber?": Schema.string(minLength: 1, maxLength: 50).orNull,
        "planName?": Schema.string(minLength: 1, maxLength: 100).orNull,
        "relationshipToSubscriber": Schema.enumeration(SubscriberRelationship.self,
                                                       description: "X12: self 18, spouse 01, child 19, other G8"),
        "subscriber?": subscriber.orNull.described("required unless relationshipToSubscriber is self; refused when self"),
        "copayCents?": Schemas.cents, "coinsurancePercent?": .integer(minimum: 0, maximum: 100),
        "deductibleCents?": Schemas.cents, "effectiveFrom": Schemas.date,
        "effectiveTo?": Schemas.date.orNull.described("last covered day; not before effectiveFrom"),
        "priorAuthorization?": priorAuthorization.orNull,
    ]

    struct ClientResult: Encodable, Sendable { let client: ClientView }
    struct ContactResult: Encodable, Sendable { let contact: ContactView }
    struct PolicyResult: Encodable, Sendable { let policy: PolicyView }

    struct ActivationParams: Decodable, Sendable {
        let id: ClientID
        let version: Int?
    }
    struct ListClientsParams: Decodable, Sendable {
        let query: String?
        let assignedMemberId: MemberID?
        let active: Bool?
        let limit: Int?
        let cursor: String?
    }
    struct ListContactsParams: Decodable, Sendable {
        let clientId: ClientID?
        let limit: Int?
        let cursor: String?
    }
    struct LinkParams: Decodable, Sendable {
        let contactId: ContactID
        let clientId: ClientID
        let roles: [ContactRole]
    }
    struct UnlinkParams: Decodable, Sendable {
        let contactId: ContactID
        let clientId: ClientID
    }
    struct ListPoliciesParams: Decodable, Sendable {
        let clientId: ClientID
        let limit: Int?
        let cursor: String?
    }
    struct EndPolicyParams: Decodable, Sendable {
        let id: PolicyID
        let effectiveTo: CalendarDate
        let version: Int?
    }

    static var all: [LedgerlineMethod] { clientMethods + contactMethods + policyMethods }

    static var clientMethods: [LedgerlineMethod] {
        let clientResult = Schema.object(["client": ClientView.schema])
        let updateParams = Schema.object(["id": Schemas.id(ClientID.self), "version": Schemas.version])
            .merging(Schema.object(clientFields).allOptional)
        let activation = Schema.object(["id": Schemas.id(ClientID.self), "version?": Schemas.version])
        return [
            LedgerlineMethod(
                "client.create",
                summary: "Add a client. A clinician must assign themselves; externalId is unique per practice (−32009).",
                params: .object(clientFields), result: clientResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (input: NewClient, context) in
                let details = try await context.services.clients.create(input, by: context.caller, in: context.transaction)
                context.record(details.client.id)
                return ClientResult(client: ClientView(details))
            },
            LedgerlineMethod(
                "client.get", summary: "One client with isMinor and billingRecipient (clinicians: assigned clients only).",
                params: .object(["id": Schemas.id(ClientID.self)]), result: clientResult, errors: lookupErrors,
                policy: .anyMember
            ) { (params: IDParams<ClientID>, context) in
                ClientResult(client: ClientView(
                    try await context.services.clients.client(params.id, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "client.list",
                summary: "Clients ordered by creation; query matches every word against the names, or the exact externalId.",
                params: .object(["query?": Schema.string(minLength: 1, maxLength: 100).orNull,
                                 "assignedMemberId?": Schemas.id(MemberID.self).orNull, "active?": Schema.boolean().orNull,
                                 "limit?": Schemas.limit, "cursor?": Schemas.cursor]),
                result: Schemas.page(ClientView.schema), errors: lookupErrors, policy: .anyMember
            ) { (params: ListClientsParams, context) in
                let page = try await context.services.clients.list(
                    ClientRepository.Filter(query: params.query, assignedMemberID: params.assignedMemberId,
                                            active: params.active),
                    by: context.caller, after: try decodeCursor(params.cursor, as: ClientID.self),
                    limit: params.limit ?? 50, in: context.transaction)
                return PageView(items: page.items.map(ClientView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "client.update",
                summary: "Change a client (absent fields unchanged, null clears; "
                    + "assignedMemberIds and diagnoses replace the lists).",
                params: updateParams, result: clientResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (changes: ClientChanges, context) in
                ClientResult(client: ClientView(
                    try await context.services.clients.update(changes, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "client.deactivate", summary: "Mark a client inactive: kept with its history, no new sessions.",
                params: activation, result: clientResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (params: ActivationParams, context) in
                ClientResult(client: ClientView(try await context.services.clients.setActive(
                    false, client: params.id, version: params.version, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "client.reactivate", summary: "Mark an inactive client active again.",
                params: activation, result: clientResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (params: ActivationParams, context) in
                ClientResult(client: ClientView(try await context.services.clients.setActive(
                    true, client: params.id, version: params.version, by: context.caller, in: context.transaction)))
            },
        ]
    }

    static var contactMethods: [LedgerlineMethod] {
        let contactResult = Schema.object(["contact": ContactView.schema])
        let updateParams = Schema.object(["id": Schemas.id(ContactID.self), "version": Schemas.version])
            .merging(Schema.object(contactFields).allOptional)
        return [
            LedgerlineMethod(
                "contact.create",
                summary: "Add a contact (guardian, billing contact, emergency) linked to one or more clients.",
                params: Schema.object(contactFields).adding(["links": .array(link, minItems: 1, maxItems: 20)]),
                result: contactResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (input: NewContact, context) in
                let contact = try await context.services.contacts.create(input, by: context.caller, in: context.transaction)
                context.record(contact.id)
                return ContactResult(contact: ContactView(contact))
            },
            LedgerlineMethod(
                "contact.get", summary: "One contact with its links.",
                params: .object(["id": Schemas.id(ContactID.self)]), result: contactResult, errors: lookupErrors,
                policy: .anyMember
            ) { (params: IDParams<ContactID>, context) in
                ContactResult(contact: ContactView(
                    try await context.services.contacts.contact(params.id, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "contact.list", summary: "Contacts ordered by creation, optionally only those linked to one client.",
                params: .object(["clientId?": Schemas.id(ClientID.self).orNull, "limit?": Schemas.limit,
                                 "cursor?": Schemas.cursor]),
                result: Schemas.page(ContactView.schema), errors: lookupErrors, policy: .anyMember
            ) { (params: ListContactsParams, context) in
                let page = try await context.services.contacts.list(
                    clientID: params.clientId, by: context.caller,
                    after: try decodeCursor(params.cursor, as: ContactID.self), limit: params.limit ?? 50,
                    in: context.transaction)
                return PageView(items: page.items.map(ContactView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "contact.update",
                summary: "Change a contact's own fields (links change with contact.link / contact.unlink).",
                params: updateParams, result: contactResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (changes: ContactChanges, context) in
                ContactResult(contact: ContactView(
                    try await context.services.contacts.update(changes, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "contact.link", summary: "Link a contact to a client with roles, or replace the roles of an existing link.",
                params: .object(["contactId": Schemas.id(ContactID.self), "clientId": Schemas.id(ClientID.self),
                                 "roles": roles]),
                result: contactResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (params: LinkParams, context) in
                ContactResult(contact: ContactView(try await context.services.contacts.link(
                    contact: params.contactId, client: params.clientId, roles: params.roles, by: context.caller,
                    in: context.transaction)))
            },
            LedgerlineMethod(
                "contact.unlink", summary: "Remove a contact's link to a client; the contact stays.",
                params: .object(["contactId": Schemas.id(ContactID.self), "clientId": Schemas.id(ClientID.self)]),
                result: contactResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (params: UnlinkParams, context) in
                ContactResult(contact: ContactView(try await context.services.contacts.unlink(
                    contact: params.contactId, client: params.clientId, by: context.caller, in: context.transaction)))
            },
        ]
    }

    static var policyMethods: [LedgerlineMethod] {
        let policyResult = Schema.object(["policy": PolicyView.schema])
        let updateParams = Schema.object(["id": Schemas.id(PolicyID.self), "version": Schemas.version])
            .merging(Schema.object(policyFields).allOptional)
        return [
            LedgerlineMethod(
                "policy.create",
                summary: "Add an insurance policy; one policy per order may cover a client on any day "
                    + "(overlap → −32009).",
                params: Schema.object(["clientId": Schemas.id(ClientID.self)]).merging(.object(policyFields)),
                result: policyResult, errors: updateErrors, policy: .insuranceWriters
            ) { (input: NewPolicy, context) in
                let details = try await context.services.policies.create(input, by: context.caller, in: context.transaction)
                context.record(details.policy.id)
                return PolicyResult(policy: PolicyView(details))
            },
            LedgerlineMethod(
                "policy.get", summary: "One insurance policy.",
                params: .object(["id": Schemas.id(PolicyID.self)]), result: policyResult, errors: lookupErrors,
                policy: .anyMember
            ) { (params: IDParams<PolicyID>, context) in
                PolicyResult(policy: PolicyView(
                    try await context.services.policies.policy(params.id, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "policy.list", summary: "A client's policies (past, current and future).",
                params: .object(["clientId": Schemas.id(ClientID.self), "limit?": Schemas.limit, "cursor?": Schemas.cursor]),
                result: Schemas.page(PolicyView.schema), errors: lookupErrors, policy: .anyMember
            ) { (params: ListPoliciesParams, context) in
                let page = try await context.services.policies.list(
                    clientID: params.clientId, by: context.caller, after: try decodeCursor(params.cursor, as: PolicyID.self),
                    limit: params.limit ?? 50, in: context.transaction)
                return PageView(items: page.items.map(PolicyView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "policy.update",
                summary: "Change a policy (absent fields unchanged, null clears); switching to self clears the subscriber.",
                params: updateParams, result: policyResult, errors: updateErrors, policy: .insuranceWriters
            ) { (changes: PolicyChanges, context) in
                PolicyResult(policy: PolicyView(
                    try await context.services.policies.update(changes, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "policy.end", summary: "End a policy: effectiveTo becomes its last covered day.",
                params: .object(["id": Schemas.id(PolicyID.self), "effectiveTo": Schemas.date,
                                 "version?": Schemas.version]),
                result: policyResult, errors: updateErrors, policy: .insuranceWriters
            ) { (params: EndPolicyParams, context) in
                PolicyResult(policy: PolicyView(try await context.services.policies.end(
                    params.id, effectiveTo: params.effectiveTo, version: params.version, by: context.caller,
                    in: context.transaction)))
            },
        ]
    }
}
