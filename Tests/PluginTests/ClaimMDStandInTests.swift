import Foundation
import StandIns
import Storage
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The Claim.MD stand-in (`scripts/standins/claimmd_standin.py`) spoken to over HTTP exactly as
/// `shared/domain/claimmd-api.md` describes Claim.MD: what it answers, in XML and JSON, and what
/// it records for the tests that will use it.
@Suite struct ClaimMDStandInTests {
    static let key = "24817_standinkeyone"
    static let otherKey = "30552_standinkeytwo"

    /// Runs `body` with a fresh stand-in serving both keys.
    fileprivate static func withStandIn(
        ackSeconds: Double = 5, processSeconds: Double = 10, rateLimit: Int = 100, singleObjectQuirk: Bool = false,
        _ body: (ClaimMDStandIn, ClaimMDWire) async throws -> Void
    ) async throws {
        let standIn = try await ClaimMDStandIn.start(
            accountKeys: [key, otherKey], ackSeconds: ackSeconds, processSeconds: processSeconds,
            rateLimit: rateLimit, singleObjectQuirk: singleObjectQuirk)
        defer { standIn.stop() }
        try await body(standIn, ClaimMDWire(baseURL: standIn.baseURL))
    }

    // MARK: - upload

    @Test func realFixtureClaimIsParsedAndRejectedForItsUnknownPayer() async throws {
        try await Self.withStandIn { standIn, wire in
            let file = try X12Fixture.read("demo.example1.837")
            let reply = try await wire.upload(file, filename: "demo.example1.837", key: Self.key)

            #expect(reply.status == 200)
            #expect(reply.contentType.contains("xml"))
            let result = try reply.xml()
            #expect(result.name == "result")
            let claims = result.children(named: "claim")
            try #require(claims.count == 1)
            let claim = claims[0]
            #expect(claim["pcn"] == "26463774")
            #expect(claim["total_charge"] == "100.00")
            #expect(claim["fdos"] == "20061003")
            #expect(claim["payerid"] == "999996666")
            #expect(claim["ins_number"] == "JS00111223333")
            #expect(claim["bill_npi"] == "1912301953")
            #expect(claim["bill_taxid"] == "587654321")
            #expect(claim["remote_claimid"] == "17312345600006351")
            #expect(claim["filename"] == "demo.example1.837")
            #expect(claim["status"] == "R")
            #expect(claim["claimmd_id"].map { !$0.isEmpty && $0.allSatisfy(\.isNumber) } == true)
            #expect(claim["fileid"]?.isEmpty == false)
            #expect(claim["batchid"]?.isEmpty == false)
            let messages = claim.children(named: "messages")
            #expect(messages.map { $0["status"] } == ["R"])
            #expect(messages.map { $0["fields"] } == ["payerid"])
            #expect(messages.first?["message"]?.contains("999996666") == true)

            let received = try await standIn.received()
            #expect(received.pcns == ["26463774": 1])
            #expect(received.files == ["demo.example1.837"])
        }
    }

    @Test func realFixtureWithAClaimMDPayerIDIsAccepted() async throws {
        try await Self.withStandIn { standIn, wire in
            // Same segment count: only NM109 of the payer changes.
            let file = try X12Fixture.read("demo.example1.837")
                .replacingOccurrences(of: "*PI*999996666~", with: "*PI*62308~")
            let reply = try await wire.upload(file, filename: "example1-cigna.837", key: Self.key)

            let claim = try #require(try reply.xml().children(named: "claim").first)
            #expect(claim["status"] == "A")
            #expect(claim["payerid"] == "62308")
            #expect(claim["sender_name"] == "Claim.MD")
            let message = try #require(claim.children(named: "messages").first)
            #expect(message["status"] == "A")
            #expect(message["message"] == "Claim accepted for processing")
            #expect(try await standIn.claims().map(\.stage) == [.accepted])
        }
    }

    @Test func handBuiltFileAnswersOneAcceptedAndOneRejectedClaimInXML() async throws {
        try await Self.withStandIn { standIn, wire in
            let file = X12Builder.file([
                .init(pcn: "LL-1001", remoteClaimID: "tenantA-claim-1"),
                .init(pcn: "LL-1002", billingNPI: "1234567890"),
            ])
            let result = try await wire.upload(file, filename: "two.837", key: Self.key).xml()

            let claims = result.children(named: "claim")
            #expect(claims.map { $0["pcn"] } == ["LL-1001", "LL-1002"])
            #expect(claims.map { $0["status"] } == ["A", "R"])
            #expect(claims[0]["remote_claimid"] == "tenantA-claim-1")
            #expect(claims[1]["remote_claimid"] == "")
            #expect(claims[0]["total_charge"] == "150.00")
            #expect(claims[0]["fdos"] == "20261014")
            #expect(claims[0]["payerid"] == "62308")
            #expect(claims[0]["fileid"] == claims[1]["fileid"])
            let ids = claims.compactMap { $0["claimmd_id"].flatMap(Int.init) }
            #expect(ids.count == 2 && ids[0] < ids[1])
            let rejection = claims[1].children(named: "messages")
            #expect(rejection.map { $0["fields"] } == ["bill_npi"])
            #expect(rejection.map { $0["status"] } == ["R"])
            #expect(try await standIn.received().pcns == ["LL-1001": 1, "LL-1002": 1])
        }
    }

