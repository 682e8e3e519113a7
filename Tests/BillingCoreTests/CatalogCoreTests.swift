import BillingCore
import Foundation
import Testing

/// The pure catalog rules: the enrollment state machine, bill settings and their client
/// overrides, service validation and the common-code table.
@Suite struct CatalogCoreTests {
    // MARK: - Enrollment state machine

    static let allowedMoves: Set<[EnrollmentStatus]> = [
        [.notStarted, .pending], [.pending, .approved], [.pending, .rejected], [.rejected, .pending],
    ]

    @Test(arguments: EnrollmentStatus.allCases, EnrollmentStatus.allCases)
    func enrollmentTransitionFollowsTheTable(from: EnrollmentStatus, to: EnrollmentStatus) {
        let allowed = from == to || Self.allowedMoves.contains([from, to])
        #expect(from.allows(to) == allowed)
        if allowed {
            #expect((try? from.transition(to: to)) == to)
        } else {
            #expect(throws: DomainError.self) { try from.transition(to: to) }
        }
    }

    @Test func approvedEnrollmentCannotGoBackToPendingAndTheErrorNamesBothStates() throws {
        do {
            _ = try EnrollmentStatus.approved.transition(to: .pending)
            Issue.record("approved → pending was accepted")
        } catch let error as DomainError {
            #expect(error.kind == .conflict)
            #expect(error.code == "enrollment.invalidTransition")
            #expect(error.message.contains("approved") && error.message.contains("pending"))
            #expect(error.problems.map(\.pointer) == ["/status"])
        }
    }

    @Test func rejectedEnrollmentMayBeResubmitted() throws {
        #expect(try EnrollmentStatus.rejected.transition(to: .pending) == .pending)
    }

    @Test func notStartedCannotJumpToADecision() {
        #expect(!EnrollmentStatus.notStarted.allows(.approved))
        #expect(!EnrollmentStatus.notStarted.allows(.rejected))
    }

    @Test func claimsAreBlockedOnlyWhenThePayerRequiresEnrollmentAndItIsNotApproved() {
        #expect(!Enrollment.blocksClaims(claimsEnrollmentRequired: false, claimsEnrollment: nil))
        #expect(Enrollment.blocksClaims(claimsEnrollmentRequired: true, claimsEnrollment: nil))
        for status in [EnrollmentStatus.notStarted, .pending, .rejected] {
            #expect(Enrollment.blocksClaims(claimsEnrollmentRequired: true, claimsEnrollment: status))
        }
        #expect(!Enrollment.blocksClaims(claimsEnrollmentRequired: true, claimsEnrollment: .approved))
    }

    static func enrollment(_ status: EnrollmentStatus, submitted: String?, decided: String?) -> Enrollment {
        Enrollment(id: .generate(), payerId: .generate(), kind: .claims, status: status,
                   submittedOn: submitted.flatMap(CalendarDate.init), decidedOn: decided.flatMap(CalendarDate.init),
                   note: nil, version: 1, createdAt: Date(), updatedAt: Date())
    }

