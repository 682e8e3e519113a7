import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// `practice.*`, `member.*`, `apiKey.*` and `audit.list`.
enum TenancyMethods {
    static let memberInput: KeyValuePairs<String, Schema> = [
        "firstName": Schemas.name, "lastName": Schemas.name,
        "email": .string(maxLength: 254, format: Formats.email),
        "npi?": Schema.string(maxLength: 10, format: Formats.npi).orNull,
        "taxonomyCode?": Schema.string(maxLength: 10, format: Formats.taxonomy).orNull,
        "credentials?": Schema.string(minLength: 1, maxLength: 40).orNull,
        "supervisorMemberId?": Schemas.id(MemberID.self).orNull.described("the supervisor a pre-licensed clinician bills under"),
    ]

    static let practiceFields: KeyValuePairs<String, Schema> = [
        "legalName": .string(minLength: 1, maxLength: 60),
        "taxId": .string(maxLength: 11, format: Formats.taxID),
        "taxIdType": .enumeration(TaxID.Kind.self),
        "npi": .string(maxLength: 10, format: Formats.npi),
        "taxonomyCode": .string(maxLength: 10, format: Formats.taxonomy),
        "billingProviderType": .enumeration(BillingProviderType.self),
        "address": Schemas.address,
        "phone": .string(maxLength: 16, format: Formats.phone),
        "timeZone": .string(maxLength: 64, format: Formats.timeZone),
    ]

    struct CreatePracticeResult: Encodable, Sendable {
        let practice: PracticeView
        let owner: MemberView
        let apiKey: NewAPIKeyView
    }

    struct PracticeResult: Encodable, Sendable { let practice: PracticeView }
    struct MemberResult: Encodable, Sendable { let member: MemberView }
    struct APIKeyResult: Encodable, Sendable { let apiKey: APIKeyView }

    struct DeactivateParams: Decodable, Sendable {
        let id: MemberID
        let version: Int?
    }
    struct ListMembersParams: Decodable, Sendable {
        let limit: Int?
        let cursor: String?
        let includeInactive: Bool?
        let role: Role?
    }
    struct CreateKeyParams: Decodable, Sendable {
        let memberId: MemberID?
        let name: String?
    }
    struct ListKeysParams: Decodable, Sendable {
        let memberId: MemberID?
        let limit: Int?
        let cursor: String?
    }
    struct ListAuditParams: Decodable, Sendable {
        let memberId: MemberID?
        let method: String?
        let outcome: String?
        let from: String?
        let to: String?
        let limit: Int?
        let cursor: String?
    }

