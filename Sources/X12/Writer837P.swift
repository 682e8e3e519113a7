import BillingCore

/// Writes professional claims as one X12 837P interchange (implementation guide 005010X222A1).
///
/// The writer is pure: the same claims and envelope give the same bytes. It produces
/// ISA/GS/ST…SE/GE/IEA with one transaction set; inside it, one billing-provider HL (2000A) per
/// distinct billing provider and pay-to address, and under it one subscriber HL (2000B) per
/// subscriber, payer and patient, with a patient HL (2000C) when the patient is not the
/// subscriber. Every data element is uppercased, restricted to the X12 character set and cut to
/// the guide's maximum length.
public struct Writer837P: Sendable {
    /// GS08 and ST03: the HIPAA-adopted version of the 837P guide.
    public static let implementationGuideVersion = "005010X222A1"
    /// The most claims one file may carry (the guide recommends at most 5,000 CLM per ST).
    public static let maximumClaimsPerFile = 5_000

    /// The delimiters written in ISA and used throughout.
    public var delimiters: X12Delimiters

    /// Creates a writer using `delimiters` (`*`, `:`, `^`, `~` by default).
    public init(delimiters: X12Delimiters = .standard) {
        self.delimiters = delimiters
    }

    /// Writes `claims` in one interchange.
    ///
    /// - Parameters:
    ///   - claims: 1…5,000 claim snapshots; their patient control numbers must differ.
    ///   - envelope: control numbers, sender, receiver and creation time.
    /// - Returns: the whole file as ASCII text.
    /// - Throws: `DomainError` (`.validation`, code `claim.x12Invalid`) listing every problem,
    ///   with JSON Pointers such as `/claims/2/lines/0/diagnosisPointers` or `/envelope/senderID`.
    public func write(_ claims: [ClaimSnapshot], envelope: InterchangeEnvelope) throws -> String {
        try validate(claims, envelope: envelope)
        var builder = SegmentBuilder(delimiters: delimiters, capacity: 600 + claims.count * 700)
        writeHeader(envelope, into: &builder)
        var hierarchyNumber = 0
        for providerGroup in Self.group(claims) {
            hierarchyNumber += 1
            let providerNumber = hierarchyNumber
            writeBillingProvider(claims[providerGroup.first], hierarchyNumber: providerNumber, into: &builder)
            for subscriberGroup in providerGroup.subscribers {
                let claim = claims[subscriberGroup[0]]
                hierarchyNumber += 1
                let subscriberNumber = hierarchyNumber
                writeSubscriber(claim, hierarchyNumber: subscriberNumber, parent: providerNumber, into: &builder)
                if let patient = claim.patient {
                    hierarchyNumber += 1
                    writePatient(patient, hierarchyNumber: hierarchyNumber, parent: subscriberNumber, into: &builder)
                }
                for index in subscriberGroup {
                    writeClaim(claims[index], into: &builder)
                }
            }
        }
        writeTrailer(envelope, into: &builder)
        return builder.text
    }

    // MARK: - Validation

    private func validate(_ claims: [ClaimSnapshot], envelope: InterchangeEnvelope) throws {
        var problems: [FieldProblem] = []
        if let reason = delimiters.problem {
            problems.append(FieldProblem(pointer: "/delimiters", reason: reason))
        }
        problems += envelope.problems().map { FieldProblem(pointer: "/envelope" + $0.pointer, reason: $0.reason, code: $0.code) }
        if claims.isEmpty || claims.count > Self.maximumClaimsPerFile {
            problems.append(FieldProblem(pointer: "/claims", reason: "must hold 1–\(Self.maximumClaimsPerFile) claims"))
        }
        var seenControlNumbers: Set<String> = []
        for (index, claim) in claims.enumerated() {
            problems += claim.problems().map {
                FieldProblem(pointer: "/claims/\(index)" + $0.pointer, reason: $0.reason, code: $0.code)
            }
            if !seenControlNumbers.insert(claim.patientControlNumber.uppercased()).inserted {
                problems.append(FieldProblem(pointer: "/claims/\(index)/patientControlNumber",
                                             reason: "appears twice in one file"))
            }
        }
        guard problems.isEmpty else {
            throw DomainError(.validation, code: "claim.x12Invalid",
                              message: "The claims cannot be written as an 837P file.", problems: problems)
        }
    }

