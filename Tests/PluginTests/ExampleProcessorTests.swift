import Foundation
import PluginAPI
import PluginConformance
import PluginHost
import Testing

/// The example payment processor (`libLedgerlineExampleProcessorPlugin.so`), loaded as the server
/// loads it: test card tokens, declines as results, idempotency by key, refunds.
@Suite struct ExampleProcessorTests {
    static let path = PluginFiles.library("LedgerlineExampleProcessorPlugin")
    static let practice: PluginJSON = ["accountId": "acct_ledger01", "secretKey": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"]

    /// A fresh instance: each has its own records, so tests never see each other's charges.
    let processor: LoadedPlugin

    init() throws {
        processor = try PluginLoader.load(
            PluginConfigurationEntry(name: "example-processor", path: Self.path, settings: [:], timeoutSeconds: 10))
    }

    static func charge(_ token: String, _ amountCents: Int64 = 12_000, key: String = UUID().uuidString)
        -> ChargeRequest
    {
        ChargeRequest(amountCents: amountCents, paymentMethodToken: token, idempotencyKey: key)
    }

    func approvedChargeID(_ amountCents: Int64 = 10_000, settings: PluginJSON = practice) async throws -> String {
        let result = try await processor.charge(Self.charge("pm_card_visa", amountCents), settings: settings)
        return try #require(result.processorChargeID)
    }

    // MARK: - charge

    @Test(arguments: ["pm_card_visa", "pm_card_mastercard"])
    func testCardIsApproved(token: String) async throws {
        let result = try await processor.charge(Self.charge(token), settings: Self.practice)
        #expect(result.outcome == .approved)
        #expect(result.processorChargeID?.hasPrefix("ch_") == true)
        #expect(result.declineReason == nil)
    }

    @Test func declinedCardIsAResultNotAnError() async throws {
        let declined = try await processor.charge(Self.charge("pm_card_chargeDeclined"), settings: Self.practice)
        #expect(declined == ChargeResult(outcome: .declined, declineReason: "card_declined: generic decline"))

        let insufficient = try await processor.charge(Self.charge("pm_card_insufficientFunds"), settings: Self.practice)
        #expect(insufficient.outcome == .declined)
        #expect(insufficient.processorChargeID == nil)
        #expect(insufficient.declineReason?.hasPrefix("insufficient_funds") == true)
    }

    @Test func processingErrorIsUnavailableAndNotRemembered() async throws {
        let request = Self.charge("pm_card_processingError")
        for _ in 0..<2 {
            let error = await #expect(throws: PluginError.self) {
                try await processor.charge(request, settings: Self.practice)
            }
            #expect(error?.code == .unavailable)
        }
    }

