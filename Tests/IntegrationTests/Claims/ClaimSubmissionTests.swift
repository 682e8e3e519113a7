import Billing
import BillingCore
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import JSONRPC
import PluginAPI
import PluginHost
import PostgresNIO
import StandIns
import Storage
import Testing

/// Claims out for real: the `ledgerline` binary (a child process) with the Claim.MD plugin loaded
/// from its `.so`, the Claim.MD stand-in, and a database of their own. The setup (practice,
/// sessions, bills, claims) goes through the same API in-process; the workflow under test goes
/// over HTTP to the binary, which does the uploading and polling.
struct ClaimWorld: Sendable {
    static let accountKey = "48213_standinkey"
    static let operatorKey = "claims-operator-key"

    let standIn: ClaimMDStandIn
    let environment: TestEnvironment
    let fixture: ClaimFixture
    let server: ServerProcess
    let pluginList: String

    static func make(batchSize: Int = 2000, ackSeconds: Double = 1, processSeconds: Double = 2,
                     pollSeconds: Double = 1, subscriberID: String = "W123456789", stuckHours: Double? = nil)
        async throws -> ClaimWorld
    {
        let standIn = try await ClaimMDStandIn.start(accountKeys: [accountKey], ackSeconds: ackSeconds,
                                                     processSeconds: processSeconds, rateLimit: 100)
        let entry = PluginConfigurationEntry(
            name: "claimmd", path: BuiltProducts.library("LedgerlineClaimMDPlugin"),
            settings: ["baseURL": .string(standIn.baseURL)], allowedHosts: ["127.0.0.1"], timeoutSeconds: 20)
        let plugins = try PluginLoader.loadAll([entry])
        let runtime = PluginRuntime(plugins: plugins, secretBox: try SecretBox(specification: PluginTestEnvironment.secretKey))
        let configuration = ClaimConfiguration(submissionHold: .zero, statusPollInterval: .seconds(1), batchSize: batchSize,
                                               usage: .test)
        let environment = try await TestEnvironment.isolated(plugins: runtime, claims: configuration)
        let fixture = try await ClaimFixture.make(environment, subscriberID: subscriberID)
        let configured = try await fixture.practice.call("integration.configure", [
            "kind": "clearinghouse", "plugin": "claimmd", "settings": ["accountKey": .string(accountKey)],
        ])
        guard configured["result"] != nil else { throw TestSetupError("integration.configure: \(configured.text)") }
        let list = NSTemporaryDirectory() + "ll-claims-plugins-\(UUID().uuidString.prefix(8)).json"
        let json = #"[{"name": "claimmd", "path": "\#(entry.path)", "settings": {"baseURL": "\#(standIn.baseURL)"}, "allowedHosts": ["127.0.0.1"], "timeoutSeconds": 20}]"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: list))
        var variables = [
            "LEDGERLINE_STUCK_CLAIM_HOURS": stuckHours.map { String($0) } ?? "48",
        ]
        let server = ServerProcess(environment: variables.merging([
            "DATABASE_URL": environment.applicationURL.text, "LEDGERLINE_OPERATOR_KEY": operatorKey,
            "LEDGERLINE_SECRET_KEY": PluginTestEnvironment.secretKey, "LEDGERLINE_PLUGINS": list,
            "LEDGERLINE_CLAIM_HOLD_SECONDS": "0", "LEDGERLINE_STATUS_POLL_SECONDS": String(pollSeconds),
            "LEDGERLINE_CLAIM_BATCH_SIZE": String(batchSize), "LEDGERLINE_JOB_LEASE_SECONDS": "3",
            "LEDGERLINE_JOB_RETRY_BASE_SECONDS": "0.3", "LEDGERLINE_X12_USAGE": "T", "LEDGERLINE_LOG_LEVEL": "notice",
            "LEDGERLINE_WORKER_CONCURRENCY": "4",
        ]) { _, new in new })
        variables.removeAll()
        return ClaimWorld(standIn: standIn, environment: environment, fixture: fixture, server: server, pluginList: list)
    }

    func shutdown() {
        server.stop()
        standIn.stop()
        try? FileManager.default.removeItem(atPath: pluginList)
    }

