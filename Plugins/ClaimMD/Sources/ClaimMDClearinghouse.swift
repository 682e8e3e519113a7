import Foundation
import PluginAPI

/// Submits 837P batches to Claim.MD and polls its claim responses and ERAs, through the host's
/// `http` capability (claimmd-api.md).
///
/// Every request is `POST {baseURL}/<endpoint>/` with the practice's `AccountKey` as a form field:
/// `/upload/` (multipart) for `submit`, `/uploadlist/` for `lookupSubmission` and `verify`,
/// `/response/` for `statusUpdates`, `/eralist/` and `/era835/` for `remittances`, `/payerlist/`
/// for `payers`. Answers are read as JSON or XML, whichever arrives. Requests per account stay
/// within `requestsPerMinute` per rolling minute (``RequestRateLimiter``).
struct ClaimMDClearinghouse: Clearinghouse {
    static let manifest = PluginManifest(
        name: "claimmd",
        kind: .clearinghouse,
        description: "Submits 837P claim files to Claim.MD and polls its claim responses and ERAs (835).",
        version: "1.0.0",
        settingsSchema: ClaimMDProcessSettings.schema,
        practiceSettingsSchema: ClaimMDAccount.schema)

    /// At most this many `/uploadlist/` pages are read per day (about 500 files each).
    static let maximumUploadListPages = 40

    let settings: ClaimMDProcessSettings
    let client: ClaimMDClient
    let host: HostCapabilities

    init(settings: PluginJSON, host: HostCapabilities) throws {
        let settings = try ClaimMDProcessSettings(settings)
        self.settings = settings
        self.host = host
        client = ClaimMDClient(settings: settings, host: host, limiter: .shared)
    }

    // MARK: - verify

    /// Lists today's uploads, the cheapest authenticated call: ok when Claim.MD answers, a problem
    /// at `/accountKey` when it refuses the key, a problem at `` when it cannot be reached.
    func verify(settings: PluginJSON) async -> VerifyResult {
        let account = ClaimMDAccount(settings: settings)
        do throws(PluginError) {
            _ = try await client.post(
                "uploadlist", [("Page", "1"), ("UploadDate", UploadDate.today.description)], account: account)
            return .ok
        } catch {
            switch error.code {
            case .invalidSettings:
                return .problems([SettingsProblem(pointer: "/accountKey", message: "was refused: \(error.message)")])
            case .unavailable, .timeout:
                return .problems([
                    SettingsProblem(
                        pointer: "", message: "cannot be checked: Claim.MD cannot be reached (\(error.message))")
                ])
            default:
                return .problems([
                    SettingsProblem(pointer: "/accountKey", message: "could not be confirmed: \(error.message)")
                ])
            }
        }
    }

    // MARK: - payers

    /// `/payerlist/` with `payer_name` = `query.text` (Claim.MD matches part of the name); a text
    /// that looks like a payer id (no spaces, a digit) is also asked as `payerid`.
    func payers(_ query: PayerQuery, settings: PluginJSON) async throws -> [Payer] {
        let account = ClaimMDAccount(settings: settings)
        let text = query.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var requests: [[(name: String, value: String)]] = [text.isEmpty ? [] : [("payer_name", text)]]
        if !text.isEmpty, !text.contains(" "), text.contains(where: \.isNumber), text.count <= 20 {
            requests.append([("payerid", text)])
        }
        var payers: [Payer] = []
        var seen: Set<String> = []
        for fields in requests {
            let answer = try await client.post("payerlist", fields, account: account)
            for payer in answer.root.elements("payer").compactMap(PayerListMapping.payer)
            where seen.insert(payer.payerID).inserted {
                payers.append(payer)
            }
        }
        if let limit = query.limit, limit >= 0 { payers = Array(payers.prefix(limit)) }
        return payers
    }

    // MARK: - enrollment

