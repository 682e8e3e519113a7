import BillingCore
import Foundation
import JSONRPC
import Testing

/// A practice ready to bill insurance: ZIP+4 address, a clinician with NPI and taxonomy, an adult
/// client with a primary Aetna policy, and helpers for insurance sessions and bills.
struct ClaimFixture: Sendable {
    let billing: BillingFixture
    let policyID: String
    var practice: TestPractice { billing.practice }
    var clientID: String { billing.clientID }

    static func make(_ environment: TestEnvironment, zipPlusFour: Bool = true, taxonomy: Bool = true,
                     subscriberID: String = "W123456789") async throws -> ClaimFixture {
        let billing = try await BillingFixture.make(environment)
        let practice = billing.practice
        if zipPlusFour {
            let current = try await practice.call("practice.get")
            let version = current["result"]?["practice"]?["version"] ?? 1
            let updated = try await practice.call("practice.update", [
                "version": version,
                "address": ["line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701-1234"],
            ])
            guard updated["result"] != nil else { throw TestSetupError("practice.update: \(updated.text)") }
        }
        if taxonomy {
            let member = try await practice.call("member.get", ["id": .string(billing.clinicianID)])
            let updated = try await practice.call("member.update", [
                "id": .string(billing.clinicianID), "version": member["result"]?["member"]?["version"] ?? 1,
                "taxonomyCode": "101YM0800X",
            ])
            guard updated["result"] != nil else { throw TestSetupError("member.update: \(updated.text)") }
        }
        let payers = try await practice.call("payer.list", ["query": "aetna", "limit": 5])
        guard let payerID = payers["result"]?["items"]?.arrayValue.first?["id"]?.stringValue else {
            throw TestSetupError("payer.list: \(payers.text)")
        }
        let policy = try await practice.call("policy.create", [
            "clientId": .string(billing.clientID), "payerId": .string(payerID), "order": "primary",
            "memberId": .string(subscriberID), "groupNumber": "G-77", "relationshipToSubscriber": "self",
            "copayCents": 2500, "effectiveFrom": "2026-01-01",
        ])
        guard let policyID = policy["result"]?["policy"]?["id"]?.stringValue else {
            throw TestSetupError("policy.create: \(policy.text)")
        }
        return ClaimFixture(billing: billing, policyID: policyID)
    }

    /// A completed insurance session (90837 unless told), its note signed by the clinician.
    func insuranceSession(code: String = "90837", date: String = "2026-11-20", sign: Bool = true,
                          rateCents: Int64? = nil) async throws -> String {
        var line: JSONObject = ["serviceId": .string(billing.serviceIDs[code]!), "units": 1, "modifiers": []]
        if let rateCents { line["rateCents"] = .number(JSONNumber(rateCents)) }
        let session = try await practice.call("session.create", [
            "clientId": .string(clientID), "renderingMemberId": .string(billing.clinicianID),
            "locationId": .string(billing.locationID), "dateOfService": .string(date), "startTime": "14:00",
            "durationMinutes": 53, "placeOfService": "11", "billing": "insurance", "policyId": .string(policyID),
            "attendance": "completed", "lines": [.object(line)],
        ])
        guard let id = session["result"]?["session"]?["id"]?.stringValue else {
            throw TestSetupError("session.create: \(session.text)")
        }
        if sign {
            let note = try await practice.environment.call(
                "note.sign", ["sessionId": .string(id), "diagnoses": ["F41.1", "F32.1"]], key: billing.clinicianKey)
            guard note["result"] != nil else { throw TestSetupError("note.sign: \(note.text)") }
        }
        return id
    }

    /// An Open bill for insurance sessions.
    func openBill(_ sessions: [String]) async throws -> String {
        try await billing.openBill(sessions: sessions)
    }

    /// A generated claim for a new session's bill.
    func generatedClaim(date: String = "2026-11-20") async throws -> JSONValue {
        let bill = try await openBill([try await insuranceSession(date: date)])
        let generated = try await practice.call("claim.generate", ["billId": .string(bill)])
        guard let claim = generated["result"]?["claim"] else { throw TestSetupError("claim.generate: \(generated.text)") }
        return claim
    }
}
