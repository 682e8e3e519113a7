import BillingCore
import Foundation
import Testing

@Suite struct ClientsCoreTests {
    static let address = Address(line1: "12 Main St", city: "Springfield", state: "IL", postalCode: "62701")

    static func date(_ text: String) -> CalendarDate { CalendarDate(text)! }

    static func client(born: String, diagnoses: [String] = [], assigned: [MemberID] = []) -> Client {
        Client(id: .generate(), externalId: nil, firstName: "Jordan", middleName: nil, lastName: "Park",
               preferredName: nil, dateOfBirth: date(born), sex: .male, address: address, phone: nil,
               email: "jordan@example.com", consents: Consents(email: true, sms: false), assignedMemberIds: assigned,
               diagnoses: diagnoses, active: true, version: 1, createdAt: Date(), updatedAt: Date())
    }

    static func contact(_ name: String, links: [ContactLink]) -> Contact {
        Contact(id: .generate(), firstName: name, lastName: "Park", email: "\(name.lowercased())@example.com",
                phone: "+12175550199", address: nil, consents: Consents(email: true, sms: true), links: links, version: 1,
                createdAt: Date(), updatedAt: Date())
    }

    static func policy(_ relationship: SubscriberRelationship = .`self`, subscriber: Subscriber? = nil,
                       order: CoverageOrder = .primary, from: String = "2026-01-01", to: String? = nil,
                       clientId: ClientID = ClientID(uuid: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))))
        -> InsurancePolicy
    {
        InsurancePolicy(id: .generate(), clientId: clientId, payerId: .generate(), order: order, memberId: "W123456789",
                        groupNumber: nil, planName: nil, relationshipToSubscriber: relationship, subscriber: subscriber,
                        copayCents: 2500, coinsurancePercent: 0, deductibleCents: 0, effectiveFrom: date(from),
                        effectiveTo: to.map(date), priorAuthorization: nil, version: 1, createdAt: Date(),
                        updatedAt: Date())
    }

    static let mina = Subscriber(firstName: "Mina", lastName: "Park", dateOfBirth: CalendarDate("1984-02-02")!, sex: .female,
                                 address: address)

    // MARK: - Codes

    @Test func relationshipsMapToX12IndividualRelationshipCodes() {
        #expect(SubscriberRelationship.`self`.x12Code == "18")
        #expect(SubscriberRelationship.spouse.x12Code == "01")
        #expect(SubscriberRelationship.child.x12Code == "19")
        #expect(SubscriberRelationship.other.x12Code == "G8")
        #expect(CoverageOrder.allCases.map(\.x12Code) == ["P", "S", "T"])
        #expect(Sex.allCases.map(\.rawValue) == ["M", "F", "U"])
    }

    // MARK: - Minors and billing recipients

    @Test func clientIsAMinorUntilTheirEighteenthBirthday() {
        let client = Self.client(born: "2008-11-30")
        #expect(client.isMinor(on: Self.date("2026-11-29")))
        #expect(!client.isMinor(on: Self.date("2026-11-30")))
        #expect(client.age(on: Self.date("2026-11-30")) == 18)
    }

    @Test func adultReceivesTheirOwnBills() {
        let client = Self.client(born: "1990-05-01")
        let parent = Self.contact("Mina", links: [ContactLink(clientId: client.id, roles: [.billingContact])])
        let recipient = BillingRecipient.resolve(client: client, contacts: [parent], today: Self.date("2026-11-29")).recipient
        #expect(recipient?.kind == .client)
        #expect(recipient?.contactId == nil)
        #expect(recipient?.email == "jordan@example.com")
    }

    @Test func minorsBillsGoToTheFirstLinkedBillingContact() {
        let client = Self.client(born: "2012-04-12")
        let guardianOnly = Self.contact("Ana", links: [ContactLink(clientId: client.id, roles: [.guardian])])
        let payer = Self.contact("Mina", links: [ContactLink(clientId: client.id, roles: [.guardian, .billingContact])])
        let second = Self.contact("Lee", links: [ContactLink(clientId: client.id, roles: [.billingContact])])
        let resolution = BillingRecipient.resolve(client: client, contacts: [guardianOnly, payer, second],
                                                  today: Self.date("2026-11-29"))
        #expect(resolution.recipient?.kind == .contact)
        #expect(resolution.recipient?.contactId == payer.id)
        #expect(resolution.recipient?.consents == Consents(email: true, sms: true))
        #expect(resolution.problem == nil)
    }

    @Test func minorWithoutBillingContactHasNoRecipientAndSaysWhy() {
        let client = Self.client(born: "2012-04-12")
        let guardian = Self.contact("Ana", links: [ContactLink(clientId: client.id, roles: [.guardian, .emergency])])
        let resolution = BillingRecipient.resolve(client: client, contacts: [guardian], today: Self.date("2026-11-29"))
        #expect(resolution.recipient == nil)
        #expect(resolution.problem == BillingRecipient.minorWithoutBillingContact)
    }

    @Test func contactLinkRolesAreDeduplicatedInCanonicalOrder() {
        let link = ContactLink(clientId: .generate(), roles: [.emergency, .guardian, .emergency])
        #expect(link.roles == [.guardian, .emergency])
    }

    // MARK: - Client rules and diagnoses

    @Test func birthDateInTheFutureIsRefused() {
        let problems = ClientRules.problems(Self.client(born: "2026-11-30"), today: Self.date("2026-11-29"))
        #expect(problems.map(\.pointer) == ["/dateOfBirth"])
    }

    @Test func categoryCodeIsRefusedWithTheReason() {
        let problems = DiagnosisList.problems(["F41", "F41.1"], pointer: "/diagnoses")
        #expect(problems.map(\.pointer) == ["/diagnoses/0"])
        #expect(problems.first?.reason.contains("category") == true)
    }

    @Test func diagnosesAreNormalizedAndDuplicatesAfterNormalizingAreRefused() {
        #expect(DiagnosisList.normalized(["f411", "F32.1"]) == ["F41.1", "F32.1"])
        let problems = DiagnosisList.problems(["F41.1", "f411"], pointer: "/diagnoses")
        #expect(problems.map(\.pointer) == ["/diagnoses/1"])
        #expect(problems.first?.code == "duplicate")
    }

    @Test func thirteenDiagnosesAreTooManyAndAnEmptyRequiredListIsRefused() {
        let thirteen = Array(repeating: "F41.1", count: 13)
        #expect(DiagnosisList.problems(thirteen, pointer: "/diagnoses").map(\.code) == ["maxItems"])
        #expect(DiagnosisList.problems([], pointer: "/diagnoses", required: true).map(\.code) == ["required"])
        #expect(DiagnosisList.problems([], pointer: "/diagnoses").isEmpty)
    }

    @Test func clinicianSeesOnlyAssignedClients() {
        let clinician = MemberID.generate()
        let caller = Caller.member(practiceID: .generate(), memberID: clinician, role: .clinician, credentialID: .apiKey(.generate()))
        let visibility = ClientVisibility(caller)
        #expect(visibility.restrictedTo == clinician)
        #expect(visibility.allows(Self.client(born: "1990-01-01", assigned: [clinician])))
        #expect(!visibility.allows(Self.client(born: "1990-01-01", assigned: [.generate()])))
        let biller = Caller.member(practiceID: .generate(), memberID: .generate(), role: .biller, credentialID: .apiKey(.generate()))
        #expect(ClientVisibility(biller) == .all)
    }

    // MARK: - Policies

    @Test func subscriberIsRequiredUnlessSelfAndRefusedForSelf() {
        let today = Self.date("2026-11-29")
        #expect(PolicyRules.problems(Self.policy(.child), today: today).map(\.pointer) == ["/subscriber"])
        #expect(PolicyRules.problems(Self.policy(.`self`, subscriber: Self.mina), today: today).map(\.pointer)
            == ["/subscriber"])
        #expect(PolicyRules.problems(Self.policy(.child, subscriber: Self.mina), today: today).isEmpty)
        #expect(PolicyRules.problems(Self.policy(.`self`), today: today).isEmpty)
    }

    @Test func endBeforeStartAndOddMemberIdsAreRefused() {
        var policy = Self.policy(from: "2026-05-01", to: "2026-04-30")
        policy.memberId = "W12 34*5"
        let problems = PolicyRules.problems(policy, today: Self.date("2026-11-29"))
        #expect(problems.map(\.pointer) == ["/memberId", "/effectiveTo"])
    }

    @Test func memberIdSpacesAreRemoved() {
        #expect(PolicyRules.normalizedMemberId(" W123 456\t789 ") == "W123456789")
    }

    @Test func policiesOfTheSameOrderOverlapUnlessTheirRangesAreDisjoint() {
        let open = Self.policy(from: "2026-01-01")
        let ended = Self.policy(from: "2025-01-01", to: "2025-12-31")
        let later = Self.policy(from: "2026-07-01")
        let secondary = Self.policy(order: .secondary, from: "2026-01-01")
        #expect(PolicyRules.conflicts(of: open, among: [ended, secondary]).isEmpty)
        #expect(PolicyRules.conflicts(of: open, among: [later]).map(\.id) == [later.id])
        #expect(PolicyRules.rangesOverlap(Self.date("2026-01-01"), Self.date("2026-06-30"), Self.date("2026-06-30"), nil))
        #expect(!PolicyRules.rangesOverlap(Self.date("2026-01-01"), Self.date("2026-06-29"), Self.date("2026-06-30"), nil))
    }

    @Test func policyIsActiveFromItsFirstThroughItsLastDay() {
        let policy = Self.policy(from: "2026-01-01", to: "2026-06-30")
        #expect(!policy.isActive(on: Self.date("2025-12-31")))
        #expect(policy.isActive(on: Self.date("2026-01-01")))
        #expect(policy.isActive(on: Self.date("2026-06-30")))
        #expect(!policy.isActive(on: Self.date("2026-07-01")))
    }

    // MARK: - Sessions

    static func service(_ code: String, rate: Int64 = 15000, enabled: Bool = true, mayRepeat: Bool = false,
                        parents: [String] = []) -> SessionServiceFacts {
        SessionServiceFacts(id: .generate(), code: code, codeType: "cpt", name: code, defaultRateCents: rate,
                            enabled: enabled, mayRepeat: mayRepeat, addonParentCodes: parents)
    }

    @Test func lineRateDefaultsFromTheServiceAndTheCodeIsSnapshotted() {
        let psychotherapy = Self.service("90837")
        let built = SessionRules.lines(
            [RequestedSessionLine(serviceId: psychotherapy.id, units: 1, modifiers: ["95"]),
             RequestedSessionLine(serviceId: Self.service("96127").id, units: 2, rateCents: 500)],
            services: [psychotherapy.id: psychotherapy])
        #expect(built.lines.first?.rateCents == 15000)
        #expect(built.lines.first?.code == "90837")
        #expect(built.lines.first?.modifiers == ["95"])
        #expect(built.problems.map(\.pointer) == ["/lines/1/serviceId"])
    }

    @Test func disabledRepeatedAndOrphanAddOnServicesAreRefused() {
        let psychotherapy = Self.service("90837")
        let disabled = Self.service("90791", enabled: false)
        let addOn = Self.service("90785", parents: ["90832", "90834"])
        let services = [psychotherapy.id: psychotherapy, disabled.id: disabled, addOn.id: addOn]
        let built = SessionRules.lines(
            [RequestedSessionLine(serviceId: psychotherapy.id, units: 1),
             RequestedSessionLine(serviceId: psychotherapy.id, units: 1),
             RequestedSessionLine(serviceId: disabled.id, units: 1),
             RequestedSessionLine(serviceId: addOn.id, units: 1, modifiers: ["95", "95"])],
            services: services)
        #expect(built.problems.map(\.code) == ["repeated", "disabled", "addonWithoutParent", "duplicate"])
        #expect(built.problems.map(\.pointer) == ["/lines/1/serviceId", "/lines/2/serviceId", "/lines/3/serviceId",
                                                  "/lines/3/modifiers"])
    }

    @Test func repeatableServiceMayAppearTwice() {
        let screening = Self.service("96127", rate: 500, mayRepeat: true)
        let built = SessionRules.lines([RequestedSessionLine(serviceId: screening.id, units: 1),
                                        RequestedSessionLine(serviceId: screening.id, units: 2)],
                                       services: [screening.id: screening])
        #expect(built.problems.isEmpty)
        #expect(built.lines.map(\.amountCents) == [500, 1000])
        #expect(built.lines.map(\.lineNumber) == [1, 2])
    }

    static func session(billing: BillingMode, policyId: PolicyID? = nil, clientId: ClientID,
                        date: String = "2026-11-20", attendance: Attendance = .completed,
                        lines: [SessionLine]? = nil) -> Session {
        let rendering = MemberID.generate()
        return Session(id: .generate(), clientId: clientId, renderingMemberId: rendering, supervisingMemberId: nil,
                       locationId: nil, externalId: nil, dateOfService: Self.date(date), startTime: TimeOfDay("14:00"),
                       durationMinutes: 53, placeOfService: "11", billing: billing, policyId: policyId,
                       attendance: attendance,
                       lines: lines ?? [SessionLine(lineNumber: 1, serviceId: .generate(), code: "90837", units: 1,
                                                    rateCents: 15000, modifiers: [])],
                       version: 1, createdAt: Date(), updatedAt: Date())
    }

    @Test func insuranceNeedsAPolicyOfTheSameClientActiveOnTheDateOfService() {
        let today = Self.date("2026-11-29")
        let clientID = ClientID.generate()
        let policy = Self.policy(from: "2026-01-01", to: "2026-06-30", clientId: clientID)
        #expect(SessionRules.problems(Self.session(billing: .insurance, clientId: clientID), policy: nil, today: today)
            .map(\.code) == ["required"])
        #expect(SessionRules.problems(Self.session(billing: .insurance, policyId: policy.id, clientId: clientID),
                                      policy: policy, today: today).map(\.code) == ["inactive"])
        #expect(SessionRules.problems(Self.session(billing: .insurance, policyId: policy.id, clientId: .generate(),
                                                   date: "2026-03-01"),
                                      policy: policy, today: today).map(\.code) == ["otherClient"])
        #expect(SessionRules.problems(Self.session(billing: .insurance, policyId: policy.id, clientId: clientID,
                                                   date: "2026-03-01"),
                                      policy: policy, today: today).isEmpty)
        #expect(SessionRules.problems(Self.session(billing: .selfPay, policyId: policy.id, clientId: clientID),
                                      policy: policy, today: today).map(\.code) == ["policyNotAllowed"])
    }

    @Test func completedSessionNeedsLinesAndCannotBeInTheFuture() {
        let today = Self.date("2026-11-29")
        let problems = SessionRules.problems(Self.session(billing: .selfPay, clientId: .generate(), date: "2026-12-01",
                                                          lines: []),
                                             policy: nil, today: today)
        #expect(problems.map(\.pointer) == ["/lines", "/dateOfService"])
        #expect(SessionRules.problems(Self.session(billing: .selfPay, clientId: .generate(), date: "2026-12-01",
                                                   attendance: .noShow, lines: []),
                                      policy: nil, today: today).isEmpty)
    }

    @Test func onlyTheRenderingOrSupervisingMemberMaySign() {
        var session = Self.session(billing: .selfPay, clientId: .generate())
        let supervisor = MemberID.generate()
        session.supervisingMemberId = supervisor
        #expect(SessionRules.maySign(session, memberID: session.renderingMemberId))
        #expect(SessionRules.maySign(session, memberID: supervisor))
        #expect(!SessionRules.maySign(session, memberID: .generate()))
    }

    @Test func signedNoteSendsDiagnosesWithoutTheDecimalPoint() {
        let note = SignedNote(id: .generate(), sessionId: .generate(), version: 1, diagnoses: ["F41.1", "F32.1"],
                              signedBy: .generate(), signedAt: Date())
        #expect(note.claimDiagnoses == ["F411", "F321"])
    }

    @Test func timeOfDayParsesHoursAndMinutes() {
        #expect(TimeOfDay("14:00")?.description == "14:00")
        #expect(TimeOfDay("09:05:00")?.description == "09:05")
        #expect(TimeOfDay("24:00") == nil)
        #expect(TimeOfDay("9:05") == nil)
    }
}
