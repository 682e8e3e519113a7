import Foundation
import PluginAPI

/// Turns the `claim` list of an `/upload/` answer into one receipt per claim of the batch.
///
/// Claim.MD acknowledges each claim it read from the file with a `status`: `R` means its edits
/// rejected the claim (the messages say why), anything else means it took the claim for
/// transmission to the payer. Claims are matched by `pcn` (CLM01; compared case-insensitively,
/// because the 837 writer uppercases it), or by `remote_claimid` when Claim.MD echoes the
/// kernel's claim id. A claim of the batch that the answer does not mention is not accepted.
enum UploadAcknowledgement {
    /// The message of a claim the answer does not mention.
    static let notAcknowledged = "Claim.MD did not acknowledge this claim"

    /// One receipt per claim of `batch`, in batch order.
    /// - Parameters:
    ///   - claims: the answer's `claim` entries.
    ///   - fileMessages: texts about the whole file (its `error` entries next to claims, its
    ///     `messages`), added to the message of claims the answer does not mention.
    static func receipts(for batch: ClaimBatch, claims: [ClaimMDClaim], fileMessages: [String] = [])
        -> [SubmissionReceipt]
    {
        var byControlNumber: [String: [ClaimMDClaim]] = [:]
        var byClaimID: [String: [ClaimMDClaim]] = [:]
        for claim in claims {
            if let pcn = claim.pcn { byControlNumber[pcn.uppercased(), default: []].append(claim) }
            if let remote = claim.remoteClaimID { byClaimID[remote, default: []].append(claim) }
        }
        return batch.claims.map { member in
            let answers =
                byControlNumber[member.claimControlNumber.uppercased()] ?? byClaimID[member.claimID] ?? []
            return receipt(for: member, answers: answers, fileMessages: fileMessages)
        }
    }

    private static func receipt(for member: BatchClaim, answers: [ClaimMDClaim], fileMessages: [String])
        -> SubmissionReceipt
    {
        guard !answers.isEmpty else {
            let message = ([notAcknowledged] + fileMessages).joined(separator: "; ")
            return SubmissionReceipt(claimControlNumber: member.claimControlNumber, accepted: false, message: message)
        }
        // A claim mentioned twice (a duplicate CLM01 in the file) counts as rejected if either is.
        let clearinghouseID = answers.lazy.compactMap(\.claimMDID).first
        let rejected = answers.filter(isRejected)
        guard rejected.isEmpty else {
            let message = rejected.compactMap { claim in
                claim.summary(of: claim.messages.filter { $0.status == "R" }) ?? claim.summary()
            }.joined(separator: "; ")
            return SubmissionReceipt(
                claimControlNumber: member.claimControlNumber, accepted: false,
                clearinghouseClaimID: clearinghouseID,
                message: message.isEmpty ? "Claim.MD rejected this claim without a message" : message)
        }
        return SubmissionReceipt(
            claimControlNumber: member.claimControlNumber, accepted: true, clearinghouseClaimID: clearinghouseID)
    }

    /// `status` `R`, or no status at all and a rejecting message.
    private static func isRejected(_ claim: ClaimMDClaim) -> Bool {
        if let status = claim.status { return status == "R" }
        return claim.messages.contains { $0.status == "R" }
    }
}
