import API
import BillingCore
import Foundation
import JSONRPC

/// SplitMix64: a small deterministic generator, so a failing fuzz run reproduces from its seed.
struct FuzzRandomGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Which credential a fuzz request carries.
enum FuzzCredential: Sendable, Hashable {
    case owner, viewer, none, garbage, operatorKey
}

/// What a fuzz request must get back.
enum FuzzExpectation: Sendable {
    /// 413, the body is over the limit.
    case tooLarge
    /// One error object with one of these codes.
    case error(Set<Int>)
    /// Any well-formed JSON-RPC error answer (one object, or a batch of them).
    case anyError
    /// A batch answer: exactly `count` error objects (204 when zero).
    case batch(count: Int)
    /// 204: a notification gets no answer, even a malformed one.
    case noContent
}

/// One malformed request.
struct FuzzCase: Sendable {
    let index: Int
    let kind: String
    let method: String?
    let body: [UInt8]
    let credential: FuzzCredential
    let expectation: FuzzExpectation
}

/// Generates malformed JSON-RPC requests over every registered method, deterministically from a seed.
struct FuzzCorpus {
    static let parseError = -32700, invalidRequest = -32600, methodNotFound = -32601, invalidParams = -32602
    static let unauthenticated = -32001, forbidden = -32003

    let methods: [LedgerlineMethod]
    let tag: String
    var random: FuzzRandomGenerator
    private var counter = 0

    init(methods: [LedgerlineMethod], seed: UInt64, tag: String) {
        self.methods = methods
        self.tag = tag
        random = FuzzRandomGenerator(seed: seed)
    }

    /// The next case; methods are visited round-robin so every one gets its share.
    mutating func next() -> FuzzCase {
        counter += 1
        let method = methods[counter % methods.count]
        let credential = pickCredential()
        let roll = Int.random(in: 0..<1000, using: &random)
        switch roll {
        case 0..<70: return randomBytes(credential)
        case 70..<140: return truncated(method, credential)
        case 140..<190: return invalidUTF8(method, credential)
        case 190..<210: return deepNesting(method, credential)
        case 210..<290: return hugeNumber(method, credential)
        case 290..<490: return wrongType(method, credential)
        case 490..<580: return extraField(method, credential)
        case 580..<660: return nullValue(method, credential)
        case 660..<664: return oversized(method, credential)
        case 664..<674: return hugeBatch(method, credential)
        case 674..<744: return junkBatch(credential)
        case 744..<804: return duplicateKey(method, credential)
        case 804..<864: return nonObjectParams(method, credential)
        case 864..<894: return longString(method, credential)
        case 894..<944: return invalidNotification(method, credential)
        default: return envelopeJunk(method, credential)
        }
    }

    /// One case per method and param: each typed param (at any depth) with a value of a wrong
    /// type, each non-nullable param set to null, and one unknown member per method — so every
    /// param of every method is exercised at least once, whatever the random draw.
    mutating func sweep() -> [FuzzCase] {
        var cases: [FuzzCase] = []
        for method in methods {
            let valid = validParams(method)
            for property in typedProperties(method) {
                counter += 1
                let wrong = JSONEditing.replacing(property.pointer[...], in: valid, with: wrongValue(for: property.schema))
                cases.append(make("wrongType", method, JSONWriter.encode(request(method.name, wrong, id: id())), .owner,
                                  .error([Self.expectedCode(method, .owner)])))
                guard !property.schema.nullable else { continue }
                counter += 1
                let null = JSONEditing.replacing(property.pointer[...], in: valid, with: .null)
                cases.append(make("nullValue", method, JSONWriter.encode(request(method.name, null, id: id())), .owner,
                                  .error([Self.expectedCode(method, .owner)])))
            }
            counter += 1
            cases.append(extraField(method, .owner))
        }
        return cases
    }

    // MARK: - Building blocks

