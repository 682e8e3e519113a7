import Foundation

/// The behavioral-health codes `service.importCommon` adds to a practice, as data.
///
/// Names and descriptions are our own plain-language wording: CPT descriptors are copyrighted by
/// the AMA and are not reproduced. Rates are 0 because every practice sets its own; durations are
/// the usual session lengths, used only to prefill sessions.
public enum CommonServiceCodes {
    /// One entry of the table.
    public struct Entry: Sendable, Hashable {
        public let code: String
        public let codeType: ServiceCodeType
        public let name: String
        public let description: String
        public let defaultDurationMinutes: Int?
        public let billedInUnits: Bool
        public let mayRepeat: Bool
        public let addonParentCodes: [String]

        init(_ code: String, _ name: String, _ description: String, minutes: Int?, billedInUnits: Bool = false,
             mayRepeat: Bool = false, addonTo parents: [String] = []) {
            self.code = code
            self.codeType = .cpt
            self.name = name
            self.description = description
            self.defaultDurationMinutes = minutes
            self.billedInUnits = billedInUnits
            self.mayRepeat = mayRepeat
            self.addonParentCodes = parents
        }

        /// A new enabled service for this entry with a rate of 0.
        public func service(id: ServiceID = .generate(), now: Date) -> BillableService {
            BillableService(id: id, code: code, codeType: codeType, name: name, description: description,
                            defaultRateCents: 0, defaultDurationMinutes: defaultDurationMinutes,
                            billedInUnits: billedInUnits, mayRepeat: mayRepeat, addonParentCodes: addonParentCodes,
                            enabled: true, version: 1, createdAt: now, updatedAt: now)
        }
    }

    /// Evaluation-and-management office visits for established clients, which the psychotherapy add-ons accompany.
    static let evaluationAndManagement = ["99212", "99213", "99214", "99215"]

    /// Every code, ordered by code.
    public static let entries: [Entry] = [
        Entry("90785", "Interactive complexity (add-on)",
              "Added when communication difficulties, such as involving other people in the room or an interpreter, "
                  + "make the session harder to carry out.",
              minutes: nil, addonTo: ["90791", "90792", "90832", "90833", "90834", "90836", "90837", "90838", "90853"]),
        Entry("90791", "Diagnostic assessment",
              "First assessment of the client's mental health: history, current concerns and diagnosis, without "
                  + "medical services.",
              minutes: 60),
        Entry("90792", "Diagnostic assessment with medical services",
              "First assessment of the client's mental health by a prescriber, including medical review such as "
                  + "medications.",
              minutes: 60),
        Entry("90832", "Individual therapy, 30 minutes",
              "One-to-one talk therapy with the client lasting about half an hour (16 to 37 minutes).", minutes: 30),
        Entry("90833", "Therapy with a medical visit, 30 minutes (add-on)",
              "About half an hour of talk therapy given during the same visit as a prescriber's medical office visit.",
              minutes: 30, addonTo: evaluationAndManagement),
        Entry("90834", "Individual therapy, 45 minutes",
              "One-to-one talk therapy with the client lasting about three quarters of an hour (38 to 52 minutes).",
              minutes: 45),
        Entry("90836", "Therapy with a medical visit, 45 minutes (add-on)",
              "About three quarters of an hour of talk therapy given during the same visit as a prescriber's medical "
                  + "office visit.",
              minutes: 45, addonTo: evaluationAndManagement),
        Entry("90837", "Individual therapy, 60 minutes",
              "One-to-one talk therapy with the client lasting about an hour (53 minutes or longer).", minutes: 60),
        Entry("90838", "Therapy with a medical visit, 60 minutes (add-on)",
              "About an hour of talk therapy given during the same visit as a prescriber's medical office visit.",
              minutes: 60, addonTo: evaluationAndManagement),
        Entry("90839", "Crisis therapy, first hour",
              "Urgent therapy for a client in crisis, covering the first 30 to 74 minutes.", minutes: 60),
        Entry("90840", "Crisis therapy, each extra 30 minutes (add-on)",
              "Each further half hour of crisis therapy after the first 74 minutes; report one unit per half hour.",
              minutes: 30, billedInUnits: true, addonTo: ["90839"]),
        Entry("90846", "Family therapy without the client",
              "Therapy session with the client's family members while the client is not present.", minutes: 50),
        Entry("90847", "Family therapy with the client",
              "Therapy session with the client and family members together.", minutes: 50),
        Entry("90849", "Multiple-family group therapy",
              "Group therapy session attended by several clients' families.", minutes: 90),
        Entry("90853", "Group therapy",
              "Therapy session with a group of clients who are not members of one family.", minutes: 60),
        Entry("96127", "Brief behavioral screening, per instrument",
              "Scoring a short standardized questionnaire, such as a depression or anxiety screener; one unit per "
                  + "questionnaire.",
              minutes: 5, billedInUnits: true, mayRepeat: true),
        Entry("99212", "Medical office visit, established client, brief",
              "Office visit with a prescriber for a known client with a simple, straightforward concern.", minutes: 15),
        Entry("99213", "Medical office visit, established client, low complexity",
              "Office visit with a prescriber for a known client whose care involves low-complexity "
                  + "decisions.", minutes: 20),
        Entry("99214", "Medical office visit, established client, moderate complexity",
              "Office visit with a prescriber for a known client whose care involves moderately complex decisions.",
              minutes: 30),
        Entry("99215", "Medical office visit, established client, high complexity",
              "Office visit with a prescriber for a known client whose care involves highly complex "
                  + "decisions.", minutes: 40),
    ]

    /// The entry for `code`, if the table has one.
    public static func entry(_ code: String) -> Entry? { entries.first { $0.code == code } }
}
