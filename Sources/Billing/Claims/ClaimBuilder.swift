import BillingCore
import Foundation
import Storage

/// Gathers everything a claim sends (practice, providers, subscriber, patient, payer, lines,
/// diagnosis pointers) into a frozen `ClaimSnapshot`, collecting every eligibility problem on the
/// way (ARCHITECTURE.md §5) instead of stopping at the first.
struct ClaimBuilder {
    struct Result {
        var snapshot: ClaimSnapshot?
        var policy: InsurancePolicy?
        var problems: [FieldProblem]
    }

    func build(bill: Bill, sessions details: [SessionDetails], policyID: PolicyID?, patientControlNumber: String,
               in transaction: Transaction) async throws -> Result {
        var problems: [FieldProblem] = []
        func add(_ pointer: String, _ reason: String, _ code: String = "invalid") {
            problems.append(FieldProblem(pointer: pointer, reason: reason, code: code))
        }
        let sessions = details.map(\.session).sorted { ($0.dateOfService, $0.id) < ($1.dateOfService, $1.id) }
        guard let first = sessions.first,
              let practice = try await PracticeRepository().current(in: transaction),
              let client = try await ClientRepository().find(bill.clientID, in: transaction)
        else { throw DomainError.notFound("bill", pointer: "/billId") }

        // Policy: the one asked for, else the one the sessions name, else the primary on the first date.
        var policy: InsurancePolicy?
        if let policyID {
            policy = try await PolicyService().find(policyID, in: transaction)
            if policy == nil || policy?.clientId != bill.clientID {
                throw DomainError.notFound("policy", pointer: "/policyId")
            }
        } else if let named = first.policyId {
            policy = try await PolicyService().find(named, in: transaction)
        } else {
            policy = try await PolicyService().activePolicy(for: bill.clientID, order: .primary, on: first.dateOfService,
                                                            in: transaction)
        }
        let pointerOfPolicy = policyID == nil ? "/policy" : "/policyId"
        var payer: Payer?
        if let policy {
            for session in sessions where session.dateOfService < policy.effectiveFrom
                || (policy.effectiveTo.map { session.dateOfService > $0 } ?? false) {
                add(pointerOfPolicy, "does not cover the session of \(session.dateOfService)", "notCovered")
            }
            if policy.memberId.trimmingCharacters(in: .whitespaces).isEmpty {
                add("\(pointerOfPolicy)/memberId", "is required")
            }
            payer = try await PayerRepository().find(policy.payerId, in: transaction)
            if let payer {
                if !payer.active { add("\(pointerOfPolicy)/payerId", "the payer is no longer active") }
                if let reason = try await EnrollmentService().claimsBlockReason(payerID: payer.id, in: transaction) {
                    add("\(pointerOfPolicy)/payerId", reason, "enrollment")
                }
            } else {
                add("\(pointerOfPolicy)/payerId", "is not in the payer catalog")
            }
        } else {
            add(pointerOfPolicy, "the client has no active primary policy on \(first.dateOfService)", "noPolicy")
        }

        // Providers: one rendering clinician, one place of service per claim.
        let renderingIDs = Set(sessions.map(\.renderingMemberId))
        if renderingIDs.count > 1 {
            add("/sessions", "have different rendering clinicians; bill them on separate bills", "mixedProviders")
        }
        let members = MemberRepository()
        let rendering = try await members.find(first.renderingMemberId, in: transaction)
        if rendering?.npi?.isEmpty ?? true { add("/sessions/0/renderingProvider/npi", "is required", "required") }
        if rendering?.taxonomyCode?.isEmpty ?? true {
            add("/sessions/0/renderingProvider/taxonomyCode", "is required", "required")
        }
        var supervising: Member?
        if let supervisorID = first.supervisingMemberId {
            supervising = try await members.find(supervisorID, in: transaction)
            if supervising?.npi?.isEmpty ?? true { add("/sessions/0/supervisingProvider/npi", "is required", "required") }
        }
        if Set(sessions.map(\.placeOfService)).count > 1 {
            add("/sessions", "have different places of service; bill them on separate bills", "mixedPlaces")
        }

        // Diagnoses from the notes as signed; lines with pointers into them.
        var diagnosisCodes: [String] = []
        var lines: [ClaimSnapshot.Line] = []
        let services = ServiceRepository()
        var codesOnClaim: [String] = []
        for (index, detail) in details.enumerated() {
            let session = detail.session
            guard let note = detail.note else {
                add("/sessions/\(index)/note", "note is not signed", "unsigned")
                continue
            }
            if note.diagnoses.isEmpty {
                add("/sessions/\(index)/note/diagnoses", "must hold at least one ICD-10-CM code", "required")
            }
            var pointers: [Int] = []
            for code in note.claimDiagnoses {
                if let position = diagnosisCodes.firstIndex(of: code) {
                    pointers.append(position + 1)
                } else if diagnosisCodes.count < ClaimSnapshot.maximumDiagnosisCodes {
                    diagnosisCodes.append(code)
                    pointers.append(diagnosisCodes.count)
                }
            }
            pointers = Array(pointers.prefix(4))
            for (lineIndex, line) in session.lines.enumerated() {
                let pointer = "/sessions/\(index)/lines/\(lineIndex)"
                if line.rateCents <= 0 { add("\(pointer)/rateCents", "must be greater than 0", "minimum") }
                if let service = try await services.find(line.serviceId, in: transaction) {
                    if service.codeType == .custom {
                        add("\(pointer)/code", "\(line.code) is a custom code, not a CPT or HCPCS code a payer accepts",
                            "notBillable")
                    }
                }
                codesOnClaim.append(line.code)
                lines.append(ClaimSnapshot.Line(
                    procedureCode: line.code, modifiers: line.modifiers, chargeCents: line.amountCents, units: line.units,
                    placeOfService: nil, diagnosisPointers: pointers.isEmpty ? [1] : pointers,
                    dateOfService: session.dateOfService, lineControlNumber: nil))
            }
        }
        // Add-on codes only with a parent on the same claim.
        var lineOffset = 0
        for (index, detail) in details.enumerated() {
            for (lineIndex, line) in detail.session.lines.enumerated() {
                if let service = try await services.find(line.serviceId, in: transaction), !service.addonParentCodes.isEmpty,
                   !service.addonParentCodes.contains(where: codesOnClaim.contains) {
                    add("/sessions/\(index)/lines/\(lineIndex)/code",
                        "\(line.code) is an add-on code and needs one of \(service.addonParentCodes.joined(separator: ", ")) on the claim",
                        "addonWithoutParent")
                }
            }
            lineOffset += detail.session.lines.count
        }
        if lines.count > ClaimSnapshot.maximumLines {
            add("/sessions", "hold \(lines.count) service lines; a claim takes at most \(ClaimSnapshot.maximumLines)", "tooMany")
        }

        guard let policy, let payer, let rendering else {
            return Result(snapshot: nil, policy: policy, problems: problems)
        }
        let practiceAddress = Self.address(practice.address)
        let billingName: ClaimSnapshot.PartyName = practice.billingProviderType == .organization
            ? .organization(practice.legalName)
            : .person(.init(last: rendering.lastName, first: rendering.firstName))
        let clientAddress = client.address.map(Self.address)
        let subscriber: ClaimSnapshot.Subscriber
        var patient: ClaimSnapshot.Patient?
        let filing = Self.claimFilingIndicator(payer.payerType)
        if policy.relationshipToSubscriber == .`self` {
            if clientAddress == nil { add("/client/address", "is required when the client is the subscriber", "required") }
            subscriber = ClaimSnapshot.Subscriber(
                name: .init(last: client.lastName, first: client.firstName, middle: client.middleName),
                memberID: policy.memberId, groupNumber: policy.groupNumber, planName: policy.planName,
                dateOfBirth: client.dateOfBirth, sex: client.sex, address: clientAddress ?? practiceAddress,
                payerResponsibility: Self.responsibility(policy.order), claimFilingIndicator: filing)
        } else {
            guard let holder = policy.subscriber else {
                add("\(pointerOfPolicy)/subscriber", "is required when the client is not the subscriber", "required")
                return Result(snapshot: nil, policy: policy, problems: problems)
            }
            subscriber = ClaimSnapshot.Subscriber(
                name: .init(last: holder.lastName, first: holder.firstName), memberID: policy.memberId,
                groupNumber: policy.groupNumber, planName: policy.planName, dateOfBirth: holder.dateOfBirth,
                sex: holder.sex, address: Self.address(holder.address),
                payerResponsibility: Self.responsibility(policy.order), claimFilingIndicator: filing)
            if clientAddress == nil { add("/client/address", "is required when the client is not the subscriber", "required") }
            patient = ClaimSnapshot.Patient(
                name: .init(last: client.lastName, first: client.firstName, middle: client.middleName),
                relationship: Self.relationship(policy.relationshipToSubscriber), dateOfBirth: client.dateOfBirth,
                sex: client.sex, address: clientAddress ?? Self.address(holder.address))
        }
        var facility: ClaimSnapshot.ServiceFacility?
        if let locationID = first.locationId, let location = try await LocationRepository().find(locationID, in: transaction),
           !location.isTelehealth {
            let address = Self.address(location.address)
            if address != practiceAddress { facility = ClaimSnapshot.ServiceFacility(name: location.name, address: address) }
        }
        let renderingClinician = ClaimSnapshot.Clinician(
            name: .init(last: rendering.lastName, first: rendering.firstName), npi: rendering.npi ?? "",
            taxonomyCode: rendering.taxonomyCode)
        let billingIsRendering = practice.billingProviderType == .individual && practice.npi == rendering.npi
        let priorAuthorization = policy.priorAuthorization.flatMap { authorization in
            sessions.allSatisfy { $0.dateOfService >= authorization.from && $0.dateOfService <= authorization.to }
                ? authorization.number : nil
        }
        let snapshot = ClaimSnapshot(
            billingProvider: .init(
                name: billingName, npi: practice.npi, taxonomyCode: practice.taxonomyCode, taxID: practice.taxId,
                taxIDKind: practice.taxIdType, address: practiceAddress, phone: practice.phone),
            renderingProvider: billingIsRendering ? nil : renderingClinician,
            supervisingProvider: supervising.map {
                ClaimSnapshot.Clinician(name: .init(last: $0.lastName, first: $0.firstName), npi: $0.npi ?? "",
                                        taxonomyCode: $0.taxonomyCode)
            },
            serviceFacility: facility, subscriber: subscriber, patient: patient,
            payer: .init(name: payer.name, payerID: payer.clearinghousePayerId, address: payer.address.map(Self.address)),
            patientControlNumber: patientControlNumber, placeOfService: first.placeOfService,
            priorAuthorizationNumber: priorAuthorization, diagnosisCodes: diagnosisCodes, lines: lines)
        for problem in snapshot.problems() where !problems.contains(where: { $0.reason == problem.reason }) {
            problems.append(FieldProblem(pointer: Self.apiPointer(problem.pointer), reason: problem.reason, code: problem.code))
        }
        return Result(snapshot: problems.isEmpty ? snapshot : nil, policy: policy, problems: problems)
    }