    @Test func handBuiltFileAnswersTheSameDataInJSONWithStringsAndArrays() async throws {
        try await Self.withStandIn { _, wire in
            let file = X12Builder.file([
                .init(pcn: "LL-2001"),
                .init(pcn: "LL-2002", memberID: "", lines: ["100.00", "40.00"], total: "150.00", diagnosis: false),
            ])
            let reply = try await wire.upload(file, filename: "two.837", key: Self.key, json: true)
            #expect(reply.contentType.contains("json"))
            let root = try reply.json()

            #expect(root["result"] == nil)
            #expect(root["messages"] is String)
            let claims = try #require(root["claim"] as? [[String: Any]])
            #expect(claims.map { $0["status"] as? String } == ["A", "R"])
            #expect(claims.allSatisfy { claim in claim.values.allSatisfy { $0 is String || $0 is [Any] } })
            let accepted = try #require(claims[0]["messages"] as? [[String: Any]])
            #expect(accepted.map { $0["message"] as? String } == ["Claim accepted for processing"])
            let rejected = try #require(claims[1]["messages"] as? [[String: Any]])
            #expect(Set(rejected.compactMap { $0["fields"] as? String }) == ["ins_number", "total_charge", "diag_1"])
            #expect(rejected.allSatisfy { $0["status"] as? String == "R" })
            #expect(claims[1]["total_charge"] as? String == "150.00")
        }
    }

    @Test func singleObjectQuirkAnswersOneElementListsAsObjects() async throws {
        try await Self.withStandIn(singleObjectQuirk: true) { _, wire in
            let root = try await wire.upload(X12Builder.file([.init(pcn: "LL-3001")]), filename: "one.837",
                                             key: Self.key, json: true).json()
            let claim = try #require(root["claim"] as? [String: Any])
            let message = try #require(claim["messages"] as? [String: Any])
            #expect(message["status"] as? String == "A")

            let error = try await wire.post("response", ["AccountKey": "nobody"], json: true).json()
            #expect((error["error"] as? [String: Any])?["error_code"] is String)
        }
    }

    @Test func realFixtureWithBOMIndentationAndTwoTransactionSetsIsRead() async throws {
        try await Self.withStandIn { _, wire in
            let data = try X12Fixture.data("oopfactory-Example1_2_And_3_Combined.txt")
            let reply = try await wire.upload(data, filename: "combined.txt", key: Self.key)
            let claims = try reply.xml().children(named: "claim")
            #expect(claims.map { $0["pcn"] } == ["26463774", "26407789", "26462967"])
            #expect(claims.map { $0["total_charge"] } == ["100.00", "79.04", "100.00"])
            // 2000B/2010BB, not the 2330 other-subscriber loops that follow the second CLM.
            #expect(claims.map { $0["ins_number"] } == ["JS00111223333", "111223333", "00221111"])
            #expect(claims.map { $0["payerid"] } == ["999996666", "999996666", "741234"])
        }
    }

    @Test func envelopeErrorRefusesTheWholeFile() async throws {
        try await Self.withStandIn { standIn, wire in
            let good = X12Builder.file([.init(pcn: "LL-4001"), .init(pcn: "LL-4002")])
            let broken: [(String, String)] = [
                (good.replacingOccurrences(of: "IEA*1*000000101~", with: "IEA*1*000000102~"), "ISA13"),
                (good.replacingOccurrences(of: "IEA*1*", with: "IEA*2*"), "IEA01"),
                (good.replacingOccurrences(of: "GE*1*101~", with: "GE*2*101~"), "GE01"),
                (good.replacingOccurrences(of: "GE*1*101~", with: "GE*1*102~"), "GS06"),
                (good.replacingOccurrences(of: "~SE*", with: "~SE*9"), "SE01"),
                (good.replacingOccurrences(of: "*0001~GE", with: "*0002~GE"), "SE02"),
            ]
            for (file, named) in broken {
                let result = try await wire.upload(file, filename: "broken.837", key: Self.key).xml()
                #expect(result.children(named: "claim").isEmpty, "\(named)")
                let error = try #require(result.children(named: "error").first, "\(named)")
                #expect(error["error_code"]?.isEmpty == false)
                #expect(error["error_mesg"]?.contains(named) == true, "\(named): \(error["error_mesg"] ?? "")")
            }
            // A real negative fixture: SE01 says 25, the set has 34 segments (pyx12 agrees).
            let fixture = try X12Fixture.read("invalid/ims-x12_valid.txt")
            let error = try await wire.upload(fixture, filename: "ims.txt", key: Self.key, json: true).json()
            let errors = try #require(error["error"] as? [[String: Any]])
            #expect((errors.first?["error_mesg"] as? String)?.contains("SE01") == true)

            let received = try await standIn.received()
            #expect(received.pcns.isEmpty)
            #expect(received.files.count == broken.count + 1)
            #expect(try await standIn.claims().isEmpty)
        }
    }

