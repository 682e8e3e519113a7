import JSONRPC
import Testing

@Suite struct RPCErrorTests {
    @Test func standardCodesMatchTheSpecification() {
        #expect(RPCError.parseErrorCode == -32700)
        #expect(RPCError.invalidRequestCode == -32600)
        #expect(RPCError.methodNotFoundCode == -32601)
        #expect(RPCError.invalidParamsCode == -32602)
        #expect(RPCError.internalErrorCode == -32603)
    }

    @Test func invalidParamsListsEveryProblemAndNamesTheFirst() {
        let error = RPCError.invalidParams([
            FieldError(pointer: "/a", reason: "is required", code: "required"),
            FieldError(pointer: "/b", reason: "must be at least 1", code: "minimum"),
        ])
        #expect(error.code == -32602)
        #expect(error.message == "Invalid params")
        #expect(error.data == [
            "type": "validation",
            "errors": [
                ["pointer": "/a", "reason": "is required", "code": "required"],
                ["pointer": "/b", "reason": "must be at least 1", "code": "minimum"],
            ],
            "field": "/a", "reason": "is required",
        ])
    }

    @Test func invalidParamsWithoutProblemsNamesNoField() {
        #expect(RPCError.invalidParams([]).data == ["type": "validation", "errors": []])
    }

    @Test func methodNotFoundNamesTheMethod() {
        #expect(RPCError.methodNotFound("x.y").data?["reason"] == #"no method named "x.y""#)
    }

    @Test func methodNotFoundTruncatesLongNames() {
        let reason = RPCError.methodNotFound(String(repeating: "m", count: 500)).data?["reason"]?.stringValue
        #expect(reason == "no method named \"" + String(repeating: "m", count: 100) + "\"")
    }

    @Test func internalErrorRevealsOnlyItsType() {
        let error = RPCError.internalError()
        #expect(error.code == -32603)
        #expect(error.data == ["type": "internal"])
    }

    @Test func withRequestIDAddsTheIDAndKeepsOtherData() {
        let error = RPCError.invalidRequest("bad").withRequestID("req_abc")
        #expect(error.data == ["type": "invalidRequest", "reason": "bad", "requestId": "req_abc"])
    }

    @Test func withRequestIDCreatesDataWhenThereWasNone() {
        let error = RPCError(code: -32000, message: "Oops").withRequestID("req_abc")
        #expect(error.data == ["requestId": "req_abc"])
    }

    @Test func requestIDsArePrefixedBase32OfSixteenCharacters() {
        let id = RequestID.make()
        let allowed = Set("abcdefghijklmnopqrstuvwxyz234567")
        #expect(id.hasPrefix("req_"))
        #expect(id.count == 20)
        #expect(id.dropFirst(4).allSatisfy { allowed.contains($0) })
    }

    @Test func requestIDsDiffer() {
        #expect(Set((0..<100).map { _ in RequestID.make() }).count == 100)
    }
}

private struct Line: Decodable {
    var units: Int
}

private struct Bill: Decodable {
    var name: String
    var lines: [Line]
}

@Suite struct RPCCodingTests {
    @Test func decodesAValidatedParamsValue() throws {
        let bill = try RPCCoding.decode(Bill.self, from: ["name": "B", "lines": [["units": 2]]])
        #expect(bill.name == "B")
        #expect(bill.lines.map(\.units) == [2])
    }

    @Test func missingKeyBecomesInvalidParamsNamingTheField() {
        #expect {
            try RPCCoding.decode(Bill.self, from: ["lines": []])
        } throws: { error in
            let error = error as? RPCError
            return error?.code == -32602 && error?.data?["field"] == "/name"
                && error?.data?["errors"] == [["pointer": "/name", "reason": "is required", "code": "required"]]
        }
    }

    @Test func wrongTypeInsideAnArrayIsNamedByItsPointer() {
        #expect {
            try RPCCoding.decode(Bill.self, from: ["name": "B", "lines": [["units": 1], ["units": "two"]]])
        } throws: { error in
            let data = (error as? RPCError)?.data
            return data?["field"] == "/lines/1/units" && data?["reason"] == "has the wrong type"
        }
    }

    @Test func encodesResultsWithSortedKeysAndUnescapedSlashes() throws {
        struct Result: Encodable {
            var url = "a/b"
            var alpha = 1
        }
        #expect(String(decoding: try RPCCoding.encode(Result()), as: UTF8.self) == #"{"alpha":1,"url":"a/b"}"#)
    }
}

@Suite struct RPCMethodRegistryTests {
    @Test func looksUpMethodsByName() {
        let registry = TestMethods.registry()
        #expect(registry["sum"]?.name == "sum")
        #expect(registry["nope"] == nil)
    }

    @Test func keepsRegistrationOrder() {
        #expect(TestMethods.registry().names == ["subtract", "sum", "get_data", "notify_hello", "notify_sum"])
        #expect(TestMethods.registry().methods.map(\.name) == ["subtract", "sum", "get_data", "notify_hello", "notify_sum"])
    }

    @Test func methodKeepsItsDeclaration() throws {
        let method = try #require(TestMethods.registry()["subtract"])
        #expect(method.summary == "minuend − subtrahend")
        #expect(method.errors == TestMethods.subtractErrors)
        #expect(method.policy == .open)
        #expect(method.params.properties.map(\.name) == ["minuend", "subtrahend"])
    }

    @Test func invokeDecodesRunsAndEncodes() async throws {
        let method = try #require(TestMethods.registry()["subtract"])
        let output = try await method.invoke(["minuend": 5, "subtrahend": 7], TestContext(log: CallLog()))
        #expect(output == Array("-2".utf8))
    }

    @Test func registeringANameTwiceStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var registry = RPCMethodRegistry<Int, Int>()
            let method = RPCMethod<Int, Int>(
                "twice", summary: "", params: .object([:]), result: .boolean(), policy: 0
            ) { (_: NoParams, _: Int) in true }
            registry.register(method)
            registry.register(method)
        }
    }

    @Test func registeringAReservedRPCNameStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var registry = RPCMethodRegistry<Int, Int>()
            registry.register(RPCMethod<Int, Int>(
                "rpc.discover", summary: "", params: .object([:]), result: .boolean(), policy: 0
            ) { (_: NoParams, _: Int) in true })
        }
    }
}
