import JSONRPC
import Testing

private func problem(_ pointer: String, _ reason: String, _ code: String) -> FieldError {
    FieldError(pointer: pointer, reason: reason, code: code)
}

@Suite struct SchemaTests {
    let person = Schema.object(["name": .string(minLength: 1), "age?": .integer(minimum: 0, maximum: 150)])

    // MARK: objects

    @Test func acceptsAValidObject() {
        #expect(person.validate(["name": "Ana", "age": 40]).isEmpty)
    }

    @Test func reportsAMissingRequiredMember() {
        #expect(person.validate(["age": 40]) == [problem("/name", "is required", "required")])
    }

    @Test func acceptsAnAbsentOptionalMember() {
        #expect(person.validate(["name": "Ana"]).isEmpty)
    }

    @Test func questionMarkSuffixMarksAMemberOptionalAndIsDropped() {
        #expect(person.property("age")?.required == false)
        #expect(person.property("name")?.required == true)
        #expect(person.property("age?") == nil)
    }

    @Test func reportsAnUnknownMember() {
        #expect(person.validate(["name": "Ana", "nickname": "A"]) == [problem("/nickname", "is not a known field", "unknownField")])
    }

    @Test func additionalPropertiesAllowsUnknownMembers() {
        let open = Schema.object(["name": .string()], additionalProperties: true)
        #expect(open.validate(["name": "Ana", "nickname": "A"]).isEmpty)
    }

    @Test func reportsEveryProblemAtOnce() {
        let errors = person.validate(["name": "", "age": -1, "x": 1])
        #expect(errors.map(\.code) == ["minLength", "minimum", "unknownField"])
    }

    @Test func reportsProblemsAtTheRootWithAnEmptyPointer() {
        #expect(person.validate([1]) == [problem("", "must be an object, not array", "type")])
    }

    // MARK: type mismatches

    @Test func stringMismatchNamesBothTypes() {
        #expect(Schema.string().validate(5) == [problem("", "must be a string, not integer", "type")])
    }

    @Test func integerMismatchNamesBothTypes() {
        #expect(Schema.integer().validate("5") == [problem("", "must be an integer, not string", "type")])
    }

    @Test func booleanMismatchNamesBothTypes() {
        #expect(Schema.boolean().validate("true") == [problem("", "must be a boolean, not string", "type")])
    }

    @Test func arrayMismatchNamesBothTypes() {
        #expect(Schema.array(.string()).validate(["a": 1]) == [problem("", "must be an array, not object", "type")])
    }

    @Test func objectMismatchNamesBothTypes() {
        #expect(person.validate(true) == [problem("", "must be an object, not boolean", "type")])
    }

