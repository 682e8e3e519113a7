/// Which payers to list.
public struct PayerQuery: Codable, Sendable, Hashable {
    /// Matches payer names or ids, case-insensitively; `nil` lists all.
    public var text: String?
    /// At most this many payers.
    public var limit: Int?

    /// Creates a query.
    public init(text: String? = nil, limit: Int? = nil) {
        self.text = text
        self.limit = limit
    }
}

/// A payer as the clearinghouse knows it.
public struct Payer: Codable, Sendable, Hashable {
    /// The clearinghouse's payer id (used in the 837's NM1*PR).
    public var payerID: String
    /// The payer's name.
    public var name: String
    /// Transactions the clearinghouse supports for this payer (`837P`, `835`, `270`).
    public var transactions: [String]
    /// Transactions that need enrollment before use.
    public var enrollmentRequired: [String]

    /// Creates a payer.
    public init(payerID: String, name: String, transactions: [String] = [], enrollmentRequired: [String] = []) {
        self.payerID = payerID
        self.name = name
        self.transactions = transactions
        self.enrollmentRequired = enrollmentRequired
    }
}

/// One claim inside a batch file.
public struct BatchClaim: Codable, Sendable, Hashable {
    /// The patient control number (CLM01), unique per practice and never reused; receipts and
    /// status updates name the claim by it.
    public var claimControlNumber: String
    /// Ledgerline's claim id (`clm_…`); clearinghouses that echo a client id (Claim.MD's
    /// `remote_claimid`) get this one.
    public var claimID: String
    /// The claim's total charge in cents.
    public var totalCents: Int64

    /// Creates a batch member.
    public init(claimControlNumber: String, claimID: String, totalCents: Int64) {
        self.claimControlNumber = claimControlNumber
        self.claimID = claimID
        self.totalCents = totalCents
    }
}

/// A batch of claims to upload as one file (Claim.MD takes up to 2,000 claims per file).
///
/// `batchID` and `fileName` are stable: a batch retried after a crash or an ambiguous answer
/// carries the same ones, so the clearinghouse (or `lookupSubmission`) can tell it was seen.
public struct ClaimBatch: Codable, Sendable, Hashable {
    /// The kernel's id of the batch, stable across retries.
    public var batchID: String
    /// The file name to upload under (derived from `batchID`).
    public var fileName: String
    /// The 837P interchange holding every claim of the batch.
    public var x12: String
    /// The claims in the file, in file order.
    public var claims: [BatchClaim]

    /// Creates a batch.
    public init(batchID: String, fileName: String, x12: String, claims: [BatchClaim]) {
        self.batchID = batchID
        self.fileName = fileName
        self.x12 = x12
        self.claims = claims
    }
}

/// "Did you already receive this batch?" — asked before resending one whose upload may or may not
/// have happened (the server died mid-call, the answer was lost).
public struct SubmissionLookup: Codable, Sendable, Hashable {
    public var batchID: String
    public var fileName: String
    /// The day (YYYY-MM-DD, UTC) of the first upload attempt.
    public var firstAttemptOn: String
    /// The claims of the batch.
    public var claimControlNumbers: [String]

    /// Creates a lookup.
    public init(batchID: String, fileName: String, firstAttemptOn: String, claimControlNumbers: [String]) {
        self.batchID = batchID
        self.fileName = fileName
        self.firstAttemptOn = firstAttemptOn
        self.claimControlNumbers = claimControlNumbers
    }
}

/// What the clearinghouse knows of a batch.
public struct SubmissionLookupResult: Codable, Sendable, Hashable {
    /// `true` when the clearinghouse has the file: it must not be sent again.
    public var found: Bool
    /// Per-claim receipts, when the clearinghouse can give them (statuses follow by polling otherwise).
    public var receipts: [SubmissionReceipt]

    /// Creates a result.
    public init(found: Bool, receipts: [SubmissionReceipt] = []) {
        self.found = found
        self.receipts = receipts
    }
}

/// The clearinghouse's answer for one uploaded claim.
public struct SubmissionReceipt: Codable, Sendable, Hashable {
    /// The claim this receipt is for.
    public var claimControlNumber: String
    /// Whether the upload was accepted (not whether the payer will pay).
    public var accepted: Bool
    /// The clearinghouse's id for the claim.
    public var clearinghouseClaimID: String?
    /// Why it was not accepted, for people.
    public var message: String?

    /// Creates a receipt.
    public init(claimControlNumber: String, accepted: Bool, clearinghouseClaimID: String? = nil, message: String? = nil)
    {
        self.claimControlNumber = claimControlNumber
        self.accepted = accepted
        self.clearinghouseClaimID = clearinghouseClaimID
        self.message = message
    }
}

/// The `since` cursor of the polling methods.
public struct CursorRequest: Codable, Sendable, Hashable {
    /// The cursor of the previous page; `nil` for the first.
    public var since: String?

    /// Creates a request.
    public init(since: String?) { self.since = since }
}

