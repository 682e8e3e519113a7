import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Testing

/// `paymentMethod.*` and `payment.charge` through the example processor plugin (built from the
/// template, loaded from its `.so`).
@Suite struct CardPaymentTests {
    struct Setup {
        let fixture: BillingFixture
        let bill: String
        var practice: TestPractice { fixture.practice }
    }

    static func setup(configure: Bool = true) async throws -> Setup {
        let plugins = try await PluginTestEnvironment.shared()
        let fixture = try await BillingFixture.make(plugins.environment)
        if configure {
            let configured = try await fixture.practice.call("integration.configure", [
                "kind": "paymentProcessor", "plugin": "example-processor",
                "settings": ["accountId": "acct_test1234", "secretKey": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"],
            ])
            guard configured["result"] != nil else { throw TestSetupError("configure: \(configured.text)") }
        }
        let session = try await fixture.completedSession()
        return Setup(fixture: fixture, bill: try await fixture.openBill(sessions: [session]))
    }

    func attach(_ setup: Setup, token: String) async throws -> String {
        let attached = try await setup.practice.call("paymentMethod.attach", [
            "clientId": .string(setup.fixture.clientID), "token": .string(token), "brand": "visa", "last4": "4242",
            "expMonth": 12, "expYear": 2030,
        ])
        guard let id = attached["result"]?["paymentMethod"]?["id"]?.stringValue else {
            throw TestSetupError("paymentMethod.attach: \(attached.text)")
        }
        return id
    }

    func counts(_ practice: TestPractice) async throws -> (payments: Int, charges: Int) {
        let id = try #require(TableInspector.uuid(of: practice.id))
        return (try await practice.environment.count("select count(*)::int from payments where practice_id = \(id)"),
                try await practice.environment.count("select count(*)::int from card_charges where practice_id = \(id)"))
    }

    @Test func approvedChargeRecordsACardPaymentOnceEvenWhenRetried() async throws {
        let setup = try await Self.setup()
        let method = try await attach(setup, token: "pm_card_visa")
        let params: JSONValue = [
            "clientId": .string(setup.fixture.clientID), "paymentMethodId": .string(method), "amountCents": 15000,
            "allocations": [["billId": .string(setup.bill), "amountCents": 15000]],
            "idempotencyKey": .string("charge-\(UUID().uuidString)"),
        ]
        let charged = try await setup.practice.call("payment.charge", params)
        let result = try #require(charged["result"], "\(charged.text)")
        #expect(result["charge"]?["outcome"]?.stringValue == "approved")
        #expect(result["charge"]?["processorChargeId"]?.stringValue?.hasPrefix("ch_") == true)
        #expect(result["payment"]?["method"]?.stringValue == "card")
        #expect(result["payment"]?["amountCents"]?.int64Value == 15000)
        #expect(result["bills"]?.arrayValue.first?["status"]?.stringValue == "complete")
        // The same request again (a lost answer): the stored result, no second charge or payment.
        let replayed = try await setup.practice.call("payment.charge", params)
        #expect(replayed["result"]?["charge"]?["id"] == result["charge"]?["id"])
        let (payments, charges) = try await counts(setup.practice)
        #expect(payments == 1 && charges == 1)
        let balance = try await setup.practice.call("client.balance", ["clientId": .string(setup.fixture.clientID)])
        #expect(balance["result"]?["balanceCents"]?.int64Value == 0)
    }

    @Test func declineRecordsNoPaymentOnlyTheAttempt() async throws {
        let setup = try await Self.setup()
        let method = try await attach(setup, token: "pm_card_chargeDeclined")
        let declined = try await setup.practice.call("payment.charge", [
            "clientId": .string(setup.fixture.clientID), "paymentMethodId": .string(method), "amountCents": 15000,
            "idempotencyKey": .string("decline-\(UUID().uuidString)"),
        ])
        let result = try #require(declined["result"], "\(declined.text)")
        #expect(result["charge"]?["outcome"]?.stringValue == "declined")
        #expect(result["charge"]?["declineReason"]?.stringValue?.contains("card_declined") == true)
        #expect(result["payment"] == .null)
        let (payments, charges) = try await counts(setup.practice)
        #expect(payments == 0 && charges == 1)
        let bill = try await setup.practice.call("bill.get", ["id": .string(setup.bill)])
        #expect(bill["result"]?["bill"]?["balanceCents"]?.int64Value == 15000)
    }

    @Test func badRequestsAreRefusedBeforeTheProcessorIsAsked() async throws {
        let setup = try await Self.setup()
        let method = try await attach(setup, token: "pm_card_mastercard")
        let otherClient = try await setup.fixture.newClient(dateOfBirth: "1980-01-01", firstName: "Other")
        let otherSession = try await setup.fixture.completedSession(client: otherClient)
        let otherBill = try await setup.fixture.openBill(sessions: [otherSession], client: otherClient)
        func charge(_ changes: JSONObject) async throws -> JSONValue {
            var params: JSONObject = [
                "clientId": .string(setup.fixture.clientID), "paymentMethodId": .string(method), "amountCents": 5000,
                "idempotencyKey": .string("bad-\(UUID().uuidString)"),
            ]
            for (key, value) in changes.members { params[key] = value }
            return try await setup.practice.call("payment.charge", .object(params))
        }
        // Allocation to another client's bill, more than the amount, or beyond what the bill owes.
        #expect(try await charge(["allocations": [["billId": .string(otherBill), "amountCents": 5000]]]).errorCode != nil)
        #expect(try await charge(["allocations": [["billId": .string(setup.bill), "amountCents": 6000]]]).errorCode != nil)
        #expect(try await charge(["amountCents": 0]).errorPointers == ["/amountCents"])
        #expect(try await charge(["paymentMethodId": "pmt_00000000000000000000000000000000"]).errorCode == -32004)
        #expect(try await charge(["clientId": .string(otherClient)]).errorPointers == ["/paymentMethodId"])
        let missingKey = try await setup.practice.call("payment.charge", [
            "clientId": .string(setup.fixture.clientID), "paymentMethodId": .string(method), "amountCents": 5000,
        ])
        #expect(missingKey.errorPointers == ["/idempotencyKey"])
        let (payments, charges) = try await counts(setup.practice)
        #expect(payments == 0 && charges == 0)
    }

    @Test func unknownOutcomeIsAnIntegrationErrorAndRecordsNothing() async throws {
        let setup = try await Self.setup()
        let method = try await attach(setup, token: "pm_card_processingError")
        let response = try await setup.practice.call("payment.charge", [
            "clientId": .string(setup.fixture.clientID), "paymentMethodId": .string(method), "amountCents": 5000,
            "idempotencyKey": .string("unknown-\(UUID().uuidString)"),
        ])
        #expect(response.errorCode == -32013, "\(response.text)")
        #expect(response["error"]?["data"]?["type"]?.stringValue == "integration.unavailable")
        let (payments, charges) = try await counts(setup.practice)
        #expect(payments == 0 && charges == 0)
    }

    @Test func paymentMethodsKeepOnlyTheTokenAndDetachStopsCharges() async throws {
        let setup = try await Self.setup()
        let method = try await attach(setup, token: "pm_card_visa")
        #expect(try await attach(setup, token: "pm_card_visa") == method)  // the same token is the same method
        let listed = try await setup.practice.call("paymentMethod.list", ["clientId": .string(setup.fixture.clientID)])
        let item = try #require(listed["result"]?["items"]?.arrayValue.first)
        #expect(item["last4"]?.stringValue == "4242")
        #expect(item["processor"]?.stringValue == "example-processor")
        #expect(!listed.text.contains("pm_card_visa"))
        #expect(try await setup.practice.call("paymentMethod.detach", ["id": .string(method)])["result"]?["paymentMethod"]?["active"] == false)
        let refused = try await setup.practice.call("payment.charge", [
            "clientId": .string(setup.fixture.clientID), "paymentMethodId": .string(method), "amountCents": 5000,
            "idempotencyKey": .string("detached-\(UUID().uuidString)"),
        ])
        #expect(refused.errorCode == -32009)
        #expect(try await setup.practice.call("paymentMethod.attach", [
            "clientId": .string(setup.fixture.clientID), "token": "pm card", "last4": "42a2",
        ]).errorPointers.sorted() == ["/last4", "/token"])
    }

    @Test func withoutAProcessorCardFeaturesAreNotConfigured() async throws {
        let setup = try await Self.setup(configure: false)
        let response = try await setup.practice.call("paymentMethod.attach", [
            "clientId": .string(setup.fixture.clientID), "token": "pm_card_visa",
        ])
        #expect(response.errorCode == -32012, "\(response.text)")
        #expect(response["error"]?["data"]?["type"]?.stringValue == "integration.notConfigured")
    }
}
