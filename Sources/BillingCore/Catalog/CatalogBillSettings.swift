import Foundation

/// When bills are created from completed sessions.
public enum BillCreationMode: String, Sendable, Codable, CaseIterable, Hashable {
    /// Someone creates each bill (`bill.create`).
    case manual
    /// Each day's unbilled sessions are billed automatically that evening (practice time zone).
    case daily
    /// A client's unbilled sessions are billed together once a month.
    case monthly
}

/// The attendance outcomes a no-show fee can apply to.
public enum MissedSessionKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// The client did not come and did not cancel.
    case noShow
    /// The client cancelled too late to free the slot.
    case lateCancel
}

/// A practice's bill settings and billing-automation settings, or the effective settings for one
/// client once that client's overrides are applied (``applying(_:)``).
///
/// Stored as one JSON object per practice; fields missing from a stored object take their
/// ``defaults`` value, so adding a setting never needs a data migration.
public struct BillSettings: Sendable, Hashable, Codable {
    /// The no-show / late-cancel fee.
    public struct NoShowFee: Sendable, Hashable, Codable {
        public var enabled: Bool
        public var amountCents: Int64
        /// Which missed-session outcomes are charged.
        public var appliesTo: [MissedSessionKind]

        /// Creates the fee settings.
        public init(enabled: Bool, amountCents: Int64, appliesTo: [MissedSessionKind]) {
            self.enabled = enabled
            self.amountCents = amountCents
            self.appliesTo = appliesTo
        }
    }

    /// Monthly superbills sent automatically.
    public struct MonthlySuperbills: Sendable, Hashable, Codable {
        public var enabled: Bool
        /// The day of the month the previous month's superbill is generated (1–28, so every month has it).
        public var dayOfMonth: Int
        /// When `true`, only clients whose own settings turn monthly superbills on receive them.
        public var clientOptIn: Bool

        /// Creates the superbill settings.
        public init(enabled: Bool, dayOfMonth: Int, clientOptIn: Bool) {
            self.enabled = enabled
            self.dayOfMonth = dayOfMonth
            self.clientOptIn = clientOptIn
        }
    }

    /// Automatic charging of a card on file for open bills.
    public struct AutoPay: Sendable, Hashable, Codable {
        public var enabled: Bool
        /// Days after a failed charge on which it is retried, ascending (e.g. 3 and 7).
        public var retryDays: [Int]

        /// Creates the AutoPay settings.
        public init(enabled: Bool, retryDays: [Int]) {
            self.enabled = enabled
            self.retryDays = retryDays
        }
    }

    public var billCreation: BillCreationMode
    /// Days from a bill's creation to its due date (0 = due on receipt).
    public var dueDays: Int
    public var noShowFee: NoShowFee
    public var monthlySuperbills: MonthlySuperbills
    /// Send each bill to the client (or billing contact) as soon as it is opened.
    public var autoSendBills: Bool
    /// Generate a claim for each insurance session once its bill exists and the note is signed.
    public var autoGenerateClaims: Bool
    /// Submit generated claims to the clearinghouse without review.
    public var autoSubmitClaims: Bool
    public var autoPay: AutoPay
    /// Text printed at the foot of statements and bills (≤ 500 characters).
    public var statementFooter: String?

    /// The longest statement footer accepted.
    public static let maximumFooterLength = 500
    /// The accepted due-days range.
    public static let dueDaysRange = 0...365
    /// The accepted superbill day-of-month range.
    public static let dayOfMonthRange = 1...28
    /// The accepted AutoPay retry-day range and count.
    public static let retryDayRange = 1...30
    public static let maximumRetries = 5

