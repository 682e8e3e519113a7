import Foundation
import Hummingbird
import HummingbirdTesting
import PluginAPI
import PluginConformance
import PluginHost
import StandIns
import Synchronization
import Testing

/// The Claim.MD plugin (`libLedgerlineClaimMDPlugin.so`), loaded as the server loads it, against
/// the Claim.MD stand-in: what reaches Claim.MD, and how each of its answers comes back.
@Suite struct ClaimMDPluginTests {
    static let accountKey = "104422_StandInKey9f3Kq2"
    static let practice: PluginJSON = ["accountKey": .string(accountKey)]

    static func load(
        baseURL: String, format: String? = nil, requestsPerMinute: Int? = nil, timeoutSeconds: Double? = nil
    ) throws -> LoadedPlugin {
        var settings: [String: PluginJSON] = ["baseURL": .string(baseURL)]
        if let format { settings["format"] = .string(format) }
        if let requestsPerMinute { settings["requestsPerMinute"] = .number(Double(requestsPerMinute)) }
        if let timeoutSeconds { settings["timeoutSeconds"] = .number(timeoutSeconds) }
        return try PluginLoader.load(
            PluginConfigurationEntry(
                name: "claimmd", path: PluginFiles.library("LedgerlineClaimMDPlugin"), settings: .object(settings),
                allowedHosts: ["127.0.0.1"], timeoutSeconds: 30))
    }

    /// Runs `body` with a fresh stand-in (whose timed steps only happen on `advance()`) and the
    /// plugin pointed at it.
    static func withStandIn(
        format: String? = nil, singleObjectQuirk: Bool = false, timeoutSeconds: Double? = nil,
        _ body: (ClaimMDStandIn, LoadedPlugin) async throws -> Void
    ) async throws {
        let standIn = try await ClaimMDStandIn.start(
            accountKeys: [accountKey], ackSeconds: 3600, processSeconds: 7200, singleObjectQuirk: singleObjectQuirk)
        defer { standIn.stop() }
        try await body(standIn, try load(baseURL: standIn.baseURL, format: format, timeoutSeconds: timeoutSeconds))
    }

    /// Today in UTC, as `SubmissionLookup.firstAttemptOn` holds it.
    static var today: String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    static func lookup(for batch: ClaimBatch, on day: String = today) -> SubmissionLookup {
        SubmissionLookup(
            batchID: batch.batchID, fileName: batch.fileName, firstAttemptOn: day,
            claimControlNumbers: batch.claims.map(\.claimControlNumber))
    }

    // MARK: - submit

    @Test(arguments: ["json", "xml"])
    func submitAnswersOneReceiptPerClaim(format: String) async throws {
        try await Self.withStandIn(format: format) { standIn, plugin in
            let batch = TestBatch.make([
                TestClaim(pcn: "C\(format)1"), TestClaim(pcn: "C\(format)2", payerID: "99999"),
                TestClaim(pcn: "C\(format)3", chargeCents: 22_500),
            ])
            let receipts = try await plugin.submit(batch, settings: Self.practice)

            #expect(receipts.map(\.claimControlNumber) == ["C\(format)1", "C\(format)2", "C\(format)3"])
            #expect(receipts.map(\.accepted) == [true, false, true])
            #expect(receipts[0].clearinghouseClaimID?.isEmpty == false)
            #expect(receipts[2].clearinghouseClaimID?.isEmpty == false)
            #expect(receipts[0].clearinghouseClaimID != receipts[2].clearinghouseClaimID)
            #expect(receipts[0].message == nil)
            #expect(receipts[1].message == "payerid: Payer ID 99999 is not a valid Claim.MD payer ID")

            let received = try await standIn.received()
            #expect(received.files == [batch.fileName])
            #expect(received.pcns == ["C\(format)1": 1, "C\(format)2": 1, "C\(format)3": 1])
            let claims = try await standIn.claims()
            #expect(Set(claims.map(\.claimMDID)) == Set(receipts.compactMap(\.clearinghouseClaimID)))
        }
    }

    @Test func submitReadsOneElementListsSentAsObjects() async throws {
        try await Self.withStandIn(singleObjectQuirk: true) { standIn, plugin in
            let single = TestBatch.make([TestClaim(pcn: "QUIRK1", memberID: "")])
            let receipts = try await plugin.submit(single, settings: Self.practice)
            #expect(receipts.count == 1)
            #expect(receipts.first?.accepted == false)
            #expect(receipts.first?.message == "ins_number: Subscriber ID (insured's ID number) is missing")

            let pair = TestBatch.make([TestClaim(pcn: "QUIRK2"), TestClaim(pcn: "QUIRK3")])
            let accepted = try await plugin.submit(pair, settings: Self.practice)
            #expect(accepted.map(\.accepted) == [true, true])

            let page = try await plugin.statusUpdates(since: nil, settings: Self.practice)
            #expect(page.updates.map(\.claimControlNumber) == ["QUIRK1", "QUIRK2", "QUIRK3"])
            #expect(page.updates.map(\.status) == ["needsReview", "info", "info"])
            let received = try await standIn.received()
            #expect(received.files == [single.fileName, pair.fileName])
        }
    }

