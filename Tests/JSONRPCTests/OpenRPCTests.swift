import JSONRPC
import Testing

@Suite struct OpenRPCTests {
    let document = OpenRPCDocument.make(registry: TestMethods.registry(), info: TestService.info)

    private var methods: [JSONValue] {
        if case .array(let methods)? = document["methods"] { return methods }
        return []
    }

    private func method(_ name: String) -> JSONValue? { methods.first { $0["name"] == .string(name) } }

    private func params(of name: String) -> [JSONValue] {
        if case .array(let params)? = method(name)?["params"] { return params }
        return []
    }

    @Test func declaresOpenRPCVersionOnePointThreePointTwo() {
        #expect(document["openrpc"] == "1.3.2")
    }

    @Test func infoCarriesTitleVersionAndDescription() {
        #expect(document["info"] == ["title": "Spec examples", "version": "0.0.1", "description": "JSON-RPC 2.0 §7"])
    }

    @Test func infoOmitsAMissingDescription() {
        let document = OpenRPCDocument.make(registry: TestMethods.registry(), info: OpenRPCInfo(title: "T", version: "1"))
        #expect(document["info"] == ["title": "T", "version": "1"])
    }

    @Test func listsEveryRegisteredMethodInRegistrationOrder() {
        #expect(methods.map { $0["name"] } == ["subtract", "sum", "get_data", "notify_hello", "notify_sum"])
    }

    @Test func doesNotListRPCDiscoverItself() {
        #expect(method("rpc.discover") == nil)
    }

    @Test func everyMethodTakesItsParamsByName() {
        #expect(methods.allSatisfy { $0["paramStructure"] == "by-name" })
    }

    @Test func everyMethodCarriesItsSummary() {
        #expect(method("subtract")?["summary"] == "minuend − subtrahend")
    }

    @Test func paramsAreListedWithNameRequiredFlagAndSchema() {
        #expect(params(of: "subtract") == [
            ["name": "minuend", "required": true,
             "schema": ["type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991]],
            ["name": "subtrahend", "required": true,
             "schema": ["type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991]],
        ])
    }

    @Test func optionalParamsAreMarkedNotRequired() {
        let flags = params(of: "notify_hello").map { ($0["name"]?.stringValue ?? "", $0["required"]) }
        #expect(flags.map(\.0) == ["value", "note"])
        #expect(flags.map(\.1) == [true, false])
    }

    @Test func methodWithoutParamsListsNone() {
        #expect(method("get_data")?["params"] == [])
    }

    @Test func resultIsNamedResultWithItsSchema() {
        #expect(method("subtract")?["result"] == [
            "name": "result",
            "schema": ["type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991],
        ])
    }

    @Test func arrayResultSchemaHasItemsAndDefaultMaximum() {
        #expect(method("get_data")?["result"]?["schema"] == ["type": "array", "items": [:], "maxItems": 1000])
    }

    @Test func documentedErrorsAreListed() {
        #expect(method("subtract")?["errors"] == [["code": -32010, "message": "Not today"]])
    }

    @Test func methodsWithoutDocumentedErrorsOmitTheErrorsMember() {
        #expect(method("sum")?["errors"] == nil)
    }

    @Test func objectSchemaListsPropertiesRequiredAndForbidsExtras() {
        let schema = OpenRPCDocument.schemaJSON(.object(["a": .boolean(), "b?": .boolean()], title: "Thing"))
        #expect(schema == [
            "type": "object", "title": "Thing",
            "properties": ["a": ["type": "boolean"], "b": ["type": "boolean"]],
            "required": ["a"], "additionalProperties": false,
        ])
    }

    @Test func objectSchemaWithoutRequiredMembersOmitsRequired() {
        #expect(OpenRPCDocument.schemaJSON(.object(["b?": .boolean()]))["required"] == nil)
    }

    @Test func nullableSchemaHasATypeArrayWithNull() {
        #expect(OpenRPCDocument.schemaJSON(Schema.boolean().orNull)["type"] == ["boolean", "null"])
    }

    @Test func anySchemaHasNoType() {
        #expect(OpenRPCDocument.schemaJSON(.any(description: "free form")) == ["description": "free form"])
    }

    @Test func stringSchemaPublishesLengthsFormatPatternAndEnum() {
        let format = StringFormat(name: "npi", pattern: "^[12][0-9]{9}$") { _ in nil }
        #expect(OpenRPCDocument.schemaJSON(.string(minLength: 10, maxLength: 10, format: format)) == [
            "type": "string", "minLength": 10, "maxLength": 10, "format": "npi", "pattern": "^[12][0-9]{9}$",
        ])
        #expect(OpenRPCDocument.schemaJSON(.enumeration(["a", "b"])) == ["type": "string", "enum": ["a", "b"]])
    }

    @Test func integerSchemaPublishesExplicitBounds() {
        #expect(OpenRPCDocument.schemaJSON(.integer(minimum: 1, maximum: 5)) == ["type": "integer", "minimum": 1, "maximum": 5])
    }

    @Test func arraySchemaPublishesItemCountsAndUniqueness() {
        #expect(OpenRPCDocument.schemaJSON(.array(.boolean(), minItems: 1, maxItems: 3, uniqueItems: true)) == [
            "type": "array", "items": ["type": "boolean"], "minItems": 1, "maxItems": 3, "uniqueItems": true,
        ])
    }

    @Test func nullableEnumerationIsPublishedSoThatNullIsAllowed() {
        let schema = Schema.enumeration(["a", "b"]).orNull
        #expect(schema.validate(nil).isEmpty)
        let published = OpenRPCDocument.schemaJSON(schema)
        let admitsNull: Bool
        if case .array(let values)? = published["enum"] { admitsNull = values.contains(.null) } else { admitsNull = true }
        #expect(admitsNull)
    }

    @Test func discoverReturnsTheDocumentThroughTheProcessor() async throws {
        let exchange = try await TestService().send(#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#)
        let response = try #require(exchange.body)
        #expect(response.isWellFormedResponse)
        #expect(response["result"] == document)
        #expect(response["id"] == 1)
    }

    @Test func discoverIgnoresParams() async throws {
        let exchange = try await TestService().send(
            #"{"jsonrpc":"2.0","method":"rpc.discover","params":{"x":1},"id":1}"#)
        #expect(exchange.body?["result"] == document)
    }

    @Test func processorServesTheDocumentBytesItGeneratedOnce() {
        let processor = TestService().processor
        #expect(processor.openRPCDocument == JSONWriter.encode(document))
    }
}