    @Test func moreThan2000ClaimsRefusesTheWholeFile() async throws {
        try await Self.withStandIn { standIn, wire in
            let claims = (1...2001).map { X12Builder.Claim(pcn: "BULK-\($0)") }
            let result = try await wire.upload(X12Builder.file(claims), filename: "bulk.837", key: Self.key).xml()
            #expect(result.children(named: "claim").isEmpty)
            #expect(result.children(named: "error").first?["error_mesg"]?.contains("2000") == true)
            #expect(try await standIn.claims().isEmpty)
        }
    }

    @Test func unknownAccountKeyAnswers200WithAnErrorElement() async throws {
        try await Self.withStandIn { standIn, wire in
            let file = X12Builder.file([.init(pcn: "LL-5001")])
            let xml = try await wire.upload(file, filename: "x.837", key: "99999_wrong")
            #expect(xml.status == 200)
            let error = try #require(try xml.xml().children(named: "error").first)
            #expect(error["error_code"]?.isEmpty == false)
            #expect(error["error_mesg"]?.isEmpty == false)

            let json = try await wire.post("response", ["AccountKey": "99999_wrong", "ResponseID": "0"], json: true)
            #expect(json.status == 200)
            let errors = try #require(try json.json()["error"] as? [[String: Any]])
            #expect(errors.first?["error_mesg"] is String)

            let missing = try await wire.post("payerlist", [:]).xml()
            #expect(missing.children(named: "error").count == 1)
            #expect(try await standIn.received().pcns.isEmpty)
        }
    }

    // MARK: - response feed

    @Test func responseCursorWalksTheClaimLifecycle() async throws {
        try await Self.withStandIn { standIn, wire in
            let upload = try await wire.upload(
                X12Builder.file([.init(pcn: "LL-6001"), .init(pcn: "LL-6002", payerID: "NOPE1")]),
                filename: "life.837", key: Self.key
            ).xml()
            let acceptedID = try #require(upload.children(named: "claim").first?["claimmd_id"])

            let first = try await wire.post("response", ["AccountKey": Self.key, "ResponseID": "0"]).xml()
            let entries = first.children(named: "claim")
            #expect(entries.map { $0["pcn"] } == ["LL-6001", "LL-6002"])
            #expect(entries.map { $0["status"] } == ["A", "R"])
            #expect(entries.allSatisfy { $0["response_time"]?.isEmpty == false })
            let responseIDs = entries.compactMap {
                $0.children(named: "messages").first?["responseid"].flatMap(Int.init)
            }
            #expect(responseIDs.count == 2 && responseIDs[0] < responseIDs[1])
            let cursor = try #require(first["last_responseid"])
            #expect(Int(cursor) == responseIDs.last)
            #expect(entries[1].children(named: "messages").first?["fields"] == "payerid")

            // Nothing new: the cursor comes back unchanged.
            let empty = try await wire.post("response", ["AccountKey": Self.key, "ResponseID": cursor]).xml()
            #expect(empty.children(named: "claim").isEmpty)
            #expect(empty["last_responseid"] == cursor)
            // The other account sees none of it.
            let other = try await wire.post("response", ["AccountKey": Self.otherKey, "ResponseID": "0"]).xml()
            #expect(other.children(named: "claim").isEmpty)

            try await standIn.advance()
            let later = try await wire.post(
                "response", ["AccountKey": Self.key, "ResponseID": cursor], json: true
            ).json()
            let updates = try #require(later["claim"] as? [[String: Any]])
            #expect(updates.map { $0["pcn"] as? String } == ["LL-6001", "LL-6001"])
            #expect(updates.map { $0["status"] as? String } == ["A", "A"])
            #expect(updates.map { $0["sender_name"] as? String } == ["CIGNA HEALTHCARE", "CIGNA HEALTHCARE"])
            #expect(updates.map { $0["senderid"] as? String } == ["62308", "62308"])
            #expect(updates.allSatisfy { ($0["sender_icn"] as? String)?.isEmpty == false })
            let texts = updates.compactMap { ($0["messages"] as? [[String: Any]])?.first?["message"] as? String }
            #expect(texts == ["Accepted by payer", "Claim pended for adjudication - in process"])
            let newest = try #require(later["last_responseid"] as? String)
            #expect(Int(newest)! > Int(cursor)!)
            #expect(try await standIn.claims().map(\.stage) == [.inProcess, .rejected])

            // ClaimID narrows the feed to one claim (from the start).
            let one = try await wire.post(
                "response", ["AccountKey": Self.key, "ResponseID": "0", "ClaimID": acceptedID], encoding: .urlEncoded
            ).xml()
            #expect(one.children(named: "claim").count == 3)
            #expect(one.children(named: "claim").allSatisfy { $0["claimmd_id"] == acceptedID })

            let missing = try await wire.post("response", ["AccountKey": Self.key]).xml()
            #expect(missing.children(named: "error").count == 1)
        }
    }

