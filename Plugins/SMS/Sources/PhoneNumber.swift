/// E.164 phone numbers, as Twilio takes them: `+`, a country code that does not start with 0,
/// at most 15 digits in all.
enum PhoneNumber {
    /// Whether `text` is an E.164 number (`^\+[1-9][0-9]{1,14}$`).
    static func isE164(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 3, utf8.count <= 16, utf8[0] == UInt8(ascii: "+") else { return false }
        guard utf8[1] >= UInt8(ascii: "1"), utf8[1] <= UInt8(ascii: "9") else { return false }
        return utf8.dropFirst(2).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
