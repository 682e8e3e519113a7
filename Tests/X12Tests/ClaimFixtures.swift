import BillingCore
import X12

/// Builders for realistic behavioral-health claims and envelopes used by the X12 tests and the pyx12 matrix.
enum ClaimFixtures {
    static let officeAddress = ClaimSnapshot.PostalAddress(
        line1: "1200 Harbor Blvd", line2: "Suite 300", city: "Portland", state: "OR", postalCode: "97201-1234")
    static let homeAddress = ClaimSnapshot.PostalAddress(
        line1: "45 Elm St", city: "Beaverton", state: "OR", postalCode: "97005")

    static let organization = ClaimSnapshot.BillingProvider(
        name: .organization("Riverbend Counseling Group LLC"), npi: "1987654328", taxonomyCode: "261QM0801X",
        taxID: "12-3456789", taxIDKind: .ein, address: officeAddress, phone: "(503) 555-0100",
        contactName: "Billing Office")
    static let soloClinician = ClaimSnapshot.BillingProvider(
        name: .person(.init(last: "Okafor", first: "Adaeze", middle: "N")), npi: "1234567893",
        taxonomyCode: "101YM0800X", taxID: "123-45-6789", taxIDKind: .ssn, address: officeAddress,
        phone: "5035550101")
    static let associate = ClaimSnapshot.Clinician(
        name: .init(last: "Lindqvist", first: "Maja"), npi: "1558598797", taxonomyCode: "101YP2500X")
    static let supervisor = ClaimSnapshot.Clinician(
        name: .init(last: "Brennan", first: "Thomas", middle: "J", suffix: "Jr"), npi: "1122334455",
        taxonomyCode: "103TC0700X")
    static let payer = ClaimSnapshot.Payer(
        name: "Cascade Health Plan", payerID: "CHP01",
        address: .init(line1: "PO Box 4000", city: "Salem", state: "OR", postalCode: "97301"))

    static func subscriber(_ last: String = "Rivera", first: String = "Elena") -> ClaimSnapshot.Subscriber {
        ClaimSnapshot.Subscriber(
            name: .init(last: last, first: first), memberID: "XZ123456789", groupNumber: "GRP-7781",
            dateOfBirth: CalendarDate(year: 1984, month: 3, day: 9)!, sex: .female, address: homeAddress)
    }

    static let child = ClaimSnapshot.Patient(
        name: .init(last: "Rivera", first: "Mateo"), relationship: .child,
        dateOfBirth: CalendarDate(year: 2013, month: 11, day: 2)!, sex: .male, address: homeAddress)

    static let dateOfService = CalendarDate(year: 2026, month: 10, day: 14)!

    /// A one-line 90837 claim billed by the organization for the subscriber herself.
    static func simpleClaim(controlNumber: String = "C1000001") -> ClaimSnapshot {
        ClaimSnapshot(
            billingProvider: organization, renderingProvider: associate, subscriber: subscriber(), payer: payer,
            patientControlNumber: controlNumber, placeOfService: "11", diagnosisCodes: ["F41.1", "F32.1"],
            lines: [.init(procedureCode: "90837", chargeCents: 18_000, diagnosisPointers: [1, 2],
                          dateOfService: dateOfService, lineControlNumber: "L\(controlNumber)1")])
    }

    static func envelope(interchange: Int = 1, group: Int = 1, transaction: Int = 1) -> InterchangeEnvelope {
        InterchangeEnvelope(
            senderID: "LEDGERLINE01", receiverID: "CLAIMMD", interchangeControlNumber: interchange,
            groupControlNumber: group, transactionSetControlNumber: transaction,
            submitter: .init(name: "Riverbend Counseling Group", identifier: "SUB12345", contactName: "Dana Wu",
                             phone: "503-555-0100", email: "billing@riverbend.example"),
            receiverName: "Claim.MD", creationDate: CalendarDate(year: 2026, month: 11, day: 29)!, creationHour: 9,
            creationMinute: 5, usage: .test)
    }

    /// Behavioral-health service lines to draw from: code, modifiers, charge.
    static let services: [(code: String, modifiers: [String], chargeCents: Int64)] = [
        ("90791", [], 22_500), ("90834", ["HO"], 15_000), ("90837", [], 18_050), ("90785", [], 2_525),
        ("90847", ["HR"], 16_000), ("90853", ["HQ", "U4"], 6_000), ("90839", [], 25_000), ("90840", [], 11_999),
    ]
}
