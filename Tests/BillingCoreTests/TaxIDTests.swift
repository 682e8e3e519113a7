import BillingCore
import Testing

@Suite struct TaxIDTests {
    // MARK: EIN

    @Test func acceptsAWellFormedEIN() {
        #expect(TaxID.problem("12-3456789", kind: .ein) == nil)
    }

    @Test(arguments: ["00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89", "96", "97"])
    func refusesPrefixesTheIRSDoesNotIssue(prefix: String) {
        #expect(TaxID.problem(prefix + "-1234567", kind: .ein) == "has an EIN prefix the IRS does not issue")
    }

    @Test(arguments: ["01", "06", "10", "16", "20", "27", "30", "39", "40", "48", "50", "68", "71", "77", "80", "88",
                      "90", "95", "98", "99"])
    func acceptsPrefixesNextToTheUnissuedOnes(prefix: String) {
        #expect(TaxID.problem(prefix + "-1234567", kind: .ein) == nil)
    }

    @Test(arguments: ["123456789", "12-345678", "12-34567890", "1-23456789", "12--3456789", "ab-cdefghi", "12 3456789",
                      "12-3456789-", "", "１２-3456789"])
    func refusesEINsNotShapedLikeTwoDashSeven(text: String) {
        #expect(TaxID.problem(text, kind: .ein) == "must look like 12-3456789")
    }

    @Test func refusesAnSSNShapeAsAnEIN() {
        #expect(TaxID.problem("123-45-6789", kind: .ein) == "must look like 12-3456789")
    }

    // MARK: SSN

    @Test func acceptsAWellFormedSSN() {
        #expect(TaxID.problem("123-45-6789", kind: .ssn) == nil)
    }

    @Test(arguments: ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456"])
    func refusesAreaNumbersThatAreNeverIssued(ssn: String) {
        #expect(TaxID.problem(ssn, kind: .ssn) == "has an area number that is never issued")
    }

    @Test(arguments: ["665-12-3456", "667-12-3456", "899-12-3456", "001-01-0001"])
    func acceptsAreaNumbersNextToTheUnissuedOnes(ssn: String) {
        #expect(TaxID.problem(ssn, kind: .ssn) == nil)
    }

    @Test(arguments: ["123-00-6789", "123-45-0000"])
    func refusesAZeroGroupOrSerial(ssn: String) {
        #expect(TaxID.problem(ssn, kind: .ssn) == "has a group or serial number of zero")
    }

    @Test(arguments: ["123456789", "123-456-789", "12-345-6789", "123-45-678", "abc-de-fghi", "123-45-6789-", ""])
    func refusesSSNsNotShapedLikeThreeTwoFour(text: String) {
        #expect(TaxID.problem(text, kind: .ssn) == "must look like 123-45-6789")
    }

    @Test func refusesAnEINShapeAsAnSSN() {
        #expect(TaxID.problem("12-3456789", kind: .ssn) == "must look like 123-45-6789")
    }

    // MARK: masking

    @Test func masksAllButTheLastFourDigitsOfAnSSN() {
        #expect(TaxID.masked("123-45-6789", kind: .ssn) == "***-**-6789")
    }

    @Test func kindRawValuesAreTheWireNames() {
        #expect(TaxID.Kind.allCases.map(\.rawValue) == ["ein", "ssn"])
    }
}