    @Test func timedStepsHappenOnTheirOwnWithoutAdvance() async throws {
        try await Self.withStandIn(ackSeconds: 0, processSeconds: 0) { standIn, wire in
            _ = try await wire.upload(X12Builder.file([.init(pcn: "LL-7001")]), filename: "t.837", key: Self.key)
            let feed = try await wire.post("response", ["AccountKey": Self.key, "ResponseID": "0"]).xml()
            let texts = feed.children(named: "claim").compactMap { $0.children(named: "messages").first?["message"] }
            #expect(texts == ["Claim accepted for processing", "Accepted by payer",
                              "Claim pended for adjudication - in process"])
            #expect(try await standIn.claims().map(\.stage) == [.inProcess])
        }
    }

    @Test func subscriberIDStartingWithREJIsRejectedByThePayer() async throws {
        try await Self.withStandIn { standIn, wire in
            _ = try await wire.upload(
                X12Builder.file([.init(pcn: "LL-8001", memberID: "REJ0001")]), filename: "rej.837", key: Self.key)
            try await standIn.advance()
            let feed = try await wire.post("response", ["AccountKey": Self.key, "ResponseID": "0"]).xml()
            let entries = feed.children(named: "claim")
            #expect(entries.map { $0["status"] } == ["A", "R"])
            let rejection = try #require(entries.last?.children(named: "messages").first)
            #expect(rejection["message"] == "Subscriber not found")
            #expect(rejection["fields"] == "ins_number")
            #expect(entries.last?["senderid"] == "62308")
            #expect(try await standIn.claims().map(\.stage) == [.payerRejected])
        }
    }

    // MARK: - lists

    @Test func uploadListShowsTheFileForItsDate() async throws {
        try await Self.withStandIn { _, wire in
            _ = try await wire.upload(
                X12Builder.file([.init(pcn: "LL-9001"), .init(pcn: "LL-9002", lines: ["80.00"], total: "80.00")]),
                filename: "list.837", key: Self.key)
            let files = try await wire.post("uploadlist", ["AccountKey": Self.key], json: true).json()["file"]
                as? [[String: Any]]
            let file = try #require(files?.first)
            #expect(files?.count == 1)
            #expect(file["filename"] as? String == "list.837")
            #expect(file["claim_count"] as? String == "2")
            #expect(file["total_charge"] as? String == "230.00")
            let date = try #require(file["upload_date"] as? String)
            #expect(file["fileid"] as? String != nil)

            let sameDay = try await wire.post("uploadlist", ["AccountKey": Self.key, "UploadDate": date]).xml()
            #expect(sameDay.children(named: "file").map { $0["filename"] } == ["list.837"])
            let otherDay = try await wire.post("uploadlist", ["AccountKey": Self.key, "UploadDate": "2001-01-01"]).xml()
            #expect(otherDay.children(named: "file").isEmpty)
            let otherAccount = try await wire.post("uploadlist", ["AccountKey": Self.otherKey]).xml()
            #expect(otherAccount.children(named: "file").isEmpty)
        }
    }

    @Test func payerListFiltersByIDAndPartialName() async throws {
        try await Self.withStandIn { _, wire in
            let list = try await wire.post("payerlist", ["AccountKey": Self.key], json: true).json()
            let all = try #require(list["payer"] as? [[String: Any]])
            #expect(all.count >= 10)
            let ids = Set(all.compactMap { $0["payerid"] as? String })
            #expect(ids.isSuperset(of: ["62308", "60054", "87726", "SB580", "00431", "CHP01"]))
            for payer in all {
                for field in ["payerid", "payer_name", "payer_type", "payer_state", "1500_claims", "era", "eligibility",
                              "avg_era_enroll_days"] {
                    #expect(payer[field] is String, "\(field)")
                }
            }

            let cigna = try await wire.post(
                "payerlist", ["AccountKey": Self.key, "payerid": "62308"], json: true
            ).json()
            let cignaNames = (cigna["payer"] as? [[String: Any]])?.compactMap { $0["payer_name"] as? String }
            #expect(cignaNames == ["CIGNA HEALTHCARE"])
            let blue = try await wire.post(
                "payerlist", ["AccountKey": Self.key, "payer_name": "blue"], json: true
            ).json()
            let names = (blue["payer"] as? [[String: Any]])?.compactMap { $0["payer_name"] as? String } ?? []
            #expect(!names.isEmpty && names.allSatisfy { $0.lowercased().contains("blue") })
            // XML carries the documented attribute names as they are. `1500_claims` is not a legal
            // XML name, so XMLParser (libxml2) refuses the document: clients should ask for JSON here.
            let xml = try await wire.post("payerlist", ["AccountKey": Self.key, "payerid": "SB580"])
            #expect(xml.text.contains("<payer payerid=\"SB580\""))
            #expect(xml.text.contains("1500_claims=\""))
            #expect(throws: (any Error).self) { try xml.xml() }
        }
    }

    // MARK: - rate limit and faults

    @Test func rateLimitAnswers429AfterTheLimitWithinAMinute() async throws {
        try await Self.withStandIn(rateLimit: 5) { standIn, wire in
            for _ in 1...5 {
                let reply = try await wire.post("payerlist", ["AccountKey": Self.key, "payerid": "62308"])
                #expect(reply.status == 200)
            }
            let refused = try await wire.post("payerlist", ["AccountKey": Self.key, "payerid": "62308"])
            #expect(refused.status == 429)
            #expect(refused.headers["retry-after"] != nil)
            #expect(try refused.xml().children(named: "error").count == 1)
            let refusedJSON = try await wire.post("response", ["AccountKey": Self.key, "ResponseID": "0"], json: true)
            #expect(refusedJSON.status == 429)
            #expect(try refusedJSON.json()["error"] != nil)

            // Per account: the other key is not limited.
            let other = try await wire.post("payerlist", ["AccountKey": Self.otherKey])
            #expect(other.status == 200)

            let times = try await standIn.requestTimes(accountKey: Self.key)
            #expect(times["payerlist"]?.count == 6)
            #expect(times["response"]?.count == 1)
            let all = (times["payerlist"] ?? []) + (times["response"] ?? [])
            #expect(all.max()! - all.min()! < 60)
        }
    }

    @Test func dropFaultRecordsTheClaimsButTheClientSeesAClosedConnection() async throws {
        try await Self.withStandIn { standIn, wire in
            try await standIn.inject(.init(endpoint: .upload, mode: .drop, count: 1))
            let file = X12Builder.file([.init(pcn: "LL-DROP-1")])
            // A fresh session: a first request on a new connection is not retried by the HTTP stack.
            let fresh = ClaimMDWire(baseURL: standIn.baseURL, session: URLSession(configuration: .ephemeral))
            await #expect(throws: (any Error).self) {
                _ = try await fresh.upload(file, filename: "drop.837", key: Self.key)
            }
            #expect(try await standIn.received().pcns == ["LL-DROP-1": 1])

            // The client, not knowing, sends it again: the stand-in shows the duplicate.
            let again = try await wire.upload(file, filename: "drop.837", key: Self.key).xml()
            #expect(again.children(named: "claim").map { $0["status"] } == ["A"])
            let received = try await standIn.received()
            #expect(received.pcns == ["LL-DROP-1": 2])
            #expect(received.files == ["drop.837", "drop.837"])
        }
    }

    @Test func serviceUnavailableAndTimeoutFaultsDoNotProcess() async throws {
        try await Self.withStandIn { standIn, wire in
            try await standIn.inject(.init(endpoint: .upload, mode: .serviceUnavailable, count: 1))
            let file = X12Builder.file([.init(pcn: "LL-503-1")])
            let unavailable = try await wire.upload(file, filename: "a.837", key: Self.key)
            #expect(unavailable.status == 503)

            try await standIn.inject(.init(endpoint: .upload, mode: .timeout, count: 1, delaySeconds: 0.2))
            let fresh = ClaimMDWire(baseURL: standIn.baseURL, session: URLSession(configuration: .ephemeral))
            await #expect(throws: (any Error).self) {
                _ = try await fresh.upload(file, filename: "b.837", key: Self.key)
            }
            #expect(try await standIn.received().pcns.isEmpty)

            // Faults on another endpoint leave uploads alone; cleared faults are gone.
            try await standIn.inject(.init(endpoint: .response, mode: .serviceUnavailable, frequency: .probability(1)))
            let accepted = try await wire.upload(file, filename: "c.837", key: Self.key)
            #expect(accepted.status == 200)
            #expect(try await wire.post("response", ["AccountKey": Self.key, "ResponseID": "0"]).status == 503)
            try await standIn.clearFaults()
            #expect(try await wire.post("response", ["AccountKey": Self.key, "ResponseID": "0"]).status == 200)
            #expect(try await standIn.received().pcns == ["LL-503-1": 1])
        }
    }

    @Test func slowFaultAnswersAfterTheDelay() async throws {
        try await Self.withStandIn { standIn, wire in
            try await standIn.inject(.init(endpoint: .uploadlist, mode: .slow, count: 1, delaySeconds: 0.5))
            let started = Date()
            let reply = try await wire.post("uploadlist", ["AccountKey": Self.key])
            #expect(Date().timeIntervalSince(started) >= 0.5)
            #expect(reply.status == 200)
            #expect(try reply.xml().name == "result")
            // Only the next request was slow.
            let next = Date()
            _ = try await wire.post("uploadlist", ["AccountKey": Self.key])
            #expect(Date().timeIntervalSince(next) < 0.5)
        }
    }

    // MARK: - ERA

    @Test func paidClaimsComeBackAsABalancedERA() async throws {
        try await Self.withStandIn { standIn, wire in
            _ = try await wire.upload(
                X12Builder.file([
                    .init(pcn: "LL-ERA-1", lines: ["150.00", "25.25"], total: "175.25"),
                    .init(pcn: "LL-ERA-2"),
                    .init(pcn: "LL-ERA-3", payerID: "60054"),
                ]),
                filename: "era.837", key: Self.key)
            #expect(try await standIn.pay().isEmpty)  // nothing is in process yet
            try await standIn.advance()
            let paid = try await standIn.pay()
            #expect(Set(paid) == ["LL-ERA-1", "LL-ERA-2", "LL-ERA-3"])

            let list = try await wire.post("eralist", ["AccountKey": Self.key, "ERAID": "0"], json: true).json()
            let eras = try #require(list["era"] as? [[String: Any]])
            #expect(eras.count == 2)  // one per payer
            let cigna = try #require(eras.first { $0["payerid"] as? String == "62308" })
            #expect(cigna["paid_amount"] as? String == "325.25")
            #expect(cigna["payer_name"] as? String == "CIGNA HEALTHCARE")
            #expect((cigna["check_number"] as? String)?.isEmpty == false)
            let highest = eras.compactMap { ($0["eraid"] as? String).flatMap(Int.init) }.max()
            #expect((list["last_eraid"] as? String).flatMap(Int.init) == highest)
            let eraID = try #require(cigna["eraid"] as? String)

            let detail = try await wire.post("era835", ["AccountKey": Self.key, "eraid": eraID]).xml()
            #expect(detail["eraid"] == eraID)
            let text = try #require(detail.children(named: "data").first?.text)
            let segments = text.split(separator: "~").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
                .map { $0.split(separator: "*", omittingEmptySubsequences: false).map(String.init) }
            let bpr = try #require(segments.first { $0[0] == "BPR" })
            let clps = segments.filter { $0[0] == "CLP" }
            #expect(clps.map { $0[1] } == ["LL-ERA-1", "LL-ERA-2"])
            #expect(clps.allSatisfy { $0[2] == "1" })
            #expect(clps.map { $0[3] } == ["175.25", "150.00"])
            let paidTotal = clps.compactMap { Decimal(string: $0[4]) }.reduce(0, +)
            #expect(Decimal(string: bpr[2]) == paidTotal)
            #expect(segments.filter { $0[0] == "SVC" }.map { $0[1] } == ["HC:90837", "HC:90785", "HC:90837"])
            #expect(segments.contains { $0 == ["N1", "PR", "CIGNA HEALTHCARE"] })
            #expect(segments.contains { $0.prefix(2) == ["N1", "PE"] })
            try await X12Validator.expectValid835(text)

            // JSON: `data` is a one-element array, as one integrator reports.
            let json = try await wire.post("era835", ["AccountKey": Self.key, "eraid": eraID], json: true).json()
            #expect((json["data"] as? [String])?.first == text)
            // Downloaded ERAs drop out of the default (NewOnly=1) list but not out of NewOnly=0.
            let newOnly = try await wire.post("eralist", ["AccountKey": Self.key, "ERAID": "0"]).xml()
            #expect(newOnly.children(named: "era").count == 1)
            let everything = try await wire.post(
                "eralist", ["AccountKey": Self.key, "ERAID": "0", "NewOnly": "0"]
            ).xml()
            #expect(everything.children(named: "era").count == 2)
            #expect(try await standIn.claims().allSatisfy { $0.stage == .paid && !$0.eraID.isEmpty })

            let missing = try await wire.post("era835", ["AccountKey": Self.key, "eraid": "1"]).xml()
            #expect(missing.children(named: "error").count == 1)
        }
    }

    @Test func resetForgetsEverything() async throws {
        try await Self.withStandIn { standIn, wire in
            _ = try await wire.upload(X12Builder.file([.init(pcn: "LL-R-1")]), filename: "r.837", key: Self.key)
            try await standIn.reset()
            #expect(try await standIn.received().pcns.isEmpty)
            #expect(try await standIn.claims().isEmpty)
            let feed = try await wire.post("response", ["AccountKey": Self.key, "ResponseID": "0"]).xml()
            #expect(feed.children(named: "claim").isEmpty)
            #expect(try await standIn.requestTimes(accountKey: Self.key)["upload"] == nil)
        }
    }
}