    // MARK: - Grouping

    private struct ProviderKey: Hashable {
        var provider: ClaimSnapshot.BillingProvider
        var payTo: ClaimSnapshot.PostalAddress?
    }

    private struct SubscriberKey: Hashable {
        var subscriber: ClaimSnapshot.Subscriber
        var payer: ClaimSnapshot.Payer
        var patient: ClaimSnapshot.Patient?
    }

    /// Claims (by index) under one billing provider, by subscriber group in first-seen order.
    private struct ProviderGroup {
        var first: Int
        var subscribers: [[Int]]
        var subscriberIndex: [SubscriberKey: Int]
    }

    /// Groups claims by billing provider, then by subscriber, payer and patient, keeping first-seen order.
    private static func group(_ claims: [ClaimSnapshot]) -> [ProviderGroup] {
        var groups: [ProviderGroup] = []
        var providerIndex: [ProviderKey: Int] = [:]
        for (claimIndex, claim) in claims.enumerated() {
            let providerKey = ProviderKey(provider: claim.billingProvider, payTo: claim.payToAddress)
            let index: Int
            if let existing = providerIndex[providerKey] {
                index = existing
            } else {
                index = groups.count
                providerIndex[providerKey] = index
                groups.append(ProviderGroup(first: claimIndex, subscribers: [], subscriberIndex: [:]))
            }
            let subscriberKey = SubscriberKey(subscriber: claim.subscriber, payer: claim.payer, patient: claim.patient)
            if let existing = groups[index].subscriberIndex[subscriberKey] {
                groups[index].subscribers[existing].append(claimIndex)
            } else {
                groups[index].subscriberIndex[subscriberKey] = groups[index].subscribers.count
                groups[index].subscribers.append([claimIndex])
            }
        }
        return groups
    }

    // MARK: - Envelope

    private func writeHeader(_ envelope: InterchangeEnvelope, into builder: inout SegmentBuilder) {
        let date = X12Text.date(envelope.creationDate)
        let time = X12Text.zeroPadded(envelope.creationHour, width: 2) + X12Text.zeroPadded(envelope.creationMinute, width: 2)
        let blank = X12Text.spacePadded("", width: 10)
        builder.segment("ISA", [
            "00", blank, "00", blank,
            text(envelope.senderQualifier, 2), X12Text.spacePadded(text(envelope.senderID, 15), width: 15),
            text(envelope.receiverQualifier, 2), X12Text.spacePadded(text(envelope.receiverID, 15), width: 15),
            String(date.dropFirst(2)), time, String(delimiters.repetition), "00501",
            X12Text.zeroPadded(envelope.interchangeControlNumber, width: 9),
            envelope.acknowledgmentRequested ? "1" : "0", envelope.usage.rawValue, String(delimiters.component),
        ])
        builder.segment("GS", [
            "HC", text(envelope.senderID, 15), text(envelope.receiverID, 15), date, time,
            String(envelope.groupControlNumber), "X", Self.implementationGuideVersion,
        ])
        builder.startTransaction()
        builder.segment("ST", ["837", transactionControlNumber(envelope), Self.implementationGuideVersion])
        let reference = envelope.batchReference.map { text($0, 50) } ?? transactionControlNumber(envelope)
        builder.segment("BHT", ["0019", "00", reference, date, time, "CH"])
        // 1000A submitter and 1000B receiver.
        let submitter = envelope.submitter
        builder.segment("NM1", ["41", "2", text(submitter.name, 60), "", "", "", "", "46", text(submitter.identifier, 80)])
        var contact = ["IC", text(submitter.contactName, 60)]
        if let phone = submitter.phone { contact += ["TE", X12Text.digits(phone, maxLength: 256)] }
        if let email = submitter.email { contact += ["EM", text(email, 256)] }
        builder.segment("PER", contact)
        builder.segment("NM1", ["40", "2", text(envelope.receiverName, 60), "", "", "", "", "46",
                                text(envelope.receiverIdentifier, 80)])
    }

