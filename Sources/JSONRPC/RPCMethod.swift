import Foundation

/// One callable method: its name, schemas, documented errors, an access policy chosen by the
/// application, and the type-erased invocation built from a typed handler.
public struct RPCMethod<Context: Sendable, Policy: Sendable>: Sendable {
    public let name: String
    public let summary: String
    public let params: Schema
    public let result: Schema
    public let errors: [RPCErrorDoc]
    public let policy: Policy
    /// Decodes `params`, runs the handler and returns the encoded result.
    public let invoke: @Sendable (JSONValue, Context) async throws -> [UInt8]

    /// Declares a method from a typed handler; params are decoded with `JSONDecoder` after
    /// ``Schema`` validation, and the result is encoded with `JSONEncoder`.
    public init<Params: Decodable & Sendable, Result: Encodable & Sendable>(
        _ name: String,
        summary: String,
        params: Schema,
        result: Schema,
        errors: [RPCErrorDoc] = [],
        policy: Policy,
        paramsType: Params.Type = Params.self,
        handler: @escaping @Sendable (Params, Context) async throws -> Result
    ) {
        self.name = name
        self.summary = summary
        self.params = params
        self.result = result
        self.errors = errors
        self.policy = policy
        self.invoke = { value, context in
            let typed: Params = try RPCCoding.decode(Params.self, from: value)
            let output = try await handler(typed, context)
            return try RPCCoding.encode(output)
        }
    }
}

/// The shared JSON coders for params and results.
public enum RPCCoding {
    /// Decodes a validated params value into its typed form.
    /// - Throws: ``RPCError`` (−32602) naming the field when the value does not fit the type.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        let bytes = JSONWriter.encode(value)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw RPCError.invalidParams([fieldError(from: error)])
        }
    }

    /// Encodes a result value to compact JSON.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(value))
    }

    static func fieldError(from error: DecodingError) -> FieldError {
        func pointer(_ path: [any CodingKey]) -> String {
            path.reduce("") { partial, key in
                if let index = key.intValue { return JSONPointer.appending(partial, index) }
                return JSONPointer.appending(partial, key.stringValue)
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(pointer: pointer(context.codingPath + [key]), reason: "is required", code: "required")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return FieldError(pointer: pointer(context.codingPath), reason: "has the wrong type", code: "type")
        case .dataCorrupted(let context):
            return FieldError(pointer: pointer(context.codingPath), reason: context.debugDescription, code: "invalid")
        @unknown default:
            return FieldError(pointer: "", reason: "is invalid", code: "invalid")
        }
    }
}

/// An immutable table of methods by name.
public struct RPCMethodRegistry<Context: Sendable, Policy: Sendable>: Sendable {
    private var table: [String: RPCMethod<Context, Policy>] = [:]
    /// Method names in registration order.
    public private(set) var names: [String] = []

    /// Creates an empty registry.
    public init() {}

    /// Adds a method; registering a name twice is a programming error.
    public mutating func register(_ method: RPCMethod<Context, Policy>) {
        precondition(table[method.name] == nil, "method \(method.name) registered twice")
        precondition(!method.name.hasPrefix("rpc."), "rpc.* names are reserved")
        table[method.name] = method
        names.append(method.name)
    }

    /// The method named `name`.
    public subscript(name: String) -> RPCMethod<Context, Policy>? { table[name] }

    /// All methods in registration order.
    public var methods: [RPCMethod<Context, Policy>] { names.map { table[$0]! } }
}
