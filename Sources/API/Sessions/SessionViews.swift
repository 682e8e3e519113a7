import Billing
import BillingCore
import Foundation
import JSONRPC

/// A signed note version as the API shows it.
struct NoteView: Encodable, Sendable {
    let id: NoteID
    let sessionId: SessionID
    let diagnoses: [String]
    let signedBy: MemberID
    let signedAt: Date
    let version: Int

    init(_ note: SignedNote) {
        id = note.id
        sessionId = note.sessionId
        diagnoses = note.diagnoses
        signedBy = note.signedBy
        signedAt = note.signedAt
        version = note.version
    }

    static let schema = Schema.object([
        "id": Schemas.id(NoteID.self), "sessionId": Schemas.id(SessionID.self),
        "diagnoses": Schema.array(.string(), description: "ICD-10-CM codes snapshotted at signing, in claim order"),
        "signedBy": Schemas.id(MemberID.self), "signedAt": Schemas.dateTime, "version": .integer(minimum: 1),
    ], title: "Note")
}

/// A session line as the API shows it.
struct SessionLineView: Encodable, Sendable {
    let lineNumber: Int
    let serviceId: ServiceID
    let code: String
    let units: Int
    let rateCents: Int64
    let modifiers: [String]
    let amountCents: Int64

    init(_ line: SessionLine) {
        lineNumber = line.lineNumber
        serviceId = line.serviceId
        code = line.code
        units = line.units
        rateCents = line.rateCents
        modifiers = line.modifiers
        amountCents = line.amountCents
    }

    static let schema = Schema.object([
        "lineNumber": .integer(minimum: 1), "serviceId": Schemas.id(ServiceID.self),
        "code": Schema.string(description: "the service's code when the line was written"),
        "units": .integer(minimum: 1), "rateCents": Schemas.cents, "modifiers": .array(.string()),
        "amountCents": Schemas.cents.described("rateCents × units"),
    ], title: "SessionLine")
}

/// A session as the API shows it, with its lines, its signed note (or null) and its bill.
struct SessionView: Encodable, Sendable {
    let id: SessionID
    let clientId: ClientID
    let renderingMemberId: MemberID
    let supervisingMemberId: MemberID?
    let locationId: LocationID?
    let externalId: String?
    let dateOfService: CalendarDate
    let startTime: TimeOfDay?
    let durationMinutes: Int?
    let placeOfService: String
    let billing: BillingMode
    let policyId: PolicyID?
    let attendance: Attendance
    let lines: [SessionLineView]
    let totalCents: Int64
    let note: AlwaysPresent<NoteView>
    let billId: BillID?
    let billed: Bool
    let version: Int
    let createdAt: Date
    let updatedAt: Date

    init(_ details: SessionDetails) {
        let session = details.session
        id = session.id
        clientId = session.clientId
        renderingMemberId = session.renderingMemberId
        supervisingMemberId = session.supervisingMemberId
        locationId = session.locationId
        externalId = session.externalId
        dateOfService = session.dateOfService
        startTime = session.startTime
        durationMinutes = session.durationMinutes
        placeOfService = session.placeOfService
        billing = session.billing
        policyId = session.policyId
        attendance = session.attendance
        lines = session.lines.map(SessionLineView.init)
        totalCents = session.totalCents
        note = AlwaysPresent(details.note.map(NoteView.init))
        billId = details.billId
        billed = details.billId != nil
        version = session.version
        createdAt = session.createdAt
        updatedAt = session.updatedAt
    }

    static let schema = Schema.object([
        "id": Schemas.id(SessionID.self), "clientId": Schemas.id(ClientID.self),
        "renderingMemberId": Schemas.id(MemberID.self), "supervisingMemberId?": Schemas.id(MemberID.self).orNull,
        "locationId?": Schemas.id(LocationID.self).orNull, "externalId?": Schema.string().orNull,
        "dateOfService": Schemas.date, "startTime?": Schema.string(format: Formats.timeOfDay).orNull,
        "durationMinutes?": Schema.integer().orNull, "placeOfService": .string(),
        "billing": .enumeration(BillingMode.self), "policyId?": Schemas.id(PolicyID.self).orNull,
        "attendance": .enumeration(Attendance.self), "lines": .array(SessionLineView.schema), "totalCents": Schemas.cents,
        "note": NoteView.schema.orNull.described("the latest signed version, or null while unsigned"),
        "billId?": Schemas.id(BillID.self).orNull, "billed": Schema.boolean(description: "on a bill that is not void"),
        "version": .integer(minimum: 1), "createdAt": Schemas.dateTime, "updatedAt": Schemas.dateTime,
    ], title: "Session")
}