    private func writeTrailer(_ envelope: InterchangeEnvelope, into builder: inout SegmentBuilder) {
        builder.segment("SE", [String(builder.transactionSegmentCount + 1), transactionControlNumber(envelope)])
        builder.segment("GE", ["1", String(envelope.groupControlNumber)])
        builder.segment("IEA", ["1", X12Text.zeroPadded(envelope.interchangeControlNumber, width: 9)])
    }

    private func transactionControlNumber(_ envelope: InterchangeEnvelope) -> String {
        X12Text.zeroPadded(envelope.transactionSetControlNumber, width: 4)
    }

    // MARK: - 2000A / 2010AA / 2010AB

    private func writeBillingProvider(_ claim: ClaimSnapshot, hierarchyNumber: Int, into builder: inout SegmentBuilder) {
        let provider = claim.billingProvider
        builder.segment("HL", [String(hierarchyNumber), "", "20", "1"])
        writeTaxonomy("BI", provider.taxonomyCode, into: &builder)
        writeName("85", provider.name, npi: provider.npi, into: &builder)
        writeAddress(provider.address, into: &builder)
        builder.segment("REF", [provider.taxIDKind == .ssn ? "SY" : "EI", X12Text.digits(provider.taxID)])
        if let phone = provider.phone {
            builder.begin("PER")
            builder.raw("IC")
            builder.data(provider.contactName, 60)
            builder.raw("TE")
            builder.raw(X12Text.digits(phone, maxLength: 256))
            builder.end()
        }
        if let payTo = claim.payToAddress {
            builder.segment("NM1", ["87", provider.name.isPerson ? "1" : "2"])
            writeAddress(payTo, into: &builder)
        }
    }

    // MARK: - 2000B / 2010BA / 2010BB / 2000C / 2010CA

    private func writeSubscriber(_ claim: ClaimSnapshot, hierarchyNumber: Int, parent: Int,
                                 into builder: inout SegmentBuilder) {
        let subscriber = claim.subscriber
        let subscriberIsPatient = claim.patient == nil
        builder.segment("HL", [String(hierarchyNumber), String(parent), "22", subscriberIsPatient ? "0" : "1"])
        let groupNumber = subscriber.groupNumber.map { text($0, 50) } ?? ""
        builder.begin("SBR")
        builder.raw(subscriber.payerResponsibility.rawValue)
        builder.raw(subscriberIsPatient ? "18" : "")
        builder.raw(groupNumber)
        builder.data(groupNumber.isEmpty ? subscriber.planName : nil, 60)
        builder.empty(4)
        builder.data(subscriber.claimFilingIndicator, 2)
        builder.end()
        writeName("IL", .person(subscriber.name), idQualifier: "MI", id: subscriber.memberID, into: &builder)
        writeAddress(subscriber.address, into: &builder)
        if subscriberIsPatient {
            builder.segment("DMG", ["D8", X12Text.date(subscriber.dateOfBirth), subscriber.sex.rawValue])
        }
        let payer = claim.payer
        writeName("PR", .organization(payer.name), idQualifier: "PI", id: payer.payerID, into: &builder)
        if let address = payer.address { writeAddress(address, into: &builder) }
    }

    private func writePatient(_ patient: ClaimSnapshot.Patient, hierarchyNumber: Int, parent: Int,
                              into builder: inout SegmentBuilder) {
        builder.segment("HL", [String(hierarchyNumber), String(parent), "23", "0"])
        builder.segment("PAT", [patient.relationship.rawValue])
        writeName("QC", .person(patient.name), idQualifier: "", id: nil, into: &builder)
        writeAddress(patient.address, into: &builder)
        builder.segment("DMG", ["D8", X12Text.date(patient.dateOfBirth), patient.sex.rawValue])
    }

    // MARK: - 2300 / 2310B / 2310C / 2310D / 2400

