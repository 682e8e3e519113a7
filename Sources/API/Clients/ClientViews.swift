import Billing
import BillingCore
import Foundation
import JSONRPC

/// An optional value that is always written, as `null` when absent (synthesized coding omits nil keys).
struct AlwaysPresent<Value: Encodable & Sendable>: Encodable, Sendable {
    let value: Value?

    init(_ value: Value?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// Email/SMS consent as the API shows it.
enum ConsentsSchema {
    static let schema = Schema.object(["email": .boolean(), "sms": .boolean()], title: "Consents")
}

/// Who receives a client's bills, as the API shows it.
struct BillingRecipientView: Encodable, Sendable {
    let kind: BillingRecipient.Kind
    let clientId: ClientID
    let contactId: ContactID?
    let firstName: String
    let lastName: String
    let email: String?
    let phone: String?
    let address: Address?
    let consents: Consents

    init(_ recipient: BillingRecipient) {
        kind = recipient.kind
        clientId = recipient.clientId
        contactId = recipient.contactId
        firstName = recipient.firstName
        lastName = recipient.lastName
        email = recipient.email
        phone = recipient.phone
        address = recipient.address
        consents = recipient.consents
    }

    static let schema = Schema.object([
        "kind": .enumeration(BillingRecipient.Kind.self), "clientId": Schemas.id(ClientID.self),
        "contactId?": Schemas.id(ContactID.self).orNull, "firstName": .string(), "lastName": .string(),
        "email?": Schema.string().orNull, "phone?": Schema.string().orNull, "address?": Schemas.address.orNull,
        "consents": ConsentsSchema.schema,
    ], title: "BillingRecipient")
}

/// A client as the API shows it, with `isMinor` and the billing recipient derived on the practice's date.
struct ClientView: Encodable, Sendable {
    let id: ClientID
    let externalId: String?
    let firstName: String
    let middleName: String?
    let lastName: String
    let preferredName: String?
    let dateOfBirth: CalendarDate
    let sex: Sex
    let address: Address?
    let phone: String?
    let email: String?
    let consents: Consents
    let assignedMemberIds: [MemberID]
    let diagnoses: [String]
    let isMinor: Bool
    let billingRecipient: AlwaysPresent<BillingRecipientView>
    let billingRecipientProblem: String?
    let active: Bool
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ details: ClientDetails) {
        let client = details.client
        id = client.id
        externalId = client.externalId
        firstName = client.firstName
        middleName = client.middleName
        lastName = client.lastName
        preferredName = client.preferredName
        dateOfBirth = client.dateOfBirth
        sex = client.sex
        address = client.address
        phone = client.phone
        email = client.email
        consents = client.consents
        assignedMemberIds = client.assignedMemberIds
        diagnoses = client.diagnoses
        isMinor = details.isMinor
        billingRecipient = AlwaysPresent(details.billingRecipient.map(BillingRecipientView.init))
        billingRecipientProblem = details.billingRecipientProblem
        active = client.active
        version = client.version
        createdAt = client.createdAt
        updatedAt = client.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(ClientID.self), "externalId?": Schema.string().orNull, "firstName": .string(),
        "middleName?": Schema.string().orNull, "lastName": .string(), "preferredName?": Schema.string().orNull,
        "dateOfBirth": Schemas.date, "sex": .enumeration(Sex.self), "address?": Schemas.address.orNull,
        "phone?": Schema.string().orNull, "email?": Schema.string().orNull, "consents": ConsentsSchema.schema,
        "assignedMemberIds": .array(Schemas.id(MemberID.self)), "diagnoses": .array(.string()),
        "isMinor": Schema.boolean(description: "under 18 on today's date in the practice's time zone"),
        "billingRecipient": BillingRecipientView.schema.orNull
            .described("the client, or for a minor the contact with the billingContact role; null when a minor has none"),
        "billingRecipientProblem?": Schema.string().orNull, "active": .boolean(), "version": .integer(minimum: 1),
        "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
    ], title: "Client")
}

