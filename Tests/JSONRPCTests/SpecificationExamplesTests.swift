import JSONRPC
import Testing

/// The examples of section 7 of the JSON-RPC 2.0 specification (https://www.jsonrpc.org/specification),
/// adapted to a server whose methods take their params by name only.
@Suite struct SpecificationExamplesTests {
    let service = TestService()

    // MARK: rpc call with positional parameters

    @Test(arguments: [
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#, JSONValue(integerLiteral: 1)),
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#, JSONValue(integerLiteral: 2)),
    ])
    func positionalParamsAreRefusedAsInvalidParams(request: String, id: JSONValue) async throws {
        let exchange = try await service.send(request)
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response.isWellFormedResponse)
        #expect(response.errorCode == -32602)
        #expect(response["error"]?["message"] == "Invalid params")
        #expect(response["error"]?["data"]?["field"] == "")
        #expect(response["error"]?["data"]?["reason"] == "params must be an object with named members")
        #expect(response["id"] == id)
    }

    // MARK: rpc call with named parameters

    @Test func namedParamsInSpecificationOrderAnswerNineteen() async throws {
        let exchange = try await service.send(
            #"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#)
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response.isWellFormedResponse)
        #expect(response["result"] == 19)
        #expect(response["id"] == 3)
    }

    @Test func namedParamsInOtherOrderAnswerNineteen() async throws {
        let exchange = try await service.send(
            #"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#)
        let response = try #require(exchange.body)
        #expect(response.isWellFormedResponse)
        #expect(response["result"] == 19)
        #expect(response["id"] == 4)
    }

    @Test func namedParamsWithSwappedValuesAnswerMinusNineteen() async throws {
        let exchange = try await service.send(
            #"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 23, "subtrahend": 42}, "id": 2}"#)
        let response = try #require(exchange.body)
        #expect(response.isWellFormedResponse)
        #expect(response["result"] == -19)
        #expect(response["id"] == 2)
    }

    @Test func responseBytesMatchTheSpecificationShape() async throws {
        let exchange = try await service.send(
            #"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#)
        #expect(exchange.text == #"{"jsonrpc":"2.0","result":19,"id":3}"#)
    }

    // MARK: a Notification

    @Test func notificationWithPositionalParamsToUnknownMethodGetsNoResponse() async throws {
        let exchange = try await service.send(#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#)
        #expect(exchange.status == 204)
        #expect(exchange.rawBody == nil)
    }

    @Test func notificationWithoutParamsToUnknownMethodGetsNoResponse() async throws {
        let exchange = try await service.send(#"{"jsonrpc": "2.0", "method": "foobar"}"#)
        #expect(exchange.status == 204)
        #expect(exchange.rawBody == nil)
    }

    // MARK: rpc call of non-existent method

    @Test func unknownMethodAnswersMethodNotFoundWithStringID() async throws {
        let exchange = try await service.send(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#)
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response.isWellFormedResponse)
        #expect(response.errorCode == -32601)
        #expect(response["error"]?["message"] == "Method not found")
        #expect(response["id"] == "1")
        #expect(response["id"] != 1)
    }

    // MARK: rpc call with invalid JSON

    @Test func invalidJSONAnswersParseErrorWithNullID() async throws {
        let exchange = try await service.send(
            #"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response.isWellFormedResponse)
        #expect(response.errorCode == -32700)
        #expect(response["error"]?["message"] == "Parse error")
        #expect(response["id"] == JSONValue.null)
    }

    // MARK: rpc call with invalid Request object

    @Test func requestWithNumericMethodAnswersInvalidRequestWithNullID() async throws {
        let exchange = try await service.send(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#)
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response.isWellFormedResponse)
        #expect(response.errorCode == -32600)
        #expect(response["error"]?["message"] == "Invalid Request")
        #expect(response["id"] == JSONValue.null)
    }

    // MARK: rpc call Batch, invalid JSON

    @Test func batchWithInvalidJSONAnswersOneParseError() async throws {
        let exchange = try await service.send("""
            [
              {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
              {"jsonrpc": "2.0", "method"
            ]
            """)
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response.isWellFormedResponse)  // a single object, not an array
        #expect(response.errorCode == -32700)
        #expect(response["id"] == JSONValue.null)
    }

    // MARK: rpc call with an empty Array

    @Test func emptyBatchAnswersOneInvalidRequest() async throws {
        let exchange = try await service.send("[]")
        let response = try #require(exchange.body)
        #expect(exchange.status == 200)
        #expect(response.isWellFormedResponse)  // a single object, not an array
        #expect(response.errorCode == -32600)
        #expect(response["error"]?["message"] == "Invalid Request")
        #expect(response["id"] == JSONValue.null)
    }

    // MARK: rpc call with an invalid Batch (but not empty)

    @Test func batchOfOneNumberAnswersAnArrayWithOneInvalidRequest() async throws {
        let exchange = try await service.send("[1]")
        #expect(exchange.status == 200)
        #expect(exchange.batch.count == 1)
        let response = try #require(exchange.batch.first)
        #expect(response.isWellFormedResponse)
        #expect(response.errorCode == -32600)
        #expect(response["id"] == JSONValue.null)
    }

    // MARK: rpc call with invalid Batch

    @Test func batchOfThreeNumbersAnswersThreeInvalidRequests() async throws {
        let exchange = try await service.send("[1,2,3]")
        #expect(exchange.status == 200)
        #expect(exchange.batch.count == 3)
        for response in exchange.batch {
            #expect(response.isWellFormedResponse)
            #expect(response.errorCode == -32600)
            #expect(response["id"] == JSONValue.null)
        }
    }

    // MARK: rpc call Batch

    @Test func mixedBatchWithNamedParamsAnswersEveryRequestButNotTheNotification() async throws {
        let exchange = try await service.send("""
            [
                {"jsonrpc": "2.0", "method": "sum", "params": {"values": [1,2,4]}, "id": "1"},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": {"value": 7}},
                {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": "2"},
                {"foo": "boo"},
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]
            """)
        let batch = exchange.batch
        #expect(exchange.status == 200)
        #expect(batch.count == 5)
        #expect(batch.allSatisfy { $0.isWellFormedResponse })
        #expect(response(withID: "1", in: batch)?["result"] == 7)
        #expect(response(withID: "2", in: batch)?["result"] == 19)
        #expect(response(withID: .null, in: batch)?.errorCode == -32600)
        #expect(response(withID: "5", in: batch)?.errorCode == -32601)
        #expect(response(withID: "9", in: batch)?["result"] == ["hello", 5])
        #expect(await service.log.entries == ["notify_hello 7"])
    }

    @Test func mixedBatchWithPositionalParamsAnswersInvalidParamsForEachCall() async throws {
        let exchange = try await service.send("""
            [
                {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
                {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
                {"foo": "boo"},
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]
            """)
        let batch = exchange.batch
        #expect(batch.count == 5)
        #expect(batch.allSatisfy { $0.isWellFormedResponse })
        #expect(response(withID: "1", in: batch)?.errorCode == -32602)
        #expect(response(withID: "2", in: batch)?.errorCode == -32602)
        #expect(response(withID: .null, in: batch)?.errorCode == -32600)
        #expect(response(withID: "5", in: batch)?.errorCode == -32601)
        #expect(response(withID: "9", in: batch)?["result"] == ["hello", 5])
        #expect(await service.log.entries.isEmpty)
    }

    // MARK: rpc call Batch (all notifications)

    @Test func batchOfNotificationsWithNamedParamsRunsThemAndAnswersNoContent() async throws {
        let exchange = try await service.send("""
            [
                {"jsonrpc": "2.0", "method": "notify_sum", "params": {"values": [1,2,4]}},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": {"value": 7}}
            ]
            """)
        #expect(exchange.status == 204)
        #expect(exchange.rawBody == nil)
        #expect(await service.log.entries == ["notify_sum 7", "notify_hello 7"])
    }

    @Test func batchOfNotificationsWithPositionalParamsAnswersNoContent() async throws {
        let exchange = try await service.send("""
            [
                {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
            ]
            """)
        #expect(exchange.status == 204)
        #expect(exchange.rawBody == nil)
        #expect(await service.log.entries.isEmpty)
    }
}
