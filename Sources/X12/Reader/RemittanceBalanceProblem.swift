/// One place where an 835's numbers do not add up, named precisely enough to find it.
///
/// ``statedCents`` is the amount the file states (CLP04, CLP03, SVC03, BPR02) and
/// ``computedCents`` what the other amounts add up to; ``differenceCents`` is stated − computed.
public struct RemittanceBalanceProblem: Sendable, Hashable, CustomStringConvertible {
    /// Which rule does not hold.
    public enum Rule: String, Sendable, Hashable {
        /// CLP04 = CLP03 − Σ claim CAS − Σ line CAS.
        case claimPayment
        /// CLP03 = Σ SVC02, when the claim has service lines.
        case claimCharge
        /// SVC03 = SVC02 − Σ line CAS.
        case linePayment
        /// BPR02 (signed by BPR03) = Σ CLP04 − Σ PLB.
        case transactionPayment
    }

    /// The rule that fails.
    public var rule: Rule
    /// ST02 of the transaction set.
    public var transactionControlNumber: String
    /// The claim's 0-based index in ``Remittance835/claims``, for claim and line rules.
    public var claimIndex: Int?
    /// CLP01 of the claim, for claim and line rules.
    public var patientControlNumber: String?
    /// The line's 0-based index in ``RemittanceClaim/serviceLines``, for the line rule.
    public var lineIndex: Int?
    /// The segment the stated amount is in (CLP, SVC or BPR), 1-based.
    public var segmentNumber: Int
    /// The amount the file states.
    public var statedCents: Int64
    /// What the other amounts add up to.
    public var computedCents: Int64
    /// A plain sentence naming the claim or line and the difference.
    public var description: String

    /// Stated − computed, in cents.
    public var differenceCents: Int64 { statedCents - computedCents }
}