    @Test func enrollmentDatesMustFitTheStatus() {
        #expect(Self.enrollment(.approved, submitted: "2026-01-05", decided: "2026-02-20").problems().isEmpty)
        #expect(Self.enrollment(.notStarted, submitted: "2026-01-05", decided: nil).problems().map(\.pointer)
                == ["/submittedOn"])
        #expect(Self.enrollment(.pending, submitted: "2026-01-05", decided: "2026-02-20").problems().map(\.pointer)
                == ["/decidedOn"])
        #expect(Self.enrollment(.rejected, submitted: "2026-03-01", decided: "2026-02-20").problems().map(\.pointer)
                == ["/decidedOn"])
    }

    // MARK: - Bill settings

    @Test func defaultsAreManualBillsDueInThirtyDaysWithEverythingOff() {
        let defaults = BillSettings.defaults
        #expect(defaults.billCreation == .manual)
        #expect(defaults.dueDays == 30)
        #expect(!defaults.noShowFee.enabled && !defaults.monthlySuperbills.enabled && !defaults.autoPay.enabled)
        #expect(!defaults.monthlySuperbills.clientOptIn)
        #expect(!defaults.autoSendBills && !defaults.autoGenerateClaims && !defaults.autoSubmitClaims)
        #expect(defaults.statementFooter == nil)
        #expect(defaults.problems().isEmpty)
    }

    @Test func storedSettingsMissingFieldsDecodeWithDefaults() throws {
        let empty = try JSONDecoder().decode(BillSettings.self, from: Data("{}".utf8))
        #expect(empty == .defaults)
        let partial = try JSONDecoder().decode(BillSettings.self, from: Data(#"{"dueDays":14}"#.utf8))
        #expect(partial.dueDays == 14)
        #expect(partial.billCreation == .manual)
    }

    @Test func settingsSurviveAnEncodeDecodeRoundTrip() throws {
        var settings = BillSettings.defaults
        settings.statementFooter = "Thank you"
        settings.noShowFee = .init(enabled: true, amountCents: 7500, appliesTo: [.noShow])
        let decoded = try JSONDecoder().decode(BillSettings.self, from: JSONEncoder().encode(settings))
        #expect(decoded == settings)
    }

    @Test func dueDateAddsTheDueDays() throws {
        let issued = try #require(CalendarDate("2026-11-20"))
        #expect(BillSettings.defaults.dueDate(issuedOn: issued).description == "2026-12-20")
        var dueOnReceipt = BillSettings.defaults
        dueOnReceipt.dueDays = 0
        #expect(dueOnReceipt.dueDate(issuedOn: issued) == issued)
    }

    @Test func noShowFeeAppliesOnlyWhenEnabledAndToTheNamedOutcomes() {
        var settings = BillSettings.defaults
        settings.noShowFee = .init(enabled: false, amountCents: 5000, appliesTo: [.noShow, .lateCancel])
        #expect(settings.noShowFeeCents(for: .noShow) == 0)
        settings.noShowFee.enabled = true
        settings.noShowFee.appliesTo = [.noShow]
        #expect(settings.noShowFeeCents(for: .noShow) == 5000)
        #expect(settings.noShowFeeCents(for: .lateCancel) == 0)
    }

    @Test func invalidSettingsNameEveryField() {
        var settings = BillSettings.defaults
        settings.dueDays = 400
        settings.noShowFee = .init(enabled: true, amountCents: -1, appliesTo: [])
        settings.monthlySuperbills.dayOfMonth = 31
        settings.autoPay.retryDays = [7, 3, 40]
        settings.statementFooter = String(repeating: "x", count: 501)
        let pointers = Set(settings.problems().map(\.pointer))
        #expect(pointers == ["/dueDays", "/noShowFee/amountCents", "/noShowFee/appliesTo", "/monthlySuperbills/dayOfMonth",
                             "/autoPay/retryDays/1", "/autoPay/retryDays/2", "/statementFooter"])
    }

    @Test func clientOverridesReplaceOnlyTheFieldsTheyName() {
        var practice = BillSettings.defaults
        practice.noShowFee = .init(enabled: true, amountCents: 5000, appliesTo: [.noShow, .lateCancel])
        practice.statementFooter = "Practice footer"
        let overrides = BillSettingsOverrides(dueDays: 10, noShowFee: .init(amountCents: 2500), statementFooter: "")
        let effective = practice.applying(overrides)
        #expect(effective.dueDays == 10)
        #expect(effective.noShowFee == .init(enabled: true, amountCents: 2500, appliesTo: [.noShow, .lateCancel]))
        #expect(effective.statementFooter == nil, "an empty override footer means none")
        #expect(effective.billCreation == practice.billCreation)
        #expect(practice.applying(.none) == practice)
    }

    @Test func optInSuperbillsReachOnlyClientsWhoOptIn() {
        var practice = BillSettings.defaults
        practice.monthlySuperbills = .init(enabled: true, dayOfMonth: 5, clientOptIn: true)
        #expect(!practice.applying(.none).monthlySuperbills.enabled)
        let optedIn = BillSettingsOverrides(monthlySuperbills: .init(enabled: true))
        #expect(practice.applying(optedIn).monthlySuperbills.enabled)
        #expect(practice.applying(optedIn).monthlySuperbills.dayOfMonth == 5)
        practice.monthlySuperbills.clientOptIn = false
        #expect(practice.applying(.none).monthlySuperbills.enabled)
    }

    @Test func emptyOverrideGroupsAreDropped() throws {
        let overrides = BillSettingsOverrides(noShowFee: .init(), autoPay: .init()).normalized
        #expect(overrides == .none)
        #expect(overrides.isEmpty)
        let json = String(decoding: try JSONEncoder().encode(BillSettingsOverrides(dueDays: 5)), as: UTF8.self)
        #expect(json == #"{"dueDays":5}"#)
    }

    // MARK: - Services and locations

    static func service(code: String, type: ServiceCodeType, rate: Int64 = 0, parents: [String] = []) -> BillableService {
        BillableService(id: .generate(), code: code, codeType: type, name: "Name", description: "Description",
                        defaultRateCents: rate, defaultDurationMinutes: 60, billedInUnits: false, mayRepeat: false,
                        addonParentCodes: parents, enabled: true, version: 1, createdAt: Date(), updatedAt: Date())
    }

    @Test func serviceCodeMustFitItsCodeType() {
        #expect(Self.service(code: "90837", type: .cpt).problems().isEmpty)
        #expect(Self.service(code: "H0031", type: .hcpcs).problems().isEmpty)
        #expect(Self.service(code: "REPORT-1", type: .custom).problems().isEmpty)
        #expect(Self.service(code: "H0031", type: .cpt).problems().map(\.pointer) == ["/code"])
        #expect(Self.service(code: "90837", type: .hcpcs).problems().map(\.pointer) == ["/code"])
    }

    @Test func serviceRateIsNeverNegativeAndAnAddOnIsNotItsOwnParent() {
        let problems = Self.service(code: "90785", type: .cpt, rate: -1, parents: ["90785", "90791", "90791"]).problems()
        #expect(problems.map(\.pointer) == ["/defaultRateCents", "/addonParentCodes/0", "/addonParentCodes/2"])
    }

    @Test func telehealthLocationStillNeedsAnAddressAndAKnownPlaceOfService() {
        let address = Address(line1: "12 Main St", city: "Springfield", state: "IL", postalCode: "62701")
        let telehealth = ServiceLocation(id: .generate(), name: "Telehealth", placeOfService: "10", address: address,
                                         active: true, version: 1, createdAt: Date(), updatedAt: Date())
        #expect(telehealth.problems().isEmpty)
        #expect(telehealth.isTelehealth)
        var unknown = telehealth
        unknown.placeOfService = "98"
        unknown.address.line1 = "  "
        #expect(unknown.problems().map(\.pointer) == ["/placeOfService", "/address/line1"])
    }

    // MARK: - Common codes

    @Test func commonCodesCoverTheBehavioralHealthEssentials() {
        let codes = Set(CommonServiceCodes.entries.map(\.code))
        let required: Set<String> = ["90791", "90792", "90832", "90834", "90837", "90839", "90840", "90846", "90847",
                                     "90853", "90785", "96127"]
        #expect(required.isSubset(of: codes))
        #expect(codes.count == CommonServiceCodes.entries.count, "codes are unique")
        #expect(CommonServiceCodes.entries.map(\.code) == CommonServiceCodes.entries.map(\.code).sorted())
    }

    @Test func everyCommonCodeIsAValidServiceWithARateOfZero() {
        for entry in CommonServiceCodes.entries {
            let service = entry.service(now: Date())
            #expect(service.problems().isEmpty, "\(entry.code): \(service.problems())")
            #expect(service.defaultRateCents == 0)
            #expect(service.enabled)
            #expect(entry.description != entry.name && entry.description.count > 20)
        }
    }

    @Test func addOnCodesNameTheirParents() throws {
        let crisisExtension = try #require(CommonServiceCodes.entry("90840"))
        #expect(crisisExtension.addonParentCodes == ["90839"])
        let interactive = try #require(CommonServiceCodes.entry("90785"))
        #expect(Set(["90791", "90792", "90832", "90834", "90837", "90853"]).isSubset(of: Set(interactive.addonParentCodes)))
        #expect(!interactive.addonParentCodes.contains("90839"), "interactive complexity is not reported with crisis therapy")
        let screening = try #require(CommonServiceCodes.entry("96127"))
        #expect(screening.billedInUnits && screening.mayRepeat && screening.addonParentCodes.isEmpty)
    }
}
