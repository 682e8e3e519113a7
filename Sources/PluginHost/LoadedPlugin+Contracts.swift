import PluginAPI

/// Typed calls of the contracts (ARCHITECTURE.md §7), so callers never spell method names or
/// build envelopes. Each checks the plugin's kind first.
extension LoadedPlugin {
    /// `NotificationChannel.send`.
    public func send(_ message: NotificationMessage, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> DeliveryReceipt
    {
        try requireKind(.notificationChannel, for: "send")
        return try await call("send", input: message, settings: settings, as: DeliveryReceipt.self, timeout: timeout)
    }

    /// `PaymentProcessor.charge`.
    public func charge(_ request: ChargeRequest, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> ChargeResult
    {
        try requireKind(.paymentProcessor, for: "charge")
        return try await call("charge", input: request, settings: settings, as: ChargeResult.self, timeout: timeout)
    }

    /// `PaymentProcessor.refund`.
    public func refund(_ request: RefundRequest, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> RefundResult
    {
        try requireKind(.paymentProcessor, for: "refund")
        return try await call("refund", input: request, settings: settings, as: RefundResult.self, timeout: timeout)
    }

    /// `Clearinghouse.payers`.
    public func payers(_ query: PayerQuery, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> [Payer]
    {
        try requireKind(.clearinghouse, for: "payers")
        return try await call("payers", input: query, settings: settings, as: [Payer].self, timeout: timeout)
    }

    /// `Clearinghouse.submit`.
    public func submit(_ batch: ClaimBatch, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> [SubmissionReceipt]
    {
        try requireKind(.clearinghouse, for: "submit")
        return try await call(
            "submit", input: batch, settings: settings, as: [SubmissionReceipt].self, timeout: timeout)
    }

    /// `Clearinghouse.lookupSubmission`.
    public func lookupSubmission(_ lookup: SubmissionLookup, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> SubmissionLookupResult
    {
        try requireKind(.clearinghouse, for: "lookupSubmission")
        return try await call(
            "lookupSubmission", input: lookup, settings: settings, as: SubmissionLookupResult.self, timeout: timeout)
    }

    /// `Clearinghouse.statusUpdates`.
    public func statusUpdates(since cursor: String?, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> StatusUpdatePage
    {
        try requireKind(.clearinghouse, for: "statusUpdates")
        return try await call(
            "statusUpdates", input: CursorRequest(since: cursor), settings: settings,
            as: StatusUpdatePage.self, timeout: timeout)
    }

    /// `Clearinghouse.remittances`.
    public func remittances(since cursor: String?, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> RemittancePage
    {
        try requireKind(.clearinghouse, for: "remittances")
        return try await call(
            "remittances", input: CursorRequest(since: cursor), settings: settings,
            as: RemittancePage.self, timeout: timeout)
    }

    /// `Clearinghouse.eligibility` (optional: `unsupportedMethod` when the plugin does not offer it).
    public func eligibility(_ request: EligibilityRequest, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> EligibilityResponse
    {
        try requireKind(.clearinghouse, for: "eligibility")
        return try await call(
            "eligibility", input: request, settings: settings, as: EligibilityResponse.self,
            timeout: timeout)
    }

    /// `Clearinghouse.enrollment` (optional: `unsupportedMethod` when the plugin does not offer it).
    public func enrollment(_ request: EnrollmentRequest, settings: PluginJSON, timeout: Duration? = nil)
        async throws(PluginError) -> EnrollmentStatus
    {
        try requireKind(.clearinghouse, for: "enrollment")
        return try await call(
            "enrollment", input: request, settings: settings, as: EnrollmentStatus.self,
            timeout: timeout)
    }

    private func requireKind(_ kind: PluginKind, for method: String) throws(PluginError) {
        guard manifest.kind == kind else {
            throw PluginError(
                .unsupportedMethod,
                "plugin '\(name)' is a \(manifest.kind.rawValue), not a \(kind.rawValue): it has no \(method)")
        }
    }
}
