import Billing
import BillingCore
import Foundation
import JSONRPC
import PostgresNIO
import Storage
import Testing

/// Services, service locations, payers, enrollments and bill settings through the API.
@Suite struct CatalogTests {
    // MARK: - Helpers

    static func pointers(_ response: JSONValue) -> Set<String> {
        Set(response["error"]?["data"]?["errors"]?.arrayValue.compactMap { $0["pointer"]?.stringValue } ?? [])
    }

    static func items(_ response: JSONValue) -> [JSONValue] { response["result"]?["items"]?.arrayValue ?? [] }

    /// Every page of a list method, following `nextCursor`.
    static func allPages(_ practice: TestPractice, _ method: String, _ params: JSONObject) async throws -> [[JSONValue]] {
        var pages: [[JSONValue]] = []
        var cursor: String? = nil
        repeat {
            var object = params
            if let cursor { object["cursor"] = .string(cursor) }
            let response = try await practice.call(method, .object(object))
            try #require(response["result"] != nil, "\(method) answered \(response.text)")
            pages.append(items(response))
            cursor = response["result"]?["nextCursor"]?.stringValue
        } while cursor != nil && pages.count < 100
        return pages
    }

    /// Inserts a client row directly (the client API belongs to another area) and returns its id.
    static func insertClient(_ practice: TestPractice, _ environment: TestEnvironment) async throws -> String {
        let id = ClientID.generate()
        let practiceUUID = try #require(TableInspector.uuid(of: practice.id))
        try await environment.admin.withConnection { connection in
            _ = try await connection.query("""
                insert into clients (practice_id, id, first_name, last_name, date_of_birth, sex)
                values (\(practiceUUID), \(id.uuid), 'Jordan', 'Park', '2012-04-12', 'M')
                """)
        }
        return id.description
    }

    static let address: JSONValue = ["line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701"]

    // MARK: - Services

    @Test func importCommonAddsEveryCommonCodeOnceAndLeavesExistingCodesUntouched() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        // The practice already bills 90837 at its own rate under its own name.
        let own = try await practice.call("service.create", ["code": "90837", "codeType": "cpt", "name": "Therapy 60",
                                                             "defaultRateCents": 18000])
        let ownID = try #require(own["result"]?["service"]?["id"]?.stringValue, "\(own.text)")

        let first = try await practice.call("service.importCommon")
        let firstItems = Self.items(first)
        #expect(firstItems.count == CommonServiceCodes.entries.count, "\(first.text)")
        #expect(first["result"]?["createdCount"]?.int64Value == Int64(CommonServiceCodes.entries.count - 1))
        #expect(Set(firstItems.compactMap { $0["code"]?.stringValue }) == Set(CommonServiceCodes.entries.map(\.code)))
        let kept = try #require(firstItems.first { $0["code"]?.stringValue == "90837" })
        #expect(kept["id"]?.stringValue == ownID)
        #expect(kept["defaultRateCents"]?.int64Value == 18000)
        #expect(kept["name"]?.stringValue == "Therapy 60")
        for item in firstItems where item["code"]?.stringValue != "90837" {
            #expect(item["defaultRateCents"]?.int64Value == 0)
            #expect((item["description"]?.stringValue ?? "").count > 20)
            #expect(item["version"]?.int64Value == 1)
        }
        let crisis = try #require(firstItems.first { $0["code"]?.stringValue == "90840" })
        #expect(crisis["addonParentCodes"] == ["90839"])
        let screening = try #require(firstItems.first { $0["code"]?.stringValue == "96127" })
        #expect(screening["billedInUnits"] == true && screening["mayRepeat"] == true)

