import BillingCore
import Testing

@Suite struct ContactChecksTests {
    // MARK: phone

    @Test(arguments: ["+12175550100", "+442071838750", "+12345678", "+123456789012345"])
    func acceptsE164Numbers(phone: String) {
        #expect(ContactChecks.phoneProblem(phone) == nil)
    }

    @Test(arguments: ["12175550100", "+1234567", "+1234567890123456", "+02175550100", "+1 217 555 0100",
                      "+1-217-555-0100", "+1217555010a", "", "+", "++12175550100", "(217) 555-0100"])
    func refusesAnythingButPlusAndEightToFifteenDigits(phone: String) {
        #expect(ContactChecks.phoneProblem(phone) == "must be an E.164 number such as +12175550100")
    }

    // MARK: email

    @Test(arguments: ["ana@example.com", "a.b+tag@sub.example.org", "x@y.z"])
    func acceptsPlausibleEmailAddresses(email: String) {
        #expect(ContactChecks.emailProblem(email) == nil)
    }

    @Test(arguments: ["", "ana", "@example.com", "ana@", "ana@example", "ana@.example.com", "ana@example.com.",
                      "a@b@example.com", "ana @example.com", "ana@example.com ", "<ana@example.com>",
                      "ana@example.com,bob@example.com", "ana@example.com;", "ana\t@example.com"])
    func refusesImplausibleEmailAddresses(email: String) {
        #expect(ContactChecks.emailProblem(email) == "must be an email address such as ana@example.com")
    }

    @Test func refusesEmailAddressesLongerThan254Characters() {
        let domain = "@example.com"
        let atLimit = String(repeating: "a", count: 254 - domain.count) + domain
        #expect(ContactChecks.emailProblem(atLimit) == nil)
        #expect(ContactChecks.emailProblem("a" + atLimit) != nil)
    }

    // MARK: state

    @Test(arguments: ["IL", "CA", "DC", "PR", "GU", "VI", "AS", "MP"])
    func acceptsStateAndTerritoryCodes(state: String) {
        #expect(ContactChecks.stateProblem(state) == nil)
    }

    @Test(arguments: ["il", "Il", "XX", "ILL", "", "I"])
    func refusesAnythingButUppercaseStateCodes(state: String) {
        #expect(ContactChecks.stateProblem(state) == "must be a two-letter US state code such as IL")
    }

    @Test func listsFiftyStatesDCAndFiveTerritories() {
        #expect(ContactChecks.stateCodes.count == 56)
        #expect(ContactChecks.stateCodes.allSatisfy { $0.count == 2 && $0 == $0.uppercased() })
    }

    // MARK: ZIP

    @Test(arguments: ["62701", "62701-1234", "627011234", "00501"])
    func acceptsZIPAndZIPPlusFour(zip: String) {
        #expect(ContactChecks.postalCodeProblem(zip) == nil)
    }

    @Test(arguments: ["6270", "627012", "62701-123", "62701-12345", "62701 1234", "6270-11234", "ABCDE", "",
                      "62701-", "62701-abcd", "K1A 0B1"])
    func refusesOtherPostalCodes(zip: String) {
        #expect(ContactChecks.postalCodeProblem(zip) == "must be a ZIP code: 5 digits, or ZIP+4")
    }

    // MARK: time zone

    @Test(arguments: ["America/Chicago", "America/New_York", "Pacific/Honolulu", "America/Puerto_Rico"])
    func acceptsIANATimeZones(zone: String) {
        #expect(ContactChecks.timeZoneProblem(zone) == nil)
    }

    @Test(arguments: ["Mars/Olympus_Mons", "America/Springfield", "", "/"])
    func refusesUnknownTimeZones(zone: String) {
        #expect(ContactChecks.timeZoneProblem(zone) == "must be an IANA time zone such as America/Chicago")
    }

    @Test(arguments: ["CST", "EST", "GMT", "UTC"])
    func refusesIdentifiersWithoutARegion(zone: String) {
        #expect(ContactChecks.timeZoneProblem(zone) == "must be an IANA time zone such as America/Chicago")
    }
}
