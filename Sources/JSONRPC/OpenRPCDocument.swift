/// The `info` block of an OpenRPC document.
public struct OpenRPCInfo: Sendable {
    public var title: String
    public var version: String
    public var description: String?

    /// Creates the info block.
    public init(title: String, version: String, description: String? = nil) {
        self.title = title
        self.version = version
        self.description = description
    }
}

/// Builds an OpenRPC 1.3 document from a method registry.
public enum OpenRPCDocument {
    /// The document as a JSON value: every method with its by-name params, result and errors.
    public static func make<Context, Policy>(registry: RPCMethodRegistry<Context, Policy>, info: OpenRPCInfo) -> JSONValue {
        var infoObject: JSONObject = ["title": .string(info.title), "version": .string(info.version)]
        if let description = info.description { infoObject["description"] = .string(description) }
        let methods: [JSONValue] = registry.methods.map { method in
            let params: [JSONValue] = method.params.properties.map { property in
                .object(["name": .string(property.name), "required": .bool(property.required),
                         "schema": schemaJSON(property.schema)])
            }
            var object: JSONObject = [
                "name": .string(method.name),
                "summary": .string(method.summary),
                "paramStructure": "by-name",
                "params": .array(params),
                "result": .object(["name": "result", "schema": schemaJSON(method.result)]),
            ]
            if !method.errors.isEmpty {
                object["errors"] = .array(method.errors.map {
                    .object(["code": .number(JSONNumber(Int64($0.code))), "message": .string($0.message)])
                })
            }
            return .object(object)
        }
        return .object([
            "openrpc": "1.3.2",
            "info": .object(infoObject),
            "methods": .array(methods),
        ])
    }

    /// The JSON Schema (draft 7 vocabulary) for one ``Schema``.
    public static func schemaJSON(_ schema: Schema) -> JSONValue {
        var object = JSONObject()
        if schema.kind != .any {
            object["type"] = schema.nullable ? .array([.string(schema.kind.rawValue), "null"]) : .string(schema.kind.rawValue)
        }
        if let title = schema.title { object["title"] = .string(title) }
        if let description = schema.description { object["description"] = .string(description) }
        switch schema.kind {
        case .string:
            if let minLength = schema.minLength { object["minLength"] = .number(JSONNumber(Int64(minLength))) }
            if let maxLength = schema.maxLength { object["maxLength"] = .number(JSONNumber(Int64(maxLength))) }
            if let format = schema.format {
                object["format"] = .string(format.name)
                if let pattern = format.pattern { object["pattern"] = .string(pattern) }
            }
            if let values = schema.enumValues {
                // `enum` applies to every type, so a nullable enumeration must list null itself.
                object["enum"] = .array(values.map { .string($0) } + (schema.nullable ? [.null] : []))
            }
        case .integer:
            object["minimum"] = .number(JSONNumber(schema.minimum ?? -Schema.maximumSafeInteger))
            object["maximum"] = .number(JSONNumber(schema.maximum ?? Schema.maximumSafeInteger))
        case .array:
            if let items = schema.items.first { object["items"] = schemaJSON(items) }
            if let minItems = schema.minItems { object["minItems"] = .number(JSONNumber(Int64(minItems))) }
            if let maxItems = schema.maxItems { object["maxItems"] = .number(JSONNumber(Int64(maxItems))) }
            if schema.uniqueItems { object["uniqueItems"] = true }
        case .object:
            var properties = JSONObject()
            for property in schema.properties { properties[property.name] = schemaJSON(property.schema) }
            object["properties"] = .object(properties)
            let required = schema.properties.filter(\.required).map { JSONValue.string($0.name) }
            if !required.isEmpty { object["required"] = .array(required) }
            object["additionalProperties"] = .bool(schema.additionalProperties)
        case .boolean, .any:
            break
        }
        return .object(object)
    }
}
