import BillingCore
import Foundation
import JSONRPC
import Testing

/// A practice set up for billing: the owner, a clinician, a location, priced services and a client.
struct BillingFixture: Sendable {
    let practice: TestPractice
    let clinicianID: String
    let clinicianKey: String
    let locationID: String
    let serviceIDs: [String: String]  // code → svc id
    let clientID: String

    /// Imports the common codes and prices 90837 at $150, 90834 at $120 and 90791 at $180.
    static func make(_ environment: TestEnvironment) async throws -> BillingFixture {
        let practice = try await environment.createPractice()
        let clinician = try await practice.member(role: .clinician, npi: "1245319599")
        let imported = try await practice.call("service.importCommon")
        var services: [String: String] = [:]
        var versions: [String: Int64] = [:]
        for item in imported["result"]?["items"]?.arrayValue ?? [] {
            if let code = item["code"]?.stringValue, let id = item["id"]?.stringValue {
                services[code] = id
                versions[code] = item["version"]?.int64Value ?? 1
            }
        }
        guard services["90837"] != nil else { throw TestSetupError("service.importCommon: \(imported.text)") }
        for (code, rate) in [("90837", 15000), ("90834", 12000), ("90791", 18000)] {
            let updated = try await practice.call("service.update", [
                "id": .string(services[code]!), "version": .number(JSONNumber(versions[code]!)),
                "defaultRateCents": .number(JSONNumber(Int64(rate))),
            ])
            guard updated["result"] != nil else { throw TestSetupError("service.update: \(updated.text)") }
        }
        let location = try await practice.call("location.create", [
            "name": "Main office", "placeOfService": "11",
            "address": ["line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701"],
        ])
        guard let locationID = location["result"]?["location"]?["id"]?.stringValue else {
            throw TestSetupError("location.create: \(location.text)")
        }
        let fixture = BillingFixture(practice: practice, clinicianID: clinician.id, clinicianKey: clinician.key,
                                     locationID: locationID, serviceIDs: services, clientID: "")
        let clientID = try await fixture.newClient(dateOfBirth: "1990-04-12")
        return BillingFixture(practice: practice, clinicianID: clinician.id, clinicianKey: clinician.key,
                              locationID: locationID, serviceIDs: services, clientID: clientID)
    }

    /// Creates a client assigned to the clinician.
    func newClient(dateOfBirth: String, firstName: String = "Jordan") async throws -> String {
        let client = try await practice.call("client.create", [
            "firstName": .string(firstName), "lastName": "Park", "dateOfBirth": .string(dateOfBirth), "sex": "M",
            "address": ["line1": "4 Elm St", "city": "Springfield", "state": "IL", "postalCode": "62704"],
            "email": nil, "phone": nil, "consents": ["email": false, "sms": false],
            "assignedMemberIds": [.string(clinicianID)],
        ])
        guard let id = client["result"]?["client"]?["id"]?.stringValue else {
            throw TestSetupError("client.create: \(client.text)")
        }
        return id
    }

    /// A completed self-pay session with one line of `code` (rate from the service), its note signed.
    func completedSession(client: String? = nil, code: String = "90837", date: String = "2026-11-20",
                          attendance: String = "completed", sign: Bool = true) async throws -> String {
        let session = try await practice.call("session.create", [
            "clientId": .string(client ?? clientID), "renderingMemberId": .string(clinicianID),
            "locationId": .string(locationID), "dateOfService": .string(date), "startTime": "14:00",
            "durationMinutes": 53, "placeOfService": "11", "billing": "selfPay", "attendance": .string(attendance),
            "lines": [["serviceId": .string(serviceIDs[code]!), "units": 1, "modifiers": []]],
        ])
        guard let id = session["result"]?["session"]?["id"]?.stringValue else {
            throw TestSetupError("session.create: \(session.text)")
        }
        if sign && attendance == "completed" {
            // The rendering clinician signs the note (an owner cannot attest another clinician's session).
            let note = try await practice.environment.call(
                "note.sign", ["sessionId": .string(id), "diagnoses": ["F41.1", "F32.1"]], key: clinicianKey)
            guard note["result"] != nil else { throw TestSetupError("note.sign: \(note.text)") }
        }
        return id
    }

    /// Creates and opens a bill for sessions; returns the bill id.
    func openBill(sessions: [String], client: String? = nil) async throws -> String {
        let created = try await practice.call("bill.create", [
            "clientId": .string(client ?? clientID), "sessionIds": .array(sessions.map { .string($0) }),
        ])
        guard let bill = created["result"]?["bill"], let id = bill["id"]?.stringValue,
              let version = bill["version"] else { throw TestSetupError("bill.create: \(created.text)") }
        let opened = try await practice.call("bill.open", ["id": .string(id), "version": version])
        guard opened["result"] != nil else { throw TestSetupError("bill.open: \(opened.text)") }
        return id
    }
}

/// A small deterministic random generator (SplitMix64) so failing sequences reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
