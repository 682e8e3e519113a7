/// A JSON-RPC 2.0 error object: an integer `code`, a short `message` and optional structured `data`.
public struct RPCError: Error, Sendable, Hashable {
    /// The error code (standard codes are the static members below).
    public var code: Int
    /// A short, single-sentence description.
    public var message: String
    /// Structured detail for machines: `type`, `field`, `reason`, `errors`, `requestId`.
    public var data: JSONValue?

    /// Creates an error.
    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// Invalid JSON was received (−32700).
    public static let parseErrorCode = -32700
    /// The JSON sent is not a valid Request object (−32600).
    public static let invalidRequestCode = -32600
    /// The method does not exist (−32601).
    public static let methodNotFoundCode = -32601
    /// Invalid method parameters (−32602).
    public static let invalidParamsCode = -32602
    /// Internal JSON-RPC error (−32603).
    public static let internalErrorCode = -32603

    /// A parse error carrying the parser's reason.
    public static func parseError(_ reason: String) -> RPCError {
        RPCError(code: parseErrorCode, message: "Parse error", data: ["type": "parseError", "reason": .string(reason)])
    }

    /// An invalid-request error carrying the rule that was broken.
    public static func invalidRequest(_ reason: String) -> RPCError {
        RPCError(code: invalidRequestCode, message: "Invalid Request",
                 data: ["type": "invalidRequest", "reason": .string(reason)])
    }

    /// A method-not-found error naming the method.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: methodNotFoundCode, message: "Method not found",
                 data: ["type": "methodNotFound", "reason": .string("no method named \"\(method.prefix(100))\"")])
    }

    /// An invalid-params error listing every problem.
    public static func invalidParams(_ errors: [FieldError]) -> RPCError {
        let list = errors.map { error -> JSONValue in
            ["pointer": .string(error.pointer), "reason": .string(error.reason), "code": .string(error.code)]
        }
        var data: JSONObject = ["type": "validation", "errors": .array(list)]
        if let first = errors.first {
            data["field"] = .string(first.pointer)
            data["reason"] = .string(first.reason)
        }
        return RPCError(code: invalidParamsCode, message: "Invalid params", data: .object(data))
    }

    /// An internal error that reveals nothing but the request id.
    public static func internalError() -> RPCError {
        RPCError(code: internalErrorCode, message: "Internal error", data: ["type": "internal"])
    }

    /// This error with `requestId` added to its data object.
    public func withRequestID(_ requestID: String) -> RPCError {
        var copy = self
        var object: JSONObject
        if case .object(let existing) = data { object = existing } else { object = JSONObject() }
        object["requestId"] = .string(requestID)
        copy.data = .object(object)
        return copy
    }

    var jsonValue: JSONValue {
        var object: JSONObject = ["code": .number(JSONNumber(Int64(code))), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}

/// A documented error a method can answer, listed in the OpenRPC document.
public struct RPCErrorDoc: Sendable, Hashable {
    public let code: Int
    public let message: String

    /// Creates an error entry for documentation.
    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }
}