    /// Creates settings.
    public init(billCreation: BillCreationMode, dueDays: Int, noShowFee: NoShowFee, monthlySuperbills: MonthlySuperbills,
                autoSendBills: Bool, autoGenerateClaims: Bool, autoSubmitClaims: Bool, autoPay: AutoPay,
                statementFooter: String?) {
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

    /// The settings of a practice that never changed them: manual bills due in 30 days, and
    /// every automation and fee off.
    public static let defaults = BillSettings(
        billCreation: .manual, dueDays: 30,
        noShowFee: NoShowFee(enabled: false, amountCents: 0, appliesTo: [.noShow, .lateCancel]),
        monthlySuperbills: MonthlySuperbills(enabled: false, dayOfMonth: 1, clientOptIn: false),
        autoSendBills: false, autoGenerateClaims: false, autoSubmitClaims: false,
        autoPay: AutoPay(enabled: false, retryDays: [3, 7]), statementFooter: nil)

    /// The due date of a bill created on `issuedOn`.
    public func dueDate(issuedOn: CalendarDate) -> CalendarDate { issuedOn.adding(days: dueDays) }

    /// The fee to charge for a session with the missed outcome `kind`: 0 when the fee is off or
    /// does not apply to that outcome.
    public func noShowFeeCents(for kind: MissedSessionKind) -> Int64 {
        noShowFee.enabled && noShowFee.appliesTo.contains(kind) ? noShowFee.amountCents : 0
    }

    /// These settings with one client's overrides applied: each overridden field replaces the
    /// practice's; inside a group (no-show fee, superbills, AutoPay) only the sub-fields the
    /// override names are replaced.
    ///
    /// Monthly superbills are opt-in when the practice says so: with `clientOptIn` a client
    /// receives them only when their override turns them on.
    public func applying(_ overrides: BillSettingsOverrides) -> BillSettings {
        var effective = self
        effective.billCreation = overrides.billCreation ?? billCreation
        effective.dueDays = overrides.dueDays ?? dueDays
        if let fee = overrides.noShowFee {
            effective.noShowFee.enabled = fee.enabled ?? noShowFee.enabled
            effective.noShowFee.amountCents = fee.amountCents ?? noShowFee.amountCents
            effective.noShowFee.appliesTo = fee.appliesTo ?? noShowFee.appliesTo
        }
        let superbills = overrides.monthlySuperbills
        effective.monthlySuperbills.enabled = superbills?.enabled
            ?? (monthlySuperbills.enabled && !monthlySuperbills.clientOptIn)
        effective.monthlySuperbills.dayOfMonth = superbills?.dayOfMonth ?? monthlySuperbills.dayOfMonth
        effective.autoSendBills = overrides.autoSendBills ?? autoSendBills
        effective.autoGenerateClaims = overrides.autoGenerateClaims ?? autoGenerateClaims
        effective.autoSubmitClaims = overrides.autoSubmitClaims ?? autoSubmitClaims
        if let autoPayOverride = overrides.autoPay {
            effective.autoPay.enabled = autoPayOverride.enabled ?? autoPay.enabled
            effective.autoPay.retryDays = autoPayOverride.retryDays ?? autoPay.retryDays
        }
        if let footer = overrides.statementFooter { effective.statementFooter = footer.isEmpty ? nil : footer }
        return effective
    }

    /// Every problem with the settings, named by JSON Pointers under `pointerPrefix`.
    public func problems(pointerPrefix: String = "") -> [FieldProblem] {
        Self.rangeProblems(dueDays: dueDays, amountCents: noShowFee.amountCents, appliesTo: noShowFee.appliesTo,
                           dayOfMonth: monthlySuperbills.dayOfMonth, retryDays: autoPay.retryDays,
                           statementFooter: statementFooter, pointerPrefix: pointerPrefix)
            + combinationProblems(pointerPrefix: pointerPrefix)
    }

    /// The problems that come from fields in combination (an enabled no-show fee must apply to
    /// something), checked on effective settings after a client's overrides are applied.
    public func combinationProblems(pointerPrefix: String = "") -> [FieldProblem] {
        guard noShowFee.enabled, noShowFee.appliesTo.isEmpty else { return [] }
        return [FieldProblem(pointer: pointerPrefix + "/noShowFee/appliesTo",
                             reason: "must name noShow, lateCancel or both while the fee is enabled", code: "required")]
    }

    /// The checks shared by settings and overrides; `nil` arguments are not checked.
    static func rangeProblems(dueDays: Int?, amountCents: Int64?, appliesTo: [MissedSessionKind]?, dayOfMonth: Int?,
                              retryDays: [Int]?, statementFooter: String?, pointerPrefix: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        func add(_ pointer: String, _ reason: String, _ code: String) {
            problems.append(FieldProblem(pointer: pointerPrefix + pointer, reason: reason, code: code))
        }
        if let dueDays, !dueDaysRange.contains(dueDays) { add("/dueDays", "must be between 0 and 365", "range") }
        if let amountCents, amountCents < 0 { add("/noShowFee/amountCents", "must not be negative", "minimum") }
        if let appliesTo, Set(appliesTo).count != appliesTo.count {
            add("/noShowFee/appliesTo", "must not contain duplicates", "duplicate")
        }
        if let dayOfMonth, !dayOfMonthRange.contains(dayOfMonth) {
            add("/monthlySuperbills/dayOfMonth", "must be between 1 and 28 so every month has that day", "range")
        }
        if let retryDays {
            if retryDays.count > maximumRetries {
                add("/autoPay/retryDays", "must have at most \(maximumRetries) days", "maxItems")
            }
            for (index, day) in retryDays.enumerated() {
                if !retryDayRange.contains(day) {
                    add("/autoPay/retryDays/\(index)", "must be between 1 and 30", "range")
                } else if index > 0, day <= retryDays[index - 1] {
                    add("/autoPay/retryDays/\(index)", "must be later than the day before it", "order")
                }
            }
        }
        if let statementFooter, statementFooter.count > maximumFooterLength {
            add("/statementFooter", "must be at most \(maximumFooterLength) characters", "maxLength")
        }
        return problems
    }

    enum CodingKeys: String, CodingKey {
        case billCreation, dueDays, noShowFee, monthlySuperbills, autoSendBills, autoGenerateClaims, autoSubmitClaims,
             autoPay, statementFooter
    }

    /// Decodes stored settings; every missing field takes its ``defaults`` value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Self.defaults
        billCreation = try container.decodeIfPresent(BillCreationMode.self, forKey: .billCreation) ?? defaults.billCreation
        dueDays = try container.decodeIfPresent(Int.self, forKey: .dueDays) ?? defaults.dueDays
        noShowFee = try container.decodeIfPresent(NoShowFee.self, forKey: .noShowFee) ?? defaults.noShowFee
        monthlySuperbills = try container.decodeIfPresent(MonthlySuperbills.self, forKey: .monthlySuperbills)
            ?? defaults.monthlySuperbills
        autoSendBills = try container.decodeIfPresent(Bool.self, forKey: .autoSendBills) ?? defaults.autoSendBills
        autoGenerateClaims = try container.decodeIfPresent(Bool.self, forKey: .autoGenerateClaims)
            ?? defaults.autoGenerateClaims
        autoSubmitClaims = try container.decodeIfPresent(Bool.self, forKey: .autoSubmitClaims) ?? defaults.autoSubmitClaims
        autoPay = try container.decodeIfPresent(AutoPay.self, forKey: .autoPay) ?? defaults.autoPay
        statementFooter = try container.decodeIfPresent(String.self, forKey: .statementFooter)
    }

    /// Encodes every field, `statementFooter` as `null` when there is none.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(billCreation, forKey: .billCreation)
        try container.encode(dueDays, forKey: .dueDays)
        try container.encode(noShowFee, forKey: .noShowFee)
        try container.encode(monthlySuperbills, forKey: .monthlySuperbills)
        try container.encode(autoSendBills, forKey: .autoSendBills)
        try container.encode(autoGenerateClaims, forKey: .autoGenerateClaims)
        try container.encode(autoSubmitClaims, forKey: .autoSubmitClaims)
        try container.encode(autoPay, forKey: .autoPay)
        try container.encode(statementFooter, forKey: .statementFooter)
    }
}