    private func writeClaim(_ claim: ClaimSnapshot, into builder: inout SegmentBuilder) {
        let placeOfService = text(claim.placeOfService, 2)
        builder.begin("CLM")
        builder.data(claim.patientControlNumber, 20)
        builder.raw(X12Text.amount(cents: claim.totalChargeCents))
        builder.empty(2)
        builder.beginComposite()
        builder.component(placeOfService)
        builder.component("B")
        builder.component(claim.frequency.code)
        builder.endComposite()
        builder.raw("Y")  // CLM06 provider signature on file
        builder.raw("A")  // CLM07 assignment accepted
        builder.raw("Y")  // CLM08 benefits assigned to the provider
        builder.raw("Y")  // CLM09 release of information signed
        builder.end()
        if let authorization = claim.priorAuthorizationNumber, !authorization.isEmpty {
            writeReference("G1", authorization, into: &builder)
        }
        if let payerClaimNumber = claim.frequency.payerClaimNumber {
            writeReference("F8", payerClaimNumber, into: &builder)
        }
        builder.begin("HI")
        for (index, code) in claim.diagnosisCodes.enumerated() {
            builder.beginComposite()
            builder.component(index == 0 ? "ABK" : "ABF")
            builder.component(text(code.replacingDots(), 30))
            builder.endComposite()
        }
        builder.end()
        if let rendering = claim.renderingProvider, rendering.npi != claim.billingProvider.npi {
            writeName("82", .person(rendering.name), npi: rendering.npi, into: &builder)
            if let taxonomy = rendering.taxonomyCode, !taxonomy.isEmpty {
                writeTaxonomy("PE", taxonomy, into: &builder)
            }
        }
        if let facility = claim.serviceFacility {
            let npi = facility.npi.flatMap { $0.isEmpty ? nil : $0 }
            writeName("77", .organization(facility.name), idQualifier: npi == nil ? "" : "XX", id: npi, into: &builder)
            writeAddress(facility.address, into: &builder)
        }
        if let supervising = claim.supervisingProvider {
            writeName("DQ", .person(supervising.name), npi: supervising.npi, into: &builder)
        }
        for other in claim.otherPayers ?? [] { writeOtherPayer(other, into: &builder) }
        for (index, line) in claim.lines.enumerated() {
            builder.segment("LX", [String(index + 1)])
            builder.begin("SV1")
            builder.beginComposite()
            builder.component("HC")
            builder.component(text(line.procedureCode, 48))
            for modifier in line.modifiers { builder.component(text(modifier, 2)) }
            builder.endComposite()
            builder.raw(X12Text.amount(cents: line.chargeCents))
            builder.raw("UN")
            builder.raw(String(line.units))
            let linePlace = line.placeOfService.map { text($0, 2) } ?? ""
            builder.raw(linePlace == placeOfService ? "" : linePlace)
            builder.empty()
            builder.beginComposite()
            for pointer in line.diagnosisPointers { builder.component(String(pointer)) }
            builder.endComposite()
            builder.end()
            builder.segment("DTP", ["472", "D8", X12Text.date(line.dateOfService)])
            if let control = line.lineControlNumber, !control.isEmpty {
                writeReference("6R", control, into: &builder)
            }
            for other in claim.otherPayers ?? [] {
                guard let adjudicated = other.lines.first(where: { $0.lineIndex == index }) else { continue }
                // 2430: the earlier payer's line adjudication.
                builder.begin("SVD")
                builder.data(other.payer.payerID, 80)
                builder.raw(X12Text.amount(cents: adjudicated.paidCents))
                builder.beginComposite()
                builder.component("HC")
                builder.component(text(line.procedureCode, 48))
                for modifier in line.modifiers { builder.component(text(modifier, 2)) }
                builder.endComposite()
                builder.empty()
                builder.raw(String(line.units))
                builder.end()
                writeAdjustments(adjudicated.adjustments, into: &builder)
                builder.segment("DTP", ["573", "D8", X12Text.date(other.adjudicationDate)])
            }
        }
    }

    /// 2320 (SBR, CAS, AMT*D, OI), 2330A (the other subscriber) and 2330B (the other payer).
    private func writeOtherPayer(_ other: ClaimSnapshot.OtherPayer, into builder: inout SegmentBuilder) {
        let groupNumber = other.groupNumber.map { text($0, 50) } ?? ""
        builder.begin("SBR")
        builder.raw(other.payerResponsibility.rawValue)
        builder.raw(text(other.relationship, 2))
        builder.raw(groupNumber)
        builder.empty(5)
        builder.data(other.claimFilingIndicator, 2)
        builder.end()
        writeAdjustments(other.claimAdjustments, into: &builder)
        builder.segment("AMT", ["D", X12Text.amount(cents: other.paidCents)])
        builder.segment("OI", ["", "", "Y", "", "", "Y"])
        writeName("IL", .person(other.subscriberName), idQualifier: "MI", id: other.memberID, into: &builder)
        writeName("PR", .organization(other.payer.name), idQualifier: "PI", id: other.payer.payerID, into: &builder)
        if other.lines.isEmpty {
            builder.segment("DTP", ["573", "D8", X12Text.date(other.adjudicationDate)])
        }
    }

