import API
import BillingCore
import Foundation
import JSONRPC
import Storage
import Testing

/// Per-practice rate limiting: −32029 with a retry time, nothing done, other practices untouched.
@Suite struct RateLimitTests {
    @Test func bucketRefillsAtTheRateUpToTheBurst() {
        let limiter = PracticeRateLimiter(rate: 10, burst: 3)
        let practice = PracticeID.generate()
        let start = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.acquire(practice, now: start) == .allowed) }
        guard case .limited(let wait) = limiter.acquire(practice, now: start) else {
            Issue.record("the fourth call in the same instant was allowed")
            return
        }
        #expect(abs(wait - 0.1) < 1e-9)
        // 0.25 s later: 2.5 tokens earned → two calls, then refused with 0.05 s to wait.
        let later = start.advanced(by: .milliseconds(250))
        #expect(limiter.acquire(practice, now: later) == .allowed)
        #expect(limiter.acquire(practice, now: later) == .allowed)
        guard case .limited(let next) = limiter.acquire(practice, now: later) else {
            Issue.record("a third call after 0.25 s was allowed")
            return
        }
        #expect(abs(next - 0.05) < 1e-9)
        // A long pause never saves more than the burst.
        let muchLater = later.advanced(by: .seconds(3600))
        for _ in 0..<3 { #expect(limiter.acquire(practice, now: muchLater) == .allowed) }
        #expect(limiter.acquire(practice, now: muchLater) != .allowed)
        // Another practice has its own bucket.
        #expect(limiter.acquire(PracticeID.generate(), now: start) == .allowed)
    }

    @Test func environmentSetsRateAndBurstAndZeroTurnsItOff() throws {
        let defaults = try #require(PracticeRateLimiter.fromEnvironment([:]))
        #expect(defaults.rate == 50)
        #expect(defaults.burst == 150)
        let small = try #require(PracticeRateLimiter.fromEnvironment(["LEDGERLINE_RATE_LIMIT": "5"]))
        #expect(small.burst == 100, "a full batch of 100 must fit the default burst")
        let set = try #require(PracticeRateLimiter.fromEnvironment(["LEDGERLINE_RATE_LIMIT": "20", "LEDGERLINE_RATE_BURST": "40"]))
        #expect(set.rate == 20 && set.burst == 40)
        #expect(PracticeRateLimiter.fromEnvironment(["LEDGERLINE_RATE_LIMIT": "0"]) == nil)
    }

    @Test func overLimitCallsAnswer32029ChangeNothingAndSpareOtherPractices() async throws {
        let shared = try await TestEnvironment.shared()
        // One token a minute after a burst of 4: nothing refills during the test.
        let services = Services(database: shared.database, logger: shared.logger, signIn: .tests,
                                rateLimiter: PracticeRateLimiter(rate: 1.0 / 60, burst: 4))
        let processor = LedgerlineAPI.processor(services: services, operatorKey: TestEnvironment.operatorKey,
                                                limits: RPCLimits(), logger: shared.logger)
        let noisy = try await shared.createPractice(name: "Noisy Practice")
        let quiet = try await shared.createPractice(name: "Quiet Practice")
        func call(_ key: String, _ body: String) async throws -> JSONValue {
            let response = await processor.handle(body: Array(body.utf8),
                                                  environment: RequestEnvironment(authorization: "Bearer \(key)"))
            return try JSONParser.parse(try #require(response.body))
        }
        let noisyUUID = try #require(TableInspector.uuid(of: noisy.id))
        let auditBefore = try await shared.count("select count(*)::int from audit_log where practice_id = \(noisyUUID)")
        let clientsBefore = try await shared.count("select count(*)::int from clients where practice_id = \(noisyUUID)")

        // A batch of six creates: four go through, the last two are refused and create nothing.
        let create = { (index: Int) in
            #"{"jsonrpc":"2.0","id":\#(index),"method":"client.create","params":{"firstName":"Rate","lastName":"Limited\#(index)","dateOfBirth":"1990-01-01","sex":"U","consents":{"email":false,"sms":false},"assignedMemberIds":[]}}"#
        }
        let batch = "[" + (1...6).map(create).joined(separator: ",") + "]"
        let answers = try await call(noisy.ownerKey, batch).arrayValue
        #expect(answers.count == 6)
        let refused = answers.filter { $0.errorCode == -32029 }
        #expect(answers.filter { $0["result"] != nil }.count == 4, "answers: \(answers)")
        #expect(refused.count == 2)
        for answer in refused {
            #expect(answer["error"]?["message"]?.stringValue == "Too many requests")
            #expect(answer["error"]?["data"]?["type"]?.stringValue == "rateLimited")
            let wait = try #require(answer["error"]?["data"]?["retryAfterSeconds"].flatMap { value -> Double? in
                if case .number(let number) = value { return number.doubleValue }
                return nil
            })
            #expect(wait > 0 && wait <= 60)
            #expect(answer["error"]?["data"]?["requestId"]?.stringValue?.hasPrefix("req_") == true)
        }
        // Known credential now: refused before the database, still with the same answer.
        let again = try await call(noisy.ownerKey, #"{"jsonrpc":"2.0","id":9,"method":"practice.get"}"#)
        #expect(again.errorCode == -32029)
        #expect(try await shared.count("select count(*)::int from clients where practice_id = \(noisyUUID)") == clientsBefore + 4)
        // Four ok audit rows; the refused calls wrote none.
        #expect(try await shared.count("select count(*)::int from audit_log where practice_id = \(noisyUUID)") == auditBefore + 4)

        // The quiet practice still gets its whole burst.
        for index in 0..<4 {
            let answer = try await call(quiet.ownerKey, #"{"jsonrpc":"2.0","id":\#(index),"method":"practice.get"}"#)
            #expect(answer["result"]?["practice"]?["id"]?.stringValue == quiet.id)
        }
        // A bad credential is still "unauthenticated", never "rate limited".
        let unknown = try await call("llk_not-a-key", #"{"jsonrpc":"2.0","id":1,"method":"practice.get"}"#)
        #expect(unknown.errorCode == -32001)
    }
}
