/// One validated call handed to the application's ``RPCExecutor``.
public struct RPCCall<Context: Sendable, Policy: Sendable>: Sendable {
    /// The method being called.
    public let method: RPCMethod<Context, Policy>
    /// The params object (`{}` when the request had none).
    public let params: JSONValue
    /// Problems the method's params schema found; the executor reports them after authentication.
    public let paramErrors: [FieldError]
    /// A fresh id for logs, audit rows and error data.
    public let requestID: String
    /// `true` when the request has no `id` and so gets no response.
    public let isNotification: Bool
}

/// The application side of the processor: authenticates, authorizes, runs the method in its
/// transaction and maps every failure to an ``RPCError``. It must not throw.
public protocol RPCExecutor: Sendable {
    associatedtype Context: Sendable
    associatedtype Policy: Sendable
    /// Per-HTTP-request facts (credentials, peer address).
    associatedtype Environment: Sendable

    /// Runs one call and returns its encoded result or an error.
    func execute(_ call: RPCCall<Context, Policy>, environment: Environment) async -> Result<[UInt8], RPCError>
}

/// What to send back over HTTP for one JSON-RPC body.
public struct RPCHTTPResponse: Sendable {
    /// 200 with a body, or 204 when every request was a notification.
    public let status: Int
    /// The JSON body (`nil` for 204).
    public let body: [UInt8]?
}

/// Limits for the JSON-RPC layer.
public struct RPCLimits: Sendable {
    /// Maximum batch length (default 100).
    public var maximumBatchLength: Int
    /// Parser limits (depth, string length).
    public var parser: JSONParserLimits

    /// Creates limits.
    public init(maximumBatchLength: Int = 100, parser: JSONParserLimits = .init()) {
        self.maximumBatchLength = maximumBatchLength
        self.parser = parser
    }
}

/// What the processor tells an observer (metrics) about each request object it answered.
public struct RPCObservation: Sendable {
    /// The method name when it is registered (or `rpc.discover`); ``RPCObservation/invalidMethod``
    /// otherwise, so unknown names never become labels.
    public let method: String
    /// The error code, or `nil` on success.
    public let errorCode: Int?
    /// Time from parsing to the answer (for a malformed body, the parse time).
    public let duration: Duration

    /// The method label of requests that named no registered method, or were not requests at all.
    public static let invalidMethod = "(invalid)"
}

/// JSON-RPC 2.0 over one request body: envelopes, batches, notifications and standard errors.
/// Knows nothing of billing; the ``RPCExecutor`` does the rest.
public struct RPCProcessor<Executor: RPCExecutor>: Sendable {
    public typealias Method = RPCMethod<Executor.Context, Executor.Policy>
    /// Receives one ``RPCObservation`` per request object (batch elements one by one).
    public typealias Observer = @Sendable (RPCObservation) -> Void

    public let registry: RPCMethodRegistry<Executor.Context, Executor.Policy>
    public let executor: Executor
    public let limits: RPCLimits
    private let discoverResult: [UInt8]
    private let observer: Observer?

    /// Creates a processor; the OpenRPC document is generated once here.
    /// - Parameter observer: called after each request object is processed (for metrics).
    public init(registry: RPCMethodRegistry<Executor.Context, Executor.Policy>, executor: Executor,
                limits: RPCLimits = .init(), info: OpenRPCInfo, observer: Observer? = nil) {
        self.registry = registry
        self.executor = executor
        self.limits = limits
        self.observer = observer
        self.discoverResult = JSONWriter.encode(OpenRPCDocument.make(registry: registry, info: info))
    }

    /// The OpenRPC document, as served by `rpc.discover`.
    public var openRPCDocument: [UInt8] { discoverResult }