    /// CAS segments: one per group, at most six reason/amount triplets each (more start a new CAS).
    private func writeAdjustments(_ adjustments: [ClaimSnapshot.OtherPayer.Adjustment], into builder: inout SegmentBuilder) {
        var groups: [String] = []
        for adjustment in adjustments where !groups.contains(adjustment.group) { groups.append(adjustment.group) }
        for group in groups {
            let items = adjustments.filter { $0.group == group && $0.amountCents != 0 }
            for start in stride(from: 0, to: items.count, by: 6) {
                builder.begin("CAS")
                builder.raw(group)
                for (offset, item) in items[start..<min(start + 6, items.count)].enumerated() {
                    if offset > 0 { builder.empty() }  // CAS04/07/…: quantity, not sent
                    builder.data(item.reason, 5)
                    builder.raw(X12Text.amount(cents: item.amountCents))
                }
                builder.end()
            }
        }
    }

    // MARK: - Shared pieces

    /// NM1 with NM102…NM107 for a person (`1`, last, first, middle, prefix, suffix) or an
    /// organization (`2`, name), then the identifier qualifier and identifier when given.
    private func writeName(_ entity: String, _ name: ClaimSnapshot.PartyName, idQualifier: String = "XX",
                           id: String?, into builder: inout SegmentBuilder) {
        builder.begin("NM1")
        builder.raw(entity)
        switch name {
        case .organization(let organization):
            builder.raw("2")
            builder.data(organization, 60)
            builder.empty(4)
        case .person(let person):
            builder.raw("1")
            builder.data(person.last, 60)
            builder.data(person.first, 35)
            builder.data(person.middle, 25)
            builder.empty()
            builder.data(person.suffix, 10)
        }
        if let id {
            builder.raw(idQualifier)
            builder.data(id, 80)
        }
        builder.end()
    }

    private func writeName(_ entity: String, _ name: ClaimSnapshot.PartyName, npi: String,
                           into builder: inout SegmentBuilder) {
        writeName(entity, name, idQualifier: "XX", id: npi, into: &builder)
    }

    /// PRV with a taxonomy code (qualifier `PXC`): `BI` for the billing, `PE` for the rendering provider.
    private func writeTaxonomy(_ providerCode: String, _ taxonomy: String, into builder: inout SegmentBuilder) {
        builder.begin("PRV")
        builder.raw(providerCode)
        builder.raw("PXC")
        builder.data(taxonomy, 50)
        builder.end()
    }

    /// REF with a qualifier (`G1`, `F8`, `6R`…) and a cleaned value of at most 50 characters.
    private func writeReference(_ qualifier: String, _ value: String, into builder: inout SegmentBuilder) {
        builder.begin("REF")
        builder.raw(qualifier)
        builder.data(value, 50)
        builder.end()
    }

    private func writeAddress(_ address: ClaimSnapshot.PostalAddress, into builder: inout SegmentBuilder) {
        builder.begin("N3")
        builder.data(address.line1, 55)
        builder.data(address.line2, 55)
        builder.end()
        builder.begin("N4")
        builder.data(address.city, 30)
        builder.data(address.state, 2)
        builder.raw(X12Text.digits(address.postalCode, maxLength: 9))
        builder.end()
    }

    private func text(_ value: String, _ maxLength: Int) -> String {
        X12Text.clean(value, maxLength: maxLength, delimiters: delimiters)
    }
}

extension ClaimSnapshot.PartyName {
    fileprivate var isPerson: Bool {
        if case .person = self { return true }
        return false
    }
}

extension String {
    /// ICD-10 codes are sent without the display dot (F41.1 → F411).
    fileprivate func replacingDots() -> String {
        utf8.contains(UInt8(ascii: ".")) ? filter { $0 != "." } : self
    }
}