    /// `count` generated claims (one session, bill and claim each), through the API in-process.
    func generateClaims(_ count: Int) async throws -> [(id: String, number: String)] {
        var claims: [(String, String)] = []
        for index in 0..<count {
            let day = 1 + index % 28
            let month = 9 + (index / 28) % 3
            let claim = try await fixture.generatedClaim(date: String(format: "2026-%02d-%02d", month, day))
            guard let id = claim["id"]?.stringValue, let number = claim["patientControlNumber"]?.stringValue else {
                throw TestSetupError("generated claim without id: \(claim.text)")
            }
            claims.append((id, number))
        }
        return claims
    }

    /// Claim statuses, straight from the database.
    func statuses() async throws -> [String: String] {
        let practice = try #require(TableInspector.uuid(of: fixture.practice.id))
        return try await environment.admin.withConnection { connection in
            var result: [String: String] = [:]
            for row in try await connection.rows(
                "select patient_control_number, status from claims where practice_id = \(practice)")
            {
                let (number, status) = try row.decode((String, String).self)
                result[number] = status
            }
            return result
        }
    }

    /// Waits until every claim satisfies `done` (or `limit` passes); returns the statuses.
    func waitForStatuses(limit: Duration, _ done: @Sendable (String) -> Bool) async throws -> [String: String] {
        let deadline = ContinuousClock.now + limit
        while true {
            let current = try await statuses()
            if current.values.allSatisfy(done) || ContinuousClock.now > deadline { return current }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}

@Suite(.serialized) struct ClaimSubmissionTests {
    static let sentOrLater: Set<String> = ["sent", "received", "inProcess", "paid", "denied"]

    @Test(.timeLimit(.minutes(5)))
    func claimTravelsOverHTTPToClaimMDAndBackThroughTheStatusFeed() async throws {
        let world = try await ClaimWorld.make()
        defer { world.shutdown() }
        try await world.server.start()
        let owner = world.fixture.practice.ownerKey
        let session = try await world.fixture.insuranceSession()
        let bill = try await world.fixture.openBill([session])

        let generated = try await world.server.call("claim.generate", ["billId": .string(bill)], key: owner)
        let claim = try #require(generated["result"]?["claim"], "\(generated.text)")
        let id = try #require(claim["id"]?.stringValue)
        let number = try #require(claim["patientControlNumber"]?.stringValue)
        let submitted = try await world.server.call(
            "claim.submit", ["claimIds": [.string(id)], "idempotencyKey": .string("e2e-\(UUID().uuidString)")], key: owner)
        #expect(submitted["result"]?["items"]?.arrayValue.first?["status"]?.stringValue == "queued", "\(submitted.text)")
        #expect(submitted["result"]?["items"]?.arrayValue.first?["statusLabel"]?.stringValue == "Queued For Submission")
        // Submitting it again (another request) changes nothing: it is already on its way.
        let twice = try await world.server.call(
            "claim.submit", ["claimIds": [.string(id)], "idempotencyKey": .string("e2e-again-\(UUID().uuidString)")],
            key: owner)
        #expect(twice["result"]?["items"]?.arrayValue.count == 1, "\(twice.text)")

        // Sent, then Received and In process as the stand-in's feed reports them.
        var reached: [String] = []
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let current = try await world.server.call("claim.get", ["id": .string(id)], key: owner)
            let status = current["result"]?["claim"]?["status"]?.stringValue ?? "?"
            if reached.last != status { reached.append(status) }
            if status == "inProcess" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(reached.last == "inProcess", "statuses seen: \(reached)\n\(world.server.log().suffix(3000))")
        let final = try await world.server.call("claim.get", ["id": .string(id)], key: owner)
        let events = final["result"]?["claim"]?["events"]?.arrayValue ?? []
        // Transitions only (messages that change nothing, such as Claim.MD's upload acknowledgement,
        // are on the timeline too, with from == to).
        let path = events.filter { $0["from"] != $0["to"] }.compactMap { $0["to"]?.stringValue }
        #expect(events.contains { $0["from"] == $0["to"] && $0["message"]?.stringValue?.contains("accepted") == true })
        #expect(path == ["notSubmitted", "queued", "sent", "received", "inProcess"], "\(final.text)")
        #expect(events.last?["source"]?.stringValue == "clearinghouse")
        #expect(events.last?["message"]?.stringValue?.contains("in process") == true)
        #expect(final["result"]?["claim"]?["statusLabel"]?.stringValue == "In process")
        #expect(final["result"]?["claim"]?["clearinghouseClaimId"]?.stringValue?.isEmpty == false)

        // The payer pays: it allows 80 % ($120 of $150: CO-45 writes off $30) and leaves $60 of deductible
        // (PR-1) to the client. The ERA comes back through the clearinghouse's remittance feed and is posted.
        let adjudicated = try await world.standIn.adjudicate([number], allowedPercent: 80, patientResponsibility: "60.00",
                                                             prReason: "1")
        #expect(adjudicated == [number])
        var paid: JSONValue = .null
        let paidBy = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < paidBy {
            paid = try await world.server.call("claim.get", ["id": .string(id)], key: owner)
            if paid["result"]?["claim"]?["status"]?.stringValue == "paid" { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(paid["result"]?["claim"]?["statusLabel"]?.stringValue == "Paid", "\(paid.text)")
        let billed = try await world.server.call("bill.get", ["id": .string(bill)], key: owner)
        #expect(billed["result"]?["bill"]?["insurancePendingCents"]?.int64Value == 0, "\(billed.text)")
        // The $25 copay was the client's already; PR-1 makes it $60 in all. Paid $60, CO-45 $30 written off.
        #expect(billed["result"]?["bill"]?["clientResponsibilityCents"]?.int64Value == 6000, "\(billed.text)")
        let claimUUID = try #require(TableInspector.uuid(of: id))
        let ledger = try await world.environment.admin.withConnection { connection in
            try await connection.query("""
                select (select sum(amount_cents) from insurance_payments where claim_id = \(claimUUID))::bigint,
                       (select sum(amount_cents) from adjustments where claim_id = \(claimUUID) and group_code = 'CO')::bigint
                """).collect().first.map { try $0.decode((Int64?, Int64?).self) }
        }
        #expect(ledger?.0 == 6000 && ledger?.1 == 3000, "\(String(describing: ledger))")
        #expect(paid["result"]?["claim"]?["statusMessage"]?.stringValue?.contains("Deductible") == true, "\(paid.text)")

        // The stand-in received the claim once, in a file that pyx12 accepts.
        let received = try await world.standIn.received()
        #expect(received.pcns[number] == 1)
        let files = try await world.environment.admin.withConnection { connection in
            try await connection.rows("select file_name, x12 from claim_batches").map { try $0.decode((String, String).self) }
        }
        #expect(files.count == 1)
        #expect(received.files.contains(files[0].0))
        let validation = try await PyX12.validate(files[0].1)
        #expect(validation.ok, "\(validation.output)")
    }

    @Test(.timeLimit(.minutes(5)))
    func aDeniedClaimIsCorrectedAndResubmittedAsFrequencySeven() async throws {
        let world = try await ClaimWorld.make()
        defer { world.shutdown() }
        try await world.server.start()
        let owner = world.fixture.practice.ownerKey
        let claims = try await world.generateClaims(1)
        let (id, number) = claims[0]
        let submitted = try await world.server.call(
            "claim.submit", ["claimIds": [.string(id)], "idempotencyKey": .string("deny-\(UUID().uuidString)")], key: owner)
        #expect(submitted["result"] != nil, "\(submitted.text)")
        _ = try await world.waitForStatuses(limit: .seconds(90)) { $0 == "inProcess" }

        // The payer denies it (CARC 16: missing information); the ERA says why, in words.
        #expect(try await world.standIn.adjudicate([number], deny: "16") == [number])
        let denied = try await world.waitForStatuses(limit: .seconds(60)) { $0 == "denied" }
        #expect(denied[number] == "denied", "\(denied)\n\(world.server.log().suffix(3000))")
        let deniedClaim = try await world.server.call("claim.get", ["id": .string(id)], key: owner)
        let message = deniedClaim["result"]?["claim"]?["statusMessage"]?.stringValue ?? ""
        #expect(message.contains("CO-16") && message.contains("lacks information"), "\(message)")
        let payerNumber = try #require(deniedClaim["result"]?["claim"]?["payerClaimNumber"]?.stringValue)

        // Corrected and resubmitted: frequency 7 with the payer's claim number, sent once.
        let corrected = try await world.server.call(
            "claim.correct", ["id": .string(id), "idempotencyKey": .string("fix-\(UUID().uuidString)")], key: owner)
        let replacement = try #require(corrected["result"]?["claim"], "\(corrected.text)")
        let replacementID = try #require(replacement["id"]?.stringValue)
        let replacementNumber = try #require(replacement["patientControlNumber"]?.stringValue)
        #expect(replacement["frequencyCode"]?.stringValue == "7")
        #expect(replacement["status"]?.stringValue == "queued")
        var reached = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let current = try await world.server.call("claim.get", ["id": .string(replacementID)], key: owner)
            reached = current["result"]?["claim"]?["status"]?.stringValue ?? "?"
            if Self.sentOrLater.contains(reached) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(Self.sentOrLater.contains(reached), "\(reached)\n\(world.server.log().suffix(3000))")
        let atStandIn = try await world.standIn.claims().first { $0.pcn == replacementNumber }
        #expect(atStandIn?.frequency == "7")
        #expect(atStandIn?.originalReference == payerNumber)
        #expect(try await world.standIn.received().pcns[replacementNumber] == 1)
        #expect(try await world.standIn.received().pcns[number] == 1)
    }

    /// POSTs a webhook body to the server as Claim.MD would.
    static func postWebhook(_ world: ClaimWorld, path: String, _ body: String) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: world.server.baseURL + path)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(5)))
    func enrollmentIsRequestedAtClaimMDAndItsWebhookApprovesItOnce() async throws {
        let world = try await ClaimWorld.make()
        defer { world.shutdown() }
        try await world.server.start()
        let owner = world.fixture.practice.ownerKey
        let payers = try await world.server.call("payer.list", ["query": "cigna", "limit": 1], key: owner)
        let cigna = try #require(payers["result"]?["items"]?.arrayValue.first?["id"]?.stringValue, "\(payers.text)")

        // Requested through /enroll/: pending, with the form link Claim.MD answers.
        let requested = try await world.server.call("enrollment.request", ["payerId": .string(cigna), "kind": "era"],
                                                    key: owner)
        let enrollment = try #require(requested["result"]?["enrollment"], "\(requested.text)")
        #expect(enrollment["status"]?.stringValue == "pending")
        #expect(requested["result"]?["link"]?.stringValue?.contains("/enrollment-form/") == true)
        let atStandIn = try await world.standIn.enrollments()
        #expect(atStandIn.count == 1)
        #expect(atStandIn.first?["payerid"] == "62308" && atStandIn.first?["enroll_type"] == "era", "\(atStandIn)")
        #expect(atStandIn.first?["prov_npi"] == "1234567893" && atStandIn.first?["prov_taxid"] == "123456789")

        // The webhook path, shown once; Claim.MD's event approves the enrollment — once.
        let webhook = try await world.server.call("integration.webhook", ["plugin": "claimmd"], key: owner)
        let path = try #require(webhook["result"]?["path"]?.stringValue, "\(webhook.text)")
        let body = #"{"UTCTime":"2026-12-01T10:00:00Z","acct_number":"48213","remote_acct_number":"","events":[{"eventid":"ev-1","event_type":"enroll","event_time":"2026-12-01T10:00:00Z","event_data":{"enroll":{"enrollid":"1","event":"enrolled","event_detail":"Approved by payer","enroll_type":"era","prov_npi":"1234567893","prov_taxid":"123456789","payerid":"62308"}}},{"eventid":"ev-2","event_type":"appeal","event_data":{"appeal":{"appealid":"9","event":"created"}}}]}"#
        let (status, answer) = try await Self.postWebhook(world, path: path, body)
        #expect(status == 200, "\(answer)")
        #expect(answer.contains(#""applied":1"#) && answer.contains(#""ignored":1"#), "\(answer)")
        let id = try #require(enrollment["id"]?.stringValue)
        let approved = try await world.server.call("enrollment.get", ["id": .string(id)], key: owner)
        #expect(approved["result"]?["enrollment"]?["status"]?.stringValue == "approved", "\(approved.text)")
        let (again, replay) = try await Self.postWebhook(world, path: path, body)
        #expect(again == 200 && replay.contains(#""duplicates":2"#), "\(replay)")

        // Wrong secret, unknown endpoint, another plugin: the same 404; a body that is not events: 400.
        let wrong = String(path.dropLast(3)) + "abc"
        #expect(try await Self.postWebhook(world, path: wrong, body).0 == 404)
        #expect(try await Self.postWebhook(world, path: "/webhooks/claimmd/nothing", body).0 == 404)
        #expect(try await Self.postWebhook(world, path: path.replacingOccurrences(of: "/claimmd/", with: "/other/"),
                                           body).0 == 404)
        #expect(try await Self.postWebhook(world, path: path, "not json").0 == 400)
        // A new path replaces the old one.
        let rotated = try await world.server.call("integration.webhook", ["plugin": "claimmd"], key: owner)
        #expect(rotated["result"]?["path"]?.stringValue != path)
        #expect(try await Self.postWebhook(world, path: path, body).0 == 404)
    }

    @Test(.timeLimit(.minutes(10)))
    func killingTheServerMidBatchNeitherLosesNorDuplicatesAClaim() async throws {
        let world = try await ClaimWorld.make(batchSize: 25, ackSeconds: 30, processSeconds: 60, pollSeconds: 2)
        defer { world.shutdown() }
        let claims = try await world.generateClaims(500)
        // Uploads are slow, so kills land before, during and after the file reaches Claim.MD.
        try await world.standIn.inject(.init(endpoint: .upload, mode: .slow, frequency: .probability(0.5),
                                             delaySeconds: 0.4))
        let owner = world.fixture.practice.ownerKey
        let submitted = try await world.fixture.practice.call("claim.submit", [
            "claimIds": .array(claims.map { .string($0.id) }), "idempotencyKey": .string("kill-\(UUID().uuidString)"),
        ])
        #expect(submitted["result"] != nil, "\(submitted.text)")
        _ = owner
        var kills = 0
        let started = ContinuousClock.now
        while kills < 6 {
            try await world.server.start()
            try await Task.sleep(for: .milliseconds(Int.random(in: 400...1500)))
            world.server.killHard()
            kills += 1
        }
        try await world.server.start()
        let statuses = try await world.waitForStatuses(limit: .seconds(240)) { Self.sentOrLater.contains($0) }
        let elapsed = ContinuousClock.now - started
        let notSent = statuses.filter { !Self.sentOrLater.contains($0.value) }
        #expect(notSent.isEmpty, "not sent after \(kills) kills: \(notSent.count) e.g. \(notSent.prefix(3))")
        let received = try await world.standIn.received()
        let numbers = Set(claims.map(\.number))
        let duplicates = received.pcns.filter { numbers.contains($0.key) && $0.value > 1 }
        #expect(duplicates.isEmpty, "sent twice: \(duplicates.prefix(5))")
        #expect(numbers.allSatisfy { received.pcns[$0] == 1 }, "missing at the stand-in: \(numbers.filter { received.pcns[$0] == nil }.count)")
        print("kill test: 500 claims, \(kills) SIGKILLs, all sent in \(elapsed), files \(received.files.count)")
    }

    @Test(.timeLimit(.minutes(5)))
    func outageAndDroppedAnswersNeitherLoseNorDuplicate() async throws {
        let world = try await ClaimWorld.make(batchSize: 10, ackSeconds: 2, processSeconds: 4)
        defer { world.shutdown() }
        let claims = try await world.generateClaims(60)
        try await world.server.start()
        // Claim.MD down for the first uploads, then one answer in ten lost after it was processed.
        try await world.standIn.inject(.init(endpoint: .upload, mode: .serviceUnavailable, count: 4))
        try await world.standIn.inject(.init(endpoint: .any, mode: .drop, frequency: .probability(0.1)))
        let submitted = try await world.fixture.practice.call("claim.submit", [
            "claimIds": .array(claims.map { .string($0.id) }), "idempotencyKey": .string("outage-\(UUID().uuidString)"),
        ])
        #expect(submitted["result"] != nil, "\(submitted.text)")
        let statuses = try await world.waitForStatuses(limit: .seconds(180)) { Self.sentOrLater.contains($0) }
        #expect(statuses.values.allSatisfy { Self.sentOrLater.contains($0) },
                "\(statuses.filter { !Self.sentOrLater.contains($0.value) })\n\(world.server.log().suffix(3000))")
        let received = try await world.standIn.received()
        for claim in claims {
            #expect(received.pcns[claim.number] == 1, "\(claim.number) reached Claim.MD \(received.pcns[claim.number] ?? 0) times")
        }
        try await world.standIn.clearFaults()
    }

    @Test(.timeLimit(.minutes(5)))
    func stuckClaimsAlertWithoutResendAndRejectionsNeedReview() async throws {
        let world = try await ClaimWorld.make(ackSeconds: 600, processSeconds: 1200, subscriberID: "REJ445566",
                                              stuckHours: 0.0005)
        defer { world.shutdown() }
        try await world.server.start()
        let owner = world.fixture.practice.ownerKey
        let claim = try await world.fixture.generatedClaim()
        let id = try #require(claim["id"]?.stringValue)
        let number = try #require(claim["patientControlNumber"]?.stringValue)
        _ = try await world.server.call("claim.submit", ["claimIds": [.string(id)],
                                                         "idempotencyKey": .string("stuck-\(UUID().uuidString)")], key: owner)
        // Sent, then no acknowledgement: an alert, never a resend.
        var alerts: [JSONValue] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            alerts = try await world.server.call("alert.list", [:], key: owner)["result"]?["items"]?.arrayValue ?? []
            if alerts.contains(where: { $0["kind"]?.stringValue == "claimStuck" }) { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        let stuck = try #require(alerts.first { $0["kind"]?.stringValue == "claimStuck" }, "no stuck alert")
        #expect(stuck["claimId"]?.stringValue == id)
        #expect(stuck["message"]?.stringValue?.contains(number) == true)
        try await Task.sleep(for: .seconds(3))
        #expect(try await world.standIn.received().pcns[number] == 1)
        #expect(try await world.statuses()[number] == "sent")

        // The payer rejects it: Needs Review with the payer's words, an alert, and a resubmission is a new file.
        try await world.standIn.advance()
        var current: JSONValue = .null
        let rejectedBy = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < rejectedBy {
            current = try await world.server.call("claim.get", ["id": .string(id)], key: owner)
            if current["result"]?["claim"]?["status"]?.stringValue == "needsReview" { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(current["result"]?["claim"]?["statusLabel"]?.stringValue == "Needs Review", "\(current.text)")
        #expect(current["result"]?["claim"]?["statusMessage"]?.stringValue?.contains("Subscriber not found") == true)
        let kinds = try await world.server.call("alert.list", [:], key: owner)["result"]?["items"]?.arrayValue
            .compactMap { $0["kind"]?.stringValue } ?? []
        #expect(kinds.contains("claimNeedsReview"))
        let resubmitted = try await world.server.call(
            "claim.submit", ["claimIds": [.string(id)], "idempotencyKey": .string("again-\(UUID().uuidString)")], key: owner)
        #expect(resubmitted["result"]?["items"]?.arrayValue.first?["status"]?.stringValue == "queued")
        let statuses = try await world.waitForStatuses(limit: .seconds(60)) { $0 != "queued" }
        #expect(statuses[number] == "sent")
        #expect(try await world.standIn.received().pcns[number] == 2)  // sent again on purpose, in a new file
        let batches = try await world.environment.admin.withConnection { connection in
            try await connection.rows("select file_name from claim_batches").map { try $0.decode(String.self) }
        }
        #expect(batches.count == 2)
    }
}