// MARK: - Speaking Claim.MD's wire format

/// A minimal Claim.MD client for these tests: form or multipart POSTs, XML or JSON answers.
fileprivate struct ClaimMDWire: Sendable {
    let baseURL: String
    var session: URLSession = .shared

    enum Encoding { case multipart, urlEncoded }

    /// One HTTP answer.
    struct Reply {
        let status: Int
        /// Header names in lowercase.
        let headers: [String: String]
        let body: Data

        var contentType: String { headers["content-type"] ?? "" }
        var text: String { String(decoding: body, as: UTF8.self) }

        func xml() throws -> XMLTree { try XMLTree.parse(body) }

        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw XMLTree.Failure(description: "not a JSON object: \(text.prefix(500))")
            }
            return object
        }
    }

    /// POSTs `fields` (and a `File` part) to `/services/<service>/`.
    func post(
        _ service: String, _ fields: [String: String], file: (name: String, data: Data)? = nil, json: Bool = false,
        encoding: Encoding = .multipart
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "\(baseURL)/\(service)/")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 20
        if json { request.setValue("application/json", forHTTPHeaderField: "Accept") }
        switch encoding {
        case .urlEncoded:
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let body = fields.sorted { $0.key < $1.key }.map { name, value in
                name.addingPercentEncoding(withAllowedCharacters: allowed)! + "="
                    + value.addingPercentEncoding(withAllowedCharacters: allowed)!
            }.joined(separator: "&")
            request.httpBody = Data(body.utf8)
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        case .multipart:
            let boundary = "ledgerline-\(UUID().uuidString)"
            var body = Data()
            for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
                body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8))
                body.append(Data("\(value)\r\n".utf8))
            }
            if let file {
                body.append(Data("--\(boundary)\r\n".utf8))
                body.append(Data("Content-Disposition: form-data; name=\"File\"; filename=\"\(file.name)\"\r\n".utf8))
                body.append(Data("Content-Type: text/plain\r\n\r\n".utf8))
                body.append(file.data)
                body.append(Data("\r\n".utf8))
            }
            body.append(Data("--\(boundary)--\r\n".utf8))
            request.httpBody = body
            request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Reply(status: http?.statusCode ?? 0, headers: headers, body: data)
    }

    /// Uploads an X12 file as Claim.MD's samples do: multipart `File` with a filename, plus `Filename`.
    func upload(_ file: String, filename: String, key: String, json: Bool = false) async throws -> Reply {
        try await upload(Data(file.utf8), filename: filename, key: key, json: json)
    }

    func upload(_ file: Data, filename: String, key: String, json: Bool = false) async throws -> Reply {
        try await post("upload", ["AccountKey": key, "Filename": filename], file: (filename, file), json: json)
    }
}

