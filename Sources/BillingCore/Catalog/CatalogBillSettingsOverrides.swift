import Foundation

/// One client's overrides of the practice's ``BillSettings``: only the fields named here differ
/// from the practice (stored in `clients.billing_overrides`).
public struct BillSettingsOverrides: Sendable, Hashable, Codable {
    /// Overridden no-show fee sub-fields.
    public struct NoShowFee: Sendable, Hashable, Codable {
        public var enabled: Bool?
        public var amountCents: Int64?
        public var appliesTo: [MissedSessionKind]?

        /// Creates the override.
        public init(enabled: Bool? = nil, amountCents: Int64? = nil, appliesTo: [MissedSessionKind]? = nil) {
            self.enabled = enabled
            self.amountCents = amountCents
            self.appliesTo = appliesTo
        }

        var isEmpty: Bool { enabled == nil && amountCents == nil && appliesTo == nil }
    }

    /// Overridden monthly-superbill sub-fields; `enabled: true` is a client's opt-in.
    public struct MonthlySuperbills: Sendable, Hashable, Codable {
        public var enabled: Bool?
        public var dayOfMonth: Int?

        /// Creates the override.
        public init(enabled: Bool? = nil, dayOfMonth: Int? = nil) {
            self.enabled = enabled
            self.dayOfMonth = dayOfMonth
        }

        var isEmpty: Bool { enabled == nil && dayOfMonth == nil }
    }

    /// Overridden AutoPay sub-fields; `enabled` is the client's own AutoPay switch.
    public struct AutoPay: Sendable, Hashable, Codable {
        public var enabled: Bool?
        public var retryDays: [Int]?

        /// Creates the override.
        public init(enabled: Bool? = nil, retryDays: [Int]? = nil) {
            self.enabled = enabled
            self.retryDays = retryDays
        }

        var isEmpty: Bool { enabled == nil && retryDays == nil }
    }

    public var billCreation: BillCreationMode?
    public var dueDays: Int?
    public var noShowFee: NoShowFee?
    public var monthlySuperbills: MonthlySuperbills?
    public var autoSendBills: Bool?
    public var autoGenerateClaims: Bool?
    public var autoSubmitClaims: Bool?
    public var autoPay: AutoPay?
    /// A different footer for this client; an empty string means none.
    public var statementFooter: String?

    /// Creates overrides (none by default).
    public init(billCreation: BillCreationMode? = nil, dueDays: Int? = nil, noShowFee: NoShowFee? = nil,
                monthlySuperbills: MonthlySuperbills? = nil, autoSendBills: Bool? = nil, autoGenerateClaims: Bool? = nil,
                autoSubmitClaims: Bool? = nil, autoPay: AutoPay? = nil, statementFooter: String? = nil) {
        self.billCreation = billCreation
        self.dueDays = dueDays
        self.noShowFee = noShowFee
        self.monthlySuperbills = monthlySuperbills
        self.autoSendBills = autoSendBills
        self.autoGenerateClaims = autoGenerateClaims
        self.autoSubmitClaims = autoSubmitClaims
        self.autoPay = autoPay
        self.statementFooter = statementFooter
    }

    /// No overrides.
    public static let none = BillSettingsOverrides()

    /// The same overrides with empty groups removed (an empty `noShowFee: {}` overrides nothing).
    public var normalized: BillSettingsOverrides {
        var copy = self
        if copy.noShowFee?.isEmpty == true { copy.noShowFee = nil }
        if copy.monthlySuperbills?.isEmpty == true { copy.monthlySuperbills = nil }
        if copy.autoPay?.isEmpty == true { copy.autoPay = nil }
        return copy
    }

    /// `true` when nothing is overridden.
    public var isEmpty: Bool { normalized == .none }

    /// Every problem with the override values themselves, named by JSON Pointers under `pointerPrefix`.
    /// (Rules that combine with the practice's settings are checked on the effective settings.)
    public func problems(pointerPrefix: String = "") -> [FieldProblem] {
        BillSettings.rangeProblems(dueDays: dueDays, amountCents: noShowFee?.amountCents, appliesTo: noShowFee?.appliesTo,
                                   dayOfMonth: monthlySuperbills?.dayOfMonth, retryDays: autoPay?.retryDays,
                                   statementFooter: statementFooter, pointerPrefix: pointerPrefix)
    }
}
