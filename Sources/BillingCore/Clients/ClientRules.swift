/// Pure rules for a client's own fields.
public enum ClientRules {
    /// Every problem with `client`'s fields on the practice's `today`: a birth date in the future,
    /// or a diagnosis list that is not billable.
    public static func problems(_ client: Client, today: CalendarDate) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if client.dateOfBirth > today {
            problems.append(FieldProblem(pointer: "/dateOfBirth", reason: "must not be in the future", code: "future"))
        }
        problems += DiagnosisList.problems(client.diagnoses, pointer: "/diagnoses")
        return problems
    }
}
