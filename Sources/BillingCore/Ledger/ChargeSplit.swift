/// Splits a session's charges into client and insurance portions at bill creation.
public enum ChargeSplit {
    /// For self-pay everything is the client's; for insurance the policy's copay (once per session,
    /// never more than the session's charges) is the client's, spread over the lines in order, and
    /// the rest is expected from insurance.
    public static func split(lineAmounts: [Int64], insurance: Bool, copayCents: Int64)
        -> [(clientCents: Int64, insuranceCents: Int64)]
    {
        guard insurance else { return lineAmounts.map { ($0, 0) } }
        var copayLeft = max(0, copayCents)
        return lineAmounts.map { amount in
            let client = min(amount, copayLeft)
            copayLeft -= client
            return (client, amount - client)
        }
    }
}
