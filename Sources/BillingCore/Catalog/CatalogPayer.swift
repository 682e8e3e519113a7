import Foundation

/// The kind of payer, which decides claim rules such as who may be billed as the primary payer.
public enum PayerType: String, Sendable, Codable, CaseIterable, Hashable {
    /// A commercial insurer or its behavioral-health carve-out.
    case commercial
    /// Medicare (a Medicare Administrative Contractor).
    case medicare
    /// A state Medicaid program or Medicaid managed-care plan.
    case medicaid
    /// TRICARE (military health).
    case tricare
    /// A Blue Cross Blue Shield plan.
    case bcbs
    /// Anything else (workers' compensation, an employee assistance program …).
    case other
}

/// A payer from the global catalog (reference data shared by every practice; no PHI).
public struct Payer: Sendable, Hashable, Codable {
    public var id: PayerID
    public var name: String
    /// The payer id the clearinghouse routes claims by (Claim.MD `payerid`).
    public var clearinghousePayerId: String
    public var payerType: PayerType
    /// Where paper claims and correspondence go, when known.
    public var address: Address?
    public var phone: String?
    /// `true` when the payer accepts electronic claims only from enrolled providers.
    public var claimsEnrollmentRequired: Bool
    /// `true` when electronic remittances (835) need a separate enrollment.
    public var eraEnrollmentRequired: Bool
    /// Inactive payers stay on existing policies but are not offered for new ones.
    public var active: Bool

    /// Creates a payer value.
    public init(id: PayerID, name: String, clearinghousePayerId: String, payerType: PayerType, address: Address?,
                phone: String?, claimsEnrollmentRequired: Bool, eraEnrollmentRequired: Bool, active: Bool) {
        self.id = id
        self.name = name
        self.clearinghousePayerId = clearinghousePayerId
        self.payerType = payerType
        self.address = address
        self.phone = phone
        self.claimsEnrollmentRequired = claimsEnrollmentRequired
        self.eraEnrollmentRequired = eraEnrollmentRequired
        self.active = active
    }
}
