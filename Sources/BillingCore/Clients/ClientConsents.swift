/// Whether a person agreed to be contacted by email and by SMS (bills, reminders, receipts).
public struct Consents: Sendable, Hashable, Codable {
    /// Consent to email.
    public var email: Bool
    /// Consent to text messages.
    public var sms: Bool

    /// Creates a consent record.
    public init(email: Bool, sms: Bool) {
        self.email = email
        self.sms = sms
    }

    /// No consent to either channel (the safe default).
    public static let none = Consents(email: false, sms: false)
}
