import JSONRPC
import Testing

/// Envelope rules beyond the specification's examples: ids, versions, params shapes, limits.
@Suite struct RPCProcessorTests {
    let service = TestService()

    @Test func numericIDIsEchoedWithItsExactLiteral() async throws {
        let exchange = try await service.send(
            #"{"jsonrpc":"2.0","method":"get_data","id":9007199254740993}"#)
        #expect(exchange.text == #"{"jsonrpc":"2.0","result":["hello",5],"id":9007199254740993}"#)
    }

    @Test func fractionalIDIsEchoedWithItsExactLiteral() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"foobar","id":1.50}"#)
        #expect(exchange.text?.hasSuffix(#","id":1.50}"#) == true)
    }

    @Test func stringIDIsEchoedAsAString() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"get_data","id":"7"}"#)
        #expect(exchange.text == #"{"jsonrpc":"2.0","result":["hello",5],"id":"7"}"#)
    }

    @Test func nullIDIsARequestThatGetsAResponse() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"get_data","id":null}"#)
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response["result"] == ["hello", 5])
        #expect(response["id"] == JSONValue.null)
    }

    @Test(arguments: [#"{}"#, #"[]"#, #"true"#])
    func structuredOrBooleanIDIsAnInvalidRequestWithNullID(id: String) async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"get_data","id":"# + id + "}")
        let response = try #require(exchange.body)
        #expect(response.errorCode == -32600)
        #expect(response["id"] == JSONValue.null)
    }

    @Test(arguments: [#""1.0""#, #"2.0"#, #""2""#])
    func versionOtherThanTwoPointZeroIsAnInvalidRequestThatEchoesTheID(version: String) async throws {
        let exchange = try await service.send(#"{"jsonrpc":"# + version + #","method":"get_data","id":"a"}"#)
        let response = try #require(exchange.body)
        #expect(response.errorCode == -32600)
        #expect(response["id"] == "a")
    }

    @Test func missingVersionIsAnInvalidRequest() async throws {
        let exchange = try await service.send(#"{"method":"get_data","id":1}"#)
        #expect(exchange.body?.errorCode == -32600)
    }

    @Test func missingMethodIsAnInvalidRequest() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","id":1}"#)
        #expect(exchange.body?.errorCode == -32600)
    }

    @Test(arguments: [#""bar""#, #"1"#, #"null"#, #"true"#])
    func scalarParamsAreAnInvalidRequest(params: String) async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"get_data","params":"# + params + #","id":1}"#)
        let response = try #require(exchange.body)
        #expect(response.errorCode == -32600)
        #expect(response["id"] == 1)
    }

    @Test func invalidRequestWithoutIDStillGetsAResponse() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"1.0","method":"get_data"}"#)
        #expect(exchange.status == 200)
        #expect(exchange.body?.errorCode == -32600)
    }

    @Test func topLevelScalarIsAnInvalidRequest() async throws {
        let exchange = try await service.send("42")
        #expect(exchange.body?.errorCode == -32600)
        #expect(exchange.body?["id"] == JSONValue.null)
    }

    @Test func parseErrorDataCarriesTheParserReason() async throws {
        let exchange = try await service.send(#"{"a":1,"a":2}"#)
        let response = try #require(exchange.body)
        #expect(response.errorCode == -32700)
        #expect(response["error"]?["data"]?["type"] == "parseError")
        #expect(response["error"]?["data"]?["reason"]?.stringValue?.contains("duplicate member name") == true)
    }

    @Test func bodyOverTheParserDepthLimitIsAParseError() async throws {
        let service = TestService(limits: RPCLimits(parser: JSONParserLimits(maximumDepth: 2)))
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"sum","params":{"values":[1]},"id":1}"#)
        #expect(exchange.body?.errorCode == -32700)
    }

    @Test func batchAtTheLengthLimitIsProcessed() async throws {
        let service = TestService(limits: RPCLimits(maximumBatchLength: 2))
        let exchange = try await service.send(
            #"[{"jsonrpc":"2.0","method":"get_data","id":1},{"jsonrpc":"2.0","method":"get_data","id":2}]"#)
        #expect(exchange.batch.count == 2)
    }

    @Test func batchOverTheLengthLimitIsOneInvalidRequest() async throws {
        let service = TestService(limits: RPCLimits(maximumBatchLength: 2))
        let exchange = try await service.send("[1,2,3]")
        let response = try #require(exchange.body)
        #expect(response.isWellFormedResponse)  // a single object, not an array
        #expect(response.errorCode == -32600)
        #expect(response["error"]?["data"]?["reason"]?.stringValue?.contains("limit of 2") == true)
    }

    @Test func unknownNotificationInsideABatchIsSkippedSilently() async throws {
        let exchange = try await service.send(
            #"[{"jsonrpc":"2.0","method":"nope"},{"jsonrpc":"2.0","method":"get_data","id":1}]"#)
        #expect(exchange.batch.count == 1)
        #expect(exchange.batch.first?["id"] == 1)
    }

    @Test func batchResponsesKeepRequestOrder() async throws {
        let exchange = try await service.send("""
            [{"jsonrpc":"2.0","method":"get_data","id":3},{"jsonrpc":"2.0","method":"get_data","id":1},
             {"jsonrpc":"2.0","method":"get_data","id":2}]
            """)
        #expect(exchange.batch.map { $0["id"] } == [3, 1, 2])
    }

    @Test func notificationWithInvalidParamsGetsNoResponse() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"notify_hello","params":{"value":"x"}}"#)
        #expect(exchange.status == 204)
        #expect(await service.log.entries.isEmpty)
    }

    @Test func schemaProblemsAreListedAsFieldErrors() async throws {
        let exchange = try await service.send(
            #"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":"42","extra":1},"id":1}"#)
        let data = try #require(exchange.body?["error"]?["data"])
        #expect(exchange.body?.errorCode == -32602)
        #expect(data["type"] == "validation")
        #expect(data["errors"] == [
            ["pointer": "/minuend", "reason": "must be an integer, not string", "code": "type"],
            ["pointer": "/subtrahend", "reason": "is required", "code": "required"],
            ["pointer": "/extra", "reason": "is not a known field", "code": "unknownField"],
        ])
        #expect(data["field"] == "/minuend")
    }

    @Test func missingParamsAreValidatedAsAnEmptyObject() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"subtract","id":1}"#)
        let errors = exchange.body?["error"]?["data"]?["errors"]
        #expect(errors == [
            ["pointer": "/minuend", "reason": "is required", "code": "required"],
            ["pointer": "/subtrahend", "reason": "is required", "code": "required"],
        ])
    }

    @Test func executorReceivesSchemaProblemsAndDecidesTheAnswer() async throws {
        let recorder = RecordingExecutor()
        let processor = RPCProcessor(registry: TestMethods.registry(), executor: recorder, info: TestService.info)
        let response = await processor.handle(
            body: Array(#"{"jsonrpc":"2.0","method":"sum","params":{"values":"no"},"id":1}"#.utf8),
            environment: TestEnvironment())
        let call = try #require(await recorder.calls.last)
        #expect(call.method == "sum")
        #expect(call.paramErrors == [FieldError(pointer: "/values", reason: "must be an array, not string", code: "type")])
        #expect(call.isNotification == false)
        #expect(response.body.map { String(decoding: $0, as: UTF8.self) } == #"{"jsonrpc":"2.0","result":true,"id":1}"#)
    }

    @Test func executorSeesNotificationsAsNotifications() async throws {
        let recorder = RecordingExecutor()
        let processor = RPCProcessor(registry: TestMethods.registry(), executor: recorder, info: TestService.info)
        let response = await processor.handle(
            body: Array(#"{"jsonrpc":"2.0","method":"notify_hello","params":{"value":1}}"#.utf8),
            environment: TestEnvironment())
        #expect(response.status == 204)
        #expect(await recorder.calls.last?.isNotification == true)
    }

    @Test func executorGetsAFreshRequestIDPerCall() async throws {
        let recorder = RecordingExecutor()
        let processor = RPCProcessor(registry: TestMethods.registry(), executor: recorder, info: TestService.info)
        _ = await processor.handle(
            body: Array(#"[{"jsonrpc":"2.0","method":"get_data","id":1},{"jsonrpc":"2.0","method":"get_data","id":2}]"#.utf8),
            environment: TestEnvironment())
        let ids = await recorder.calls.map(\.requestID)
        #expect(ids.count == 2)
        #expect(Set(ids).count == 2)
    }

    @Test func paramErrorsAreCappedAtFifty() async throws {
        var registry = RPCMethodRegistry<TestContext, TestPolicy>()
        registry.register(RPCMethod(
            "many", summary: "Many integers", params: .object(["values": .array(.integer())]),
            result: .boolean(), policy: .open
        ) { (_: ValuesParams, _: TestContext) in true })
        let recorder = RecordingExecutor()
        let processor = RPCProcessor(registry: registry, executor: recorder, info: TestService.info)
        let values = Array(repeating: "\"x\"", count: 60).joined(separator: ",")
        _ = await processor.handle(
            body: Array(#"{"jsonrpc":"2.0","method":"many","params":{"values":["# .utf8) + Array(values.utf8)
                + Array(#"]},"id":1}"#.utf8),
            environment: TestEnvironment())
        #expect(await recorder.calls.last?.paramErrors.count == 50)
    }

    @Test func handlerErrorIsSentAsTheErrorObjectWithTheRequestID() async throws {
        var registry = RPCMethodRegistry<TestContext, TestPolicy>()
        registry.register(RPCMethod(
            "refuse", summary: "Always refuses", params: .object([:]), result: .boolean(), policy: .open
        ) { (_: NoParams, _: TestContext) -> Bool in throw RPCError(code: -32009, message: "Conflict") })
        let processor = RPCProcessor(registry: registry, executor: TestExecutor(context: TestContext(log: CallLog())),
                                     info: TestService.info)
        let response = await processor.handle(body: Array(#"{"jsonrpc":"2.0","method":"refuse","id":"x"}"#.utf8),
                                              environment: TestEnvironment())
        #expect(response.body.map { String(decoding: $0, as: UTF8.self) }
            == #"{"jsonrpc":"2.0","error":{"code":-32009,"message":"Conflict"},"id":"x"}"#)
    }

    @Test func discoverNotificationGetsNoResponse() async throws {
        let exchange = try await service.send(#"{"jsonrpc":"2.0","method":"rpc.discover"}"#)
        #expect(exchange.status == 204)
    }
}

/// Summary of one call as the executor saw it.
struct RecordedCall: Sendable {
    let method: String
    let paramErrors: [FieldError]
    let requestID: String
    let isNotification: Bool
}

/// An executor that records calls and answers `true` regardless of param problems.
actor RecordingExecutor: RPCExecutor {
    private(set) var calls: [RecordedCall] = []

    func execute(_ call: RPCCall<TestContext, TestPolicy>, environment: TestEnvironment) async
        -> Result<[UInt8], RPCError>
    {
        calls.append(RecordedCall(method: call.method.name, paramErrors: call.paramErrors, requestID: call.requestID,
                                  isNotification: call.isNotification))
        return .success(Array("true".utf8))
    }
}