    private mutating func pickCredential() -> FuzzCredential {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<84: return .owner
        case 84..<90: return .viewer
        case 90..<94: return .none
        case 94..<97: return .garbage
        default: return .operatorKey
        }
    }

    /// The code a method-level problem gets after the credential has been judged: authentication
    /// and authorization come first, params validation last.
    static func expectedCode(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> Int {
        switch method.policy {
        case .operator:
            return credential == .operatorKey ? invalidParams : unauthenticated
        case .public:
            // No credential is judged: bad params are refused whoever calls.
            return invalidParams
        case .members:
            switch credential {
            case .none, .garbage, .operatorKey: return unauthenticated
            case .owner: return method.policy.allows(.owner) ? invalidParams : forbidden
            case .viewer: return method.policy.allows(.viewer) ? invalidParams : forbidden
            }
        }
    }

    private func validParams(_ method: LedgerlineMethod) -> JSONValue {
        ParamsGenerator(ids: [:], tag: tag).params(for: method.params)
    }

    private mutating func id() -> JSONValue {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return .number(JSONNumber(Int64.random(in: 1...1_000_000, using: &random)))
        case 1: return .string("fz-\(counter)")
        case 2: return .null
        default: return .number(JSONNumber(literal: "1e400"))
        }
    }

    private func request(_ method: String, _ params: JSONValue?, id: JSONValue?) -> JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { object["params"] = params }
        if let id { object["id"] = id }
        return .object(object)
    }

    private func make(_ kind: String, _ method: LedgerlineMethod?, _ body: [UInt8], _ credential: FuzzCredential,
                      _ expectation: FuzzExpectation) -> FuzzCase {
        FuzzCase(index: counter, kind: kind, method: method?.name, body: body, credential: credential,
                 expectation: expectation)
    }

    private mutating func pick<T>(_ options: [T]) -> T { options[Int.random(in: 0..<options.count, using: &random)] }

    private mutating func randomJSON(depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .number(JSONNumber(Int64.random(in: -1000...1000, using: &random)))
        case 3: return .string(pick(["", "x", "\u{0}", "é", "💥", "'; drop table members; --", "../../etc/passwd"]))
        case 4: return .array((0..<Int.random(in: 0..<3, using: &random)).map { _ in randomJSON(depth: depth + 1) })
        default:
            var object = JSONObject()
            for index in 0..<Int.random(in: 0..<3, using: &random) { object["k\(index)"] = randomJSON(depth: depth + 1) }
            return .object(object)
        }
    }

    /// Properties of a method's params (any depth) whose schema can be violated by a value of another type.
    private func typedProperties(_ method: LedgerlineMethod) -> [(pointer: [String], schema: Schema)] {
        ParamsGenerator.properties(in: method.params).filter { $0.schema.kind != .any }
    }

    private mutating func wrongValue(for schema: Schema) -> JSONValue {
        let string: JSONValue = .string("1"), number: JSONValue = 7, fraction: JSONValue = .number(JSONNumber(literal: "1.5"))
        let object: JSONValue = .object(JSONObject()), array: JSONValue = .array([]), flag: JSONValue = true
        var options: [JSONValue]
        switch schema.kind {
        case .string: options = [number, fraction, object, array, flag]
        case .integer: options = [string, fraction, object, array, flag, .number(JSONNumber(literal: "1e400"))]
        case .boolean: options = [string, number, object, array]
        case .object: options = [string, number, array, flag]
        case .array: options = [string, number, object, flag]
        case .any: options = []
        }
        if !schema.nullable { options.append(.null) }
        return pick(options)
    }

    // MARK: - Kinds

    private mutating func randomBytes(_ credential: FuzzCredential) -> FuzzCase {
        let length = Int.random(in: 0...512, using: &random)
        var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
        // Half start like JSON, to get past the first byte.
        if Bool.random(using: &random), !bytes.isEmpty { bytes[0] = pick([0x7B, 0x5B, 0x22]) }
        return make("randomBytes", nil, bytes, credential, .anyError)
    }

    private mutating func truncated(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let bytes = JSONWriter.encode(request(method.name, validParams(method), id: id()))
        let cut = Int.random(in: 0..<(bytes.count - 1), using: &random)
        return make("truncated", method, Array(bytes[..<cut]), credential, .error([Self.parseError]))
    }

    private mutating func invalidUTF8(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let marker = "@@BADUTF8@@"
        var params = validParams(method)
        let strings = ParamsGenerator.properties(in: method.params).filter { $0.schema.kind == .string }
        let target = Int.random(in: 0..<3, using: &random)
        var methodName = method.name
        var idValue = id()
        if target == 0, let property = strings.isEmpty ? nil : pick(strings) {
            params = JSONEditing.replacing(property.pointer[...], in: params, with: .string("a" + marker))
        } else if target == 1 {
            methodName = method.name + marker
        } else {
            idValue = .string(marker)
        }
        let bad: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]
        let body = Self.replace(Array(marker.utf8), with: pick(bad),
                                in: JSONWriter.encode(request(methodName, params, id: idValue)))
        return make("invalidUTF8", method, body, credential, .error([Self.parseError]))
    }

    private mutating func deepNesting(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let depth = 10_000
        let (open, close): (String, String) = Bool.random(using: &random) ? ("[", "]") : ("{\"a\":", "}")
        var body: [UInt8]
        if Bool.random(using: &random) {
            body = Array((String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)).utf8)
        } else {
            let nested = String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
            body = Array(#"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":{"x":\#(nested)}}"#.utf8)
        }
        return make("deepNesting", method, body, credential, .error([Self.parseError]))
    }

    private mutating func hugeNumber(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let literals = ["1e400", "-1e400", "99999999999999999999", "-99999999999999999999", "9007199254740992",
                        "1.5", "1e-400", "-0.0", "123456789012345678901234567890123456789012345678901234567890"]
        let tooLong = "1" + String(repeating: "0", count: 80)
        if Int.random(in: 0..<10, using: &random) == 0 {
            // A literal past the parser's 64-character limit is refused before anything else.
            let body = JSONWriter.encode(request(method.name, ["n": .number(JSONNumber(literal: tooLong))], id: 1))
            return make("hugeNumber", method, body, credential, .error([Self.parseError]))
        }
        var params = validParams(method)
        let integers = ParamsGenerator.properties(in: method.params).filter { $0.schema.kind == .integer }
        let others = typedProperties(method).filter { $0.schema.kind != .integer }
        let number = JSONValue.number(JSONNumber(literal: pick(literals)))
        if let property = integers.isEmpty ? nil : pick(integers) {
            params = JSONEditing.replacing(property.pointer[...], in: params, with: number)
        } else if let property = others.isEmpty ? nil : pick(others) {
            params = JSONEditing.replacing(property.pointer[...], in: params, with: number)
        } else {
            params = JSONEditing.replacing(["zzHuge"], in: params, with: number)
        }
        let body = JSONWriter.encode(request(method.name, params, id: .number(JSONNumber(literal: pick(literals)))))
        return make("hugeNumber", method, body, credential, .error([Self.expectedCode(method, credential)]))
    }

    private mutating func wrongType(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let properties = typedProperties(method)
        guard !properties.isEmpty else { return extraField(method, credential) }
        var params = validParams(method)
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            let property = pick(properties)
            params = JSONEditing.replacing(property.pointer[...], in: params, with: wrongValue(for: property.schema))
        }
        let body = JSONWriter.encode(request(method.name, params, id: id()))
        return make("wrongType", method, body, credential, .error([Self.expectedCode(method, credential)]))
    }

    private mutating func extraField(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        guard !method.params.additionalProperties else { return nonObjectParams(method, credential) }
        var params = validParams(method)
        let closedObjects = ParamsGenerator.properties(in: method.params).filter {
            $0.schema.kind == .object && !$0.schema.additionalProperties
        }
        if Bool.random(using: &random), let nested = closedObjects.isEmpty ? nil : pick(closedObjects) {
            params = JSONEditing.replacing(nested.pointer[...] + ["zzExtra"], in: params, with: randomJSON())
        } else {
            params = JSONEditing.replacing(["zzExtra\(Int.random(in: 0..<5, using: &random))"], in: params, with: randomJSON())
        }
        let body = JSONWriter.encode(request(method.name, params, id: id()))
        return make("extraField", method, body, credential, .error([Self.expectedCode(method, credential)]))
    }

    private mutating func nullValue(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let nonNullable = typedProperties(method).filter { !$0.schema.nullable }
        guard let property = nonNullable.isEmpty ? nil : pick(nonNullable) else {
            let body = JSONWriter.encode(request(method.name, .null, id: id()))
            return make("nullParams", method, body, credential, .error([Self.invalidRequest]))
        }
        let params = JSONEditing.replacing(property.pointer[...], in: validParams(method), with: .null)
        let body = JSONWriter.encode(request(method.name, params, id: id()))
        return make("nullValue", method, body, credential, .error([Self.expectedCode(method, credential)]))
    }

    private mutating func oversized(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let limit = 1 << 20
        let prefix = Array(#"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":{"x":""#.utf8)
        let suffix = Array(#""}}"#.utf8)
        let size = limit + Int.random(in: 1...4096, using: &random)
        let body = prefix + [UInt8](repeating: UInt8(ascii: "a"), count: size - prefix.count - suffix.count) + suffix
        return make("oversized", method, body, credential, .tooLarge)
    }

    private mutating func hugeBatch(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        // Valid requests, but too many of them: none may run (no `ok` audit row may appear).
        let count = Int.random(in: 101...300, using: &random)
        let element = request(method.name, validParams(method), id: 1)
        let body = JSONWriter.encode(.array(Array(repeating: element, count: count)))
        return make("hugeBatch", method, body, credential, .error([Self.invalidRequest]))
    }

    private mutating func junkBatch(_ credential: FuzzCredential) -> FuzzCase {
        let length = Int.random(in: 1...12, using: &random)
        var elements: [JSONValue] = []
        var answers = 0
        for _ in 0..<length {
            let method = pick(methods)
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                elements.append(pick([1, "x", .null, true, [], [1], .number(JSONNumber(literal: "1e400"))]))
                answers += 1
            case 1:
                elements.append(.object(JSONObject()))
                answers += 1
            case 2:
                var object: JSONObject = ["jsonrpc": pick(["1.0", 2, .null]), "method": .string(method.name),
                                          "params": validParams(method)]
                if Bool.random(using: &random) { object["id"] = 1 }
                elements.append(.object(object))
                answers += 1
            case 3:
                let properties = typedProperties(method)
                var params = JSONEditing.replacing(["zzExtra"], in: validParams(method), with: 1)
                if let property = properties.isEmpty ? nil : pick(properties) {
                    params = JSONEditing.replacing(property.pointer[...], in: params, with: wrongValue(for: property.schema))
                }
                elements.append(request(method.name, params, id: .string("b\(elements.count)")))
                answers += 1
            case 4:
                // A malformed notification: processed, never answered.
                elements.append(request(method.name, JSONEditing.replacing(["zzExtra"], in: validParams(method), with: 1), id: nil))
            default:
                elements.append(request(method.name, pick(["x", 1, true, .null]), id: 2))
                answers += 1
            }
        }
        let body = JSONWriter.encode(.array(elements))
        return make("junkBatch", nil, body, credential, .batch(count: answers))
    }

    private mutating func duplicateKey(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let params = String(decoding: JSONWriter.encode(validParams(method)), as: UTF8.self)
        let body: String
        switch Int.random(in: 0..<3, using: &random) {
        case 0: body = #"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":\#(params)}"#
        case 1: body = #"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":\#(params),"params":{}}"#
        default:
            // Duplicate a member inside params (or the id when params are empty).
            let inner = params == "{}" ? #"{"a":1,"a":2}"# : "{" + params.dropFirst().dropLast() + "," + params.dropFirst().dropLast() + "}"
            body = #"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":\#(inner)}"#
        }
        return make("duplicateKey", method, Array(body.utf8), credential, .error([Self.parseError]))
    }

    private mutating func nonObjectParams(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        if Bool.random(using: &random) {
            let params: JSONValue = pick(["x", 1, true, .null, .number(JSONNumber(literal: "1e400"))])
            let body = JSONWriter.encode(request(method.name, params, id: id()))
            return make("scalarParams", method, body, credential, .error([Self.invalidRequest]))
        }
        let params: JSONValue = .array(Bool.random(using: &random) ? [] : [validParams(method)])
        let body = JSONWriter.encode(request(method.name, params, id: id()))
        return make("arrayParams", method, body, credential, .error([Self.expectedCode(method, credential)]))
    }

    private mutating func longString(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let long = String(repeating: pick(["a", "é", "\\n"]), count: 100_000)
        let body: String
        switch Int.random(in: 0..<3, using: &random) {
        case 0: body = #"{"jsonrpc":"2.0","id":1,"method":"\#(long)"}"#
        case 1: body = #"{"jsonrpc":"2.0","id":"\#(long)","method":"\#(method.name)"}"#
        default: body = #"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":{"x":"\#(long)"}}"#
        }
        return make("longString", method, Array(body.utf8), credential, .error([Self.parseError]))
    }

    private mutating func invalidNotification(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        let params = JSONEditing.replacing(["zzExtra"], in: validParams(method), with: randomJSON())
        let body = JSONWriter.encode(request(method.name, params, id: nil))
        return make("invalidNotification", method, body, credential, .noContent)
    }

    private mutating func envelopeJunk(_ method: LedgerlineMethod, _ credential: FuzzCredential) -> FuzzCase {
        // Valid params, broken envelope: refused before the method runs.
        var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method.name), "params": validParams(method), "id": 1]
        var expected = Self.invalidRequest
        switch Int.random(in: 0..<7, using: &random) {
        case 0: object["jsonrpc"] = pick(["1.0", "2.00", 2, .null, " 2.0"])
        case 1: object["jsonrpc"] = nil
        case 2: object["method"] = pick([5, .null, [], .object(JSONObject()), true])
        case 3: object["method"] = nil
        case 4: object["id"] = pick([[], .object(JSONObject()), true, false])
        case 5:
            object["method"] = .string(pick([method.name.uppercased(), method.name + " ", "rpc.discoverx", "", "nope.nope"]))
            expected = Self.methodNotFound
        default:
            object["jsonrpc"] = "2.0"
            object["method"] = "rpc.discover"
            object["params"] = "junk"
        }
        let body = JSONWriter.encode(.object(object))
        return make("envelopeJunk", method, body, credential, .error([expected]))
    }

    static func replace(_ marker: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if index + marker.count <= bytes.count, Array(bytes[index..<(index + marker.count)]) == marker {
                output += replacement
                index += marker.count
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }
}
