import Testing
import X12

/// Element text: character set, delimiters, lengths and number formats.
@Suite struct X12TextTests {
    @Test(arguments: [
        (Int64(15_000), "150"), (15_050, "150.5"), (15_025, "150.25"), (15_005, "150.05"), (1, "0.01"),
        (10, "0.1"), (0, "0"), (-500, "-5"), (-1_999, "-19.99"), (123_456_789, "1234567.89"),
    ])
    func amountsAreDecimalsWithoutTrailingZeros(cents: Int64, expected: String) {
        #expect(X12Text.amount(cents: cents) == expected)
    }

    @Test func cleaningUppercasesAndFoldsAccents() {
        #expect(X12Text.clean("José Müller-Peña", maxLength: 60) == "JOSE MULLER-PENA")
        #expect(X12Text.clean("Renée d'Arc", maxLength: 60) == "RENEE D'ARC")
    }

    @Test func lettersWithoutAnASCIIFoldAreDropped() {
        #expect(X12Text.clean("Søren 李", maxLength: 60) == "SREN")
    }

    @Test func cleaningDropsDelimitersAndCharactersOutsideTheSet() {
        #expect(X12Text.clean("A*B:C~D^E", maxLength: 60) == "ABCDE")
        #expect(X12Text.clean("Suite #5 <rear> {x} [y] \\z |w", maxLength: 60) == "SUITE #5 REAR X Y Z W")
        let pipes = X12Delimiters(element: "|", component: ">", repetition: "^", segment: "~")
        #expect(X12Text.clean("A*B|C>D", maxLength: 60, delimiters: pipes) == "A*BCD")
    }

    @Test func cleaningCollapsesAndTrimsWhitespace() {
        #expect(X12Text.clean("  Main \t St \n ", maxLength: 60) == "MAIN ST")
        #expect(X12Text.clean("   ", maxLength: 60) == "")
    }

    @Test func cleaningTruncatesWithoutLeavingATrailingSpace() {
        let long = String(repeating: "ABCDE ", count: 20)
        let cut = X12Text.clean(long, maxLength: 35)
        #expect(cut.count <= 35)
        #expect(!cut.hasSuffix(" "))
        #expect(X12Text.clean("ABCD EFGH", maxLength: 5) == "ABCD")
        #expect(X12Text.clean("ABCDEFGH", maxLength: 5) == "ABCDE")
    }

    @Test func alreadyCleanTextIsReturnedUnchanged() {
        #expect(X12Text.clean("RIVERBEND COUNSELING", maxLength: 60) == "RIVERBEND COUNSELING")
    }

    @Test func digitsAndPadding() {
        #expect(X12Text.digits("(503) 555-0100") == "5035550100")
        #expect(X12Text.digits("97201-1234", maxLength: 9) == "972011234")
        #expect(X12Text.zeroPadded(907, width: 9) == "000000907")
        #expect(X12Text.spacePadded("CLAIMMD", width: 15) == "CLAIMMD        ")
    }
}
