import Foundation

/// Who is billed for a session.
public enum BillingMode: String, Sendable, Codable, CaseIterable, Hashable {
    /// The client (or their billing contact) pays the whole rate.
    case selfPay
    /// A claim goes to the client's policy; the copay is the client's part.
    case insurance
}

/// Whether the client came.
public enum Attendance: String, Sendable, Codable, CaseIterable, Hashable {
    case completed
    case noShow
    case lateCancel
    case cancelled
}

/// One service line of a session: the service, its code as it was when the line was written,
/// units, rate and up to four modifiers.
public struct SessionLine: Sendable, Hashable {
    /// 1-based position in the session.
    public var lineNumber: Int
    public var serviceId: ServiceID
    /// The service's code snapshotted when the line was written (later catalog edits do not change it).
    public var code: String
    public var units: Int
    /// Rate per unit in cents.
    public var rateCents: Int64
    /// Up to four 2-character modifiers (e.g. `95`), in claim order.
    public var modifiers: [String]

    /// Creates a line.
    public init(lineNumber: Int, serviceId: ServiceID, code: String, units: Int, rateCents: Int64, modifiers: [String]) {
        self.lineNumber = lineNumber
        self.serviceId = serviceId
        self.code = code
        self.units = units
        self.rateCents = rateCents
        self.modifiers = modifiers
    }

    /// The line's charge: rate × units.
    public var amountCents: Int64 { rateCents * Int64(units) }
}

/// A session (appointment) of one client with one rendering clinician, and its service lines.
public struct Session: Sendable, Hashable {
    public var id: SessionID
    public var clientId: ClientID
    public var renderingMemberId: MemberID
    /// The supervisor when the session is billed under one.
    public var supervisingMemberId: MemberID?
    public var locationId: LocationID?
    /// The EHR's id for the appointment, unique within the practice.
    public var externalId: String?
    /// A calendar date in the practice's time zone.
    public var dateOfService: CalendarDate
    public var startTime: TimeOfDay?
    public var durationMinutes: Int?
    /// CMS place-of-service code (`11`, `02`, `10` …).
    public var placeOfService: String
    public var billing: BillingMode
    /// The policy billed; set exactly when ``billing`` is ``BillingMode/insurance``.
    public var policyId: PolicyID?
    public var attendance: Attendance
    public var lines: [SessionLine]
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a session value.
    public init(id: SessionID, clientId: ClientID, renderingMemberId: MemberID, supervisingMemberId: MemberID?,
                locationId: LocationID?, externalId: String?, dateOfService: CalendarDate, startTime: TimeOfDay?,
                durationMinutes: Int?, placeOfService: String, billing: BillingMode, policyId: PolicyID?,
                attendance: Attendance, lines: [SessionLine], version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.clientId = clientId
        self.renderingMemberId = renderingMemberId
        self.supervisingMemberId = supervisingMemberId
        self.locationId = locationId
        self.externalId = externalId
        self.dateOfService = dateOfService
        self.startTime = startTime
        self.durationMinutes = durationMinutes
        self.placeOfService = placeOfService
        self.billing = billing
        self.policyId = policyId
        self.attendance = attendance
        self.lines = lines
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The sum of the lines' charges.
    public var totalCents: Int64 { lines.reduce(0) { $0 + $1.amountCents } }

    /// `true` when `memberID` renders or supervises the session (and so may sign its note).
    public func isRenderedOrSupervised(by memberID: MemberID) -> Bool {
        renderingMemberId == memberID || supervisingMemberId == memberID
    }
}
