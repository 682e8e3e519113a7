import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import StandIns
import Testing

/// Billing automation: daily bills, claims, and AutoPay with retries through the example processor
/// plugin (loaded from its `.so`), one run per practice and date.
@Suite struct AutomationTests {
    static func configureProcessor(_ practice: TestPractice) async throws {
        let configured = try await practice.call("integration.configure", [
            "kind": "paymentProcessor", "plugin": "example-processor",
            "settings": ["accountId": "acct_test1234", "secretKey": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"],
        ])
        guard configured["result"] != nil else { throw TestSetupError("configure: \(configured.text)") }
    }

    static func attach(_ fixture: BillingFixture, token: String) async throws {
        let attached = try await fixture.practice.call("paymentMethod.attach", [
            "clientId": .string(fixture.clientID), "token": .string(token), "brand": "visa", "last4": "4242",
        ])
        guard attached["result"] != nil else { throw TestSetupError("paymentMethod.attach: \(attached.text)") }
    }

    /// Puts the practice in a time zone where it is early morning now, so the run `settings.update`
    /// schedules (at 20:00 local) cannot start while the test drives the days by hand.
    static func pinMorning(_ practice: TestPractice) async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var offset = (6 - calendar.component(.hour, from: Date()) + 24) % 24
        if offset > 14 { offset -= 24 }
        let zone = offset == 0 ? "UTC" : "Etc/GMT\(offset > 0 ? "-" : "+")\(abs(offset))"
        let current = try await practice.call("practice.get")
        let updated = try await practice.call("practice.update", [
            "version": current["result"]?["practice"]?["version"] ?? 1, "timeZone": .string(zone),
        ])
        guard updated["result"] != nil else { throw TestSetupError("practice.update \(zone): \(updated.text)") }
    }

    static func run(_ practice: TestPractice, _ date: String) async throws -> JSONValue {
        let response = try await practice.call("automation.run", ["date": .string(date)])
        guard let run = response["result"]?["run"] else { throw TestSetupError("automation.run \(date): \(response.text)") }
        return run
    }

