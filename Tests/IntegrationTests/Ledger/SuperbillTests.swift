import BillingCore
import Foundation
import Hummingbird
import HummingbirdTesting
import JSONRPC
import Server
import Storage
import Testing

/// Superbills and bill PDFs: rendered by libharu, readable by pdftotext, served once by a short-lived link.
@Suite struct SuperbillTests {
    /// The text of a PDF, extracted with poppler's pdftotext.
    static func text(ofPDF bytes: [UInt8]) async throws -> String {
        let base = NSTemporaryDirectory() + "ll-pdf-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: base + ".pdf"))
        defer {
            try? FileManager.default.removeItem(atPath: base + ".pdf")
            try? FileManager.default.removeItem(atPath: base + ".txt")
        }
        try await ChildProcess.runDetached("/usr/bin/pdftotext", ["-layout", base + ".pdf", base + ".txt"])
        return try String(contentsOfFile: base + ".txt", encoding: .utf8)
    }

    @Test func superbillForAPaidBillCarriesIdentifiersCodesAndDiagnoses() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let billID = try await fixture.openBill(sessions: [try await fixture.completedSession(date: "2026-11-20")])
        _ = try await fixture.practice.call("payment.record", [
            "clientId": .string(fixture.clientID), "amountCents": 15000, "method": "card", "receivedOn": "2026-11-21",
            "allocations": [["billId": .string(billID), "amountCents": 15000]],
        ])
        let response = try await fixture.practice.call("superbill.generate", [
            "clientId": .string(fixture.clientID), "from": "2026-11-01", "to": "2026-11-30", "includeBase64": true,
        ])
        let superbill = try #require(response["result"]?["superbill"], "\(response.text)")
        let data = try #require(superbill["data"])
        #expect(data["practice"]?["npi"]?.stringValue == "1234567893")
        #expect(data["practice"]?["taxId"]?.stringValue == "12-3456789")
        #expect(data["providers"]?.arrayValue.first?["npi"]?.stringValue == "1245319599")
        #expect(data["lines"]?.arrayValue.first?["code"]?.stringValue == "90837")
        #expect(data["diagnoses"]?.arrayValue.compactMap { $0["code"]?.stringValue } == ["F41.1", "F32.1"])
        #expect(data["paidCents"]?.int64Value == 15000)
        #expect(data["balanceCents"]?.int64Value == 0)

        let base64 = try #require(superbill["pdf"]?["base64"]?.stringValue)
        let pdf = try #require(Data(base64Encoded: base64))
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        let text = try await Self.text(ofPDF: Array(pdf))
        for expected in ["SUPERBILL", "1234567893", "1245319599", "90837", "F41.1", "F32.1", "$150.00", "Jordan"] {
            #expect(text.contains(expected), "superbill text lacks \(expected)")
        }
    }

    @Test func pendedBillInTheRangeIsRefusedWithTheRule() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let session = try await fixture.completedSession(date: "2026-11-20")
        _ = try await fixture.practice.call("bill.create", ["clientId": .string(fixture.clientID), "sessionIds": [.string(session)]])
        let response = try await fixture.practice.call("superbill.generate", [
            "clientId": .string(fixture.clientID), "from": "2026-11-01", "to": "2026-11-30",
        ])
        #expect(response.errorCode == -32009)
        #expect(response["error"]?["data"]?["type"]?.stringValue == "superbill.pendedBill")
        #expect(response["error"]?["data"]?["reason"]?.stringValue?.contains("Pended") == true)
    }

    @Test func billPDFIsServedByItsLinkWithoutAKeyAndOnlyForItsToken() async throws {
        let environment = try await TestEnvironment.shared()
        let fixture = try await BillingFixture.make(environment)
        let billID = try await fixture.openBill(sessions: [try await fixture.completedSession(date: "2026-11-20")])
        let response = try await fixture.practice.call("bill.pdf", ["id": .string(billID)])
        let url = try #require(response["result"]?["pdf"]?["url"]?.stringValue, "\(response.text)")
        #expect(url.hasPrefix("/files/llf_"))
        let router = HTTPRoutes.router(processor: environment.processor, database: environment.database,
                                       maximumBodyBytes: 1 << 20)
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: url, method: .get) { reply in
                #expect(reply.status == .ok)
                #expect(reply.headers[.contentType] == "application/pdf")
                let text = try await Self.text(ofPDF: Array(buffer: reply.body))
                #expect(text.contains("BILL B-"))
                #expect(text.contains("$150.00"))
            }
            try await client.execute(uri: url + "x", method: .get) { reply in #expect(reply.status == .notFound) }
            try await client.execute(uri: "/files/llf_guess", method: .get) { reply in #expect(reply.status == .notFound) }
        }
    }
}
