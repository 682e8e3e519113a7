import BillingCore
import Foundation

/// What `service.create` needs; absent optional fields take their defaults.
public struct NewService: Sendable, Decodable {
    public var code: String
    public var codeType: ServiceCodeType
    public var name: String
    /// Defaults to the name.
    public var description: String?
    /// Defaults to 0 (the practice sets it before billing).
    public var defaultRateCents: Int64?
    public var defaultDurationMinutes: Int?
    public var billedInUnits: Bool?
    public var mayRepeat: Bool?
    public var addonParentCodes: [String]?
    public var enabled: Bool?
}

/// A change to a service (absent fields unchanged, `null` clears `defaultDurationMinutes`).
public struct ServiceChanges: Sendable, Decodable {
    public var id: ServiceID
    public var version: Int
    public var code: Patch<String> = .absent
    public var codeType: Patch<ServiceCodeType> = .absent
    public var name: Patch<String> = .absent
    public var description: Patch<String> = .absent
    public var defaultRateCents: Patch<Int64> = .absent
    public var defaultDurationMinutes: Patch<Int> = .absent
    public var billedInUnits: Patch<Bool> = .absent
    public var mayRepeat: Patch<Bool> = .absent
    public var addonParentCodes: Patch<[String]> = .absent
    public var enabled: Patch<Bool> = .absent
}

/// What `location.create` needs.
public struct NewLocation: Sendable, Decodable {
    public var name: String
    public var placeOfService: String
    public var address: Address
    /// Defaults to `true`.
    public var active: Bool?
}

/// A change to a service location (absent fields unchanged; the address can be replaced, never cleared).
public struct LocationChanges: Sendable, Decodable {
    public var id: LocationID
    public var version: Int
    public var name: Patch<String> = .absent
    public var placeOfService: Patch<String> = .absent
    public var address: Patch<Address> = .absent
    public var active: Patch<Bool> = .absent
}

/// What `enrollment.create` needs.
public struct NewEnrollment: Sendable, Decodable {
    public var payerId: PayerID
    public var kind: EnrollmentKind
    /// Defaults to `notStarted`; any status is accepted so an enrollment made before the practice
    /// used Ledgerline can be recorded as it stands.
    public var status: EnrollmentStatus?
    public var submittedOn: CalendarDate?
    public var decidedOn: CalendarDate?
    public var note: String?
}

/// A change to an enrollment (absent fields unchanged, `null` clears dates and the note).
///
/// Moving back to `pending` (a resubmission after a rejection) clears `decidedOn` unless the
/// change names it.
public struct EnrollmentChanges: Sendable, Decodable {
    public var id: EnrollmentID
    public var version: Int
    public var status: Patch<EnrollmentStatus> = .absent
    public var submittedOn: Patch<CalendarDate> = .absent
    public var decidedOn: Patch<CalendarDate> = .absent
    public var note: Patch<String> = .absent
}

/// A change to the practice's bill settings (absent fields unchanged; inside a group only the
/// named sub-fields change; `null` clears `statementFooter`).
public struct SettingsChanges: Sendable, Decodable {
    /// Sub-fields of the no-show fee to change.
    public struct NoShowFee: Sendable, Decodable {
        public var enabled: Bool?
        public var amountCents: Int64?
        public var appliesTo: [MissedSessionKind]?
    }

    /// Sub-fields of monthly superbills to change.
    public struct MonthlySuperbills: Sendable, Decodable {
        public var enabled: Bool?
        public var dayOfMonth: Int?
        public var clientOptIn: Bool?
    }

    /// Sub-fields of AutoPay to change.
    public struct AutoPay: Sendable, Decodable {
        public var enabled: Bool?
        public var retryDays: [Int]?
    }

    public var version: Int
    public var billCreation: Patch<BillCreationMode> = .absent
    public var dueDays: Patch<Int> = .absent
    public var noShowFee: Patch<NoShowFee> = .absent
    public var monthlySuperbills: Patch<MonthlySuperbills> = .absent
    public var autoSendBills: Patch<Bool> = .absent
    public var autoGenerateClaims: Patch<Bool> = .absent
    public var autoSubmitClaims: Patch<Bool> = .absent
    public var autoPay: Patch<AutoPay> = .absent
    public var statementFooter: Patch<String> = .absent

