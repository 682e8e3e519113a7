import BillingCore
import Foundation

/// What `practice.create` needs: business information and the first owner.
public struct NewPractice: Sendable, Codable {
    public var legalName: String
    public var taxId: String
    public var taxIdType: TaxID.Kind
    public var npi: String
    public var taxonomyCode: String
    public var billingProviderType: BillingProviderType
    public var address: Address
    public var phone: String
    public var timeZone: String
    public var owner: NewMember
}

/// A change to the practice's business information (absent fields unchanged).
public struct PracticeChanges: Sendable, Decodable {
    public var version: Int
    public var legalName: Patch<String> = .absent
    public var taxId: Patch<String> = .absent
    public var taxIdType: Patch<TaxID.Kind> = .absent
    public var npi: Patch<String> = .absent
    public var taxonomyCode: Patch<String> = .absent
    public var billingProviderType: Patch<BillingProviderType> = .absent
    public var address: Patch<Address> = .absent
    public var phone: Patch<String> = .absent
    public var timeZone: Patch<String> = .absent
    public var requireTwoFactor: Patch<Bool> = .absent
}

/// A new member of a practice.
public struct NewMember: Sendable, Codable {
    public var firstName: String
    public var lastName: String
    public var email: String
    public var role: Role?
    public var npi: String?
    public var taxonomyCode: String?
    public var credentials: String?
    /// The supervisor a pre-licensed clinician bills under.
    public var supervisorMemberId: MemberID?
}

/// A change to a member (absent fields unchanged, `null` clears optional ones).
public struct MemberChanges: Sendable, Decodable {
    public var id: MemberID
    public var version: Int
    public var firstName: Patch<String> = .absent
    public var lastName: Patch<String> = .absent
    public var email: Patch<String> = .absent
    public var role: Patch<Role> = .absent
    public var npi: Patch<String> = .absent
    public var taxonomyCode: Patch<String> = .absent
    public var credentials: Patch<String> = .absent
    public var supervisorMemberId: Patch<MemberID> = .absent
}
