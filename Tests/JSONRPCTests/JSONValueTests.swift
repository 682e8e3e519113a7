import JSONRPC
import Testing

@Suite struct JSONValueTests {
    @Test func namesEveryType() {
        let values: [JSONValue] = [nil, true, 1, .number(JSONNumber(literal: "1.5")), .number(JSONNumber(literal: "1e3")),
                                   "s", [], [:]]
        #expect(values.map(\.typeName) == ["null", "boolean", "integer", "number", "number", "string", "array", "object"])
    }

    @Test func integerLiteralsWithFractionOrExponentAreNotIntegers() {
        #expect(JSONNumber(literal: "10").isInteger)
        #expect(!JSONNumber(literal: "1.0").isInteger)
        #expect(!JSONNumber(literal: "1E2").isInteger)
        #expect(JSONNumber(literal: "1.0").int64Value == nil)
    }

    @Test func int64ValueCoversTheWholeInt64Range() {
        #expect(JSONNumber(literal: "9223372036854775807").int64Value == Int64.max)
        #expect(JSONNumber(literal: "-9223372036854775808").int64Value == Int64.min)
        #expect(JSONNumber(literal: "9223372036854775808").int64Value == nil)
    }

    @Test func doubleValueParsesFractions() {
        #expect(JSONNumber(literal: "2.5e-1").doubleValue == 0.25)
    }

    @Test func subscriptReadsObjectMembersOnly() {
        let object: JSONValue = ["a": 1]
        let array: JSONValue = [1]
        #expect(object["a"] == 1)
        #expect(object["b"] == nil)
        #expect(array["a"] == nil)
    }

    @Test func stringAndIntegerAccessorsReturnNilForOtherTypes() {
        #expect(JSONValue.number(JSONNumber(3)).stringValue == nil)
        #expect(JSONValue.string("3").int64Value == nil)
        #expect(JSONValue.string("3").stringValue == "3")
    }

    @Test func objectDistinguishesANullMemberFromAnAbsentOne() {
        let object: JSONObject = ["a": nil]
        #expect(object.contains("a"))
        #expect(!object.contains("b"))
        #expect(object["a"] == JSONValue.null)
    }

    @Test func settingAMemberToNilRemovesIt() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object.count == 2)
        #expect(!object.contains("b"))
    }

    @Test func replacingAMemberKeepsItsPosition() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 9
        #expect(object.keys == ["a", "b"])
        #expect(object.members.map(\.value) == [9, 2])
    }

    @Test func laterDuplicatePairReplacesTheEarlierValue() {
        let object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == 3)
    }
}