    @Test func unknownTokenIsAnErrorNamingThePaymentMethodToken() async throws {
        let error = await #expect(throws: PluginError.self) {
            try await processor.charge(Self.charge("tok_unknown"), settings: Self.practice)
        }
        #expect(error?.code == .rejected)
        #expect(error?.field == "/paymentMethodToken")
    }

    @Test(arguments: [0, -500] as [Int64])
    func nonPositiveAmountIsAnErrorNamingAmountCents(amountCents: Int64) async throws {
        let error = await #expect(throws: PluginError.self) {
            try await processor.charge(Self.charge("pm_card_visa", amountCents), settings: Self.practice)
        }
        #expect(error?.code == .invalidParams)
        #expect(error?.field == "/amountCents")
    }

    @Test func overlongStatementDescriptorIsAnError() async throws {
        var request = Self.charge("pm_card_visa")
        request.statementDescriptor = "LEDGERLINE PRACTICE BILL 42"
        let error = await #expect(throws: PluginError.self) {
            try await processor.charge(request, settings: Self.practice)
        }
        #expect(error?.field == "/statementDescriptor")
    }

    @Test func revokedSecretKeyIsAnErrorNamingTheSetting() async throws {
        let error = await #expect(throws: PluginError.self) {
            try await processor.charge(
                Self.charge("pm_card_visa"), settings: ["accountId": "acct_ledger01", "secretKey": "sk_test_revoked"])
        }
        #expect(error?.code == .invalidSettings)
        #expect(error?.field == "/settings/secretKey")
    }

    // MARK: - idempotency

    @Test func retryWithTheSameKeyReturnsTheSameCharge() async throws {
        let request = Self.charge("pm_card_visa", 5_000)
        let first = try await processor.charge(request, settings: Self.practice)
        let retries = try await withThrowingTaskGroup(of: ChargeResult.self) { group in
            for _ in 0..<8 { group.addTask { try await processor.charge(request, settings: Self.practice) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(first.outcome == .approved)
        #expect(retries.allSatisfy { $0 == first })

        // One charge of 5000: all of it can be refunded once, and nothing more.
        let chargeID = try #require(first.processorChargeID)
        let full = try await processor.refund(
            RefundRequest(processorChargeID: chargeID, amountCents: 5_000, idempotencyKey: "r1"),
            settings: Self.practice)
        #expect(full.outcome == .approved)
        let more = try await processor.refund(
            RefundRequest(processorChargeID: chargeID, amountCents: 1, idempotencyKey: "r2"), settings: Self.practice)
        #expect(more.outcome == .declined)
    }

    @Test func retryOfADeclineAnswersTheSameDecline() async throws {
        let request = Self.charge("pm_card_insufficientFunds")
        let first = try await processor.charge(request, settings: Self.practice)
        let second = try await processor.charge(request, settings: Self.practice)
        #expect(first.outcome == .declined)
        #expect(second == first)
    }

    @Test func sameKeyWithADifferentRequestIsRefused() async throws {
        let key = "bill-42-attempt-1"
        _ = try await processor.charge(Self.charge("pm_card_visa", 5_000, key: key), settings: Self.practice)
        for changed in [
            Self.charge("pm_card_visa", 5_001, key: key), Self.charge("pm_card_mastercard", 5_000, key: key),
        ] {
            let error = await #expect(throws: PluginError.self) {
                try await processor.charge(changed, settings: Self.practice)
            }
            #expect(error?.code == .invalidParams)
            #expect(error?.field == "/idempotencyKey")
        }
    }

    @Test func keysAreScopedToTheAccount() async throws {
        let request = Self.charge("pm_card_visa", 5_000, key: "shared-key")
        let other: PluginJSON = ["accountId": "acct_other01", "secretKey": "sk_test_other"]
        let mine = try await processor.charge(request, settings: Self.practice)
        let theirs = try await processor.charge(request, settings: other)
        #expect(mine.processorChargeID != nil)
        #expect(theirs.processorChargeID != nil)
        #expect(mine.processorChargeID != theirs.processorChargeID)
    }

    // MARK: - refund

    @Test func partialRefundsAddUpToTheChargeAndNoFurther() async throws {
        let chargeID = try await approvedChargeID(10_000)
        func refund(_ amountCents: Int64, _ key: String) async throws -> RefundResult {
            try await processor.refund(
                RefundRequest(processorChargeID: chargeID, amountCents: amountCents, idempotencyKey: key),
                settings: Self.practice)
        }

        let first = try await refund(4_000, "refund-1")
        #expect(first.outcome == .approved)
        #expect(first.processorRefundID?.hasPrefix("re_") == true)

        let tooMuch = try await refund(7_000, "refund-2")
        #expect(tooMuch.outcome == .declined)
        #expect(tooMuch.processorRefundID == nil)
        #expect(tooMuch.declineReason?.hasPrefix("amount_too_large") == true)

        #expect(try await refund(4_000, "refund-1") == first)  // a retry refunds nothing more
        #expect(try await refund(6_000, "refund-3").outcome == .approved)
        #expect(try await refund(1, "refund-4").outcome == .declined)
    }

    @Test func refundKeyReusedForAnotherAmountIsRefused() async throws {
        let chargeID = try await approvedChargeID()
        _ = try await processor.refund(
            RefundRequest(processorChargeID: chargeID, amountCents: 100, idempotencyKey: "refund-x"),
            settings: Self.practice)
        let error = await #expect(throws: PluginError.self) {
            try await processor.refund(
                RefundRequest(processorChargeID: chargeID, amountCents: 200, idempotencyKey: "refund-x"),
                settings: Self.practice)
        }
        #expect(error?.field == "/idempotencyKey")
    }

    @Test func refundOfAnUnknownChargeNamesTheChargeID() async throws {
        let otherAccountsCharge = try await approvedChargeID(
            settings: ["accountId": "acct_other01", "secretKey": "sk_test_other"])
        for chargeID in ["ch_doesnotexist", otherAccountsCharge] {
            let error = await #expect(throws: PluginError.self) {
                try await processor.refund(
                    RefundRequest(processorChargeID: chargeID, amountCents: 100, idempotencyKey: UUID().uuidString),
                    settings: Self.practice)
            }
            #expect(error?.code == .rejected)
            #expect(error?.field == "/processorChargeID")
        }
    }

    @Test func nonPositiveRefundIsAnErrorNamingAmountCents() async throws {
        let chargeID = try await approvedChargeID()
        let error = await #expect(throws: PluginError.self) {
            try await processor.refund(
                RefundRequest(processorChargeID: chargeID, amountCents: 0, idempotencyKey: "refund-0"),
                settings: Self.practice)
        }
        #expect(error?.field == "/amountCents")
    }

    // MARK: - verify, manifest, conformance

    @Test func verifyAcceptsAWorkingKeyAndNamesARevokedOne() async throws {
        #expect(try await processor.verify(settings: Self.practice) == .ok)
        let revoked = try await processor.verify(settings: [
            "accountId": "acct_ledger01", "secretKey": "sk_test_revoked",
        ])
        #expect(revoked.problems.map(\.pointer) == ["/secretKey"])
        let live = try await processor.verify(settings: ["accountId": "acct_1", "secretKey": "sk_live_123"])
        #expect(Set(live.problems.map(\.pointer)) == ["/accountId", "/secretKey"])
    }

    @Test func manifestSaysItIsAnExampleAndHidesTheSecretKey() throws {
        let manifest = try PluginLoader.inspect(path: Self.path)
        #expect(manifest.name == "example-processor")
        #expect(manifest.kind == .paymentProcessor)
        #expect(manifest.description.lowercased().contains("example"))
        #expect(manifest.description.lowercased().contains("no money"))
        #expect(manifest.practiceSettingsSchema?["properties"]?["secretKey"]?["writeOnly"] == true)
    }

    @Test func passesTheConformanceKit() async {
        let kit = PluginConformanceKit(
            path: Self.path, settings: [:], invalidSettings: [["currency": "usd"]],
            practiceSettings: Self.practice,
            invalidPracticeSettings: [
                ["accountId": "acct_ledger01", "secretKey": "sk_test_revoked"],
                ["accountId": "ledger01", "secretKey": "sk_test_123"],
                ["accountId": "acct_ledger01", "secretKey": "sk_live_123"],
            ],
            sampleInput: [
                "amountCents": 12_000, "paymentMethodToken": "pm_card_visa",
                "idempotencyKey": .string("conformance-\(UUID().uuidString)"),
            ])
        #expect(await kit.run() == [])
    }
}
