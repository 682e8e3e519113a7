/// A claims clearinghouse (Claim.MD and the like). Contract v1.
///
/// Polling methods take the cursor the previous page returned (`nil` the first time) and the
/// kernel stores the new cursor per practice, so a restart resumes where it stopped.
public protocol Clearinghouse: Plugin {
    /// The payers the clearinghouse knows, filtered by `query`.
    func payers(_ query: PayerQuery, settings: PluginJSON) async throws -> [Payer]
    /// Uploads one batch file (837P). Each receipt says whether the clearinghouse accepted that
    /// claim for transmission (one receipt per claim of the batch, matched by control number).
    /// Throw `unavailable` when it is unknown whether the file arrived: the kernel then asks
    /// `lookupSubmission` before it ever sends the batch again.
    func submit(_ batch: ClaimBatch, settings: PluginJSON) async throws -> [SubmissionReceipt]
    /// Whether the clearinghouse already has a batch (by its file name) — reconciliation before a resend.
    func lookupSubmission(_ lookup: SubmissionLookup, settings: PluginJSON) async throws -> SubmissionLookupResult
    /// Claim status updates (277CA, 999, clearinghouse messages) after `cursor`.
    func statusUpdates(since cursor: String?, settings: PluginJSON) async throws -> StatusUpdatePage
    /// Remittance files (835 text) after `cursor`.
    func remittances(since cursor: String?, settings: PluginJSON) async throws -> RemittancePage
    /// A real-time eligibility check (optional: the default answers `unsupportedMethod`).
    func eligibility(_ request: EligibilityRequest, settings: PluginJSON) async throws -> EligibilityResponse
    /// Enrollment status or link for a payer transaction (optional: the default answers `unsupportedMethod`).
    func enrollment(_ request: EnrollmentRequest, settings: PluginJSON) async throws -> EnrollmentStatus
}

extension Clearinghouse {
    /// Not offered unless the plugin implements it.
    public func eligibility(_ request: EligibilityRequest, settings: PluginJSON) async throws -> EligibilityResponse {
        throw PluginError(.unsupportedMethod, "\(Self.manifest.name) does not offer eligibility checks")
    }

    /// Not offered unless the plugin implements it.
    public func enrollment(_ request: EnrollmentRequest, settings: PluginJSON) async throws -> EnrollmentStatus {
        throw PluginError(.unsupportedMethod, "\(Self.manifest.name) does not offer enrollment")
    }
}