    /// `settings` with these changes applied.
    public func applied(to settings: BillSettings) -> BillSettings {
        var result = settings
        result.billCreation = billCreation.applied(to: settings.billCreation)
        result.dueDays = dueDays.applied(to: settings.dueDays)
        if case .value(let fee) = noShowFee {
            result.noShowFee.enabled = fee.enabled ?? settings.noShowFee.enabled
            result.noShowFee.amountCents = fee.amountCents ?? settings.noShowFee.amountCents
            result.noShowFee.appliesTo = fee.appliesTo ?? settings.noShowFee.appliesTo
        }
        if case .value(let superbills) = monthlySuperbills {
            result.monthlySuperbills.enabled = superbills.enabled ?? settings.monthlySuperbills.enabled
            result.monthlySuperbills.dayOfMonth = superbills.dayOfMonth ?? settings.monthlySuperbills.dayOfMonth
            result.monthlySuperbills.clientOptIn = superbills.clientOptIn ?? settings.monthlySuperbills.clientOptIn
        }
        result.autoSendBills = autoSendBills.applied(to: settings.autoSendBills)
        result.autoGenerateClaims = autoGenerateClaims.applied(to: settings.autoGenerateClaims)
        result.autoSubmitClaims = autoSubmitClaims.applied(to: settings.autoSubmitClaims)
        if case .value(let autoPayChange) = autoPay {
            result.autoPay.enabled = autoPayChange.enabled ?? settings.autoPay.enabled
            result.autoPay.retryDays = autoPayChange.retryDays ?? settings.autoPay.retryDays
        }
        let footer: String? = statementFooter.applied(to: settings.statementFooter)
        result.statementFooter = footer?.isEmpty == true ? nil : footer
        return result
    }
}

/// A change to one client's overrides: for each field, absent leaves the client's override as it
/// is, `null` removes it (the practice's setting applies again), and a value replaces it.
public struct ClientOverrideChanges: Sendable, Decodable {
    public var billCreation: Patch<BillCreationMode> = .absent
    public var dueDays: Patch<Int> = .absent
    public var noShowFee: Patch<BillSettingsOverrides.NoShowFee> = .absent
    public var monthlySuperbills: Patch<BillSettingsOverrides.MonthlySuperbills> = .absent
    public var autoSendBills: Patch<Bool> = .absent
    public var autoGenerateClaims: Patch<Bool> = .absent
    public var autoSubmitClaims: Patch<Bool> = .absent
    public var autoPay: Patch<BillSettingsOverrides.AutoPay> = .absent
    public var statementFooter: Patch<String> = .absent

    /// `overrides` with these changes applied (empty groups dropped).
    public func applied(to overrides: BillSettingsOverrides) -> BillSettingsOverrides {
        var result = overrides
        result.billCreation = billCreation.applied(to: overrides.billCreation)
        result.dueDays = dueDays.applied(to: overrides.dueDays)
        result.noShowFee = noShowFee.applied(to: overrides.noShowFee)
        result.monthlySuperbills = monthlySuperbills.applied(to: overrides.monthlySuperbills)
        result.autoSendBills = autoSendBills.applied(to: overrides.autoSendBills)
        result.autoGenerateClaims = autoGenerateClaims.applied(to: overrides.autoGenerateClaims)
        result.autoSubmitClaims = autoSubmitClaims.applied(to: overrides.autoSubmitClaims)
        result.autoPay = autoPay.applied(to: overrides.autoPay)
        result.statementFooter = statementFooter.applied(to: overrides.statementFooter)
        return result.normalized
    }
}

/// What `settings.updateClient` needs.
public struct ClientOverridesUpdate: Sendable, Decodable {
    public var clientId: ClientID
    public var overrides: ClientOverrideChanges
}
