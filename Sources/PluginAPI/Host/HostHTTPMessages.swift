import Foundation

/// One HTTP header.
public struct HostHTTPHeader: Codable, Sendable, Hashable {
    /// The header name, compared case-insensitively.
    public var name: String
    /// The header value.
    public var value: String

    /// Creates a header.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request a plugin asks the host to perform (`HostCapabilities.http`).
public struct HostHTTPRequest: Codable, Sendable, Hashable {
    /// `GET`, `POST`, …
    public var method: String
    /// An absolute `http` or `https` URL; the host may refuse hosts outside its egress allow-list.
    public var url: String
    /// Request headers, in order; a name may repeat.
    public var headers: [HostHTTPHeader]
    /// The body's bytes in base64, if there is a body.
    public var bodyBase64: String?
    /// The plugin's own deadline; the host applies the shorter of this and its own timeout.
    public var timeoutSeconds: Double?

    /// Creates a request with a binary body.
    public init(
        method: String, url: String, headers: [HostHTTPHeader] = [], body: Data? = nil,
        timeoutSeconds: Double? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.bodyBase64 = body?.base64EncodedString()
        self.timeoutSeconds = timeoutSeconds
    }

    /// The body's bytes.
    public var body: Data? { bodyBase64.flatMap { Data(base64Encoded: $0) } }
}

/// The response the host got.
public struct HostHTTPResponse: Codable, Sendable, Hashable {
    /// The status code (200, 201, 404, …). A non-2xx status is a response, not an error.
    public var status: Int
    /// Response headers, in order.
    public var headers: [HostHTTPHeader]
    /// The body's bytes in base64.
    public var bodyBase64: String

    /// Creates a response.
    public init(status: Int, headers: [HostHTTPHeader] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.bodyBase64 = body.base64EncodedString()
    }

    /// The body's bytes.
    public var body: Data { Data(base64Encoded: bodyBase64) ?? Data() }

    /// The first header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}
