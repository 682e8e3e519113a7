import Foundation
import PluginAPI

/// Talks to Claim.MD through the host's `http` capability: one `POST {baseURL}/<endpoint>/` per
/// call, with the account's `AccountKey` as a form field, within the account's rate limit, and
/// every failure turned into the `PluginError` the kernel acts on.
///
/// | Claim.MD | Error |
/// |---|---|
/// | `error` naming the AccountKey (wording such as "Invalid AccountKey") | `invalidSettings`, `/settings/accountKey` |
/// | `error` mentioning a rate limit ("too many requests") | `unavailable` |
/// | any other `error` | `rejected`, with `error_mesg` and `error_code` |
/// | HTTP 401 / 403 without an `error` | `invalidSettings`, `/settings/accountKey` |
/// | HTTP 429, 5xx, 408; no connection; no answer in `timeoutSeconds` | `unavailable` |
/// | other HTTP 4xx without an `error` | `rejected` |
/// | a 2xx body that is neither JSON nor XML | `malformedResponse` |
struct ClaimMDClient: Sendable {
    let settings: ClaimMDProcessSettings
    let host: HostCapabilities
    let limiter: RequestRateLimiter

    /// Posts form-encoded `fields` (and the AccountKey) to `endpoint` (`response`, `eralist`).
    /// - Throws: `PluginError` as the table above says.
    func post(_ endpoint: String, _ fields: [(name: String, value: String)], account: ClaimMDAccount)
        async throws(PluginError) -> ClaimMDAnswer
    {
        let body = FormEncoding.encode([("AccountKey", account.accountKey)] + fields)
        return try await send(
            endpoint, body: body, contentType: "application/x-www-form-urlencoded", account: account)
    }

    /// Uploads `contents` as the `File` part (`text/plain`, `filename="<fileName>"`) with a
    /// `Filename` field, multipart, to `/upload/`.
    ///
    /// An `error` list next to a `claim` list is returned, not thrown (those errors concern part
    /// of the file; the caller reports them with the claims), unless it names the AccountKey.
    /// - Throws: `PluginError` as the table above says.
    func upload(fileName: String, contents: Data, account: ClaimMDAccount) async throws(PluginError) -> ClaimMDAnswer {
        var form = MultipartFormData()
        form.addField("AccountKey", account.accountKey)
        form.addField("Filename", fileName)
        form.addFile("File", filename: fileName, contentType: "text/plain", contents: contents)
        return try await send(
            "upload", body: form.finished(), contentType: form.contentType, account: account, errorsBeside: "claim")
    }

    private func send(
        _ endpoint: String, body: Data, contentType: String, account: ClaimMDAccount, errorsBeside: String? = nil
    ) async throws(PluginError) -> ClaimMDAnswer {
        try await limiter.acquire(
            account: RequestRateLimiter.accountHash(baseURL: settings.baseURL, accountKey: account.accountKey),
            limit: settings.requestsPerMinute)
        let request = HostHTTPRequest(
            method: "POST", url: "\(settings.baseURL)/\(endpoint)/",
            headers: [
                HostHTTPHeader(name: "Content-Type", value: contentType),
                HostHTTPHeader(name: "Accept", value: settings.format.acceptHeader),
            ],
            body: body, timeoutSeconds: settings.timeoutSeconds)

        let response: HostHTTPResponse
        do {
            response = try await host.http(request)
        } catch let error as PluginError {
            throw transportError(error, endpoint: endpoint, account: account)
        } catch {
            throw PluginError(.unavailable, "Claim.MD cannot be reached (/\(endpoint)/)")
        }

        switch response.status {
        case 429:
            host.log(.notice, "Claim.MD answered HTTP 429 to /\(endpoint)/ (rate limited)")
            throw PluginError(
                .unavailable, "Claim.MD is rate limiting this account (HTTP 429 to /\(endpoint)/); retry later")
        case 408, 500...599:
            host.log(.notice, "Claim.MD answered HTTP \(response.status) to /\(endpoint)/")
            throw PluginError(.unavailable, "Claim.MD is unavailable (HTTP \(response.status) to /\(endpoint)/)")
        default:
            break
        }
        let success = (200...299).contains(response.status)
        let answer: ClaimMDAnswer?
        do {
            answer = try ClaimMDAnswer(body: response.body, endpoint: endpoint)
        } catch {
            if success { throw error }
            answer = nil
        }
        if let answer, case let errors = answer.errors, !errors.isEmpty {
            let tolerated =
                success && errorsBeside.map { !answer.root.elements($0).isEmpty } == true
                && !errors.contains { Self.namesTheAccountKey($0.message) }
            if !tolerated { throw apiError(errors, endpoint: endpoint, account: account) }
        }
        if let answer, success { return answer }
        switch response.status {
        case 401, 403:
            host.log(.notice, "Claim.MD answered HTTP \(response.status) to /\(endpoint)/: AccountKey refused")
            throw PluginError(
                .invalidSettings, "Claim.MD refused the AccountKey (HTTP \(response.status))",
                field: "/settings/accountKey")
        case 400...499:
            throw PluginError(.rejected, "Claim.MD refused the request to /\(endpoint)/ (HTTP \(response.status))")
        default:
            throw PluginError(
                .unavailable, "Claim.MD answered an unexpected HTTP status \(response.status) to /\(endpoint)/")
        }
    }