        let second = try await practice.call("service.importCommon")
        #expect(second["result"]?["createdCount"]?.int64Value == 0)
        #expect(Self.items(second).map(\.text) == firstItems.map(\.text), "a second import changes nothing")
        let practiceUUID = try #require(TableInspector.uuid(of: practice.id))
        #expect(try await environment.count("select count(*)::int8 from services where practice_id = \(practiceUUID)")
                == CommonServiceCodes.entries.count)
    }

    @Test func rateUpdateNeedsTheCurrentVersionAndLeavesOtherFieldsAlone() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let imported = Self.items(try await practice.call("service.importCommon"))
        let therapy = try #require(imported.first { $0["code"]?.stringValue == "90837" })
        let id = try #require(therapy["id"]?.stringValue)
        let updated = try await practice.call("service.update", ["id": .string(id), "version": 1, "defaultRateCents": 15000])
        let service = try #require(updated["result"]?["service"], "\(updated.text)")
        #expect(service["defaultRateCents"]?.int64Value == 15000)
        #expect(service["version"]?.int64Value == 2)
        #expect(service["name"] == therapy["name"] && service["description"] == therapy["description"])
        #expect(service["defaultDurationMinutes"]?.int64Value == 60)

        let stale = try await practice.call("service.update", ["id": .string(id), "version": 1, "defaultRateCents": 1])
        #expect(stale.errorCode == -32009)
        #expect(stale["error"]?["data"]?["field"]?.stringValue == "/version")
        let fetched = try await practice.call("service.get", ["id": .string(id)])
        #expect(fetched["result"]?["service"]?["defaultRateCents"]?.int64Value == 15000)

        let cleared = try await practice.call("service.update", ["id": .string(id), "version": 2,
                                                                 "defaultDurationMinutes": nil])
        #expect(cleared["result"]?["service"]?["defaultDurationMinutes"] == nil, "\(cleared.text)")
        #expect(cleared["result"]?["service"]?["defaultRateCents"]?.int64Value == 15000)
    }

    @Test func disabledServicesAreLeftOutOfTheListByDefault() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let created = try await practice.call("service.create", ["code": "WORKSHOP", "codeType": "custom",
                                                                 "name": "Parenting workshop", "defaultRateCents": 4000])
        let id = try #require(created["result"]?["service"]?["id"]?.stringValue, "\(created.text)")
        #expect(created["result"]?["service"]?["description"]?.stringValue == "Parenting workshop")
        _ = try await practice.call("service.create", ["code": "H0031", "codeType": "hcpcs", "name": "Assessment"])
        let disabled = try await practice.call("service.disable", ["id": .string(id), "version": 1])
        #expect(disabled["result"]?["service"]?["enabled"] == false, "\(disabled.text)")
        let again = try await practice.call("service.disable", ["id": .string(id)])
        #expect(again["result"]?["service"]?["version"]?.int64Value == 2, "disabling twice changes nothing")

        let byDefault = Self.items(try await practice.call("service.list")).compactMap { $0["code"]?.stringValue }
        #expect(byDefault == ["H0031"])
        let everything = try await practice.call("service.list", ["includeDisabled": true])
        #expect(Self.items(everything).compactMap { $0["code"]?.stringValue } == ["H0031", "WORKSHOP"])
        let onlyDisabled = try await practice.call("service.list", ["enabled": false])
        #expect(Self.items(onlyDisabled).compactMap { $0["code"]?.stringValue } == ["WORKSHOP"])
        let hcpcs = try await practice.call("service.list", ["codeType": "hcpcs", "includeDisabled": true])
        #expect(Self.items(hcpcs).compactMap { $0["code"]?.stringValue } == ["H0031"])
    }

    @Test func serviceListPagesThroughEveryServiceInCodeOrder() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        _ = try await practice.call("service.importCommon")
        let pages = try await Self.allPages(practice, "service.list", ["limit": 6])
        let codes = pages.flatMap { $0.compactMap { $0["code"]?.stringValue } }
        #expect(codes == CommonServiceCodes.entries.map(\.code).sorted())
        #expect(pages.count == (CommonServiceCodes.entries.count + 5) / 6)
        let bogus = try await practice.call("service.list", ["cursor": .string(ServiceID.generate().description)])
        #expect(bogus.errorCode == -32602)
    }

    @Test func invalidServiceIsRefusedWithEveryFieldAndNothingWritten() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let practiceUUID = try #require(TableInspector.uuid(of: practice.id))
        let schemaLevel = try await practice.call("service.create", [
            "code": "", "codeType": "icd", "name": "", "defaultRateCents": -5, "defaultDurationMinutes": 0,
            "addonParentCodes": ["90791", "90791"], "colour": "red",
        ])
        #expect(schemaLevel.errorCode == -32602)
        #expect(Self.pointers(schemaLevel) == ["/code", "/codeType", "/name", "/defaultRateCents", "/defaultDurationMinutes",
                                               "/addonParentCodes", "/colour"], "\(schemaLevel.text)")

        let ruleLevel = try await practice.call("service.create", [
            "code": "9083", "codeType": "cpt", "name": "  ", "addonParentCodes": ["9083", "90791"],
        ])
        #expect(ruleLevel.errorCode == -32602)
        #expect(Self.pointers(ruleLevel) == ["/code", "/name", "/addonParentCodes/0"], "\(ruleLevel.text)")
        #expect(try await environment.count("select count(*)::int8 from services where practice_id = \(practiceUUID)") == 0)
    }

    @Test func duplicateServiceCodeIsAConflictOnCode() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let params: JSONValue = ["code": "90834", "codeType": "cpt", "name": "Therapy 45"]
        #expect(try await practice.call("service.create", params)["result"] != nil)
        let again = try await practice.call("service.create", params)
        #expect(again.errorCode == -32009)
        #expect(again["error"]?["data"]?["field"]?.stringValue == "/code")
    }

    // MARK: - Locations

    @Test func locationsNeedAnAddressEvenForTelehealthAndCanBeDeactivated() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let noAddress = try await practice.call("location.create", ["name": "Telehealth", "placeOfService": "10"])
        #expect(noAddress.errorCode == -32602)
        #expect(Self.pointers(noAddress) == ["/address"])
        let badCode = try await practice.call("location.create", ["name": "Moon", "placeOfService": "98",
                                                                  "address": Self.address])
        #expect(Self.pointers(badCode) == ["/placeOfService"])

        let telehealth = try await practice.call("location.create", ["name": "Telehealth", "placeOfService": "10",
                                                                     "address": Self.address])
        let location = try #require(telehealth["result"]?["location"], "\(telehealth.text)")
        #expect(location["telehealth"] == true)
        #expect(location["address"]?["city"]?.stringValue == "Springfield")
        let id = try #require(location["id"]?.stringValue)
        let office = try await practice.call("location.create", ["name": "Main office", "placeOfService": "11",
                                                                 "address": Self.address])
        #expect(office["result"]?["location"]?["active"] == true)

        let renamed = try await practice.call("location.update", ["id": .string(id), "version": 1, "name": "Video visits"])
        #expect(renamed["result"]?["location"]?["name"]?.stringValue == "Video visits")
        #expect(renamed["result"]?["location"]?["placeOfService"]?.stringValue == "10")
        let clearAddress = try await practice.call("location.update", ["id": .string(id), "version": 2, "address": nil])
        #expect(clearAddress.errorCode == -32602)

        let deactivated = try await practice.call("location.deactivate", ["id": .string(id), "version": 2])
        #expect(deactivated["result"]?["location"]?["active"] == false, "\(deactivated.text)")
        let active = Self.items(try await practice.call("location.list")).compactMap { $0["name"]?.stringValue }
        #expect(active == ["Main office"])
        let all = Self.items(try await practice.call("location.list", ["includeInactive": true]))
        #expect(all.compactMap { $0["name"]?.stringValue } == ["Main office", "Video visits"])
    }

    // MARK: - Payers

    @Test func payerListFindsByNameOrPayerIdIgnoringCase() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let aetna = Self.items(try await practice.call("payer.list", ["query": "aetna", "limit": 20]))
        #expect(aetna.count == 1)
        #expect(aetna.first?["name"]?.stringValue == "Aetna")
        #expect(aetna.first?["clearinghousePayerId"]?.stringValue == "60054")
        #expect(aetna.first?["id"]?.stringValue?.hasPrefix("pyr_") == true)
        #expect(aetna.first?["address"]?["state"]?.stringValue == "TX")
        #expect(aetna.first?["claimsEnrollmentRequired"] == false)

        let byPayerID = Self.items(try await practice.call("payer.list", ["query": "60054"]))
        #expect(byPayerID.compactMap { $0["name"]?.stringValue } == ["Aetna"])
        let blue = Self.items(try await practice.call("payer.list", ["query": "BLUE CROSS", "limit": 200]))
        #expect(blue.count >= 5)
        #expect(blue.allSatisfy { ($0["name"]?.stringValue ?? "").lowercased().contains("blue cross") })
        let wildcard = Self.items(try await practice.call("payer.list", ["query": "%"]))
        #expect(wildcard.isEmpty, "LIKE wildcards are plain characters")
    }

    @Test func payerListPagesInNameOrderWithoutGapsOrRepeats() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let everything = Self.items(try await practice.call("payer.list", ["limit": 200]))
        #expect(everything.count >= 40)
        let pages = try await Self.allPages(practice, "payer.list", ["limit": 7])
        let paged = pages.flatMap { $0 }.compactMap { $0["id"]?.stringValue }
        #expect(paged == everything.compactMap { $0["id"]?.stringValue })
        #expect(Set(paged).count == paged.count)
        let names = everything.compactMap { $0["name"]?.stringValue?.lowercased() }
        #expect(names == names.sorted())
        #expect(pages.dropLast().allSatisfy { $0.count == 7 })

        let id = try #require(everything.first?["id"]?.stringValue)
        let got = try await practice.call("payer.get", ["id": .string(id)])
        #expect(got["result"]?["payer"]?["id"]?.stringValue == id)
        let missing = try await practice.call("payer.get", ["id": .string(PayerID.generate().description)])
        #expect(missing.errorCode == -32004)
    }

    // MARK: - Enrollments

    static func payerID(_ practice: TestPractice, query: String) async throws -> String {
        let found = Self.items(try await practice.call("payer.list", ["query": .string(query)]))
        return try #require(found.first?["id"]?.stringValue, "no payer matches \(query)")
    }

    @Test func enrollmentMovesThroughItsStatesAndRefusesApprovedToPending() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let payer = try await Self.payerID(practice, query: "Michigan")  // requires claims enrollment
        let created = try await practice.call("enrollment.create", ["payerId": .string(payer), "kind": "claims"])
        let enrollment = try #require(created["result"]?["enrollment"], "\(created.text)")
        #expect(enrollment["status"]?.stringValue == "notStarted")
        let id = try #require(enrollment["id"]?.stringValue)
        #expect(try await Self.blocksClaims(payer, practice, environment))

        func update(_ params: JSONObject) async throws -> JSONValue {
            var object = params
            object["id"] = .string(id)
            return try await practice.call("enrollment.update", .object(object))
        }
        let pending = try await update(["version": 1, "status": "pending", "submittedOn": "2026-01-05"])
        #expect(pending["result"]?["enrollment"]?["status"]?.stringValue == "pending", "\(pending.text)")
        let rejected = try await update(["version": 2, "status": "rejected", "decidedOn": "2026-02-01",
                                         "note": "missing W-9"])
        #expect(rejected["result"]?["enrollment"]?["decidedOn"]?.stringValue == "2026-02-01", "\(rejected.text)")
        let resubmitted = try await update(["version": 3, "status": "pending", "submittedOn": "2026-02-03"])
        #expect(resubmitted["result"]?["enrollment"]?["status"]?.stringValue == "pending", "\(resubmitted.text)")
        #expect(resubmitted["result"]?["enrollment"]?["decidedOn"] == nil, "resubmission clears the old decision date")
        #expect(resubmitted["result"]?["enrollment"]?["note"]?.stringValue == "missing W-9")
        #expect(try await Self.blocksClaims(payer, practice, environment))
        let approved = try await update(["version": 4, "status": "approved", "decidedOn": "2026-03-10", "note": nil])
        #expect(approved["result"]?["enrollment"]?["status"]?.stringValue == "approved", "\(approved.text)")
        #expect(approved["result"]?["enrollment"]?["note"] == nil)
        #expect(try await !Self.blocksClaims(payer, practice, environment))

        let refused = try await update(["version": 5, "status": "pending"])
        #expect(refused.errorCode == -32009)
        #expect(refused["error"]?["data"]?["type"]?.stringValue == "enrollment.invalidTransition")
        let reason = refused["error"]?["data"]?["reason"]?.stringValue ?? ""
        #expect(reason.contains("approved") && reason.contains("pending"), "\(refused.text)")
        let after = try await practice.call("enrollment.get", ["id": .string(id)])
        #expect(after["result"]?["enrollment"]?["status"]?.stringValue == "approved")
        #expect(after["result"]?["enrollment"]?["version"]?.int64Value == 5)
    }

    static func blocksClaims(_ payer: String, _ practice: TestPractice, _ environment: TestEnvironment) async throws -> Bool {
        let practiceID = try #require(PracticeID(practice.id))
        let payerID = try #require(PayerID(payer))
        return try await environment.database.withTenant(practiceID) { transaction in
            try await EnrollmentService().blocksClaims(payerID: payerID, in: transaction)
        }
    }

    @Test func payerWithoutEnrollmentRequirementNeverBlocksClaims() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let aetna = try await Self.payerID(practice, query: "60054")
        #expect(try await !Self.blocksClaims(aetna, practice, environment))
    }

    @Test func enrollmentRulesAndFilters() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let payer = try await Self.payerID(practice, query: "Lyra")
        let unknown = try await practice.call("enrollment.create", ["payerId": .string(PayerID.generate().description),
                                                                    "kind": "claims"])
        #expect(unknown.errorCode == -32004)
        #expect(unknown["error"]?["data"]?["field"]?.stringValue == "/payerId")
        let badDates = try await practice.call("enrollment.create", [
            "payerId": .string(payer), "kind": "era", "status": "pending", "submittedOn": "2026-03-01",
            "decidedOn": "2026-02-01",
        ])
        #expect(badDates.errorCode == -32602)
        #expect(Self.pointers(badDates) == ["/decidedOn"], "\(badDates.text)")
        let approved = try await practice.call("enrollment.create", [
            "payerId": .string(payer), "kind": "claims", "status": "approved", "submittedOn": "2025-11-01",
            "decidedOn": "2025-12-15",
        ])
        #expect(approved["result"]?["enrollment"]?["status"]?.stringValue == "approved", "\(approved.text)")
        let duplicate = try await practice.call("enrollment.create", ["payerId": .string(payer), "kind": "claims"])
        #expect(duplicate.errorCode == -32009)
        _ = try await practice.call("enrollment.create", ["payerId": .string(payer), "kind": "era"])

        let approvedOnly = Self.items(try await practice.call("enrollment.list", ["status": "approved"]))
        #expect(approvedOnly.compactMap { $0["kind"]?.stringValue } == ["claims"])
        let forPayer = Self.items(try await practice.call("enrollment.list", ["payerId": .string(payer)]))
        #expect(forPayer.count == 2)
        let otherPayer = try await practice.call("enrollment.list", ["payerId": .string(PayerID.generate().description)])
        #expect(otherPayer.errorCode == -32004)
    }

    // MARK: - Settings

    @Test func settingsStartWithDefaultsAtVersionOne() async throws {
        let practice = try await TestEnvironment.shared().createPractice()
        let got = try await practice.call("settings.get")
        let result = try #require(got["result"], "\(got.text)")
        #expect(result["version"]?.int64Value == 1)
        #expect(result["settings"]?["billCreation"]?.stringValue == "manual")
        #expect(result["settings"]?["dueDays"]?.int64Value == 30)
        #expect(result["settings"]?["noShowFee"]?["enabled"] == false)
        #expect(result["settings"]?["monthlySuperbills"]?["clientOptIn"] == false)
        #expect(result["settings"]?["statementFooter"] == .null)
        #expect(result["effective"] == result["settings"])
        #expect(result["overrides"] == .null)
    }

    @Test func settingsUpdateChangesOnlyNamedFieldsAndChecksTheVersion() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let updated = try await practice.call("settings.update", [
            "version": 1, "dueDays": 14, "billCreation": "daily", "noShowFee": ["enabled": true, "amountCents": 5000],
            "statementFooter": "Questions? Call +1 217 555 0100",
        ])
        let result = try #require(updated["result"], "\(updated.text)")
        #expect(result["version"]?.int64Value == 2)
        #expect(result["settings"]?["dueDays"]?.int64Value == 14)
        #expect(result["settings"]?["billCreation"]?.stringValue == "daily")
        #expect(result["settings"]?["noShowFee"] == ["amountCents": 5000, "appliesTo": ["noShow", "lateCancel"],
                                                     "enabled": true])
        #expect(result["settings"]?["autoPay"]?["enabled"] == false)

        let second = try await practice.call("settings.update", ["version": 2, "statementFooter": nil,
                                                                 "monthlySuperbills": ["enabled": true, "dayOfMonth": 3]])
        #expect(second["result"]?["settings"]?["statementFooter"] == .null, "\(second.text)")
        #expect(second["result"]?["settings"]?["dueDays"]?.int64Value == 14)
        #expect(second["result"]?["version"]?.int64Value == 3)

        let stale = try await practice.call("settings.update", ["version": 2, "dueDays": 1])
        #expect(stale.errorCode == -32009)
        let got = try await practice.call("settings.get")
        #expect(got["result"]?["version"]?.int64Value == 3)
        #expect(got["result"]?["settings"]?["monthlySuperbills"]?["dayOfMonth"]?.int64Value == 3)
    }

    @Test func invalidSettingsAreRefusedWithEveryFieldAndNothingWritten() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let practiceUUID = try #require(TableInspector.uuid(of: practice.id))
        let schemaLevel = try await practice.call("settings.update", [
            "version": 1, "dueDays": 400, "billCreation": "weekly",
            "noShowFee": ["amountCents": -1, "appliesTo": ["noShow", "noShow"]],
            "monthlySuperbills": ["dayOfMonth": 29], "autoPay": ["retryDays": [0]],
            "statementFooter": .string(String(repeating: "x", count: 501)),
        ])
        #expect(schemaLevel.errorCode == -32602)
        #expect(Self.pointers(schemaLevel) == [
            "/dueDays", "/billCreation", "/noShowFee/amountCents", "/noShowFee/appliesTo", "/monthlySuperbills/dayOfMonth",
            "/autoPay/retryDays/0", "/statementFooter",
        ], "\(schemaLevel.text)")
        let ruleLevel = try await practice.call("settings.update", [
            "version": 1, "noShowFee": ["enabled": true, "appliesTo": []], "autoPay": ["retryDays": [7, 3]],
        ])
        #expect(ruleLevel.errorCode == -32602)
        #expect(Self.pointers(ruleLevel) == ["/noShowFee/appliesTo", "/autoPay/retryDays/1"], "\(ruleLevel.text)")
        #expect(try await environment.count(
            "select count(*)::int8 from practice_settings where practice_id = \(practiceUUID)") == 0)
    }

    @Test func clientOverridesMergeIntoEffectiveSettingsAndNullClearsThem() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let client = try await Self.insertClient(practice, environment)
        _ = try await practice.call("settings.update", [
            "version": 1, "noShowFee": ["enabled": true, "amountCents": 5000],
            "monthlySuperbills": ["enabled": true, "clientOptIn": true],
        ])
        let before = try await practice.call("settings.get", ["clientId": .string(client)])
        #expect(before["result"]?["overrides"] == [:], "\(before.text)")
        #expect(before["result"]?["effective"]?["monthlySuperbills"]?["enabled"] == false, "opt-in: not yet")

        let overridden = try await practice.call("settings.updateClient", [
            "clientId": .string(client),
            "overrides": ["dueDays": 7, "noShowFee": ["amountCents": 2500], "monthlySuperbills": ["enabled": true]],
        ])
        let result = try #require(overridden["result"], "\(overridden.text)")
        #expect(result["effective"]?["dueDays"]?.int64Value == 7)
        #expect(result["effective"]?["noShowFee"] == ["amountCents": 2500, "appliesTo": ["noShow", "lateCancel"],
                                                      "enabled": true])
        #expect(result["effective"]?["monthlySuperbills"]?["enabled"] == true)
        #expect(result["settings"]?["dueDays"]?.int64Value == 30, "the practice's own settings are unchanged")
        #expect(result["overrides"] == ["dueDays": 7, "monthlySuperbills": ["enabled": true],
                                        "noShowFee": ["amountCents": 2500]])

        let practiceID = try #require(PracticeID(practice.id))
        let clientID = try #require(ClientID(client))
        let effective = try await environment.database.withTenant(practiceID) { transaction in
            try await SettingsService().effective(for: clientID, in: transaction)
        }
        #expect(effective.dueDays == 7)
        #expect(effective.noShowFeeCents(for: .lateCancel) == 2500)

        let cleared = try await practice.call("settings.updateClient", ["clientId": .string(client),
                                                                        "overrides": ["dueDays": nil]])
        #expect(cleared["result"]?["effective"]?["dueDays"]?.int64Value == 30, "\(cleared.text)")
        #expect(cleared["result"]?["overrides"] == ["monthlySuperbills": ["enabled": true], "noShowFee": ["amountCents": 2500]])
        let got = try await practice.call("settings.get", ["clientId": .string(client)])
        #expect(got["result"]?["overrides"] == cleared["result"]?["overrides"])

        let stored = try await environment.admin.withConnection { connection in
            try await connection.firstRow(
                "select billing_overrides::text from clients where id = \(clientID.uuid)")?.decode(String.self)
        }
        #expect(stored?.contains("dueDays") == false)

        let invalid = try await practice.call("settings.updateClient", [
            "clientId": .string(client), "overrides": ["dueDays": -1, "autoPay": ["retryDays": [5, 2]]],
        ])
        #expect(invalid.errorCode == -32602)
        #expect(Self.pointers(invalid) == ["/overrides/dueDays"], "schema errors first: \(invalid.text)")
        let invalidRule = try await practice.call("settings.updateClient", [
            "clientId": .string(client), "overrides": ["autoPay": ["retryDays": [5, 2]]],
        ])
        #expect(Self.pointers(invalidRule) == ["/overrides/autoPay/retryDays/1"], "\(invalidRule.text)")
    }

    @Test func settingsOfAnotherPracticesClientAreNotFound() async throws {
        let environment = try await TestEnvironment.shared()
        let owner = try await environment.createPractice()
        let other = try await environment.createPractice()
        let client = try await Self.insertClient(owner, environment)
        let read = try await other.call("settings.get", ["clientId": .string(client)])
        #expect(read.errorCode == -32004)
        let write = try await other.call("settings.updateClient", ["clientId": .string(client), "overrides": ["dueDays": 1]])
        #expect(write.errorCode == -32004)
        #expect(write["error"]?["data"]?["field"]?.stringValue == "/clientId")
        let untouched = try await owner.call("settings.get", ["clientId": .string(client)])
        #expect(untouched["result"]?["overrides"] == [:])
    }

    // MARK: - Roles and tenancy

    @Test func viewersAndCliniciansReadButCannotWrite() async throws {
        let environment = try await TestEnvironment.shared()
        let practice = try await environment.createPractice()
        let viewer = try await practice.member(role: .viewer)
        let clinician = try await practice.member(role: .clinician)
        let biller = try await practice.member(role: .biller)
        let payer = try await Self.payerID(practice, query: "Aetna")
        let writes: [(String, JSONValue)] = [
            ("service.create", ["code": "90834", "codeType": "cpt", "name": "Therapy 45"]),
            ("service.importCommon", [:]),
            ("location.create", ["name": "Office", "placeOfService": "11", "address": Self.address]),
            ("enrollment.create", ["payerId": .string(payer), "kind": "claims"]),
            ("settings.update", ["version": 1, "dueDays": 10]),
        ]
        for key in [viewer.key, clinician.key] {
            for (method, params) in writes {
                let response = try await environment.call(method, params, key: key)
                #expect(response.errorCode == -32003, "\(method) answered \(response.text)")
            }
            for method in ["service.list", "location.list", "payer.list", "enrollment.list", "settings.get"] {
                let response = try await environment.call(method, key: key)
                #expect(response["result"] != nil, "\(method) answered \(response.text)")
            }
        }
        for (method, params) in writes {
            let response = try await environment.call(method, params, key: biller.key)
            #expect(response["result"] != nil, "\(method) as biller answered \(response.text)")
        }
    }

    @Test func anotherPracticesServicesLocationsAndEnrollmentsAreNotFound() async throws {
        let environment = try await TestEnvironment.shared()
        let owner = try await environment.createPractice()
        let other = try await environment.createPractice()
        let service = try await owner.call("service.create", ["code": "90834", "codeType": "cpt", "name": "Therapy 45"])
        let serviceID = try #require(service["result"]?["service"]?["id"]?.stringValue)
        let location = try await owner.call("location.create", ["name": "Office", "placeOfService": "11",
                                                                "address": Self.address])
        let locationID = try #require(location["result"]?["location"]?["id"]?.stringValue)
        let payer = try await Self.payerID(owner, query: "Aetna")
        let enrollment = try await owner.call("enrollment.create", ["payerId": .string(payer), "kind": "claims"])
        let enrollmentID = try #require(enrollment["result"]?["enrollment"]?["id"]?.stringValue)

        let probes: [(String, JSONValue)] = [
            ("service.get", ["id": .string(serviceID)]),
            ("service.update", ["id": .string(serviceID), "version": 1, "defaultRateCents": 1]),
            ("service.disable", ["id": .string(serviceID)]),
            ("location.get", ["id": .string(locationID)]),
            ("location.update", ["id": .string(locationID), "version": 1, "name": "Mine"]),
            ("location.deactivate", ["id": .string(locationID)]),
            ("enrollment.get", ["id": .string(enrollmentID)]),
            ("enrollment.update", ["id": .string(enrollmentID), "version": 1, "status": "pending"]),
        ]
        for (method, params) in probes {
            let response = try await other.call(method, params)
            #expect(response.errorCode == -32004, "\(method) answered \(response.text)")
        }
        #expect(Self.items(try await other.call("service.list", ["includeDisabled": true])).isEmpty)
        #expect(Self.items(try await other.call("enrollment.list")).isEmpty)
        let unchanged = try await owner.call("service.get", ["id": .string(serviceID)])
        #expect(unchanged["result"]?["service"]?["version"]?.int64Value == 1)
    }
}
