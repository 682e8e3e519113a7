import BillingCore
import Foundation
import JSONRPC
import Testing

@Suite struct TenancyTests {
    @Test func practiceCreateReturnsPracticeOwnerAndWorkingKey() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice(name: "Riverbend Counseling PLLC")
        let got = try await practice.call("practice.get")
        #expect(got["result"]?["practice"]?["id"]?.stringValue == practice.id)
        #expect(got["result"]?["practice"]?["legalName"]?.stringValue == "Riverbend Counseling PLLC")
        #expect(got["result"]?["practice"]?["version"]?.int64Value == 1)
    }
}