/// An XML element read with Foundation's XMLParser: name, attributes, children, text.
fileprivate struct XMLTree {
    let name: String
    let attributes: [String: String]
    var children: [XMLTree]
    var text: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    subscript(attribute: String) -> String? { attributes[attribute] }

    func children(named name: String) -> [XMLTree] { children.filter { $0.name == name } }

    static func parse(_ data: Data) throws -> XMLTree {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw Failure(description: "not XML (\(parser.parserError.map { "\($0)" } ?? "no root")): "
                + String(decoding: data.prefix(500), as: UTF8.self))
        }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            stack.append(XMLTree(name: elementName, attributes: attributeDict, children: [], text: ""))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }
    }
}

// MARK: - 837P files

/// The public 837P fixtures in `shared/fixtures/x12/837p` (see its SOURCES.md).
fileprivate enum X12Fixture {
    /// `<repo>/../shared/fixtures/x12/837p`, or `LEDGERLINE_X12_FIXTURES`.
    static let folder: URL = {
        if let path = ProcessInfo.processInfo.environment["LEDGERLINE_X12_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return BuiltProducts.repositoryRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/fixtures/x12/837p")
    }()

    static func data(_ name: String) throws -> Data {
        let url = folder.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw XMLTree.Failure(description: "fixture \(url.path) is missing (set LEDGERLINE_X12_FIXTURES)")
        }
        return data
    }

    static func read(_ name: String) throws -> String { String(decoding: try data(name), as: UTF8.self) }
}

