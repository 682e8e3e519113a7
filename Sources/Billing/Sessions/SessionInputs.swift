import BillingCore
import Foundation

/// What `session.create` needs.
public struct NewSession: Sendable, Codable {
    public var clientId: ClientID
    public var renderingMemberId: MemberID
    public var supervisingMemberId: MemberID?
    public var locationId: LocationID?
    public var externalId: String?
    public var dateOfService: CalendarDate
    public var startTime: TimeOfDay?
    public var durationMinutes: Int?
    public var placeOfService: String
    public var billing: BillingMode
    public var policyId: PolicyID?
    public var attendance: Attendance
    public var lines: [RequestedSessionLine]
}

/// A change to a session (absent fields unchanged, `null` clears optional ones). The client cannot
/// change; `lines`, when present, replaces every line.
public struct SessionChanges: Sendable, Decodable {
    public var id: SessionID
    public var version: Int
    public var renderingMemberId: Patch<MemberID> = .absent
    public var supervisingMemberId: Patch<MemberID> = .absent
    public var locationId: Patch<LocationID> = .absent
    public var externalId: Patch<String> = .absent
    public var dateOfService: Patch<CalendarDate> = .absent
    public var startTime: Patch<TimeOfDay> = .absent
    public var durationMinutes: Patch<Int> = .absent
    public var placeOfService: Patch<String> = .absent
    public var billing: Patch<BillingMode> = .absent
    public var policyId: Patch<PolicyID> = .absent
    public var attendance: Patch<Attendance> = .absent
    public var lines: Patch<[RequestedSessionLine]> = .absent
}