/// A status change the clearinghouse reported for a claim.
public struct ClaimStatusUpdate: Codable, Sendable, Hashable {
    /// The claim it is about.
    public var claimControlNumber: String
    /// Where the claim stands, as one of `ClaimStatusUpdate.statuses`: `received` (the payer
    /// acknowledged it), `inProcess`, `needsReview` (rejected by the clearinghouse or the payer's
    /// front end), `denied`, `paid`, or `info` (a message that changes nothing).
    public var status: String
    /// The clearinghouse's id for the claim, when it gives one.
    public var clearinghouseClaimID: String?
    /// The payer's claim number, once known.
    public var payerClaimNumber: String?
    /// What the clearinghouse or payer said.
    public var message: String?
    /// When it was reported, RFC 3339.
    public var reportedAt: String?

    /// Creates an update.
    public init(
        claimControlNumber: String, status: String, clearinghouseClaimID: String? = nil,
        payerClaimNumber: String? = nil, message: String? = nil, reportedAt: String? = nil
    ) {
        self.claimControlNumber = claimControlNumber
        self.status = status
        self.clearinghouseClaimID = clearinghouseClaimID
        self.payerClaimNumber = payerClaimNumber
        self.message = message
        self.reportedAt = reportedAt
    }
}

extension ClaimStatusUpdate {
    /// The status words the kernel understands; anything else is kept as a message only.
    public static let statuses: Set<String> = ["received", "inProcess", "needsReview", "denied", "paid", "info"]
}

/// A page of status updates and the cursor to ask from next.
public struct StatusUpdatePage: Codable, Sendable, Hashable {
    /// The updates, oldest first.
    public var updates: [ClaimStatusUpdate]
    /// Pass it as `since` next time; `nil` when the clearinghouse gave none.
    public var cursor: String?

    /// Creates a page.
    public init(updates: [ClaimStatusUpdate], cursor: String?) {
        self.updates = updates
        self.cursor = cursor
    }
}

/// One ERA file.
public struct Remittance: Codable, Sendable, Hashable {
    /// The clearinghouse's id of the file.
    public var remittanceID: String
    /// The 835 interchange text.
    public var x12: String

    /// Creates a remittance.
    public init(remittanceID: String, x12: String) {
        self.remittanceID = remittanceID
        self.x12 = x12
    }
}

/// A page of remittances and the cursor to ask from next.
public struct RemittancePage: Codable, Sendable, Hashable {
    /// The files, oldest first.
    public var remittances: [Remittance]
    /// Pass it as `since` next time; `nil` when the clearinghouse gave none.
    public var cursor: String?

    /// Creates a page.
    public init(remittances: [Remittance], cursor: String?) {
        self.remittances = remittances
        self.cursor = cursor
    }
}

/// A real-time eligibility inquiry.
public struct EligibilityRequest: Codable, Sendable, Hashable {
    /// The clearinghouse's payer id.
    public var payerID: String
    /// The subscriber's member id on the card.
    public var memberID: String
    /// The subscriber's last name as the payer has it.
    public var lastName: String
    /// The subscriber's first name as the payer has it.
    public var firstName: String
    /// The subscriber's birth date, `YYYY-MM-DD`.
    public var birthDate: String
    /// The service date asked about, `YYYY-MM-DD`.
    public var serviceDate: String
    /// The provider asking (NPI).
    public var providerNPI: String

    /// Creates an inquiry.
    public init(
        payerID: String, memberID: String, lastName: String, firstName: String, birthDate: String,
        serviceDate: String, providerNPI: String
    ) {
        self.payerID = payerID
        self.memberID = memberID
        self.lastName = lastName
        self.firstName = firstName
        self.birthDate = birthDate
        self.serviceDate = serviceDate
        self.providerNPI = providerNPI
    }
}

/// The answer to an eligibility inquiry.
public struct EligibilityResponse: Codable, Sendable, Hashable {
    /// Whether coverage is active on the service date, when the payer says.
    public var active: Bool?
    /// A one-line summary for people.
    public var summary: String
    /// The raw 271, when there is one.
    public var x12: String?

    /// Creates a response.
    public init(active: Bool?, summary: String, x12: String? = nil) {
        self.active = active
        self.summary = summary
        self.x12 = x12
    }
}

/// Which enrollment to ask about or start.
public struct EnrollmentRequest: Codable, Sendable, Hashable {
    /// The clearinghouse's payer id.
    public var payerID: String
    /// The transaction (`837P`, `835`, `270`).
    public var transaction: String
    /// The billing provider's NPI.
    public var providerNPI: String
    /// The billing provider's tax id (EIN or SSN).
    public var taxID: String

    /// Creates a request.
    public init(payerID: String, transaction: String, providerNPI: String, taxID: String) {
        self.payerID = payerID
        self.transaction = transaction
        self.providerNPI = providerNPI
        self.taxID = taxID
    }
}

/// Where an enrollment stands.
public struct EnrollmentStatus: Codable, Sendable, Hashable {
    /// The clearinghouse's status word (`notStarted`, `pending`, `approved`, `denied`).
    public var status: String
    /// A page where the practice completes the enrollment, when one is needed.
    public var link: String?

    /// Creates a status.
    public init(status: String, link: String? = nil) {
        self.status = status
        self.link = link
    }
}