    /// The host's failure to get an answer, as the kernel should see it: all of them mean the
    /// request may or may not have reached Claim.MD, except a host outside the allow-list.
    private func transportError(_ error: PluginError, endpoint: String, account: ClaimMDAccount) -> PluginError {
        switch error.code {
        case .timeout:
            host.log(.notice, "Claim.MD did not answer /\(endpoint)/ in time")
            return PluginError(
                .unavailable,
                "Claim.MD did not answer /\(endpoint)/ within \(Self.seconds(settings.timeoutSeconds)) s")
        case .unavailable:
            host.log(.notice, "Claim.MD could not be reached for /\(endpoint)/")
            return PluginError(
                .unavailable, "Claim.MD cannot be reached (/\(endpoint)/): \(account.redacting(error.message))")
        default:
            return account.redacting(error)
        }
    }

    /// The error for an answer carrying `error` entries.
    func apiError(_ errors: [ClaimMDAnswer.APIError], endpoint: String, account: ClaimMDAccount) -> PluginError {
        let described = account.redacting(errors.map(\.description).joined(separator: "; "))
        let listedCodes = errors.compactMap(\.code).joined(separator: ",")
        let codes = listedCodes.isEmpty ? "none" : listedCodes
        if errors.contains(where: { Self.namesTheAccountKey($0.message) }) {
            host.log(.notice, "Claim.MD refused the AccountKey on /\(endpoint)/ (error code \(codes))")
            return PluginError(
                .invalidSettings, "Claim.MD refused the AccountKey: \(described)", field: "/settings/accountKey")
        }
        if errors.contains(where: { Self.saysRateLimited($0.message) }) {
            host.log(.notice, "Claim.MD rate limited /\(endpoint)/ (error code \(codes))")
            return PluginError(.unavailable, "Claim.MD is rate limiting this account: \(described)")
        }
        host.log(.notice, "Claim.MD answered /\(endpoint)/ with an error (error code \(codes))")
        return PluginError(.rejected, "Claim.MD refused the request to /\(endpoint)/: \(described)")
    }

    /// Whether Claim.MD's message is about the AccountKey. Claim.MD publishes no error catalogue,
    /// so this is a guess from wording: "AccountKey" / "account key" / "API key" anywhere, or the
    /// word "key" next to words such as invalid, unknown, missing, expired.
    static func namesTheAccountKey(_ message: String?) -> Bool {
        guard let text = message?.lowercased() else { return false }
        if text.contains("accountkey") || text.contains("account key") || text.contains("account_key")
            || text.contains("api key")
        {
            return true
        }
        guard text.range(of: #"\bkey\b"#, options: .regularExpression) != nil else { return false }
        let refusals = [
            "invalid", "unknown", "not valid", "incorrect", "not found", "missing", "expired", "disabled",
            "inactive", "required", "unauthori", "revoked", "bad",
        ]
        return refusals.contains { text.contains($0) }
    }

    /// Whether Claim.MD's message says the account sent too many requests (a guess from wording).
    static func saysRateLimited(_ message: String?) -> Bool {
        guard let text = message?.lowercased() else { return false }
        return text.contains("rate limit") || text.contains("too many requests")
    }

    private static func seconds(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}