    /// Handles one HTTP body.
    public func handle(body: [UInt8], environment: Executor.Environment) async -> RPCHTTPResponse {
        let started = ContinuousClock.now
        let document: JSONValue
        do {
            document = try JSONParser.parse(body, limits: limits.parser)
        } catch {
            return single(refusal(.parseError(error.description), since: started))
        }
        if case .array(let elements) = document {
            if elements.isEmpty {
                return single(refusal(.invalidRequest("empty batch"), since: started))
            }
            if elements.count > limits.maximumBatchLength {
                return single(refusal(
                    .invalidRequest("batch of \(elements.count) exceeds the limit of \(limits.maximumBatchLength)"),
                    since: started))
            }
            var responses: [[UInt8]] = []
            for element in elements {
                if let response = await process(element, environment: environment) { responses.append(response) }
            }
            if responses.isEmpty { return RPCHTTPResponse(status: 204, body: nil) }
            var output: [UInt8] = [UInt8(ascii: "[")]
            for (offset, response) in responses.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: response)
            }
            output.append(UInt8(ascii: "]"))
            return RPCHTTPResponse(status: 200, body: output)
        }
        guard let response = await process(document, environment: environment) else {
            return RPCHTTPResponse(status: 204, body: nil)
        }
        return single(response)
    }

    private func single(_ body: [UInt8]) -> RPCHTTPResponse { RPCHTTPResponse(status: 200, body: body) }

    /// An error for a body that holds no usable request, observed as an invalid one.
    private func refusal(_ error: RPCError, since started: ContinuousClock.Instant) -> [UInt8] {
        observer?(RPCObservation(method: RPCObservation.invalidMethod, errorCode: error.code,
                                 duration: ContinuousClock.now - started))
        return errorResponse(id: .null, error: error)
    }

    /// Processes one request object and tells the observer; `nil` means no response (a notification).
    private func process(_ value: JSONValue, environment: Executor.Environment) async -> [UInt8]? {
        guard let observer else { return await answer(value, environment: environment).response }
        let started = ContinuousClock.now
        let (response, method, errorCode) = await answer(value, environment: environment)
        observer(RPCObservation(method: method, errorCode: errorCode, duration: ContinuousClock.now - started))
        return response
    }

    /// Answers one request object: the response (`nil` for a notification), the method label and
    /// the error code when it failed.
    private func answer(_ value: JSONValue, environment: Executor.Environment) async
        -> (response: [UInt8]?, method: String, errorCode: Int?)
    {
        let invalid = RPCObservation.invalidMethod
        guard case .object(let request) = value else {
            return (errorResponse(id: .null, error: .invalidRequest("a request must be an object")), invalid,
                    RPCError.invalidRequestCode)
        }
        var id: JSONValue? = nil
        if let rawID = request["id"] {
            switch rawID {
            case .string, .number, .null: id = rawID
            default:
                return (errorResponse(id: .null, error: .invalidRequest("id must be a string, number or null")), invalid,
                        RPCError.invalidRequestCode)
            }
        }
        let replyID = id ?? .null
        guard request["jsonrpc"] == .string("2.0") else {
            return (errorResponse(id: replyID, error: .invalidRequest("jsonrpc must be exactly \"2.0\"")), invalid,
                    RPCError.invalidRequestCode)
        }
        guard case .string(let methodName) = request["method"] else {
            return (errorResponse(id: replyID, error: .invalidRequest("method must be a string")), invalid,
                    RPCError.invalidRequestCode)
        }
        var params: JSONValue = .object(JSONObject())
        if let rawParams = request["params"] {
            switch rawParams {
            case .object: params = rawParams
            case .array: params = rawParams  // structured, but not by-name: reported as invalid params below
            default:
                return (errorResponse(id: replyID, error: .invalidRequest("params must be an object or an array")), invalid,
                        RPCError.invalidRequestCode)
            }
        }
        let isNotification = id == nil
        if methodName == "rpc.discover" {
            return (isNotification ? nil : resultResponse(id: replyID, result: discoverResult), methodName, nil)
        }
        guard let method = registry[methodName] else {
            return (isNotification ? nil : errorResponse(id: replyID, error: .methodNotFound(methodName)), invalid,
                    RPCError.methodNotFoundCode)
        }
        var paramErrors: [FieldError]
        if case .array = params {
            paramErrors = [FieldError(pointer: "", reason: "params must be an object with named members", code: "type")]
        } else {
            paramErrors = method.params.validate(params)
        }
        if paramErrors.count > 50 { paramErrors = Array(paramErrors.prefix(50)) }
        let call = RPCCall(method: method, params: params, paramErrors: paramErrors,
                           requestID: RequestID.make(), isNotification: isNotification)
        let outcome = await executor.execute(call, environment: environment)
        switch outcome {
        case .success(let bytes):
            return (isNotification ? nil : resultResponse(id: replyID, result: bytes), methodName, nil)
        case .failure(let error):
            return (isNotification ? nil : errorResponse(id: replyID, error: error), methodName, error.code)
        }
    }

    private func resultResponse(id: JSONValue, result: [UInt8]) -> [UInt8] {
        var output: [UInt8] = Array(#"{"jsonrpc":"2.0","result":"#.utf8)
        output.reserveCapacity(result.count + 48)
        output.append(contentsOf: result)
        output.append(contentsOf: #","id":"#.utf8)
        JSONWriter.write(id, into: &output)
        output.append(UInt8(ascii: "}"))
        return output
    }

    private func errorResponse(id: JSONValue, error: RPCError) -> [UInt8] {
        var output: [UInt8] = Array(#"{"jsonrpc":"2.0","error":"#.utf8)
        JSONWriter.write(error.jsonValue, into: &output)
        output.append(contentsOf: #","id":"#.utf8)
        JSONWriter.write(id, into: &output)
        output.append(UInt8(ascii: "}"))
        return output
    }
}

/// Random request ids (`req_` + 16 base-32 characters).
public enum RequestID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// A new random request id.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = Array("req_".utf8)
        for _ in 0..<16 { bytes.append(alphabet[Int(generator.next(upperBound: UInt8(32)))]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