/// A contact's link to a client as the API shows it.
struct ContactLinkView: Encodable, Sendable {
    let clientId: ClientID
    let roles: [ContactRole]

    static let schema = Schema.object([
        "clientId": Schemas.id(ClientID.self), "roles": .array(.enumeration(ContactRole.self)),
    ], title: "ContactLink")
}

/// A contact as the API shows it (a clinician sees only links to clients assigned to them).
struct ContactView: Encodable, Sendable {
    let id: ContactID
    let firstName: String
    let lastName: String
    let email: String?
    let phone: String?
    let address: Address?
    let consents: Consents
    let links: [ContactLinkView]
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ contact: Contact) {
        id = contact.id
        firstName = contact.firstName
        lastName = contact.lastName
        email = contact.email
        phone = contact.phone
        address = contact.address
        consents = contact.consents
        links = contact.links.map { ContactLinkView(clientId: $0.clientId, roles: $0.roles) }
        version = contact.version
        createdAt = contact.createdAt
        updatedAt = contact.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(ContactID.self), "firstName": .string(), "lastName": .string(), "email?": Schema.string().orNull,
        "phone?": Schema.string().orNull, "address?": Schemas.address.orNull, "consents": ConsentsSchema.schema,
        "links": .array(ContactLinkView.schema), "version": .integer(minimum: 1), "createdAt": Schemas.dateTime,
        "updatedAt": Schemas.dateTime,
    ], title: "Contact")
}

/// An insurance policy as the API shows it, with the X12 codes claims will use.
struct PolicyView: Encodable, Sendable {
    let id: PolicyID
    let clientId: ClientID
    let payerId: PayerID
    let payerName: String?
    let clearinghousePayerId: String?
    let order: CoverageOrder
    let memberId: String
    let groupNumber: String?
    let planName: String?
    let relationshipToSubscriber: SubscriberRelationship
    let relationshipCode: String
    let subscriber: Subscriber?
    let copayCents: Int64
    let coinsurancePercent: Int
    let deductibleCents: Int64
    let effectiveFrom: CalendarDate
    let effectiveTo: CalendarDate?
    let priorAuthorization: PriorAuthorization?
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ details: PolicyDetails) {
        let policy = details.policy
        id = policy.id
        clientId = policy.clientId
        payerId = policy.payerId
        payerName = details.payer?.name
        clearinghousePayerId = details.payer?.clearinghousePayerId
        order = policy.order
        memberId = policy.memberId
        groupNumber = policy.groupNumber
        planName = policy.planName
        relationshipToSubscriber = policy.relationshipToSubscriber
        relationshipCode = policy.relationshipToSubscriber.x12Code
        subscriber = policy.subscriber
        copayCents = policy.copayCents
        coinsurancePercent = policy.coinsurancePercent
        deductibleCents = policy.deductibleCents
        effectiveFrom = policy.effectiveFrom
        effectiveTo = policy.effectiveTo
        priorAuthorization = policy.priorAuthorization
        version = policy.version
        createdAt = policy.createdAt
        updatedAt = policy.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(PolicyID.self), "clientId": Schemas.id(ClientID.self), "payerId": Schemas.id(PayerID.self),
        "payerName?": Schema.string().orNull, "clearinghousePayerId?": Schema.string().orNull,
        "order": .enumeration(CoverageOrder.self), "memberId": .string(), "groupNumber?": Schema.string().orNull,
        "planName?": Schema.string().orNull, "relationshipToSubscriber": .enumeration(SubscriberRelationship.self),
        "relationshipCode": Schema.enumeration(SubscriberRelationship.allCases.map(\.x12Code),
                                               description: "X12 individual relationship code"),
        "subscriber?": ClientMethods.subscriber.orNull, "copayCents": Schemas.cents,
        "coinsurancePercent": .integer(minimum: 0, maximum: 100), "deductibleCents": Schemas.cents,
        "effectiveFrom": Schemas.date, "effectiveTo?": Schemas.date.orNull,
        "priorAuthorization?": ClientMethods.priorAuthorization.orNull, "version": .integer(minimum: 1),
        "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
    ], title: "Policy")
}
