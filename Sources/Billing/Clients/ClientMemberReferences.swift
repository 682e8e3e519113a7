import BillingCore
import Storage

/// Checks members named by a request (assigned clinicians, rendering and supervising members).
struct MemberReferences: Sendable {
    let members = MemberRepository()

    /// Loads each named member; throws not found (−32004) for the first that is not in the practice, and
    /// returns a problem for each one that is inactive or is not a clinician or owner (the roles that
    /// provide services).
    /// - Parameter references: member ids with the JSON Pointer each came from.
    func clinicalMembers(_ references: [(id: MemberID, pointer: String)], in transaction: Transaction) async throws
        -> [FieldProblem]
    {
        var problems: [FieldProblem] = []
        for reference in references {
            guard let member = try await members.find(reference.id, in: transaction) else {
                throw DomainError.notFound("member", pointer: reference.pointer)
            }
            if !member.active {
                problems.append(FieldProblem(pointer: reference.pointer, reason: "member is inactive", code: "inactive"))
            } else if member.role != .clinician && member.role != .owner {
                problems.append(FieldProblem(
                    pointer: reference.pointer,
                    reason: "must be a clinician or owner (this member is a \(member.role.rawValue))", code: "role"))
            }
        }
        return problems
    }
}
