/// The facts about a practice's service that a session line needs: code, default rate, whether it
/// is enabled, may repeat in a session, and the parent codes an add-on requires.
public struct SessionServiceFacts: Sendable, Hashable {
    public var id: ServiceID
    public var code: String
    /// `cpt`, `hcpcs` or `custom`.
    public var codeType: String
    public var name: String
    public var defaultRateCents: Int64
    public var enabled: Bool
    public var mayRepeat: Bool
    /// For an add-on code (e.g. 90785), the codes one of which must be on the same session.
    public var addonParentCodes: [String]

    /// Creates the facts.
    public init(id: ServiceID, code: String, codeType: String, name: String, defaultRateCents: Int64, enabled: Bool,
                mayRepeat: Bool, addonParentCodes: [String]) {
        self.id = id
        self.code = code
        self.codeType = codeType
        self.name = name
        self.defaultRateCents = defaultRateCents
        self.enabled = enabled
        self.mayRepeat = mayRepeat
        self.addonParentCodes = addonParentCodes
    }
}