    @Test func claimRejectedForSeveralReasonsListsEveryMessage() async throws {
        try await Self.withStandIn { _, plugin in
            let batch = TestBatch.make([
                TestClaim(pcn: "MULTI1", memberID: "", payerID: "99999"), TestClaim(pcn: "MULTI2"),
            ])
            let receipts = try await plugin.submit(batch, settings: Self.practice)
            #expect(
                receipts.first?.message
                    == "ins_number: Subscriber ID (insured's ID number) is missing; "
                    + "payerid: Payer ID 99999 is not a valid Claim.MD payer ID")
            #expect(receipts.map(\.accepted) == [false, true])
        }
    }

    @Test(arguments: ["json", "xml"])
    func fileRefusedAsAWholeIsRejected(format: String) async throws {
        try await Self.withStandIn(format: format) { standIn, plugin in
            let batch = TestBatch.make([TestClaim(pcn: "BAD1"), TestClaim(pcn: "BAD2")], segmentCountError: 1)
            let error = await #expect(throws: PluginError.self) {
                try await plugin.submit(batch, settings: Self.practice)
            }
            #expect(error?.code == .rejected)
            #expect(error?.message.contains("SE01") == true)
            #expect(error?.message.contains("41") == true)
            let received = try await standIn.received()
            #expect(received.files == [batch.fileName])
            #expect(received.pcns.isEmpty)
        }
    }

    @Test func wrongAccountKeyIsInvalidSettingsWithoutTheKey() async throws {
        try await Self.withStandIn { standIn, plugin in
            let wrongKey = "104422_WrongKeyThatMustNotLeak"
            let settings: PluginJSON = ["accountKey": .string(wrongKey)]
            let submitError = await #expect(throws: PluginError.self) {
                try await plugin.submit(TestBatch.make([TestClaim(pcn: "KEY1")]), settings: settings)
            }
            #expect(submitError?.code == .invalidSettings)
            #expect(submitError?.field == "/settings/accountKey")
            #expect(submitError?.message.contains("AccountKey") == true)
            #expect(submitError?.message.contains(wrongKey) == false)

            let pollError = await #expect(throws: PluginError.self) {
                try await plugin.statusUpdates(since: nil, settings: settings)
            }
            #expect(pollError?.code == .invalidSettings)
            #expect(pollError?.field == "/settings/accountKey")
            #expect(pollError?.message.contains(wrongKey) == false)

            let verified = try await plugin.verify(settings: settings)
            #expect(!verified.ok)
            #expect(verified.problems.map(\.pointer) == ["/accountKey"])
            #expect(verified.problems.allSatisfy { !$0.message.contains(wrongKey) })
            let received = try await standIn.received()
            #expect(received.pcns.isEmpty)
        }
    }

    @Test func serviceUnavailableIsUnavailableAndTheRetrySucceeds() async throws {
        try await Self.withStandIn { standIn, plugin in
            try await standIn.inject(.init(endpoint: .upload, mode: .serviceUnavailable))
            let batch = TestBatch.make([TestClaim(pcn: "S503A"), TestClaim(pcn: "S503B")])
            let error = await #expect(throws: PluginError.self) {
                try await plugin.submit(batch, settings: Self.practice)
            }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("503") == true)

            let receipts = try await plugin.submit(batch, settings: Self.practice)
            #expect(receipts.map(\.accepted) == [true, true])
            let received = try await standIn.received()
            #expect(received.pcns == ["S503A": 1, "S503B": 1])
        }
    }

    @Test func droppedUploadIsUnavailableAndLookupFindsTheFile() async throws {
        try await Self.withStandIn { standIn, plugin in
            let earlier = TestBatch.make([TestClaim(pcn: "EARLY1")])
            _ = try await plugin.submit(earlier, settings: Self.practice)
            try await standIn.inject(.init(endpoint: .upload, mode: .drop))
            let batch = TestBatch.make([TestClaim(pcn: "DROP1"), TestClaim(pcn: "DROP2"), TestClaim(pcn: "DROP3")])
            let error = await #expect(throws: PluginError.self) {
                try await plugin.submit(batch, settings: Self.practice)
            }
            #expect(error?.code == .unavailable)

            let found = try await plugin.lookupSubmission(Self.lookup(for: batch), settings: Self.practice)
            #expect(found.found)
            #expect(found.receipts.isEmpty)
            let received = try await standIn.received()
            #expect(received.pcns == ["EARLY1": 1, "DROP1": 1, "DROP2": 1, "DROP3": 1])
            #expect(received.files == [earlier.fileName, batch.fileName])
        }
    }

    @Test func uploadThatTimesOutIsUnavailable() async throws {
        try await Self.withStandIn(timeoutSeconds: 1) { standIn, plugin in
            try await standIn.inject(.init(endpoint: .upload, mode: .timeout, delaySeconds: 4))
            let error = await #expect(throws: PluginError.self) {
                try await plugin.submit(TestBatch.make([TestClaim(pcn: "SLOW1")]), settings: Self.practice)
            }
            #expect(error?.code == .unavailable)
        }
    }

    @Test func lookupOfABatchNeverSentIsNotFound() async throws {
        try await Self.withStandIn { standIn, plugin in
            let sent = TestBatch.make([TestClaim(pcn: "SENT1")])
            _ = try await plugin.submit(sent, settings: Self.practice)
            let never = TestBatch.make([TestClaim(pcn: "NEVER1")])

            let result = try await plugin.lookupSubmission(Self.lookup(for: never), settings: Self.practice)
            #expect(!result.found)
            #expect(result.receipts.isEmpty)
            let times = try await standIn.requestTimes(accountKey: Self.accountKey)
            #expect(times["uploadlist"]?.count == 4)  // today, pages 1 and 2; tomorrow; yesterday
            let received = try await standIn.received()
            #expect(received.files == [sent.fileName])
        }
    }

    @Test func lookupRefusesADayThatIsNotADate() async throws {
        try await Self.withStandIn { _, plugin in
            let batch = TestBatch.make([TestClaim(pcn: "DAY1")])
            let error = await #expect(throws: PluginError.self) {
                try await plugin.lookupSubmission(Self.lookup(for: batch, on: "03/02/2026"), settings: Self.practice)
            }
            #expect(error?.code == .invalidParams)
            #expect(error?.field == "/firstAttemptOn")
        }
    }

    // MARK: - statusUpdates

    @Test(arguments: ["json", "xml"])
    func statusUpdatesFollowEachClaimThroughThePayer(format: String) async throws {
        try await Self.withStandIn(format: format) { standIn, plugin in
            let batch = TestBatch.make([
                TestClaim(pcn: "LIFE1"), TestClaim(pcn: "LIFE2", memberID: "REJ4455"), TestClaim(pcn: "LIFE3"),
            ])
            let receipts = try await plugin.submit(batch, settings: Self.practice)
            #expect(receipts.map(\.accepted) == [true, true, true])

            let first = try await plugin.statusUpdates(since: nil, settings: Self.practice)
            #expect(first.updates.map(\.claimControlNumber) == ["LIFE1", "LIFE2", "LIFE3"])
            #expect(first.updates.map(\.status) == ["info", "info", "info"])
            #expect(first.updates.map(\.clearinghouseClaimID) == receipts.map(\.clearinghouseClaimID))
            #expect(first.updates.allSatisfy { $0.payerClaimNumber == nil })
            #expect(first.updates.first?.message == "Claim accepted for processing")
            #expect(first.updates.allSatisfy { $0.reportedAt?.hasSuffix("Z") == true })
            let firstCursor = try #require(first.cursor)

            let quiet = try await plugin.statusUpdates(since: firstCursor, settings: Self.practice)
            #expect(quiet.updates.isEmpty)
            #expect(quiet.cursor == firstCursor)

            try await standIn.advance()
            let next = try await plugin.statusUpdates(since: firstCursor, settings: Self.practice)
            let nextCursor = try #require(next.cursor)
            #expect((Int(nextCursor) ?? 0) > (Int(firstCursor) ?? 0))
            var statuses: [String: [String]] = [:]
            for update in next.updates { statuses[update.claimControlNumber, default: []].append(update.status) }
            #expect(
                statuses == [
                    "LIFE1": ["received", "inProcess"], "LIFE2": ["needsReview"], "LIFE3": ["received", "inProcess"],
                ])
            #expect(next.updates.allSatisfy { ClaimStatusUpdate.statuses.contains($0.status) })

            let rejected = try #require(next.updates.first { $0.claimControlNumber == "LIFE2" })
            #expect(rejected.message == "ins_number: Subscriber not found")
            let received = try #require(next.updates.first { $0.claimControlNumber == "LIFE1" })
            let standInClaim = try #require(try await standIn.claims().first { $0.pcn == "LIFE1" })
            #expect(received.payerClaimNumber == standInClaim.senderICN)
            #expect(received.payerClaimNumber?.isEmpty == false)
            #expect(received.clearinghouseClaimID == receipts[0].clearinghouseClaimID)
        }
    }

    @Test func claimRejectedAtUploadIsReportedForReview() async throws {
        try await Self.withStandIn { _, plugin in
            let batch = TestBatch.make([TestClaim(pcn: "EDIT1", npi: "1234567890"), TestClaim(pcn: "EDIT2")])
            _ = try await plugin.submit(batch, settings: Self.practice)
            let page = try await plugin.statusUpdates(since: "0", settings: Self.practice)
            let rejected = try #require(page.updates.first { $0.claimControlNumber == "EDIT1" })
            #expect(rejected.status == "needsReview")
            #expect(rejected.message == "bill_npi: Billing provider NPI 1234567890 is invalid (check digit)")
        }
    }

    @Test func cursorStaysWhenClaimMDAnswersAnOlderOne() async throws {
        try await Self.withStandIn { _, plugin in
            let page = try await plugin.statusUpdates(since: "99999999", settings: Self.practice)
            #expect(page.updates.isEmpty)
            #expect(page.cursor == "99999999")
        }
    }

    // MARK: - remittances

    @Test(arguments: ["json", "xml"])
    func remittancesFetchTheERAOfPaidClaims(format: String) async throws {
        try await Self.withStandIn(format: format) { standIn, plugin in
            let batch = TestBatch.make([TestClaim(pcn: "PAID1"), TestClaim(pcn: "PAID2", chargeCents: 9_000)])
            _ = try await plugin.submit(batch, settings: Self.practice)
            let empty = try await plugin.remittances(since: nil, settings: Self.practice)
            #expect(empty.remittances.isEmpty)

            try await standIn.advance()
            let paid = try await standIn.pay(["PAID1", "PAID2"])
            #expect(Set(paid) == ["PAID1", "PAID2"])
            let page = try await plugin.remittances(since: empty.cursor, settings: Self.practice)
            #expect(page.remittances.count == 1)
            let era = try #require(page.remittances.first)
            #expect(era.x12.hasPrefix("ISA*"))
            #expect(era.x12.contains("CLP*PAID1*1*150.00"))
            #expect(era.x12.contains("CLP*PAID2*1*90.00"))
            #expect(page.cursor == era.remittanceID)

            let again = try await plugin.remittances(since: page.cursor, settings: Self.practice)
            #expect(again.remittances.isEmpty)
            #expect(again.cursor == page.cursor)
        }
    }

    @Test func remittancesWithoutACursorSkipERAsAlreadyDownloaded() async throws {
        try await Self.withStandIn(singleObjectQuirk: true) { standIn, plugin in
            _ = try await plugin.submit(TestBatch.make([TestClaim(pcn: "ONCE1")]), settings: Self.practice)
            try await standIn.advance()
            _ = try await standIn.pay()
            let first = try await plugin.remittances(since: nil, settings: Self.practice)
            #expect(first.remittances.count == 1)
            #expect(first.remittances.first?.x12.contains("CLP*ONCE1*") == true)
            let second = try await plugin.remittances(since: nil, settings: Self.practice)
            #expect(second.remittances.isEmpty)
        }
    }

    // MARK: - payers

    @Test(arguments: ["json", "xml"])
    func payersAreFilteredByNameAndCarryTheirTransactions(format: String) async throws {
        try await Self.withStandIn(format: format) { _, plugin in
            let blue = try await plugin.payers(PayerQuery(text: "blue"), settings: Self.practice)
            #expect(Set(blue.map(\.payerID)) == ["SB580", "00851"])
            #expect(blue.allSatisfy { $0.name.contains("BLUE") })

            let cigna = try await plugin.payers(PayerQuery(text: "62308"), settings: Self.practice)
            #expect(cigna.map(\.payerID) == ["62308"])
            #expect(cigna.first?.name == "CIGNA HEALTHCARE")
            #expect(cigna.first?.transactions == ["837P", "835", "270"])
            #expect(cigna.first?.enrollmentRequired == ["835"])

            let cascade = try await plugin.payers(PayerQuery(text: "Cascade"), settings: Self.practice)
            #expect(cascade.first?.transactions == ["837P", "835"])
            #expect(cascade.first?.enrollmentRequired == [])

            let limited = try await plugin.payers(PayerQuery(limit: 3), settings: Self.practice)
            #expect(limited.count == 3)
            let none = try await plugin.payers(PayerQuery(text: "no such payer"), settings: Self.practice)
            #expect(none.isEmpty)
        }
    }

    // MARK: - rate limit

    @Test func requestsStayWithinTheRateLimitWithoutMeetingClaimMDs429() async throws {
        let standIn = try await ClaimMDStandIn.start(accountKeys: [Self.accountKey], rateLimit: 5)
        defer { standIn.stop() }
        let plugin = try Self.load(baseURL: standIn.baseURL, requestsPerMinute: 5)

        var outcomes: [PluginError.Code?] = []
        for _ in 0..<7 {
            do throws(PluginError) {
                _ = try await plugin.payers(PayerQuery(text: "aetna"), settings: Self.practice)
                outcomes.append(nil)
            } catch {
                outcomes.append(error.code)
                #expect(error.message.contains("rate limited by us"))
                #expect(error.message.contains("retry after"))
            }
        }
        #expect(outcomes == [nil, nil, nil, nil, nil, .unavailable, .unavailable])
        let times = try await standIn.requestTimes(accountKey: Self.accountKey)
        #expect(times.values.map(\.count).reduce(0, +) == 5)
    }

    // MARK: - verify and settings

    @Test func verifyAcceptsAWorkingKey() async throws {
        try await Self.withStandIn(format: "xml") { standIn, plugin in
            let verified = try await plugin.verify(settings: Self.practice)
            #expect(verified == .ok)
            let times = try await standIn.requestTimes(accountKey: Self.accountKey)
            #expect(times["uploadlist"]?.count == 1)
        }
    }

    @Test func verifySaysWhenClaimMDCannotBeReached() async throws {
        let stopped = try await ClaimMDStandIn.start(accountKeys: [Self.accountKey])
        let baseURL = stopped.baseURL
        await stopped.stopAndWait()
        let plugin = try Self.load(baseURL: baseURL, timeoutSeconds: 2)

        let result = try await plugin.verify(settings: Self.practice)
        #expect(!result.ok)
        #expect(result.problems.map(\.pointer) == [""])
        #expect(result.problems.first?.message.contains("cannot be reached") == true)
        let error = await #expect(throws: PluginError.self) {
            try await plugin.statusUpdates(since: nil, settings: Self.practice)
        }
        #expect(error?.code == .unavailable)
    }

    @Test func verifyListsSchemaProblemsOfTheKey() async throws {
        try await Self.withStandIn { _, plugin in
            for settings: PluginJSON in [[:], ["accountKey": ""], ["accountKey": "has a space"], ["accountKey": 42]] {
                let result = try await plugin.verify(settings: settings)
                #expect(!result.ok)
                #expect(Set(result.problems.map(\.pointer)) == ["/accountKey"])
            }
            let extra = try await plugin.verify(settings: ["accountKey": .string(Self.accountKey), "region": "us"])
            #expect(extra.problems.map(\.pointer) == ["/region"])
        }
    }

    @Test func manifestMarksTheAccountKeyWriteOnly() throws {
        let manifest = try PluginLoader.inspect(path: PluginFiles.library("LedgerlineClaimMDPlugin"))
        #expect(manifest.name == "claimmd")
        #expect(manifest.kind == .clearinghouse)
        #expect(manifest.practiceSettingsSchema?["properties"]?["accountKey"]?["writeOnly"] == true)
        #expect(manifest.practiceSettingsSchema?["required"] == ["accountKey"])
        #expect(manifest.settingsSchema["additionalProperties"] == false)
        #expect(manifest.settingsSchema["properties"]?["requestsPerMinute"]?["maximum"] == 100)
    }

    @Test func badProcessWideSettingsAreRefused() {
        let invalid: [PluginJSON] = [
            ["baseURL": "ftp://svc.claim.md"], ["requestsPerMinute": 101], ["requestsPerMinute": 0],
            ["requestsPerMinute": 2.5], ["format": "yaml"], ["timeoutSeconds": 0], ["accountKey": "k"],
        ]
        for settings in invalid {
            #expect(throws: PluginLoadError.self) {
                try PluginLoader.load(
                    PluginConfigurationEntry(
                        name: "claimmd", path: PluginFiles.library("LedgerlineClaimMDPlugin"), settings: settings))
            }
        }
    }

    // MARK: - wire format and answer shapes the stand-in does not produce

    @Test func requestsAreFormsWithTheAccountKeyAndUploadsAreMultipart() async throws {
        let answers: [String: ScriptedClaimMD.Answer] = [
            "upload": .xml(#"<result messages="1"><claim pcn="WIRE1" claimmd_id="501" status="A"/></result>"#),
            "response": .xml(#"<result last_responseid="5"/>"#),
        ]
        try await ScriptedClaimMD.run(answers) { baseURL, requests in
            let plugin = try Self.load(baseURL: baseURL, format: "xml")
            let batch = TestBatch.make([TestClaim(pcn: "WIRE1")])
            let receipts = try await plugin.submit(batch, settings: Self.practice)
            #expect(
                receipts == [
                    SubmissionReceipt(claimControlNumber: "WIRE1", accepted: true, clearinghouseClaimID: "501")
                ])
            let page = try await plugin.statusUpdates(since: nil, settings: Self.practice)
            #expect(page == StatusUpdatePage(updates: [], cursor: "5"))

            let seen = requests()
            #expect(seen.map(\.path) == ["/services/upload/", "/services/response/"])
            #expect(seen.allSatisfy { $0.method == "POST" && $0.headers["accept"] == "application/xml" })
            let upload = try #require(seen.first)
            let contentType = try #require(upload.headers["content-type"])
            #expect(contentType.hasPrefix("multipart/form-data; boundary="))
            let boundary = String(contentType.dropFirst("multipart/form-data; boundary=".count))
            #expect(upload.body.hasPrefix("--\(boundary)\r\n"))
            #expect(upload.body.hasSuffix("--\(boundary)--\r\n"))
            #expect(
                upload.body.contains(
                    "Content-Disposition: form-data; name=\"AccountKey\"\r\n\r\n\(Self.accountKey)\r\n"))
            #expect(
                upload.body.contains("Content-Disposition: form-data; name=\"Filename\"\r\n\r\n\(batch.fileName)\r\n"))
            #expect(
                upload.body.contains(
                    "Content-Disposition: form-data; name=\"File\"; filename=\"\(batch.fileName)\"\r\n"
                        + "Content-Type: text/plain\r\n\r\n\(batch.x12)\r\n--\(boundary)"))

            let poll = try #require(seen.last)
            #expect(poll.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(poll.body == "AccountKey=\(Self.accountKey)&ResponseID=0")
        }
    }

    @Test func answersAreReadWhateverFormatAndShapeTheyComeIn() async throws {
        let response = """
            {"result": {"last_responseid": 42, "claim": [
              {"pcn": "W1", "claimmd_id": "9", "status": "D", "sender_name": "AETNA", "senderid": "60054",
               "sender_icn": "ICN9", "response_time": "2026-03-02T10:00:00-05:00",
               "messages": {"status": "R", "message": "Denied: not covered", "fields": ["proc_code", "diag_1"]}},
              {"pcn": "W2", "status": "4", "sender_name": "AETNA", "senderid": "60054", "sender_icn": "ICN10"},
              {"pcn": "W3", "status": "22", "sender_name": "AETNA"},
              {"pcn": "W4", "status": "A", "sender_name": "AETNA",
               "messages": [{"message": "Claim is under adjudication"}]},
              {"pcn": "W5", "status": "A", "sender_name": "AETNA", "messages": [{"message": "Acknowledged"}]},
              {"pcn": "W6", "status": "A", "messages": [{"message": "Queued for the payer"}]},
              {"pcn": "W7", "status": "W", "sender_name": "AETNA"},
              {"claimmd_id": "no pcn", "status": "R"}
            ]}}
            """
        let answers: [String: ScriptedClaimMD.Answer] = [
            "response": .json(response),
            // XML although JSON was asked for: the server may ignore Accept.
            "upload": .xml(
                """
                <result><claim pcn="A1" claimmd_id="77" status="A">
                  <messages status="W" message="NPI taxonomy" fields="bill_taxonomy"/>
                </claim></result>
                """),
            "eralist": .json(#"{"last_eraid": "12", "era": {"eraid": "12", "payer_name": "AETNA"}}"#),
            "era835": .json(#"{"result": {"eraid": "12", "data": "ISA*00*          *00*~ST*835*0001~"}}"#),
        ]
        try await ScriptedClaimMD.run(answers) { baseURL, requests in
            let plugin = try Self.load(baseURL: baseURL)
            let page = try await plugin.statusUpdates(since: "40", settings: Self.practice)
            #expect(page.cursor == "42")
            #expect(page.updates.map(\.claimControlNumber) == ["W1", "W2", "W3", "W4", "W5", "W6", "W7"])
            #expect(
                page.updates.map(\.status)
                    == ["denied", "denied", "needsReview", "inProcess", "received", "info", "info"])
            let denied = try #require(page.updates.first)
            #expect(
                denied
                    == ClaimStatusUpdate(
                        claimControlNumber: "W1", status: "denied", clearinghouseClaimID: "9",
                        payerClaimNumber: "ICN9", message: "proc_code,diag_1: Denied: not covered",
                        reportedAt: "2026-03-02T15:00:00Z"))
            #expect(page.updates[5].payerClaimNumber == nil)

            let batch = TestBatch.make([TestClaim(pcn: "A1"), TestClaim(pcn: "A2")])
            let receipts = try await plugin.submit(batch, settings: Self.practice)
            #expect(
                receipts == [
                    SubmissionReceipt(claimControlNumber: "A1", accepted: true, clearinghouseClaimID: "77"),
                    SubmissionReceipt(
                        claimControlNumber: "A2", accepted: false, message: "Claim.MD did not acknowledge this claim"),
                ])

            let remittances = try await plugin.remittances(since: "11", settings: Self.practice)
            #expect(
                remittances
                    == RemittancePage(
                        remittances: [Remittance(remittanceID: "12", x12: "ISA*00*          *00*~ST*835*0001~")],
                        cursor: "12"))
            let eraList = try #require(requests().first { $0.path == "/services/eralist/" })
            #expect(eraList.body == "AccountKey=\(Self.accountKey)&ERAID=11&NewOnly=0")
            let era835 = try #require(requests().first { $0.path == "/services/era835/" })
            #expect(era835.body == "AccountKey=\(Self.accountKey)&eraid=12")
        }
    }

    @Test func errorsInTheBodyAndHTTPFailuresAreMappedWithoutTheKey() async throws {
        let answers: [String: ScriptedClaimMD.Answer] = [
            "response": .json(
                """
                {"error": [{"error_code": "7", "error_mesg": "Bad ResponseID"},
                           {"error_code": "8", "error_mesg": "Try again"}]}
                """),
            "uploadlist": .xml(
                #"<result><error error_code="3" error_mesg="Key \#(Self.accountKey) is not valid"/></result>"#),
            "payerlist": .init(status: 429, contentType: "text/plain", body: "slow down"),
            "eralist": .init(status: 401, contentType: "text/html", body: "<html>Unauthorized</html>"),
            "upload": .init(status: 200, contentType: "text/html", body: "Thank you for your file"),
        ]
        try await ScriptedClaimMD.run(answers) { baseURL, _ in
            let plugin = try Self.load(baseURL: baseURL)
            let listed = await #expect(throws: PluginError.self) {
                try await plugin.statusUpdates(since: nil, settings: Self.practice)
            }
            #expect(listed?.code == .rejected)
            #expect(listed?.message.hasSuffix("error 7: Bad ResponseID; error 8: Try again") == true)

            let echoed = await #expect(throws: PluginError.self) {
                try await plugin.lookupSubmission(
                    Self.lookup(for: TestBatch.make([TestClaim(pcn: "E1")])), settings: Self.practice)
            }
            #expect(echoed?.code == .invalidSettings)
            #expect(echoed?.field == "/settings/accountKey")
            #expect(echoed?.message.contains(Self.accountKey) == false)
            #expect(echoed?.message.contains("(the AccountKey)") == true)

            let limited = await #expect(throws: PluginError.self) {
                try await plugin.payers(PayerQuery(text: "aetna"), settings: Self.practice)
            }
            #expect(limited?.code == .unavailable)
            #expect(limited?.message.contains("429") == true)

            let refused = await #expect(throws: PluginError.self) {
                try await plugin.remittances(since: nil, settings: Self.practice)
            }
            #expect(refused?.code == .invalidSettings)
            #expect(refused?.field == "/settings/accountKey")

            let unreadable = await #expect(throws: PluginError.self) {
                try await plugin.submit(TestBatch.make([TestClaim(pcn: "E2")]), settings: Self.practice)
            }
            #expect(unreadable?.code == .unavailable)
            #expect(unreadable?.message.contains("unknown whether Claim.MD received the file") == true)
        }
    }

    // MARK: - conformance

    @Test func passesTheConformanceKit() async throws {
        let standIn = try await ClaimMDStandIn.start(accountKeys: [Self.accountKey])
        defer { standIn.stop() }
        let batch = TestBatch.make([TestClaim(pcn: "CONF1"), TestClaim(pcn: "CONF2")])
        let kit = PluginConformanceKit(
            path: PluginFiles.library("LedgerlineClaimMDPlugin"),
            settings: ["baseURL": .string(standIn.baseURL)],
            invalidSettings: [
                ["baseURL": 42], ["baseURL": "not a url"], ["requestsPerMinute": 500], ["format": "csv"],
                ["baseURL": "https://svc.claim.md/services", "extra": 1],
            ],
            practiceSettings: Self.practice,
            invalidPracticeSettings: [["accountKey": "104422_NotAKeyItKnows"], ["accountKey": "two words"]],
            sampleInput: try PluginJSON(encoding: batch))
        #expect(await kit.run() == [])
    }

    @Test func exportsOnlyTheFivePluginSymbols() async throws {
        let symbols = try await Command.run(
            "/usr/bin/nm", ["-D", "--defined-only", PluginFiles.library("LedgerlineClaimMDPlugin")])
        let exported = symbols.split(separator: "\n").compactMap { line -> Substring? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[1].first?.isUppercase == true, !fields[2].hasPrefix("_") else { return nil }
            return fields[2]
        }
        #expect(
            Set(exported) == [
                "plugin_abi_version", "plugin_v1_manifest", "plugin_v1_create", "plugin_v1_call", "plugin_v1_destroy",
            ])
    }
}