/// Builds small 837P interchanges with correct envelope counts: one billing provider and one
/// subscriber (who is the patient) per claim, one 90837-style line per charge.
fileprivate enum X12Builder {
    struct Claim {
        var pcn: String
        var billingNPI = "1234567893"
        var memberID = "XZ123456789"
        var payerID = "62308"
        var lines = ["150.00"]
        var total: String?
        var diagnosis = true
        var remoteClaimID: String?
    }

    static func file(_ claims: [Claim]) -> String {
        var body: [String] = [
            "BHT*0019*00*LLBATCH1*20261129*0905*CH",
            "NM1*41*2*RIVERBEND COUNSELING GROUP*****46*SUB12345",
            "PER*IC*DANA WU*TE*5035550100",
            "NM1*40*2*CLAIM.MD*****46*CLAIMMD",
        ]
        var hierarchy = 0
        for claim in claims {
            hierarchy += 1
            let billing = hierarchy
            body += [
                "HL*\(billing)**20*1", "PRV*BI*PXC*261QM0801X",
                "NM1*85*2*RIVERBEND COUNSELING GROUP LLC*****XX*\(claim.billingNPI)",
                "N3*1200 HARBOR BLVD", "N4*PORTLAND*OR*972011234", "REF*EI*123456789",
            ]
            hierarchy += 1
            body += [
                "HL*\(hierarchy)*\(billing)*22*0", "SBR*P*18*GRP7781******CI",
                "NM1*IL*1*RIVERA*ELENA****MI*\(claim.memberID)", "N3*45 ELM ST", "N4*BEAVERTON*OR*97005",
                "DMG*D8*19840309*F", "NM1*PR*2*PAYER*****PI*\(claim.payerID)",
                "CLM*\(claim.pcn)*\(claim.total ?? claim.lines.first ?? "0")***11:B:1*Y*A*Y*Y",
            ]
            if let remote = claim.remoteClaimID { body.append("REF*D9*\(remote)") }
            if claim.diagnosis { body.append("HI*ABK:F411*ABF:F321") }
            let codes = ["90837", "90785", "90834", "90791"]
            for (index, charge) in claim.lines.enumerated() {
                body += [
                    "LX*\(index + 1)", "SV1*HC:\(codes[index % codes.count])*\(charge)*UN*1***1",
                    "DTP*472*D8*20261014",
                ]
            }
        }
        let segments =
            [
                "ISA*00*          *00*          *ZZ*LEDGERLINE01   *ZZ*CLAIMMD        "
                    + "*261129*0905*^*00501*000000101*0*T*:",
                "GS*HC*LEDGERLINE01*CLAIMMD*20261129*0905*101*X*005010X222A1", "ST*837*0001*005010X222A1",
            ] + body + ["SE*\(body.count + 2)*0001", "GE*1*101", "IEA*1*000000101"]
        return segments.joined(separator: "~") + "~"
    }
}

