import JSONRPC
import Testing

/// The access policy of the test methods; the processor never looks at it.
enum TestPolicy: Sendable, Equatable {
    case open
}

/// Per-HTTP-request facts handed to the executor; the test executor needs none.
struct TestEnvironment: Sendable {}

/// Records which notifications ran, so tests can prove a notification was executed.
actor CallLog {
    private(set) var entries: [String] = []

    func record(_ entry: String) { entries.append(entry) }
}

/// What every test handler can reach.
struct TestContext: Sendable {
    let log: CallLog
}

struct SubtractParams: Decodable, Sendable {
    var minuend: Int64
    var subtrahend: Int64
}

struct ValuesParams: Decodable, Sendable {
    var values: [Int64]
}

struct ValueParams: Decodable, Sendable {
    var value: Int64
}

struct NoParams: Decodable, Sendable {}

struct NoResult: Encodable, Sendable {}

/// The specification's `get_data` result, `["hello", 5]`: an array of mixed types.
struct HelloData: Encodable, Sendable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode("hello")
        try container.encode(5)
    }
}

/// The methods used by the JSON-RPC 2.0 specification's examples, declared by name.
enum TestMethods {
    static let subtractErrors = [RPCErrorDoc(code: -32010, message: "Not today")]

    static func registry() -> RPCMethodRegistry<TestContext, TestPolicy> {
        var registry = RPCMethodRegistry<TestContext, TestPolicy>()
        registry.register(RPCMethod(
            "subtract", summary: "minuend − subtrahend",
            params: .object(["minuend": .integer(), "subtrahend": .integer()]),
            result: .integer(), errors: subtractErrors, policy: .open
        ) { (params: SubtractParams, _: TestContext) in params.minuend - params.subtrahend })
        registry.register(RPCMethod(
            "sum", summary: "The sum of the values",
            params: .object(["values": .array(.integer(), maxItems: 10)]),
            result: .integer(), policy: .open
        ) { (params: ValuesParams, _: TestContext) in params.values.reduce(0, +) })
        registry.register(RPCMethod(
            "get_data", summary: "Some data",
            params: .object([:]),
            result: .array(.any()), policy: .open
        ) { (_: NoParams, _: TestContext) in HelloData() })
        registry.register(RPCMethod(
            "notify_hello", summary: "Says hello",
            params: .object(["value": .integer(), "note?": .string()]),
            result: .object([:]), policy: .open
        ) { (params: ValueParams, context: TestContext) in
            await context.log.record("notify_hello \(params.value)")
            return NoResult()
        })
        registry.register(RPCMethod(
            "notify_sum", summary: "Adds quietly",
            params: .object(["values": .array(.integer())]),
            result: .object([:]), policy: .open
        ) { (params: ValuesParams, context: TestContext) in
            await context.log.record("notify_sum \(params.values.reduce(0, +))")
            return NoResult()
        })
        return registry
    }
}

/// A minimal application side: reports schema problems as −32602, otherwise runs the method.
struct TestExecutor: RPCExecutor {
    let context: TestContext

    func execute(_ call: RPCCall<TestContext, TestPolicy>, environment: TestEnvironment) async
        -> Result<[UInt8], RPCError>
    {
        if !call.paramErrors.isEmpty { return .failure(.invalidParams(call.paramErrors)) }
        do {
            return .success(try await call.method.invoke(call.params, context))
        } catch let error as RPCError {
            return .failure(error)
        } catch {
            return .failure(.internalError().withRequestID(call.requestID))
        }
    }
}

/// One HTTP exchange with the processor, with the body parsed back strictly.
struct Exchange {
    let status: Int
    let rawBody: [UInt8]?
    let body: JSONValue?

    /// The elements of a batch response (empty when the body is not an array).
    var batch: [JSONValue] {
        if case .array(let elements) = body { return elements }
        return []
    }

    /// The rawBody as text, for checks on the exact bytes.
    var text: String? { rawBody.map { String(decoding: $0, as: UTF8.self) } }
}

/// A processor over ``TestMethods`` with a fresh call log.
struct TestService {
    let log = CallLog()
    let processor: RPCProcessor<TestExecutor>

    static let info = OpenRPCInfo(title: "Spec examples", version: "0.0.1", description: "JSON-RPC 2.0 §7")

    init(limits: RPCLimits = .init()) {
        processor = RPCProcessor(registry: TestMethods.registry(), executor: TestExecutor(context: TestContext(log: log)),
                                 limits: limits, info: TestService.info)
    }

    func send(_ text: String) async throws -> Exchange {
        let response = await processor.handle(body: Array(text.utf8), environment: TestEnvironment())
        let parsed = try response.body.map { try JSONParser.parse($0) }
        return Exchange(status: response.status, rawBody: response.body, body: parsed)
    }
}

extension JSONValue {
    /// `error.code` of a response object.
    var errorCode: Int64? { self["error"]?["code"]?.int64Value }

    /// `true` when this response object has exactly one of `result` and `error`, and `jsonrpc` is "2.0".
    var isWellFormedResponse: Bool {
        guard case .object(let object) = self else { return false }
        return object["jsonrpc"] == .string("2.0") && object.contains("id")
            && (object.contains("result") != object.contains("error"))
    }
}

/// The response in `batch` whose id is `id`.
func response(withID id: JSONValue, in batch: [JSONValue]) -> JSONValue? {
    batch.first { $0["id"] == id }
}
