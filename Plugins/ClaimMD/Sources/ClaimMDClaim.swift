import Foundation

/// One `claim` entry of an `/upload/` or `/response/` answer: the attributes the plugin uses and
/// its `messages`.
struct ClaimMDClaim: Sendable, Hashable {
    /// One entry of the claim's `messages` list.
    struct Message: Sendable, Hashable {
        /// `R` rejection, `W` warning, `A` accepted/informational (Claim.MD's UI: red and yellow).
        var status: String?
        /// The claim field(s) the message is about (`ins_number`), comma-separated.
        var fields: String?
        /// The human text.
        var text: String?

        /// `ins_number: Subscriber id missing`, or the text alone when no field is named.
        var described: String? {
            switch (fields, text) {
            case (let fields?, let text?): "\(fields): \(text)"
            case (nil, let text?): text
            case (let fields?, nil): "\(fields): (no message)"
            case (nil, nil): nil
            }
        }
    }

    /// CLM01, the patient control number.
    var pcn: String?
    /// Claim.MD's id of the claim.
    var claimMDID: String?
    /// The client's claim id echoed back (Claim.MD JSON uploads set it; 837 uploads may not).
    var remoteClaimID: String?
    /// The claim-level status code (`A`, `R`, and possibly `D`, `4`, `22`), uppercased.
    var status: String?
    /// Who produced this response: the sender's name (`Claim.MD`, a payer).
    var senderName: String?
    /// The sender's id (`CLAIMMD`, a payer id).
    var senderID: String?
    /// The sender's control number for the claim (the payer's claim number / ICN).
    var senderICN: String?
    /// When the response was produced, as Claim.MD wrote it.
    var responseTime: String?
    /// The `messages` list.
    var messages: [Message]

    init(_ element: ClaimMDElement) {
        pcn = element.value("pcn")
        claimMDID = element.value("claimmd_id") ?? element.value("claimmdid")
        remoteClaimID = element.value("remote_claimid")
        status = element.value("status")?.uppercased()
        senderName = element.value("sender_name")
        // The official C# sample reads `sender_id`; the integrations read `senderid`.
        senderID = element.value("senderid") ?? element.value("sender_id")
        senderICN = element.value("sender_icn")
        responseTime = element.value("response_time")
        messages = element.elements("messages").map { message in
            let fields = message.values("fields")
            return Message(
                status: message.value("status")?.uppercased(),
                fields: fields.isEmpty ? nil : fields.joined(separator: ","),
                text: message.value("message") ?? message.value("mesg") ?? message.text)
        }
    }

    /// The messages, described and joined with `; `; `nil` when there are none.
    func summary(of selected: [Message]? = nil) -> String? {
        let texts = (selected ?? messages).compactMap(\.described)
        return texts.isEmpty ? nil : texts.joined(separator: "; ")
    }

    /// Whether Claim.MD itself produced this entry (its edits at upload, its own notices), not a
    /// payer or an intermediary: sender `Claim.MD` / `CLAIMMD`, or no sender at all.
    var isFromClaimMD: Bool {
        let name = (senderName ?? "").lowercased().filter { $0.isLetter }
        let id = (senderID ?? "").lowercased().filter { $0.isLetter || $0.isNumber }
        if name.isEmpty && id.isEmpty { return true }
        return name == "claimmd" || id == "claimmd"
    }
}