/// Runs pyx12's `x12valid` (installed in `<repo>/.venv` by scripts/deps.sh) on an 835.
fileprivate enum X12Validator {
    static func expectValid835(_ text: String) async throws {
        let validator = BuiltProducts.repositoryRoot.appendingPathComponent(".venv/bin/x12valid").path
        guard FileManager.default.isExecutableFile(atPath: validator) else {
            throw XMLTree.Failure(description: "pyx12 is missing: \(validator). Run scripts/deps.sh.")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("era-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("standin.835").path
        try text.write(toFile: path, atomically: true, encoding: .ascii)
        let output: String
        do {
            output = try await ChildProcess.runDetached(validator, ["-q", path])
        } catch let failure as ChildProcess.Failure {
            output = failure.output  // x12valid exits 1 whether or not the file is valid
        }
        // pyx12 4.0.0 cannot build a 999 for an 835 and logs that with a traceback; only the
        // verdict line and ERROR lines about the file count.
        let lines = output.split(whereSeparator: \.isNewline).map(String.init)
        let errors = lines.filter { $0.contains(" ERROR ") && !$0.contains("Failed to create 999") }
        #expect(
            lines.contains("\(path): OK") && errors.isEmpty, "pyx12 rejected the stand-in's 835:\n\(output)\n\(text)")
    }
}
