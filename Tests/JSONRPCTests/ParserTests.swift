import JSONRPC
import Testing

/// Parses `text` as UTF-8 with the given limits.
private func parse(_ text: String, limits: JSONParserLimits = .init()) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(Array(text.utf8), limits: limits)
}

/// The error thrown for `bytes`, or `nil` when they parse.
private func parseError(_ bytes: [UInt8], limits: JSONParserLimits = .init()) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

private func parseError(_ text: String, limits: JSONParserLimits = .init()) -> JSONParseError? {
    parseError(Array(text.utf8), limits: limits)
}

private func nestedArrays(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

@Suite struct ParserTests {
    // MARK: values

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"n": null, "t": true, "f": false, "i": -12, "s": "x", "a": [1, [2]], "o": {}} "#)
        #expect(value == ["n": nil, "t": true, "f": false, "i": -12, "s": "x", "a": [1, [2]], "o": [:]])
    }

    @Test func keepsObjectMembersInDocumentOrder() throws {
        guard case .object(let object) = try parse(#"{"z":1,"a":2,"m":3}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["z", "a", "m"])
    }

    @Test func acceptsAScalarAsTheWholeDocument() throws {
        #expect(try parse("  42\n") == 42)
        #expect(try parse(#""hi""#) == "hi")
        #expect(try parse("null") == JSONValue.null)
    }

    // MARK: duplicates and trailing data

    @Test func rejectsDuplicateMemberNames() {
        let error = parseError(#"{"a":1,"a":2}"#)
        #expect(error?.reason == #"duplicate member name "a""#)
        #expect(error?.isLimit == false)
    }

    @Test func rejectsDuplicateMemberNamesInNestedObjects() {
        #expect(parseError(#"{"outer":[{"id":1,"id":1}]}"#) != nil)
    }

    @Test func treatsDifferentlyEscapedIdenticalNamesAsDuplicates() {
        #expect(parseError(#"{"a":1,"\u0061":2}"#) != nil)
    }

    @Test func allowsTheSameNameInSiblingObjects() throws {
        #expect(try parse(#"[{"a":1},{"a":2}]"#) == [["a": 1], ["a": 2]])
    }

    @Test(arguments: ["{} x", "1 2", "[]]", "{}{}", "nullx", "\"a\"\"b\""])
    func rejectsDataAfterTheValue(text: String) {
        #expect(parseError(text)?.reason == "unexpected data after the JSON value")
    }

    @Test(arguments: ["", "   ", "\n\t\r "])
    func rejectsEmptyInput(text: String) {
        #expect(parseError(text)?.reason == "unexpected end of input")
    }

    @Test(arguments: ["[1,]", #"{"a":1,}"#, "[1 2]", #"{"a" 1}"#, "{a:1}", "{'a':1}", "['a']", "[", "{", #"{"a":"#])
    func rejectsMalformedStructure(text: String) {
        let error = parseError(text)
        #expect(error != nil)
        #expect(error?.isLimit == false)
    }

    @Test func reportsTheByteOffsetOfTheProblem() {
        #expect(parseError("[1,]")?.offset == 3)
    }

    // MARK: byte order mark

    @Test func toleratesAUTF8ByteOrderMark() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8)) == ["a": 1])
    }

    @Test func rejectsAByteOrderMarkAfterWhitespace() {
        #expect(parseError([0x20, 0xEF, 0xBB, 0xBF] + Array("1".utf8)) != nil)
    }

    @Test func rejectsAByteOrderMarkAlone() {
        #expect(parseError([0xEF, 0xBB, 0xBF]) != nil)
    }

    // MARK: literals

    @Test(arguments: ["tru", "nul", "True", "NULL", "fals", "trueish", "nan", "NaN", "Infinity", "undefined"])
    func rejectsMisspelledLiterals(text: String) {
        #expect(parseError(text) != nil)
    }

    // MARK: numbers

    @Test(arguments: ["01", "-01", "00", "[00]", "007"])
    func rejectsLeadingZeros(text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: ["1.", ".5", "-", "+1", "1e", "1e+", "1E-", "0x10", "1.e3", "--1", "- 1", "1_000"])
    func rejectsMalformedNumbers(text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: ["0", "-0", "0.5", "-0.0", "10", "1e10", "1E+2", "2.5e-3", "1.50"])
    func keepsNumberLiteralsExactlyAsWritten(text: String) throws {
        #expect(try parse(text) == .number(JSONNumber(literal: text)))
    }

    @Test func keepsAnIntegerAboveTwoToTheFiftyThreeExact() throws {
        let value = try parse("9007199254740993")
        #expect(value.int64Value == 9_007_199_254_740_993)
        #expect(JSONWriter.encode(value) == Array("9007199254740993".utf8))
    }

    @Test func keepsBigIntegersExactThroughARoundTrip() throws {
        let text = #"{"id":9007199254740993,"big":123456789012345678901234567890,"neg":-9223372036854775809}"#
        #expect(JSONWriter.encode(try parse(text)) == Array(text.utf8))
    }

    @Test func integerBeyondInt64HasNoInt64Value() throws {
        let value = try parse("123456789012345678901234567890")
        #expect(value.typeName == "integer")
        #expect(value.int64Value == nil)
    }

    @Test func acceptsANumberLiteralOfSixtyFourCharacters() throws {
        let text = String(repeating: "9", count: 64)
        #expect(try parse(text) == .number(JSONNumber(literal: text)))
    }

    @Test func rejectsANumberLiteralLongerThanSixtyFourCharactersAsALimit() {
        let error = parseError(String(repeating: "9", count: 65))
        #expect(error?.isLimit == true)
    }

    // MARK: nesting depth

    @Test func acceptsArraysNestedExactlyToTheLimit() throws {
        #expect(throws: Never.self) { try parse(nestedArrays(64)) }
    }

    @Test func rejectsArraysNestedOneBeyondTheLimitAsALimit() {
        let error = parseError(nestedArrays(65))
        #expect(error?.isLimit == true)
        #expect(error?.reason == "nesting deeper than 64")
    }

    @Test func countsObjectsAndArraysTogetherTowardsTheDepth() throws {
        let limits = JSONParserLimits(maximumDepth: 3)
        #expect(try parse(#"{"a":[{"b":1}]}"#, limits: limits) == ["a": [["b": 1]]])
        #expect(parseError(#"{"a":[{"b":[]}]}"#, limits: limits)?.isLimit == true)
    }

    @Test func scalarsDoNotCountTowardsTheDepth() throws {
        #expect(try parse(#"[["x", 1, null]]"#, limits: JSONParserLimits(maximumDepth: 2)) == [["x", 1, nil]])
    }

    @Test func rejectsDeepNestingWithoutExhaustingTheStack() {
        #expect(parseError(String(repeating: "[", count: 100_000))?.isLimit == true)
    }

    // MARK: string length

    @Test func acceptsAStringExactlyAtTheByteLimit() throws {
        let limits = JSONParserLimits(maximumStringBytes: 8)
        #expect(try parse(#""12345678""#, limits: limits) == "12345678")
    }

    @Test func rejectsAStringOverTheByteLimitAsALimit() {
        let error = parseError(#""123456789""#, limits: JSONParserLimits(maximumStringBytes: 8))
        #expect(error?.isLimit == true)
    }

    @Test func countsStringLengthInUTF8Bytes() {
        // "ééé" is three characters but six bytes.
        #expect(parseError(#""ééé""#, limits: JSONParserLimits(maximumStringBytes: 5))?.isLimit == true)
    }

    @Test func countsEscapedCharactersTowardsTheStringLimit() {
        let error = parseError(#""\u0041\u0041\u0041\u0041\u0041""#, limits: JSONParserLimits(maximumStringBytes: 4))
        #expect(error?.isLimit == true)
    }

    @Test func appliesTheStringLimitToMemberNames() {
        #expect(parseError(#"{"abcdef":1}"#, limits: JSONParserLimits(maximumStringBytes: 5))?.isLimit == true)
    }

    @Test func defaultStringLimitIsSixtyFourKibibytes() throws {
        let atLimit = "\"" + String(repeating: "a", count: 64 * 1024) + "\""
        let overLimit = "\"" + String(repeating: "a", count: 64 * 1024 + 1) + "\""
        #expect(try parse(atLimit).stringValue?.utf8.count == 64 * 1024)
        #expect(parseError(overLimit)?.isLimit == true)
    }

    // MARK: escapes

    @Test func decodesEverySimpleEscape() throws {
        #expect(try parse(#""\" \\ \/ \b \f \n \r \t""#) == "\" \\ / \u{08} \u{0C} \n \r \t")
    }

    @Test func decodesUnicodeEscapesInEitherCase() throws {
        #expect(try parse(#""\u00e9\u00C9\u20AC""#) == "éÉ€")
    }

    @Test func decodesASurrogatePairIntoOneScalar() throws {
        let value = try parse(#""\uD83D\uDE00""#)
        #expect(value == "😀")
        #expect(value.stringValue?.unicodeScalars.map(\.value) == [0x1F600])
    }

    @Test func decodesAnEscapedNulCharacter() throws {
        #expect(try parse(#""a\u0000b""#).stringValue?.utf8.count == 3)
    }

    @Test(arguments: [#""\uD83D""#, #""\uD83Dx""#, #""\uD83D\n""#, #""\uD83D\u0041""#, #""\uD83D\uD83D""#,
                      #""\uDE00""#, #""\uDE00\uD83D""#])
    func rejectsLoneSurrogates(text: String) {
        #expect(parseError(text)?.reason == "lone surrogate in string")
    }

    @Test(arguments: [#""\x""#, #""\a""#, #""\U0041""#, #""\'""#, #""\u12""#, #""\u12G4""#, #""\""#, #""\u""#])
    func rejectsInvalidEscapes(text: String) {
        #expect(parseError(text) != nil)
    }

    // MARK: control characters and UTF-8

    @Test(arguments: [UInt8(0x00), 0x01, 0x09, 0x0A, 0x0D, 0x1F])
    func rejectsRawControlCharactersInStrings(byte: UInt8) {
        #expect(parseError([0x22, 0x61, byte, 0x62, 0x22])?.reason == "control character in string")
    }

    @Test func acceptsDeleteCharacterInStrings() throws {
        #expect(try JSONParser.parse([0x22, 0x7F, 0x22]) == "\u{7F}")
    }

    @Test func acceptsMultiByteUTF8() throws {
        #expect(try parse(#"{"名前":"Zoë 😀"}"#) == ["名前": "Zoë 😀"])
    }

    @Test(arguments: [
        [UInt8(0xFF)],  // never valid in UTF-8
        [0xC3],  // truncated two-byte sequence
        [0xC0, 0x80],  // overlong encoding of NUL
        [0xE0, 0x80, 0xAF],  // overlong encoding of "/"
        [0xED, 0xA0, 0x80],  // an encoded surrogate
        [0xF4, 0x90, 0x80, 0x80],  // beyond U+10FFFF
        [0x80],  // lone continuation byte
    ])
    func rejectsInvalidUTF8InStrings(sequence: [UInt8]) {
        #expect(parseError([0x22] + sequence + [0x22])?.reason == "invalid UTF-8 in string")
    }

    @Test func rejectsInvalidUTF8InMemberNames() {
        #expect(parseError([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) != nil)
    }

    @Test func rejectsInvalidUTF8OutsideStrings() {
        #expect(parseError([0x5B, 0xFF, 0x5D]) != nil)
    }

    @Test func syntaxErrorsAreNotLimitErrors() {
        #expect(parseError(#"{"a":tru}"#)?.isLimit == false)
    }

    @Test func descriptionNamesReasonAndOffset() {
        #expect(parseError("[1,]")?.description == "unexpected character at byte 3")
    }
}