// MARK: - 837P batches for the tests

/// One claim of a test batch: a 60-minute psychotherapy session (90837) by default.
struct TestClaim {
    var pcn: String
    var memberID = "W123456789"
    var payerID = "62308"
    var chargeCents = 15_000
    var npi = "1234567893"
}

/// Small 837P (005010X222A1) interchanges with correct envelope counts, written by hand because
/// PluginTests does not depend on the X12 module.
enum TestBatch {
    /// A batch of `claims` with a unique id and file name.
    /// - Parameter segmentCountError: added to SE01, to make the envelope wrong.
    static func make(_ claims: [TestClaim], segmentCountError: Int = 0) -> ClaimBatch {
        let batchID = "bat_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        return ClaimBatch(
            batchID: batchID, fileName: "\(batchID).837",
            x12: x12(claims, reference: batchID, segmentCountError: segmentCountError),
            claims: claims.map {
                BatchClaim(
                    claimControlNumber: $0.pcn, claimID: "clm_\($0.pcn.lowercased())", totalCents: Int64($0.chargeCents)
                )
            })
    }

    static func x12(_ claims: [TestClaim], reference: String, segmentCountError: Int) -> String {
        let control = String(format: "%09d", Int.random(in: 1...999_999_999))
        var transaction = [
            "ST*837*0001*005010X222A1",
            "BHT*0019*00*\(reference.prefix(30).uppercased())*20260302*1200*CH",
            "NM1*41*2*RIVERBEND COUNSELING*****46*LEDGERLINE",
            "PER*IC*BILLING OFFICE*TE*5035550100",
            "NM1*40*2*CLAIMMD*****46*CLAIMMD",
        ]
        var hierarchy = 1
        transaction += [
            "HL*1**20*1",
            "NM1*85*2*RIVERBEND COUNSELING*****XX*\(claims.first?.npi ?? "1234567893")",
            "N3*100 MAIN ST", "N4*PORTLAND*OR*972040000", "REF*EI*931234567",
        ]
        for claim in claims {
            hierarchy += 1
            let amount = String(format: "%d.%02d", claim.chargeCents / 100, claim.chargeCents % 100)
            transaction += [
                "HL*\(hierarchy)*1*22*0",
                "SBR*P*18*******CI",
                "NM1*IL*1*DOE*JANE****MI*\(claim.memberID)",
                "N3*12 OAK AVE", "N4*PORTLAND*OR*97205", "DMG*D8*19850412*F",
                "NM1*PR*2*PAYER*****PI*\(claim.payerID)",
                "CLM*\(claim.pcn)*\(amount)***11:B:1*Y*A*Y*Y",
                "HI*ABK:F411",
                "LX*1",
                "SV1*HC:90837*\(amount)*UN*1***1",
                "DTP*472*D8*20260301",
            ]
        }
        transaction.append("SE*\(transaction.count + 1 + segmentCountError)*0001")
        let segments =
            [
                "ISA*00*          *00*          *ZZ*LEDGERLINE     *ZZ*CLAIMMD        "
                    + "*260302*1200*^*00501*\(control)*0*T*:",
                "GS*HC*LEDGERLINE*CLAIMMD*20260302*1200*1*X*005010X222A1",
            ] + transaction + ["GE*1*1", "IEA*1*\(control)"]
        return segments.map { $0 + "~" }.joined(separator: "\n") + "\n"
    }
}