    /// Starts (or reads back) the provider's enrollment with a payer through `/enroll/`: Claim.MD
    /// answers a link to the form the practice completes; progress then arrives by webhook.
    ///
    /// `transaction` `837P` enrolls for claims (`enroll_type` 1500), `835` for ERA, `270` for
    /// eligibility. - Throws: `invalidParams` for another transaction; `rejected` with Claim.MD's
    /// words when it refuses; `unavailable` when it cannot be reached.
    func enrollment(_ request: EnrollmentRequest, settings: PluginJSON) async throws -> EnrollmentStatus {
        let type: String
        switch request.transaction {
        case "837P": type = "1500"
        case "835": type = "era"
        case "270": type = "elig"
        default:
            throw PluginError(.invalidParams, "enrollment is for 837P, 835 or 270, not \(request.transaction)",
                              field: "/transaction")
        }
        let account = ClaimMDAccount(settings: settings)
        let answer = try await client.post("enroll", [
            ("payerid", request.payerID), ("enroll_type", type),
            ("prov_taxid", request.taxID.filter(\.isNumber)), ("prov_npi", request.providerNPI),
        ], account: account)
        let root = answer.root
        let link = root.value("link") ?? root.elements("link").first.flatMap { $0.value("url") }
        let status = root.value("status")?.lowercased() ?? ""
        let word: String
        if ["enrolled", "completed", "approved", "active"].contains(status) {
            word = "approved"
        } else if status == "rejected" || status == "denied" {
            word = "denied"
        } else {
            word = "pending"
        }
        guard root.value("success") != nil || link != nil || !status.isEmpty else {
            throw PluginError(.malformedResponse, "Claim.MD answered /enroll/ without success, link or status")
        }
        return EnrollmentStatus(status: word, link: link)
    }

    // MARK: - submit

    /// Uploads `batch.x12` as one file named `batch.fileName` and answers one receipt per claim.
    ///
    /// - Throws: `rejected` when Claim.MD refuses the whole file (its `error`); `invalidSettings`
    ///   for a refused AccountKey; `unavailable` when it is unknown whether the file arrived
    ///   (no connection, timeout, 5xx, an unreadable answer): the kernel asks `lookupSubmission`
    ///   before it sends the batch again.
    func submit(_ batch: ClaimBatch, settings: PluginJSON) async throws -> [SubmissionReceipt] {
        guard !batch.claims.isEmpty else {
            throw PluginError(.invalidParams, "the batch has no claims", field: "/claims")
        }
        guard !batch.x12.isEmpty else { throw PluginError(.invalidParams, "the batch has no 837 text", field: "/x12") }
        guard !batch.fileName.isEmpty else {
            throw PluginError(.invalidParams, "the batch has no file name", field: "/fileName")
        }
        let account = ClaimMDAccount(settings: settings)
        let answer: ClaimMDAnswer
        do throws(PluginError) {
            answer = try await client.upload(fileName: batch.fileName, contents: Data(batch.x12.utf8), account: account)
        } catch {
            guard error.code == .malformedResponse else { throw error }
            host.log(.warning, "Claim.MD's answer to the upload of batch \(batch.batchID) cannot be read")
            throw PluginError(
                .unavailable,
                "it is unknown whether Claim.MD received the file: \(error.message); look it up before resending")
        }
        let claims = answer.root.elements("claim").map(ClaimMDClaim.init)
        let fileMessages = answer.errors.map(\.description).map(account.redacting)
        let receipts = UploadAcknowledgement.receipts(for: batch, claims: claims, fileMessages: fileMessages)
        let accepted = receipts.filter(\.accepted).count
        let missing = receipts.filter { $0.message?.hasPrefix(UploadAcknowledgement.notAcknowledged) == true }.count
        host.log(
            .info,
            "Claim.MD took \(accepted) of \(receipts.count) claims of batch \(batch.batchID) "
                + "(\(receipts.count - accepted - missing) rejected, \(missing) not acknowledged)")
        return receipts
    }

    // MARK: - lookupSubmission

