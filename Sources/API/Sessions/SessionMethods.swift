import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

extension Access {
    /// Owners and clinicians sign notes; the service also requires the signer to render or supervise the session.
    static let noteSigners = Access.members([.owner, .clinician])
}

extension Services {
    /// Session use cases (stateless).
    var sessions: SessionService { SessionService() }
    /// Signed-note use cases (stateless).
    var notes: NoteService { NoteService() }
}

/// Methods for sessions and signed notes: `session.*`, `note.*`.
enum SessionMethods {
    static let line = Schema.object([
        "serviceId": Schemas.id(ServiceID.self),
        "units": .integer(minimum: 1, maximum: 999),
        "rateCents?": Schemas.cents.orNull.described("per unit; defaults to the service's defaultRateCents"),
        "modifiers?": Schema.array(.string(maxLength: 2, format: Formats.modifier), maxItems: SessionRules.maximumModifiers,
                                   uniqueItems: true).orNull,
    ], title: "SessionLineInput")

    static let sessionFields: KeyValuePairs<String, Schema> = [
        "renderingMemberId": Schemas.id(MemberID.self),
        "supervisingMemberId?": Schemas.id(MemberID.self).orNull.described("when billed under a supervisor"),
        "locationId?": Schemas.id(LocationID.self).orNull,
        "externalId?": Schema.string(minLength: 1, maxLength: 64, description: "the EHR's id, unique per practice").orNull,
        "dateOfService": Schemas.date.described("a date in the practice's time zone"),
        "startTime?": Schema.string(maxLength: 5, format: Formats.timeOfDay).orNull,
        "durationMinutes?": Schema.integer(minimum: 1, maximum: 1440).orNull,
        "placeOfService": .string(maxLength: 2, format: Formats.placeOfService),
        "billing": .enumeration(BillingMode.self),
        "policyId?": Schemas.id(PolicyID.self).orNull
            .described("required for insurance: a policy of the same client active on the date of service"),
        "attendance": .enumeration(Attendance.self),
        "lines": Schema.array(line, maxItems: SessionRules.maximumLines,
                              description: "at least one for a completed session; replaces all lines on update"),
    ]

    struct SessionResult: Encodable, Sendable { let session: SessionView }
    struct NoteResult: Encodable, Sendable { let note: NoteView }
    struct NoteHistoryResult: Encodable, Sendable {
        let note: AlwaysPresent<NoteView>
        let versions: [NoteView]
    }

    struct IDParams: Decodable, Sendable { let id: SessionID }
    struct ListSessionsParams: Decodable, Sendable {
        let clientId: ClientID?
        let from: CalendarDate?
        let to: CalendarDate?
        let billing: BillingMode?
        let attendance: Attendance?
        let limit: Int?
        let cursor: String?
    }
    struct SignParams: Decodable, Sendable {
        let sessionId: SessionID
        let diagnoses: [String]?
    }
    struct AmendParams: Decodable, Sendable {
        let sessionId: SessionID
        let diagnoses: [String]
    }
    struct NoteParams: Decodable, Sendable { let sessionId: SessionID }

    static var all: [LedgerlineMethod] {
        let sessionResult = Schema.object(["session": SessionView.schema])
        let noteResult = Schema.object(["note": NoteView.schema])
        let updateParams = Schema.object(["id": Schemas.id(SessionID.self), "version": Schemas.version])
            .merging(Schema.object(sessionFields).allOptional)
        return [
            LedgerlineMethod(
                "session.create",
                summary: "Add a session with its service lines; codes are snapshotted and rates default from the services.",
                params: Schema.object(["clientId": Schemas.id(ClientID.self)]).merging(.object(sessionFields)),
                result: sessionResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (input: NewSession, context) in
                let details = try await context.services.sessions.create(input, by: context.caller, in: context.transaction)
                context.record(details.session.id)
                return SessionResult(session: SessionView(details))
            },
            LedgerlineMethod(
                "session.get", summary: "One session with its lines, its signed note (or null) and its bill.",
                params: .object(["id": Schemas.id(SessionID.self)]), result: sessionResult, errors: lookupErrors,
                policy: .anyMember
            ) { (params: IDParams, context) in
                SessionResult(session: SessionView(
                    try await context.services.sessions.session(params.id, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "session.list", summary: "Sessions, newest date of service first, with optional filters.",
                params: .object(["clientId?": Schemas.id(ClientID.self).orNull, "from?": Schemas.date.orNull,
                                 "to?": Schemas.date.orNull, "billing?": Schema.enumeration(BillingMode.self).orNull,
                                 "attendance?": Schema.enumeration(Attendance.self).orNull, "limit?": Schemas.limit,
                                 "cursor?": Schemas.cursor]),
                result: Schemas.page(SessionView.schema), errors: lookupErrors, policy: .anyMember
            ) { (params: ListSessionsParams, context) in
                let filter = SessionRepository.Filter(clientID: params.clientId, from: params.from, to: params.to,
                                                      billing: params.billing, attendance: params.attendance)
                let page = try await context.services.sessions.list(
                    filter, by: context.caller, after: try decodeCursor(params.cursor, as: SessionID.self),
                    limit: params.limit ?? 50, in: context.transaction)
                return PageView(items: page.items.map(SessionView.init), nextCursor: page.nextCursor)
            },
            LedgerlineMethod(
                "session.update",
                summary: "Change a session that is not billed (absent fields unchanged, null clears, "
                    + "lines replace all lines).",
                params: updateParams, result: sessionResult, errors: updateErrors, policy: .clientRecordWriters
            ) { (changes: SessionChanges, context) in
                SessionResult(session: SessionView(
                    try await context.services.sessions.update(changes, by: context.caller, in: context.transaction)))
            },
            LedgerlineMethod(
                "note.sign",
                summary: "Sign a session's note as its rendering or supervising member, snapshotting the diagnoses "
                    + "(the client's current list when absent).",
                params: .object(["sessionId": Schemas.id(SessionID.self), "diagnoses?": ClientMethods.diagnoses.orNull]),
                result: noteResult, errors: updateErrors, policy: .noteSigners
            ) { (params: SignParams, context) in
                let note = try await context.services.notes.sign(
                    session: params.sessionId, diagnoses: params.diagnoses, by: context.caller, in: context.transaction)
                context.record(note.id)
                return NoteResult(note: NoteView(note))
            },
            LedgerlineMethod(
                "note.amend", summary: "Sign a new version of an already signed note with new diagnoses.",
                params: .object(["sessionId": Schemas.id(SessionID.self),
                                 "diagnoses": ClientMethods.diagnoses.described("1–12 billable ICD-10-CM codes")]),
                result: noteResult, errors: updateErrors, policy: .noteSigners
            ) { (params: AmendParams, context) in
                let note = try await context.services.notes.amend(
                    session: params.sessionId, diagnoses: params.diagnoses, by: context.caller, in: context.transaction)
                context.record(note.id)
                return NoteResult(note: NoteView(note))
            },
            LedgerlineMethod(
                "note.get", summary: "A session's note: the latest signed version (null while unsigned) and every version.",
                params: .object(["sessionId": Schemas.id(SessionID.self)]),
                result: .object(["note": NoteView.schema.orNull, "versions": .array(NoteView.schema)]),
                errors: lookupErrors, policy: .anyMember
            ) { (params: NoteParams, context) in
                let history = try await context.services.notes.history(
                    session: params.sessionId, by: context.caller, in: context.transaction)
                return NoteHistoryResult(note: AlwaysPresent(history.latest.map(NoteView.init)),
                                         versions: history.versions.map(NoteView.init))
            },
        ]
    }
}