// MARK: - A scripted Claim.MD

/// A Claim.MD that answers each endpoint with a fixed body, for answer shapes the stand-in never
/// produces, and that records every request it gets.
enum ScriptedClaimMD {
    /// One fixed answer.
    struct Answer: Sendable {
        var status = 200
        var contentType: String
        var body: String

        static func json(_ body: String) -> Answer { Answer(contentType: "application/json", body: body) }
        static func xml(_ body: String) -> Answer { Answer(contentType: "text/xml", body: body) }
    }

    /// One request as it arrived.
    struct Received: Sendable {
        var method: String
        var path: String
        /// Header values by lowercased name.
        var headers: [String: String]
        var body: String
    }

    /// Serves `answers` (by endpoint name: `upload`, `response`, …; others get an empty result)
    /// while `body` runs with the base URL and a way to read the requests so far.
    static func run(
        _ answers: [String: Answer], _ body: @Sendable (String, @Sendable () -> [Received]) async throws -> Void
    ) async throws {
        let received = Mutex<[Received]>([])
        let router = Router()
        router.post("**") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 22)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let path = request.uri.path
            received.withLock {
                $0.append(
                    Received(method: "\(request.method)", path: path, headers: headers, body: String(buffer: bytes)))
            }
            let endpoint = path.split(separator: "/").last.map(String.init) ?? ""
            let answer = answers[endpoint] ?? .xml("<result/>")
            var fields = HTTPFields()
            fields[.contentType] = answer.contentType
            return Response(
                status: HTTPResponse.Status(code: answer.status), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body("http://127.0.0.1:\(port)/services", { received.withLock { $0 } })
        }
    }
}
