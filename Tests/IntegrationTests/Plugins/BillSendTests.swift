import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import StandIns
import Testing

/// `bill.send` end to end: the email and SMS plugins loaded from their `.so` files, a real SMTP
/// server (aiosmtpd) and the Twilio stand-in, delivery through the job queue.
@Suite struct BillSendTests {
    struct Setup {
        let plugins: PluginTestEnvironment
        let fixture: BillingFixture
        var practice: TestPractice { fixture.practice }
    }

    static func setup() async throws -> Setup {
        let plugins = try await PluginTestEnvironment.shared()
        return Setup(plugins: plugins, fixture: try await BillingFixture.make(plugins.environment))
    }

    static func configureEmail(_ practice: TestPractice, port: Int) async throws {
        let response = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "email", "plugin": "email",
            "settings": IntegrationMethodTests.emailSettings(port: port),
        ])
        guard response["result"] != nil else { throw TestSetupError("integration.configure email: \(response.text)") }
    }

    static func configureSMS(_ practice: TestPractice, from number: String = "+12175550199") async throws {
        let response = try await practice.call("integration.configure", [
            "kind": "notificationChannel", "channel": "sms", "plugin": "sms",
            "settings": ["accountSid": .string(PluginTestEnvironment.twilioAccountSid),
                         "authToken": .string(PluginTestEnvironment.twilioAuthToken), "fromNumber": .string(number)],
        ])
        guard response["result"] != nil else { throw TestSetupError("integration.configure sms: \(response.text)") }
    }

    /// An adult client who agreed to email and texts, with an Open bill for one 90837 session.
    static func adultWithOpenBill(_ fixture: BillingFixture, email: String, phone: String, sms: Bool = true)
        async throws -> (client: String, bill: String)
    {
        let created = try await fixture.practice.call("client.create", [
            "firstName": "Riley", "lastName": "Stone", "dateOfBirth": "1988-02-03", "sex": "F",
            "address": ["line1": "9 Oak St", "city": "Springfield", "state": "IL", "postalCode": "62704"],
            "email": .string(email), "phone": .string(phone), "consents": ["email": true, "sms": .bool(sms)],
            "assignedMemberIds": [.string(fixture.clinicianID)],
        ])
        guard let client = created["result"]?["client"]?["id"]?.stringValue else {
            throw TestSetupError("client.create: \(created.text)")
        }
        let session = try await fixture.completedSession(client: client)
        return (client, try await fixture.openBill(sessions: [session], client: client))
    }

    /// A minor whose guardian is the billing contact (email and SMS consent); the minor has none.
    static func minorWithOpenBill(_ fixture: BillingFixture, guardianEmail: String, guardianPhone: String)
        async throws -> (client: String, contact: String, bill: String)
    {
        let client = try await fixture.newClient(dateOfBirth: "2014-06-01", firstName: "Sam")
        let contact = try await fixture.practice.call("contact.create", [
            "firstName": "Morgan", "lastName": "Park", "email": .string(guardianEmail), "phone": .string(guardianPhone),
            "consents": ["email": true, "sms": true],
            "links": [["clientId": .string(client), "roles": ["guardian", "billingContact"]]],
        ])
        guard let contactID = contact["result"]?["contact"]?["id"]?.stringValue else {
            throw TestSetupError("contact.create: \(contact.text)")
        }
        let session = try await fixture.completedSession(client: client)
        return (client, contactID, try await fixture.openBill(sessions: [session], client: client))
    }

    @Test func emailDeliversTheBillPDFToTheClient() async throws {
        let setup = try await Self.setup()
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await Self.configureEmail(setup.practice, port: sink.port)
        let (_, bill) = try await Self.adultWithOpenBill(setup.fixture, email: "riley@example.com", phone: "+12175550123")
        let number = try #require(try await setup.practice.call("bill.get", ["id": .string(bill)])["result"]?["bill"]?["number"]?.stringValue)

        let sent = try await setup.practice.call("bill.send", ["id": .string(bill), "channel": "email"])
        let notification = try #require(sent["result"]?["notification"], "\(sent.text)")
        #expect(notification["status"]?.stringValue == "queued")
        #expect(notification["recipient"]?.stringValue == "riley@example.com")
        #expect(notification["recipientKind"]?.stringValue == "client")
        let id = try #require(notification["id"]?.stringValue)

        let settled = try await setup.plugins.settled(id, practice: setup.practice)
        #expect(settled["status"]?.stringValue == "sent", "\(settled.text)")
        #expect(settled["attempts"]?.arrayValue.map { $0["outcome"]?.stringValue } == ["accepted"])

        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(mail.rcptTos == ["riley@example.com"])
        #expect(mail.header("Subject")?.contains(number) == true)
        #expect(mail.header("From")?.contains("billing@practice.example") == true)
        #expect(mail.text?.contains("$150.00") == true)
        #expect(mail.html?.contains(number) == true)
        let attachment = try #require(mail.attachments.first)
        #expect(attachment.filename == "bill-\(number).pdf")
        #expect(attachment.contentType.hasPrefix("application/pdf"))
        #expect(attachment.data.starts(with: Array("%PDF-".utf8)))
        // The provider's message id is the Message-ID the sink received.
        let messageID = try #require(settled["providerMessageId"]?.stringValue)
        #expect(mail.header("Message-ID")?.contains(messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<>"))) == true)
        // The PDF is the bill: its text names the bill number and the amount.
        let text = try await SuperbillTests.text(ofPDF: Array(attachment.data))
        #expect(text.contains(number) && text.contains("150.00"))
    }

    @Test func minorsBillGoesToTheBillingContactByEmailAndSMS() async throws {
        let setup = try await Self.setup()
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await Self.configureEmail(setup.practice, port: sink.port)
        try await Self.configureSMS(setup.practice)
        let phone = "+1217555\(String(format: "%04d", Int.random(in: 0...9999)))"
        let (_, contact, bill) = try await Self.minorWithOpenBill(setup.fixture, guardianEmail: "morgan@example.com",
                                                                    guardianPhone: phone)
        let number = try #require(try await setup.practice.call("bill.get", ["id": .string(bill)])["result"]?["bill"]?["number"]?.stringValue)

        let byEmail = try await setup.practice.call("bill.send", ["id": .string(bill), "channel": "email"])
        let bySMS = try await setup.practice.call("bill.send", ["id": .string(bill), "channel": "sms"])
        for response in [byEmail, bySMS] {
            #expect(response["result"]?["notification"]?["recipientKind"]?.stringValue == "contact", "\(response.text)")
            #expect(response["result"]?["notification"]?["contactId"]?.stringValue == contact)
        }
        let emailID = try #require(byEmail["result"]?["notification"]?["id"]?.stringValue)
        let smsID = try #require(bySMS["result"]?["notification"]?["id"]?.stringValue)
        #expect(try await setup.plugins.settled(emailID, practice: setup.practice)["status"]?.stringValue == "sent")
        let smsSettled = try await setup.plugins.settled(smsID, practice: setup.practice)
        #expect(smsSettled["status"]?.stringValue == "sent", "\(smsSettled.text)")
        #expect(smsSettled["providerMessageId"]?.stringValue?.hasPrefix("SM") == true)

        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        #expect(mail.rcptTos == ["morgan@example.com"])
        #expect(mail.text?.contains("Dear Morgan") == true)
        #expect(mail.text?.contains("for services to Sam") == true)
        #expect(mail.attachments.count == 1)

        let texts = try await setup.plugins.sms.messages().filter { $0.to == phone }
        #expect(texts.count == 1)
        #expect(texts.first?.from == "+12175550199")
        #expect(texts.first?.body.contains(number) == true)
        #expect(texts.first?.body.contains("$150.00") == true)
        #expect(texts.first?.sid == smsSettled["providerMessageId"]?.stringValue)

        let listed = try await setup.practice.call("notification.list", ["billId": .string(bill)])
        #expect(Set(listed["result"]?["items"]?.arrayValue.compactMap { $0["channel"]?.stringValue } ?? []) == ["email", "sms"])
    }

    @Test func refusalsChangeNothing() async throws {
        let setup = try await Self.setup()
        let practice = setup.practice
        let (_, bill) = try await Self.adultWithOpenBill(setup.fixture, email: "noconsent@example.com",
                                                         phone: "+12175550111", sms: false)
        // No channel configured yet.
        let unconfigured = try await practice.call("bill.send", ["id": .string(bill), "channel": "email"])
        #expect(unconfigured.errorCode == -32012, "\(unconfigured.text)")
        try await Self.configureSMS(practice)
        // The client never agreed to texts.
        let noConsent = try await practice.call("bill.send", ["id": .string(bill), "channel": "sms"])
        #expect(noConsent.errorCode == -32009, "\(noConsent.text)")
        #expect(noConsent["error"]?["data"]?["type"]?.stringValue == "notification.noConsent")
        #expect(noConsent.errorPointers == ["/channel"])
        // A Pended bill cannot be sent.
        let session = try await setup.fixture.completedSession()
        let pended = try await practice.call("bill.create", ["clientId": .string(setup.fixture.clientID),
                                                             "sessionIds": [.string(session)]])
        let pendedID = try #require(pended["result"]?["bill"]?["id"]?.stringValue)
        let refused = try await practice.call("bill.send", ["id": .string(pendedID), "channel": "sms"])
        #expect(refused.errorCode == -32009)
        #expect(refused["error"]?["data"]?["type"]?.stringValue == "bill.notSendable")
        // Bad params.
        #expect(try await practice.call("bill.send", ["id": .string(bill), "channel": "fax"]).errorPointers == ["/channel"])
        #expect(try await practice.call("bill.send", ["id": "bil_nope", "channel": "sms"]).errorCode == -32602)
        // Another practice's bill is not found.
        let other = try await setup.plugins.environment.createPractice()
        try await Self.configureSMS(other)
        #expect(try await other.call("bill.send", ["id": .string(bill), "channel": "sms"]).errorCode == -32004)

        let id = try #require(TableInspector.uuid(of: practice.id))
        #expect(try await practice.environment.count("select count(*)::int from notifications where practice_id = \(id)") == 0)
        #expect(try await practice.environment.count(
            "select count(*)::int from jobs where practice_id = \(id) and kind = 'notification.deliver'") == 0)
    }

    @Test func refusedRecipientFailsTheNotificationAndTheServerCarriesOn() async throws {
        let setup = try await Self.setup()
        let sink = try await SMTPSink.start(refuse: ["bounce@example.com"])
        defer { sink.stop() }
        try await Self.configureEmail(setup.practice, port: sink.port)
        let (_, bill) = try await Self.adultWithOpenBill(setup.fixture, email: "bounce@example.com", phone: "+12175550112")
        let sent = try await setup.practice.call("bill.send", ["id": .string(bill), "channel": "email"])
        let id = try #require(sent["result"]?["notification"]?["id"]?.stringValue, "\(sent.text)")
        let settled = try await setup.plugins.settled(id, practice: setup.practice)
        #expect(settled["status"]?.stringValue == "failed", "\(settled.text)")
        let attempts = settled["attempts"]?.arrayValue ?? []
        #expect(attempts.count == 1)
        #expect(attempts.first?["errorCode"]?.stringValue == "rejected")
        #expect(settled["lastError"]?.stringValue?.isEmpty == false)
        #expect(try sink.messages().isEmpty)
        // The next message goes through.
        let (_, other) = try await Self.adultWithOpenBill(setup.fixture, email: "fine@example.com", phone: "+12175550113")
        let next = try await setup.practice.call("bill.send", ["id": .string(other), "channel": "email"])
        let nextID = try #require(next["result"]?["notification"]?["id"]?.stringValue)
        #expect(try await setup.plugins.settled(nextID, practice: setup.practice)["status"]?.stringValue == "sent")
    }

    @Test func providerOutageIsRetriedAndEveryAttemptRecorded() async throws {
        let setup = try await Self.setup()
        try await Self.configureSMS(setup.practice, from: "+12175550177")
        let phone = "+1312555\(String(format: "%04d", Int.random(in: 0...9999)))"
        let (_, bill) = try await Self.adultWithOpenBill(setup.fixture, email: "retry@example.com", phone: phone)
        try await setup.plugins.sms.failNext(2, status: 503)
        let sent = try await setup.practice.call("bill.send", ["id": .string(bill), "channel": "sms"])
        let id = try #require(sent["result"]?["notification"]?["id"]?.stringValue, "\(sent.text)")
        let settled = try await setup.plugins.settled(id, practice: setup.practice)
        #expect(settled["status"]?.stringValue == "sent", "\(settled.text)")
        let outcomes = settled["attempts"]?.arrayValue.compactMap { $0["outcome"]?.stringValue } ?? []
        // Other tests share the stand-in, so the two failures may land on their messages instead.
        #expect(outcomes.last == "accepted")
        #expect(outcomes.dropLast().allSatisfy { $0 == "retry" })
        let delivered = try await setup.plugins.sms.messages().filter { $0.to == phone }
        #expect(delivered.count == 1)
    }

    @Test func removingThePluginFromTheServerAnswersNotConfigured() async throws {
        let setup = try await Self.setup()
        try await Self.configureSMS(setup.practice)
        let (_, bill) = try await Self.adultWithOpenBill(setup.fixture, email: "gone@example.com", phone: "+12175550114")
        let restarted = try setup.plugins.without(plugins: ["sms"])
        let response = try await restarted.call("bill.send", ["id": .string(bill), "channel": "sms"],
                                                key: setup.practice.ownerKey)
        #expect(response.errorCode == -32012, "\(response.text)")
        #expect(response["error"]?["data"]?["type"]?.stringValue == "integration.pluginNotLoaded")
        #expect(response["error"]?["data"]?["reason"]?.stringValue?.contains("'sms'") == true)
    }
}