    static var all: [LedgerlineMethod] {
        var ownerSchema = Schema.object(memberInput, title: "NewOwner")
        ownerSchema.properties.removeAll { $0.name == "supervisorMemberId" }
        let practiceCreateParams = Schema.object(practiceFields).adding(["owner": ownerSchema])
        let practiceUpdateParams = Schema.object(["version": Schemas.version])
            .merging(Schema.object(practiceFields).allOptional)
            .merging(Schema.object(["requireTwoFactor?": .boolean()]))
        let memberUpdateParams = Schema.object(["id": Schemas.id(MemberID.self), "version": Schemas.version])
            .merging(Schema.object(memberInput).adding(["role": .enumeration(Role.self)]).allOptional)

        return [
            LedgerlineMethod(
                "practice.create", summary: "Create a practice with its owner and the owner's first API key (operator key).",
                params: practiceCreateParams,
                result: .object(["practice": PracticeView.schema, "owner": MemberView.schema, "apiKey": NewAPIKeyView.schema]),
                errors: memberErrors, policy: .operator
            ) { (input: NewPractice, context) in
                let created = try await context.services.tenancy.createPractice(input, in: context.transaction)
                context.record(created.practice.id)
                context.record(created.owner.id)
                context.record(created.apiKey.id)
                return CreatePracticeResult(practice: PracticeView(created.practice), owner: MemberView(created.owner),
                                            apiKey: NewAPIKeyView(created.apiKey, secret: created.secret))
            },
            LedgerlineMethod(
                "practice.get", summary: "The caller's practice and its business information.",
                params: .object([:]), result: .object(["practice": PracticeView.schema]),
                errors: memberErrors, policy: .anyMember
            ) { (_: NoParams, context) in
                PracticeResult(practice: PracticeView(try await context.services.tenancy.practice(in: context.transaction)))
            },
            LedgerlineMethod(
                "practice.update", summary: "Change the practice's business information (absent fields unchanged).",
                params: practiceUpdateParams, result: .object(["practice": PracticeView.schema]),
                errors: updateErrors, policy: .owners
            ) { (changes: PracticeChanges, context) in
                let practice = try await context.services.tenancy.updatePractice(changes, in: context.transaction)
                context.record(practice.id)
                return PracticeResult(practice: PracticeView(practice))
            },
            LedgerlineMethod(
                "member.create", summary: "Add a member (owner, biller, clinician or viewer) to the practice.",
                params: Schema.object(memberInput).adding(["role": .enumeration(Role.self)]),
                result: .object(["member": MemberView.schema]), errors: updateErrors, policy: .owners
            ) { (input: NewMember, context) in
                let member = try await context.services.tenancy.createMember(
                    input, practiceID: try context.practiceID, in: context.transaction)
                context.record(member.id)
                return MemberResult(member: MemberView(member))
            },
            LedgerlineMethod(
                "member.get", summary: "One member of the practice.",
                params: .object(["id": Schemas.id(MemberID.self)]), result: .object(["member": MemberView.schema]),
                errors: lookupErrors, policy: .anyMember
            ) { (params: IDParams<MemberID>, context) in
                MemberResult(member: MemberView(try await context.services.tenancy.member(params.id, in: context.transaction)))
            },
            LedgerlineMethod(
                "member.list", summary: "Members of the practice, active ones unless includeInactive.",
                params: .object(["limit?": Schemas.limit, "cursor?": Schemas.cursor, "includeInactive?": .boolean(),
                                 "role?": .enumeration(Role.self)]),
                result: Schemas.page(MemberView.schema), errors: memberErrors, policy: .anyMember
            ) { (params: ListMembersParams, context) in
                let page = try await context.services.tenancy.listMembers(
                    after: try decodeCursor(params.cursor, as: MemberID.self), limit: params.limit ?? 50,
                    includeInactive: params.includeInactive ?? false, role: params.role, in: context.transaction)
                return PageView(items: page.items.map(MemberView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "member.update", summary: "Change a member (absent fields unchanged, null clears).",
                params: memberUpdateParams, result: .object(["member": MemberView.schema]),
                errors: updateErrors, policy: .owners
            ) { (changes: MemberChanges, context) in
                let member = try await context.services.tenancy.updateMember(changes, in: context.transaction)
                return MemberResult(member: MemberView(member))
            },
            LedgerlineMethod(
                "member.deactivate", summary: "Deactivate a member and revoke their API keys.",
                params: .object(["id": Schemas.id(MemberID.self), "version?": Schemas.version]),
                result: .object(["member": MemberView.schema]), errors: updateErrors, policy: .owners
            ) { (params: DeactivateParams, context) in
                let member = try await context.services.tenancy.deactivateMember(
                    params.id, version: params.version, in: context.transaction)
                return MemberResult(member: MemberView(member))
            },
            LedgerlineMethod(
                "apiKey.create", summary: "Issue an API key for a member (the caller when memberId is absent); the secret is shown once.",
                params: .object(["memberId?": Schemas.id(MemberID.self), "name?": .string(minLength: 1, maxLength: 100)]),
                result: .object(["apiKey": NewAPIKeyView.schema]), errors: updateErrors, policy: .owners
            ) { (params: CreateKeyParams, context) in
                guard let principal = context.principal else { throw DomainError.notFound("member") }
                let (key, secret) = try await context.services.tenancy.createKey(
                    for: params.memberId ?? principal.memberID, name: params.name ?? "API key",
                    practiceID: principal.practiceID, in: context.transaction)
                context.record(key.id)
                return ["apiKey": NewAPIKeyView(key, secret: secret)]
            },
            LedgerlineMethod(
                "apiKey.list", summary: "API keys of the practice (never their secrets).",
                params: .object(["memberId?": Schemas.id(MemberID.self), "limit?": Schemas.limit, "cursor?": Schemas.cursor]),
                result: Schemas.page(APIKeyView.schema), errors: memberErrors, policy: .owners
            ) { (params: ListKeysParams, context) in
                let page = try await context.services.tenancy.listKeys(
                    memberID: params.memberId, after: try decodeCursor(params.cursor, as: APIKeyID.self),
                    limit: params.limit ?? 50, in: context.transaction)
                return PageView(items: page.items.map(APIKeyView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "apiKey.revoke", summary: "Revoke an API key at once (idempotent).",
                params: .object(["id": Schemas.id(APIKeyID.self)]), result: .object(["apiKey": APIKeyView.schema]),
                errors: lookupErrors, policy: .owners
            ) { (params: IDParams<APIKeyID>, context) in
                APIKeyResult(apiKey: APIKeyView(try await context.services.tenancy.revokeKey(params.id, in: context.transaction)))
            },
            LedgerlineMethod(
                "audit.list", summary: "The practice's audit log, newest first: who called what, on which ids, with what outcome.",
                params: .object(["memberId?": Schemas.id(MemberID.self), "method?": .string(maxLength: 100),
                                 "outcome?": .enumeration(["ok", "error"]), "from?": Schemas.dateTime, "to?": Schemas.dateTime,
                                 "limit?": Schemas.limit, "cursor?": Schemas.cursor]),
                result: Schemas.page(AuditEntryView.schema), errors: memberErrors, policy: .owners
            ) { (params: ListAuditParams, context) in
                let filter = AuditRepository.Filter(memberID: params.memberId, method: params.method, outcome: params.outcome,
                                                    from: Formats.parseDateTime(params.from), to: Formats.parseDateTime(params.to))
                let page = try await context.services.tenancy.auditLog(
                    filter, before: try decodeCursor(params.cursor, as: AuditEntryID.self), limit: params.limit ?? 50,
                    in: context.transaction)
                return PageView(items: page.items.map(AuditEntryView.init), nextCursor: page.nextCursor)
            },
        ]
    }
}
