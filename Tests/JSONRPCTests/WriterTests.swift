import JSONRPC
import Testing

private func encoded(_ value: JSONValue) -> String {
    String(decoding: JSONWriter.encode(value), as: UTF8.self)
}

@Suite struct WriterTests {
    @Test func writesCompactJSONInMemberOrder() {
        let value: JSONValue = ["b": [1, true, nil], "a": "x", "c": [:], "d": []]
        #expect(encoded(value) == #"{"b":[1,true,null],"a":"x","c":{},"d":[]}"#)
    }

    @Test func writesNumbersByTheirLiteral() {
        #expect(encoded(.number(JSONNumber(literal: "1.50e+3"))) == "1.50e+3")
        #expect(encoded(.number(JSONNumber(-42))) == "-42")
    }

    @Test func escapesQuoteAndBackslash() {
        #expect(encoded(#"say "hi" \ bye"#) == #""say \"hi\" \\ bye""#)
    }

    @Test func escapesNewlineReturnAndTabShort() {
        #expect(encoded("a\nb\rc\td") == #""a\nb\rc\td""#)
    }

    @Test func escapesOtherControlCharactersAsLowercaseUnicodeEscapes() {
        #expect(encoded("\u{00}\u{01}\u{08}\u{0C}\u{1F}") == #""\u0000\u0001\u0008\u000c\u001f""#)
    }

    @Test func leavesSlashDeleteAndNonASCIIUnescaped() {
        #expect(encoded("a/b\u{7F}é😀") == "\"a/b\u{7F}é😀\"")
    }

    @Test func escapesMemberNames() {
        #expect(encoded(["a\"b\n": 1]) == #"{"a\"b\n":1}"#)
    }

    @Test func roundTripsEveryControlCharacterThroughTheParser() throws {
        let text = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init))) + "\"\\/"
        let value: JSONValue = [text: [.string(text)]]
        #expect(try JSONParser.parse(JSONWriter.encode(value)) == value)
    }

    @Test func roundTripsANestedDocumentByteForByte() throws {
        let text = #"{"jsonrpc":"2.0","params":{"lines":[{"units":2,"note":"a\"b\\c\u0001","x":null}],"f":-1.5e-7},"id":"é"}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(JSONWriter.encode(value) == Array(text.utf8))
    }

    @Test func writeAppendsToExistingOutput() {
        var output = Array("prefix:".utf8)
        JSONWriter.write([1, 2], into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "prefix:[1,2]")
    }
}
