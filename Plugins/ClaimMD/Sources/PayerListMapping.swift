import Foundation
import PluginAPI

/// Maps the `payer` entries of a `/payerlist/` answer to `Payer`.
///
/// Each payer carries one flag per transaction (`1500_claims`, `ub_claims`, `era`, …). Claim.MD
/// does not document their values, so this is a guess: `yes`, `y`, `1`, `true`, `supported`
/// mean supported; a value mentioning enrollment (`enrollment`, `enroll required`, `E`) means
/// supported after enrollment; anything else (`no`, `n`, `0`, empty, unknown words) means not
/// supported.
enum PayerListMapping {
    /// Claim.MD's flag names and the transaction each stands for, in the order they are listed.
    static let flags: [(flag: String, transaction: String)] = [
        ("1500_claims", "837P"), ("ub_claims", "837I"), ("dent_claims", "837D"), ("era", "835"),
        ("eligibility", "270"), ("attachment", "275"),
    ]

    /// What a flag value says.
    enum Support: Equatable {
        case unsupported
        case supported
        case enrollmentRequired
    }

    /// The payer in one `payer` entry; `nil` when it has no `payerid`.
    static func payer(_ element: ClaimMDElement) -> Payer? {
        guard let payerID = element.value("payerid") ?? element.value("payer_id") else { return nil }
        var transactions: [String] = []
        var enrollmentRequired: [String] = []
        for (flag, transaction) in flags {
            switch support(element.value(flag)) {
            case .unsupported:
                continue
            case .supported:
                transactions.append(transaction)
            case .enrollmentRequired:
                transactions.append(transaction)
                enrollmentRequired.append(transaction)
            }
        }
        return Payer(
            payerID: payerID, name: element.value("payer_name") ?? element.value("name") ?? payerID,
            transactions: transactions, enrollmentRequired: enrollmentRequired)
    }

    /// What one flag value means (see the type's documentation for the guess).
    static func support(_ value: String?) -> Support {
        let text = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if text.contains("enrol") || text == "e" || text == "required" { return .enrollmentRequired }
        if ["yes", "y", "1", "true", "supported", "available"].contains(text) { return .supported }
        return .unsupported
    }
}
