/// Rules for an ordered list of ICD-10-CM diagnoses (a client's current list, a note's snapshot).
public enum DiagnosisList {
    /// A claim carries at most 12 diagnoses (837P HI segments, CMS-1500 box 21 A–L).
    public static let maximumCount = 12

    /// The codes normalized with their decimal point (`f411` → `F41.1`), order kept.
    public static func normalized(_ codes: [String]) -> [String] { codes.map(ICD10.normalized) }

    /// Every problem with `codes`: more than 12, a code that is not billable (a category such as
    /// `F41` names the reason), or the same code twice; `pointer` names the array (`/diagnoses`).
    /// - Parameter required: when `true`, an empty list is a problem too.
    public static func problems(_ codes: [String], pointer: String, required: Bool = false) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if required && codes.isEmpty {
            problems.append(FieldProblem(pointer: pointer, reason: "must list at least one diagnosis", code: "required"))
        }
        if codes.count > maximumCount {
            problems.append(FieldProblem(pointer: pointer, reason: "must have at most \(maximumCount) diagnoses",
                                         code: "maxItems"))
            return problems
        }
        var seen: Set<String> = []
        for (index, code) in codes.enumerated() {
            if let reason = ICD10.problem(code) {
                problems.append(FieldProblem(pointer: "\(pointer)/\(index)", reason: reason, code: "icd10"))
                continue
            }
            let normalized = ICD10.normalized(code)
            if !seen.insert(normalized).inserted {
                problems.append(FieldProblem(pointer: "\(pointer)/\(index)", reason: "\(normalized) is listed twice",
                                             code: "duplicate"))
            }
        }
        return problems
    }
}