    /// Where a snapshot problem lives in the API's terms (`/billingProvider/npi` → `/practice/npi`).
    static func apiPointer(_ pointer: String) -> String {
        if pointer.hasPrefix("/billingProvider/taxID") { return "/practice/taxId" }
        if pointer.hasPrefix("/billingProvider/address") { return "/practice/address" + pointer.dropFirst("/billingProvider/address".count) }
        if pointer.hasPrefix("/billingProvider") { return "/practice" + pointer.dropFirst("/billingProvider".count) }
        if pointer.hasPrefix("/renderingProvider") { return "/sessions/0/renderingProvider" + pointer.dropFirst("/renderingProvider".count) }
        if pointer.hasPrefix("/subscriber/memberID") { return "/policy/memberId" }
        if pointer.hasPrefix("/diagnosisCodes") { return "/sessions/0/note/diagnoses" }
        return "/claim" + pointer
    }

    static func address(_ address: Address) -> ClaimSnapshot.PostalAddress {
        ClaimSnapshot.PostalAddress(line1: address.line1, line2: address.line2, city: address.city, state: address.state,
                                    postalCode: address.postalCode)
    }

    static func responsibility(_ order: CoverageOrder) -> ClaimSnapshot.PayerResponsibility {
        switch order {
        case .primary: .primary
        case .secondary: .secondary
        case .tertiary: .tertiary
        }
    }

    static func relationship(_ relationship: SubscriberRelationship) -> ClaimSnapshot.Relationship {
        switch relationship {
        case .spouse: .spouse
        case .child: .child
        case .`self`, .other: .other
        }
    }

    /// SBR09 from the payer's type.
    static func claimFilingIndicator(_ type: PayerType) -> String {
        switch type {
        case .medicare: "MB"
        case .medicaid: "MC"
        case .tricare: "CH"
        case .bcbs: "BL"
        case .commercial, .other: "CI"
        }
    }
}
