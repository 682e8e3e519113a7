import BillingCore
import Testing

@Suite struct NPITests {
    @Test(arguments: ["1234567893", "1245319599", "1000000004", "2000000002", "2123456784"])
    func acceptsNumbersWithACorrectCheckDigit(npi: String) {
        #expect(NPI.problem(npi) == nil)
        #expect(NPI.isValid(npi))
    }

    @Test func refusesAWrongCheckDigit() {
        #expect(NPI.problem("1234567890") == "fails the NPI check digit (Luhn with prefix 80840)")
    }

    @Test(arguments: ["123456789", "12345678931", "", "12345 7893", "123456789a", "１２３４５６７８９３", "-234567893"])
    func refusesAnythingButTenASCIIDigits(text: String) {
        #expect(NPI.problem(text) == "must be 10 digits")
    }

    @Test(arguments: ["3234567893", "0234567893", "9234567893"])
    func refusesNumbersNotStartingWithOneOrTwo(npi: String) {
        #expect(NPI.problem(npi) == "must start with 1 or 2")
    }

    @Test func detectsEverySingleDigitChange() {
        let valid = Array("1245319599")
        for position in valid.indices {
            for digit in "0123456789" where digit != valid[position] {
                var changed = valid
                changed[position] = digit
                #expect(!NPI.isValid(String(changed)), "\(String(changed)) should be refused")
            }
        }
    }

    @Test func checkDigitIncludesThe80840Prefix() {
        // Plain Luhn over the ten digits accepts 1234567897; with the 80840 prefix only ...93 is valid.
        #expect(!NPI.isValid("1234567897"))
        #expect(NPI.isValid("1234567893"))
    }
}

@Suite struct TaxonomyCodeTests {
    @Test(arguments: ["101YM0800X", "207Q00000X", "2084P0800X", "103T00000X", "1041C0700X"])
    func acceptsWellFormedCodes(code: String) {
        #expect(TaxonomyCode.problem(code) == nil)
    }

    @Test(arguments: ["101YM0800", "101YM0800XX", "", "101YM 0800X"])
    func refusesCodesThatAreNotTenCharacters(code: String) {
        #expect(TaxonomyCode.problem(code) == "must be 10 characters, e.g. 101YM0800X")
    }

    @Test(arguments: ["A01YM0800X", "10YYM0800X", "-01YM0800X"])
    func refusesCodesNotStartingWithThreeDigits(code: String) {
        #expect(TaxonomyCode.problem(code) == "must start with three digits")
    }

    @Test(arguments: ["101ym0800X", "101YM-800X", "101YM 800X", "101Ym0800X"])
    func refusesLowercaseOrPunctuationInTheMiddle(code: String) {
        #expect(TaxonomyCode.problem(code) == "characters 4–9 must be digits or capital letters")
    }

    @Test(arguments: ["101YM0800Y", "101YM0800x", "101YM08000"])
    func refusesCodesNotEndingWithCapitalX(code: String) {
        #expect(TaxonomyCode.problem(code) == "must end with X")
    }

    @Test func countsLengthInBytesSoNonASCIIIsRefused() {
        #expect(TaxonomyCode.problem("101YMÖ800X") != nil)
    }
}
