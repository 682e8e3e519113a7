import BillingCore

/// A policy with its payer's catalog facts.
public struct PolicyDetails: Sendable, Hashable {
    public var policy: InsurancePolicy
    /// The catalog payer (`nil` only if the catalog row disappeared).
    public var payer: PolicyPayer?

    /// Pairs a policy with its payer.
    public init(policy: InsurancePolicy, payer: PolicyPayer?) {
        self.policy = policy
        self.payer = payer
    }
}