    /// Looks for `lookup.fileName` among the files uploaded on `firstAttemptOn`, the day after
    /// (a retry after midnight) and the day before (Claim.MD dates uploads in its own time zone,
    /// behind UTC), reading every `/uploadlist/` page of each day until one is empty.
    ///
    /// Receipts are never given: the list has no per-claim data, and statuses follow through
    /// `statusUpdates`.
    func lookupSubmission(_ lookup: SubmissionLookup, settings: PluginJSON) async throws -> SubmissionLookupResult {
        guard let firstDay = UploadDate(lookup.firstAttemptOn) else {
            throw PluginError(.invalidParams, "firstAttemptOn must be a day as YYYY-MM-DD", field: "/firstAttemptOn")
        }
        let account = ClaimMDAccount(settings: settings)
        let wanted = lookup.fileName.lowercased()
        for day in [firstDay, firstDay.adding(days: 1), firstDay.adding(days: -1)] {
            var seen: Set<ClaimMDElement> = []
            for page in 1...Self.maximumUploadListPages {
                let answer = try await client.post(
                    "uploadlist", [("Page", String(page)), ("UploadDate", day.description)], account: account)
                let files = answer.root.elements("file")
                if files.contains(where: { Self.fileName(of: $0)?.lowercased() == wanted }) {
                    host.log(.info, "Claim.MD has the file of batch \(lookup.batchID) (uploaded \(day))")
                    return SubmissionLookupResult(found: true)
                }
                // An empty page ends the list; so does a page with nothing new (a server that
                // ignores `Page` would otherwise be read 40 times).
                let new = files.filter { seen.insert($0).inserted }
                if new.isEmpty { break }
            }
        }
        host.log(.info, "Claim.MD does not have the file of batch \(lookup.batchID)")
        return SubmissionLookupResult(found: false)
    }

    /// The name a `/uploadlist/` entry gives its file, without any folder.
    private static func fileName(of file: ClaimMDElement) -> String? {
        guard let name = file.value("filename") ?? file.value("file_name") ?? file.value("name") else { return nil }
        return name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? name
    }

    // MARK: - statusUpdates

    /// One `/response/` call from `ResponseID` = `cursor` (`0` the first time): every claim entry
    /// becomes an update (``StatusResponseMapping``). The cursor advances to `last_responseid`
    /// only when that is numerically greater than the one sent.
    ///
    /// One call per invocation: Claim.MD answers up to 20,000 responses at once, and the kernel
    /// polls again with the new cursor.
    func statusUpdates(since cursor: String?, settings: PluginJSON) async throws -> StatusUpdatePage {
        let account = ClaimMDAccount(settings: settings)
        let trimmed = cursor?.trimmingCharacters(in: .whitespaces) ?? ""
        let sent = trimmed.isEmpty ? "0" : trimmed
        let answer = try await client.post("response", [("ResponseID", sent)], account: account)
        let claimElements = answer.root.elements("claim")
        let updates = claimElements.map(ClaimMDClaim.init).compactMap(StatusResponseMapping.update)

        // `last_responseid`, or else the highest message `responseid` seen.
        let messageIDs = claimElements.flatMap { $0.elements("messages") }.compactMap { $0.value("responseid") }
        let candidates = [answer.root.value("last_responseid")].compactMap { $0 } + messageIDs
        let sentNumber = UInt64(sent) ?? 0
        let highest = candidates.compactMap { UInt64($0) }.max()
        let next = highest.map { $0 > sentNumber ? String($0) : cursor } ?? cursor
        if !updates.isEmpty {
            host.log(.info, "Claim.MD reported \(updates.count) claim responses")
        }
        return StatusUpdatePage(updates: updates, cursor: next)
    }

    // MARK: - remittances

