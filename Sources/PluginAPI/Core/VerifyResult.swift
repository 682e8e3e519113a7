/// One thing wrong with a set of settings, named by JSON Pointer.
public struct SettingsProblem: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The offending member (`/accountKey`); empty for the settings object itself.
    public var pointer: String
    /// What is wrong, in words (`is required`, `must be one of: test, live`).
    public var message: String

    /// Creates a problem.
    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    /// `/accountKey is required`.
    public var description: String { "\(pointer.isEmpty ? "settings" : pointer) \(message)" }
}

/// The answer of `verify(settings)`: the settings work, or the list of everything wrong with them.
public struct VerifyResult: Codable, Sendable, Hashable {
    /// `true` when there are no problems.
    public var ok: Bool
    /// Every problem found, all at once.
    public var problems: [SettingsProblem]

    /// Settings that work.
    public static let ok = VerifyResult(ok: true, problems: [])

    /// Settings with problems (`ok` when the list is empty).
    public static func problems(_ problems: [SettingsProblem]) -> VerifyResult {
        VerifyResult(ok: problems.isEmpty, problems: problems)
    }

    private init(ok: Bool, problems: [SettingsProblem]) {
        self.ok = ok
        self.problems = problems
    }
}
