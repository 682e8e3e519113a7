import Foundation
import PluginAPI

/// Maps the `claim` entries of a `/response/` answer to the kernel's status words
/// (claimmd-api.md §5.2; Claim.MD publishes A and R, the rest is inferred):
///
/// | `status` | Sender | Status |
/// |---|---|---|
/// | `R` | anyone | `needsReview` (rejected by Claim.MD, an intermediary or the payer's front end) |
/// | `D`, `4` | anyone | `denied` |
/// | `22` (reversal), `23` (not our claim) | anyone | `needsReview` |
/// | `A` | Claim.MD itself (`Claim.MD` / `CLAIMMD`, or no sender) | `info` |
/// | `A` | the payer, with wording such as "in process", "pended", "adjudicat…" | `inProcess` |
/// | `A` | the payer, otherwise | `received` |
/// | anything else (`W`, processed codes `1`–`3`, `19`–`21`) | anyone | `info`: payment comes from the ERA |
enum StatusResponseMapping {
    /// Words in a payer's `A` messages that mean the claim is being adjudicated, not just received.
    static let inProcessWords = [
        "in process", "in-process", "inprocess", "processing", "pended", "pending", "adjudicat", "under review",
        "in review", "suspended",
    ]

    /// The update for one `claim` entry; `nil` when the entry names no claim (no `pcn`).
    static func update(for claim: ClaimMDClaim) -> ClaimStatusUpdate? {
        guard let pcn = claim.pcn else { return nil }
        let fromClaimMD = claim.isFromClaimMD
        return ClaimStatusUpdate(
            claimControlNumber: pcn, status: status(of: claim), clearinghouseClaimID: claim.claimMDID,
            payerClaimNumber: fromClaimMD ? nil : claim.senderICN, message: claim.summary(),
            reportedAt: claim.responseTime.flatMap(ResponseTime.rfc3339))
    }

    /// The status word for one entry, always one of `ClaimStatusUpdate.statuses`.
    static func status(of claim: ClaimMDClaim) -> String {
        switch claim.status ?? "" {
        case "R", "22", "23", "24":
            return "needsReview"
        case "D", "4":
            return "denied"
        case "A":
            if claim.isFromClaimMD { return "info" }
            let texts = claim.messages.compactMap(\.text).joined(separator: " ").lowercased()
            return inProcessWords.contains(where: texts.contains) ? "inProcess" : "received"
        default:
            return "info"
        }
    }
}