    @Test(arguments: ["1.5", "1.0", "1e2"])
    func integerRefusesNumbersWithFractionOrExponent(literal: String) {
        #expect(Schema.integer().validate(.number(JSONNumber(literal: literal)))
            == [problem("", "must be an integer", "type")])
    }

    // MARK: null

    @Test func refusesNullUnlessNullable() {
        #expect(Schema.string().validate(nil) == [problem("", "must not be null", "type")])
        #expect(Schema.string().orNull.validate(nil).isEmpty)
    }

    @Test func nullForAnOptionalMemberIsStillRefusedUnlessNullable() {
        #expect(person.validate(["name": "Ana", "age": nil]) == [problem("/age", "must not be null", "type")])
    }

    @Test func nullableRequiredMemberAcceptsNullButNotAbsence() {
        let schema = Schema.object(["note": Schema.string().orNull])
        #expect(schema.validate(["note": nil]).isEmpty)
        #expect(schema.validate([:]) == [problem("/note", "is required", "required")])
    }

    @Test func nullableStillChecksNonNullValues() {
        #expect(Schema.integer(maximum: 3).orNull.validate(4) == [problem("", "must be at most 3", "maximum")])
    }

    @Test func anyAcceptsEveryValueIncludingNull() {
        let values: [JSONValue] = [nil, true, 1, "s", [1], ["a": [nil]]]
        #expect(values.allSatisfy { Schema.any().validate($0).isEmpty })
    }

    // MARK: strings

    @Test func minimumLengthOfOneSaysMustNotBeEmpty() {
        #expect(Schema.string(minLength: 1).validate("") == [problem("", "must not be empty", "minLength")])
    }

    @Test func minimumLengthAboveOneNamesTheLength() {
        #expect(Schema.string(minLength: 3).validate("ab") == [problem("", "must be at least 3 characters", "minLength")])
        #expect(Schema.string(minLength: 3).validate("abc").isEmpty)
    }

    @Test func maximumLengthIsInclusive() {
        #expect(Schema.string(maxLength: 3).validate("abc").isEmpty)
        #expect(Schema.string(maxLength: 3).validate("abcd") == [problem("", "must be at most 3 characters", "maxLength")])
    }

    @Test func defaultMaximumLengthIsOneThousand() {
        #expect(Schema.string().validate(.string(String(repeating: "a", count: 1000))).isEmpty)
        #expect(Schema.string().validate(.string(String(repeating: "a", count: 1001))).map(\.code) == ["maxLength"])
    }

    @Test func lengthCountsCharactersNotBytes() {
        #expect(Schema.string(maxLength: 3).validate("éé😀").isEmpty)
    }

    @Test func enumerationRefusesOtherValuesListingTheChoices() {
        let schema = Schema.enumeration(["ein", "ssn"])
        #expect(schema.validate("ein").isEmpty)
        #expect(schema.validate("EIN") == [problem("", "must be one of: ein, ssn", "enum")])
    }

    enum Color: String, CaseIterable { case red, green }

    @Test func enumerationFromACaseIterableTypeUsesItsRawValues() {
        #expect(Schema.enumeration(Color.self).enumValues == ["red", "green"])
        #expect(Schema.enumeration(Color.self).validate("blue").map(\.code) == ["enum"])
    }

    @Test func formatReportsTheCheckersReason() {
        let digits = StringFormat(name: "digits", pattern: "^[0-9]+$") { text in
            text.allSatisfy(\.isNumber) ? nil : "must contain only digits"
        }
        let schema = Schema.string(format: digits)
        #expect(schema.validate("123").isEmpty)
        #expect(schema.validate("12a") == [problem("", "must contain only digits", "format")])
    }

    // MARK: integers

    @Test func minimumAndMaximumAreInclusive() {
        let schema = Schema.integer(minimum: 1, maximum: 10)
        #expect(schema.validate(1).isEmpty)
        #expect(schema.validate(10).isEmpty)
        #expect(schema.validate(0) == [problem("", "must be at least 1", "minimum")])
        #expect(schema.validate(11) == [problem("", "must be at most 10", "maximum")])
    }

    @Test(arguments: ["9007199254740991", "-9007199254740991"])
    func acceptsTheLargestSafeIntegers(literal: String) {
        #expect(Schema.integer().validate(.number(JSONNumber(literal: literal))).isEmpty)
    }

    @Test(arguments: ["9007199254740992", "-9007199254740992", "9223372036854775808", "123456789012345678901234567890"])
    func refusesIntegersBeyondTheSafeRange(literal: String) {
        let errors = Schema.integer().validate(.number(JSONNumber(literal: literal)))
        #expect(errors.map(\.reason) == ["must be within ±9007199254740991"])
    }

    @Test func safeRangeAppliesEvenWithWiderExplicitBounds() {
        let schema = Schema.integer(minimum: Int64.min, maximum: Int64.max)
        #expect(schema.validate(.number(JSONNumber(literal: "9007199254740992"))).count == 1)
    }

    // MARK: arrays

    @Test func validatesEveryElementWithItsIndexInThePointer() {
        let schema = Schema.array(.integer(minimum: 0))
        #expect(schema.validate([1, -1, 2, "x"]) == [
            problem("/1", "must be at least 0", "minimum"),
            problem("/3", "must be an integer, not string", "type"),
        ])
    }

    @Test func maximumItemsIsInclusive() {
        let schema = Schema.array(.integer(), maxItems: 2)
        #expect(schema.validate([1, 2]).isEmpty)
        #expect(schema.validate([1, 2, 3]) == [problem("", "must have at most 2 items", "maxItems")])
    }

    @Test func tooManyItemsAreNotCheckedOneByOne() {
        let schema = Schema.array(.integer(), maxItems: 2)
        #expect(schema.validate(["a", "b", "c"]).map(\.code) == ["maxItems"])
    }

    @Test func defaultMaximumItemsIsOneThousand() {
        let schema = Schema.array(.integer())
        #expect(schema.validate(.array(Array(repeating: 1, count: 1000))).isEmpty)
        #expect(schema.validate(.array(Array(repeating: 1, count: 1001))).map(\.code) == ["maxItems"])
    }

    @Test func minimumItemsOfOneSaysMustNotBeEmpty() {
        #expect(Schema.array(.integer(), minItems: 1).validate([]) == [problem("", "must not be empty", "minItems")])
    }

    @Test func minimumItemsAboveOneNamesTheCount() {
        #expect(Schema.array(.integer(), minItems: 2).validate([1])
            == [problem("", "must have at least 2 items", "minItems")])
    }

    @Test func uniqueItemsRefusesDuplicates() {
        let schema = Schema.array(.string(), uniqueItems: true)
        #expect(schema.validate(["a", "b"]).isEmpty)
        #expect(schema.validate(["a", "b", "a"]) == [problem("", "must not contain duplicates", "uniqueItems")])
    }

    // MARK: uniqueness, bounds and lengths as JSON Schema defines them

    @Test func uniqueItemsTreatsObjectsWithReorderedMembersAsDuplicates() {
        let schema = Schema.array(.any(), uniqueItems: true)
        #expect(schema.validate([["a": 1, "b": 2], ["b": 2, "a": 1]]).map(\.code) == ["uniqueItems"])
    }

    @Test func integerBelowTheSafeRangeIsReportedAsMinimum() {
        #expect(Schema.integer().validate(.number(JSONNumber(literal: "-9007199254740992"))).map(\.code)
            == ["minimum"])
    }

    @Test func stringLengthCountsCodePointsAsJSONSchemaDoes() {
        #expect(Schema.string(maxLength: 1).validate("e\u{301}").map(\.code) == ["maxLength"])
    }

    // MARK: pointers

    @Test func nestedProblemsAreNamedByJSONPointer() {
        let line = Schema.object(["units": .integer(minimum: 1)])
        let bill = Schema.object(["lines": .array(line)])
        let errors = bill.validate(["lines": [["units": 1], ["units": 1], ["units": 0]]])
        #expect(errors == [problem("/lines/2/units", "must be at least 1", "minimum")])
    }

    @Test func missingNestedMemberIsNamedByItsFullPointer() {
        let bill = Schema.object(["address": .object(["city": .string()])])
        #expect(bill.validate(["address": [:]]) == [problem("/address/city", "is required", "required")])
    }

    @Test func pointerEscapesTildeAndSlashInMemberNames() {
        let schema = Schema.object(["a/b": .integer(), "m~n": .integer()])
        #expect(schema.validate(["a/b": "x", "m~n": "y"]).map(\.pointer) == ["/a~1b", "/m~0n"])
    }

    @Test func pointerEscapesUnknownMemberNames() {
        #expect(Schema.object([:]).validate(["~/": 1]).map(\.pointer) == ["/~0~1"])
    }

    @Test func pointerEscapesTildeBeforeSlash() {
        #expect(JSONPointer.appending("", "~1") == "/~01")
        #expect(JSONPointer.appending("/a", "b/~") == "/a/b~1~0")
    }

    @Test func pointerAppendsArrayIndexes() {
        #expect(JSONPointer.appending("/lines", 2) == "/lines/2")
    }

    @Test func validateStartsAtTheGivenPointer() {
        #expect(Schema.integer().validate("x", at: "/params").map(\.pointer) == ["/params"])
    }

    // MARK: composition

    @Test func allOptionalMakesEveryMemberOptional() {
        #expect(person.allOptional.validate([:]).isEmpty)
        #expect(person.allOptional.properties.allSatisfy { !$0.required })
    }

    @Test func addingAppendsMembersWithTheQuestionMarkRule() {
        let schema = person.adding(["email": .string(), "phone?": .string()])
        #expect(schema.properties.map(\.name) == ["name", "age", "email", "phone"])
        #expect(schema.validate(["name": "Ana"]) == [problem("/email", "is required", "required")])
    }

    @Test func mergingAppendsTheOtherSchemasMembers() {
        let schema = person.merging(.object(["email": .string()]))
        #expect(schema.property("email")?.required == true)
        #expect(schema.validate(["name": "Ana", "email": "a@b.c"]).isEmpty)
    }

    @Test func describedSetsOnlyTheDescription() {
        let schema = Schema.integer(maximum: 5).described("Units")
        #expect(schema.description == "Units")
        #expect(schema.maximum == 5)
    }

    @Test func orNullLeavesTheOriginalUnchanged() {
        let schema = Schema.string()
        _ = schema.orNull
        #expect(schema.nullable == false)
        #expect(schema.orNull.nullable == true)
    }

    // MARK: NUL (PostgreSQL text and jsonb cannot hold it)

    @Test func refusesNULInAStringAndNamesTheField() {
        let nul = "\u{0}"
        #expect(person.validate(["name": .string("An\(nul)a")])
            == [problem("/name", "must not contain the NUL character (U+0000)", "nulCharacter")])
    }

    @Test func refusesNULAnywhereInsideAFreeFormValue() {
        let schema = Schema.object(["settings": .any()])
        let nul = "\u{0}"
        let value: JSONValue = ["settings": ["list": ["ok", .string("x\(nul)")], "k\u{0}": 1]]
        #expect(schema.validate(value) == [
            problem("/settings/list/1", "must not contain the NUL character (U+0000)", "nulCharacter"),
            problem("/settings", "must not contain the NUL character (U+0000)", "nulCharacter"),
        ])
        #expect(schema.validate(["settings": ["list": ["ok"], "n": 1]]).isEmpty)
    }
}