    @Test func dailyBillsAndAutoPayRetryThenStopAndStartAgainWithANewCard() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let fixture = try await BillingFixture.make(plugins.environment)
        try await Self.pinMorning(fixture.practice)
        try await Self.configureProcessor(fixture.practice)
        let updated = try await fixture.practice.call("settings.update", [
            "version": 1, "billCreation": "daily", "autoPay": ["enabled": true, "retryDays": [1, 2]],
        ])
        #expect(updated["result"] != nil, "\(updated.text)")
        // settings.update queued today's run (at the configured hour of the practice's time zone).
        let practiceID = try #require(TableInspector.uuid(of: fixture.practice.id))
        #expect(try await plugins.environment.count(
            "select count(*)::int from jobs where practice_id = \(practiceID) and kind = 'billing.automation' and run_at > now()") == 1)

        _ = try await fixture.completedSession(date: "2026-11-20")
        _ = try await fixture.completedSession(date: "2026-11-21")
        let later = try await fixture.completedSession(date: "2026-11-27")
        try await Self.attach(fixture, token: "pm_card_chargeDeclined")

        // 25th: one bill for both sessions, opened; AutoPay declined → retried tomorrow.
        let first = try await Self.run(fixture.practice, "2026-11-25")
        #expect(first["billsCreated"]?.arrayValue.count == 1, "\(first.text)")
        #expect(first["autoPayDeclined"]?.int64Value == 1)
        let again = try await fixture.practice.call("automation.run", ["date": "2026-11-25"])
        #expect(again.errorCode == -32009, "\(again.text)")
        #expect(again.errorPointers == ["/date"])
        // 26th: declined again, next try two days later; 27th: no try; 28th: the third decline stops
        // AutoPay and alerts the practice.
        #expect(try await Self.run(fixture.practice, "2026-11-26")["autoPayDeclined"]?.int64Value == 1)
        let waiting = try await Self.run(fixture.practice, "2026-11-27")
        #expect(waiting["autoPayDeclined"]?.int64Value == 0, "\(waiting.text)")
        #expect(waiting["billsCreated"]?.arrayValue.count == 1, "the session of the 27th: \(waiting.text)")
        let third = try await Self.run(fixture.practice, "2026-11-28")
        #expect(third["autoPayDeclined"]?.int64Value == 1)
        #expect(third["billsCreated"]?.arrayValue.isEmpty == true)
        #expect(third["problems"]?.arrayValue.contains { $0.stringValue?.contains("AutoPay stopped") == true } == true,
                "\(third.text)")
        let alerts = try await fixture.practice.call("alert.list")
        #expect(alerts["result"]?["items"]?.arrayValue.contains { $0["kind"] == "autoPayStopped" } == true, "\(alerts.text)")

        // A new card starts AutoPay over: everything owed is charged once.
        try await Self.attach(fixture, token: "pm_card_visa")
        let paid = try await Self.run(fixture.practice, "2026-11-29")
        #expect(paid["autoPayApproved"]?.int64Value == 1, "\(paid.text)")
        #expect(paid["autoPayChargedCents"]?.int64Value ?? 0 > 0)
        let balance = try await fixture.practice.call("client.balance", ["clientId": .string(fixture.clientID)])
        #expect(balance["result"]?["balanceCents"]?.int64Value == 0, "\(balance.text)")
        #expect(try await plugins.environment.count(
            "select count(*)::int from card_charges where practice_id = \(practiceID)") == 4)
        let sessionBill = try await plugins.environment.count(
            "select count(*)::int from bill_sessions where session_id = \(try #require(TableInspector.uuid(of: later))) and active")
        #expect(sessionBill == 1)
        let runs = try await fixture.practice.call("automation.runs")
        #expect(runs["result"]?["items"]?.arrayValue.count == 5)
        #expect(runs["result"]?["items"]?.arrayValue.first?["date"] == "2026-11-29")
        let future = try await fixture.practice.call("automation.run", ["date": "2099-01-01"])
        #expect(future.errorPointers == ["/date"])
    }

    /// While another run of the practice holds its lock, the daily job is retried — never marked
    /// done with the day skipped — and `automation.run` says "in progress", not "already ran".
    /// Found by scripts/ops/multi_instance.py. Afterwards the day runs once and the status poll
    /// chain is (re)started.
    @Test func aRunInProgressMakesTheDailyJobRetryNotSkipTheDay() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let environment = plugins.environment
        let fixture = try await BillingFixture.make(environment)
        try await Self.pinMorning(fixture.practice)
        let updated = try await fixture.practice.call("settings.update", ["version": 1, "billCreation": "daily"])
        #expect(updated["result"] != nil, "\(updated.text)")
        let practiceID = try #require(TableInspector.uuid(of: fixture.practice.id))
        let jobID = try await environment.count("""
            select id::int from jobs where practice_id = \(practiceID) and kind = 'billing.automation' and status = 'queued'
            """)
        #expect(jobID > 0)
        func job() async throws -> (status: String, attempts: Int, error: String?) {
            try await environment.admin.withConnection { connection in
                let row = try #require(try await connection.firstRow(
                    "select status, attempts, last_error from jobs where id = \(jobID)"))
                return try row.decode((String, Int, String?).self)
            }
        }
        let lock = "automation:\(practiceID.uuidString)"
        try await environment.admin.withTransaction { holder in
            // Another run holds the practice's lock (as a run by hand on another instance would).
            try await holder.query("select pg_advisory_xact_lock(hashtextextended(\(lock), 0))")
            let busy = try await fixture.practice.call("automation.run", ["date": "2026-11-02"])
            #expect(busy.errorCode == -32009, "\(busy.text)")
            #expect(busy["error"]?["data"]?["type"]?.stringValue == "automation.inProgress", "\(busy.text)")
            try await environment.admin.withConnection { connection in
                try await connection.query("update jobs set run_at = now() where id = \(jobID)")
            }
            var seen = try await job()
            for _ in 0..<300 where seen.attempts == 0 || seen.status == "running" {
                try await Task.sleep(for: .milliseconds(50))
                seen = try await job()
            }
            #expect(seen.status == "queued", "\(seen)")
            #expect(seen.attempts == 1)
            #expect(seen.error?.contains("in progress") == true, "\(seen)")
            #expect(try await environment.count(
                "select count(*)::int from automation_runs where practice_id = \(practiceID)") == 0)
            #expect(try await environment.count("""
                select count(*)::int from jobs where practice_id = \(practiceID) and kind = 'billing.automation'
                """) == 1, "the busy day must not have scheduled the next one")
        }
        // The lock is free: the retry runs the day once and schedules the next.
        try await environment.admin.withConnection { connection in
            try await connection.query("update jobs set run_at = now() where id = \(jobID)")
        }
        var seen = try await job()
        for _ in 0..<300 where seen.status != "succeeded" {
            try await Task.sleep(for: .milliseconds(50))
            seen = try await job()
        }
        #expect(seen.status == "succeeded", "\(seen)")
        #expect(try await environment.count(
            "select count(*)::int from automation_runs where practice_id = \(practiceID)") == 1)
        #expect(try await environment.count("""
            select count(*)::int from jobs where practice_id = \(practiceID) and kind = 'billing.automation' and status = 'queued'
            """) == 1)
        #expect(try await environment.count(
            "select count(*)::int from jobs where practice_id = \(practiceID) and kind = 'claims.sync'") == 1,
                "the daily run starts the status poll chain when none is queued")
    }

    @Test func signedInsuranceSessionsBecomeClaimsAndWhatCannotBeDoneIsAlerted() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let fixture = try await ClaimFixture.make(plugins.environment)
        try await Self.pinMorning(fixture.practice)
        let updated = try await fixture.practice.call("settings.update", [
            "version": 1, "billCreation": "daily", "autoGenerateClaims": true, "autoSubmitClaims": true,
        ])
        #expect(updated["result"] != nil, "\(updated.text)")
        _ = try await fixture.insuranceSession(date: "2026-11-20")
        _ = try await fixture.insuranceSession(date: "2026-11-21", sign: false)

        // 20th: the signed session is billed and claimed; the practice has no clearinghouse to submit to.
        let run = try await Self.run(fixture.practice, "2026-11-20")
        #expect(run["billsCreated"]?.arrayValue.count == 1, "\(run.text)")
        #expect(run["claimsGenerated"]?.int64Value == 1, "\(run.text)")
        #expect(run["problems"]?.arrayValue.contains { $0.stringValue?.contains("submitting") == true } == true,
                "\(run.text)")
        // 22nd: the unsigned session is billed, but its claim waits for the note — said in words and alerted.
        let next = try await Self.run(fixture.practice, "2026-11-22")
        #expect(next["billsCreated"]?.arrayValue.count == 1, "\(next.text)")
        #expect(next["claimsGenerated"]?.int64Value == 0)
        #expect(next["problems"]?.arrayValue.contains { $0.stringValue?.contains("note") == true } == true, "\(next.text)")
        let claims = try await fixture.practice.call("claim.list")
        #expect(claims["result"]?["items"]?.arrayValue.count == 1)
        let alerts = try await fixture.practice.call("alert.list")
        let kinds = alerts["result"]?["items"]?.arrayValue.compactMap { $0["kind"]?.stringValue } ?? []
        #expect(kinds.filter { $0 == "automation" }.count == 3, "\(alerts.text)")
    }

    @Test func monthlySuperbillsAreEmailedOnTheirDayForTheMonthBefore() async throws {
        let plugins = try await PluginTestEnvironment.shared()
        let fixture = try await BillingFixture.make(plugins.environment)
        try await Self.pinMorning(fixture.practice)
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await BillSendTests.configureEmail(fixture.practice, port: sink.port)
        let updated = try await fixture.practice.call("settings.update", [
            "version": 1, "monthlySuperbills": ["enabled": true, "dayOfMonth": 2],
        ])
        #expect(updated["result"] != nil, "\(updated.text)")
        let created = try await fixture.practice.call("client.create", [
            "firstName": "Avery", "lastName": "Lane", "dateOfBirth": "1990-05-06", "sex": "F",
            "address": ["line1": "9 Oak St", "city": "Springfield", "state": "IL", "postalCode": "62704"],
            "email": "avery@example.com", "consents": ["email": true, "sms": false], "assignedMemberIds": [.string(fixture.clinicianID)],
        ])
        let client = try #require(created["result"]?["client"]?["id"]?.stringValue, "\(created.text)")
        let session = try await fixture.completedSession(client: client, date: "2026-10-15")
        _ = try await fixture.openBill(sessions: [session], client: client)

        #expect(try await Self.run(fixture.practice, "2026-11-01")["superbillsSent"]?.int64Value == 0)
        let run = try await Self.run(fixture.practice, "2026-11-02")
        #expect(run["superbillsSent"]?.int64Value == 1, "\(run.text)")
        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(mail.rcptTos == ["avery@example.com"])
        #expect(mail.header("Subject")?.contains("superbill") == true)
        #expect(mail.text?.contains("2026-10-01") == true && mail.text?.contains("2026-10-31") == true, "\(mail.text ?? "")")
        let attachment = try #require(mail.attachments.first)
        #expect(attachment.filename == "superbill-2026-10-01-2026-10-31.pdf")
        #expect(attachment.data.starts(with: Array("%PDF-".utf8)))
    }
}