    /// `/eralist/` after `ERAID` = `cursor` (with `NewOnly=1`, ERAs not downloaded before, the
    /// first time), then `/era835/` for each ERA, oldest (lowest id) first. The cursor becomes the
    /// last ERA id fetched (the highest), or `last_eraid` when nothing new was listed and it is ahead.
    ///
    /// When fetching an ERA fails after others were fetched, the ones fetched are returned with
    /// the cursor at the last of them, so the next poll starts at the one that failed.
    func remittances(since cursor: String?, settings: PluginJSON) async throws -> RemittancePage {
        let account = ClaimMDAccount(settings: settings)
        let since = cursor.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        let fields: [(name: String, value: String)] =
            since.map { [("ERAID", $0), ("NewOnly", "0")] } ?? [("NewOnly", "1")]
        let list = try await client.post("eralist", fields, account: account)
        let sinceNumber = since.flatMap { UInt64($0) }

        var ids: [String] = []
        for id in list.root.elements("era").compactMap({ $0.value("eraid") }) where !ids.contains(id) {
            // An ERA at or before the cursor was fetched already.
            if let sinceNumber, let number = UInt64(id), number <= sinceNumber { continue }
            ids.append(id)
        }
        if ids.allSatisfy({ UInt64($0) != nil }) {
            ids.sort { (UInt64($0) ?? 0) < (UInt64($1) ?? 0) }
        }

        var remittances: [Remittance] = []
        var lastFetched: String?
        for id in ids {
            do throws(PluginError) {
                remittances.append(try await fetchERA(id, account: account))
                lastFetched = id
            } catch {
                guard let lastFetched else { throw error }
                host.log(
                    .notice,
                    "fetching ERA \(id) from Claim.MD failed (\(error.code)); "
                        + "returning the \(remittances.count) fetched before it")
                return RemittancePage(remittances: remittances, cursor: lastFetched)
            }
        }

        let next: String?
        if let lastFetched {
            next = lastFetched
        } else if let listed = list.root.value("last_eraid"), since == nil || Self.isAhead(listed, of: since) {
            next = listed
        } else {
            next = since
        }
        if !remittances.isEmpty {
            host.log(.info, "fetched \(remittances.count) ERAs from Claim.MD")
        }
        return RemittancePage(remittances: remittances, cursor: next)
    }

    /// One ERA's 835 text from `/era835/` (`data`, a string or a one-element list).
    private func fetchERA(_ id: String, account: ClaimMDAccount) async throws(PluginError) -> Remittance {
        let answer = try await client.post("era835", [("eraid", id)], account: account)
        let data = answer.root.values("data")
        guard !data.isEmpty else {
            throw PluginError(.malformedResponse, "Claim.MD's answer for ERA \(id) has no 835 data")
        }
        return Remittance(remittanceID: answer.root.value("eraid") ?? id, x12: data.joined(separator: "\n"))
    }

    /// Whether cursor `candidate` is after `current`: numerically when both are numbers, and
    /// otherwise whenever they differ.
    private static func isAhead(_ candidate: String, of current: String?) -> Bool {
        guard let current else { return true }
        if let candidateNumber = UInt64(candidate), let currentNumber = UInt64(current) {
            return candidateNumber > currentNumber
        }
        return candidate != current
    }
}

// The five C entry points of ABI v1.
@_cdecl("plugin_abi_version") public func pluginABIVersion() -> UInt32 { PluginExport.abiVersion() }
@_cdecl("plugin_v1_manifest") public func pluginManifest() -> UnsafePointer<CChar>? { PluginExport.manifest(ClaimMDClearinghouse.self) }
@_cdecl("plugin_v1_create") public func pluginCreate(_ settings: UnsafePointer<UInt8>?, _ length: Int, _ host: UnsafeRawPointer?) -> UnsafeMutableRawPointer? { PluginExport.create(ClaimMDClearinghouse.self, settings, length, host) }
@_cdecl("plugin_v1_call") public func pluginCall(_ handle: UnsafeMutableRawPointer?, _ method: UnsafePointer<CChar>?, _ params: UnsafePointer<UInt8>?, _ length: Int, _ done: PluginDoneCallback?, _ context: UnsafeMutableRawPointer?) { PluginExport.call(handle, method, params, length, done, context) }
@_cdecl("plugin_v1_destroy") public func pluginDestroy(_ handle: UnsafeMutableRawPointer?) { PluginExport.destroy(handle) }
