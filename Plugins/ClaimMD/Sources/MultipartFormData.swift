import Foundation

/// A `multipart/form-data` body (RFC 7578), as Claim.MD's `/upload/` takes it: text fields and
/// one file part.
struct MultipartFormData {
    /// The boundary between parts; random, so no file can contain it by accident.
    let boundary: String
    private(set) var body = Data()

    init(boundary: String = "LedgerlineClaimMD-\(UUID().uuidString)") {
        self.boundary = boundary
    }

    /// The `Content-Type` header value naming the boundary.
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Adds a text field.
    mutating func addField(_ name: String, _ value: String) {
        append("--\(boundary)\r\n")
        append("Content-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n")
        append(value)
        append("\r\n")
    }

    /// Adds a file part with `filename` in its Content-Disposition.
    mutating func addFile(_ name: String, filename: String, contentType: String, contents: Data) {
        append("--\(boundary)\r\n")
        append(
            "Content-Disposition: form-data; name=\"\(Self.quoted(name))\"; filename=\"\(Self.quoted(filename))\"\r\n")
        append("Content-Type: \(contentType)\r\n\r\n")
        body.append(contents)
        append("\r\n")
    }

    /// The finished body, closing delimiter included.
    func finished() -> Data {
        var data = body
        data.append(Data("--\(boundary)--\r\n".utf8))
        return data
    }

    private mutating func append(_ text: String) { body.append(Data(text.utf8)) }

    /// A name or file name safe inside a quoted header parameter: `"`, CR and LF percent-encoded,
    /// as browsers do (WHATWG HTML, "multipart/form-data encoding algorithm").
    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
