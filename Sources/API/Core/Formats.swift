import BillingCore
import Foundation
import JSONRPC

/// String formats shared by method schemas; each wraps a BillingCore rule.
public enum Formats {
    public static let npi = StringFormat(name: "npi", pattern: "^[12][0-9]{9}$") { NPI.problem($0) }
    public static let taxonomy = StringFormat(name: "taxonomy", pattern: "^[0-9]{3}[0-9A-Z]{6}X$") { TaxonomyCode.problem($0) }
    public static let phone = StringFormat(name: "e164", pattern: "^\\+[1-9][0-9]{7,14}$") { ContactChecks.phoneProblem($0) }
    public static let email = StringFormat(name: "email") { ContactChecks.emailProblem($0) }
    public static let state = StringFormat(name: "us-state", pattern: "^[A-Z]{2}$") { ContactChecks.stateProblem($0) }
    public static let postalCode = StringFormat(name: "us-zip", pattern: "^[0-9]{5}(-?[0-9]{4})?$") {
        ContactChecks.postalCodeProblem($0)
    }
    public static let timeZone = StringFormat(name: "iana-time-zone") { ContactChecks.timeZoneProblem($0) }
    public static let taxID = StringFormat(name: "tax-id", pattern: "^([0-9]{2}-[0-9]{7}|[0-9]{3}-[0-9]{2}-[0-9]{4})$") {
        text in
        TaxID.problem(text, kind: .ein) == nil || TaxID.problem(text, kind: .ssn) == nil
            ? nil : "must be an EIN (12-3456789) or SSN (123-45-6789)"
    }
    public static let dateTime = StringFormat(name: "date-time") { text in
        ISO8601DateFormatter().date(from: text) == nil ? "must be an RFC 3339 timestamp such as 2026-11-20T14:00:00Z" : nil
    }
    public static let cursor = StringFormat(name: "cursor") { text in
        text.count <= 64 && text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) }
            ? nil : "is not a cursor returned by this method"
    }

    public static let date = StringFormat(name: "date", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$") { text in
        CalendarDate(text) == nil ? "must be a date YYYY-MM-DD" : nil
    }
    public static let timeOfDay = StringFormat(name: "time", pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$") { text in
        let parts = text.split(separator: ":")
        guard text.count == 5, parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute) else { return "must be a time HH:MM (24-hour)" }
        return nil
    }
    public static let placeOfService = StringFormat(name: "place-of-service", pattern: "^[0-9]{2}$") {
        PlaceOfService.problem($0)
    }
    public static let modifier = StringFormat(name: "modifier", pattern: "^[0-9A-Z]{2}$") { ProcedureCode.modifierProblem($0) }
    public static let icd10 = StringFormat(name: "icd10cm-billable") { ICD10.problem($0) }

    /// A prefixed id of type `ID`.
    public static func id<ID: EntityID>(_ type: ID.Type) -> StringFormat {
        StringFormat(name: "\(ID.prefix)-id", pattern: "^\(ID.prefix)_[0-9a-f]{32}$") { text in
            IDCodec.isValid(text, prefix: ID.prefix) ? nil : "must be a \(ID.prefix)_ id"
        }
    }

    /// Parses an RFC 3339 timestamp (validated by ``dateTime``).
    public static func parseDateTime(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// Schemas shared by many methods.
public enum Schemas {
    /// An id of type `ID`.
    public static func id<ID: EntityID>(_ type: ID.Type) -> Schema { .string(maxLength: 40, format: Formats.id(type)) }
    /// A person's name part.
    public static let name = Schema.string(minLength: 1, maxLength: 100)
    /// A US postal address.
    public static let address = Schema.object([
        "line1": .string(minLength: 1, maxLength: 55),
        "line2?": Schema.string(minLength: 1, maxLength: 55).orNull,
        "city": .string(minLength: 1, maxLength: 30),
        "state": .string(maxLength: 2, format: Formats.state),
        "postalCode": .string(maxLength: 10, format: Formats.postalCode),
    ], title: "Address")
    /// The optimistic-concurrency version of a record.
    public static let version = Schema.integer(minimum: 1, maximum: 2_147_483_647,
                                               description: "the version you read; a stale one gets −32009")
    /// Page size.
    public static let limit = Schema.integer(minimum: 1, maximum: 200, description: "page size (default 50)")
    /// Page cursor.
    public static let cursor = Schema.string(maxLength: 64, format: Formats.cursor).orNull
    /// An RFC 3339 timestamp.
    public static let dateTime = Schema.string(maxLength: 40, format: Formats.dateTime)

    /// A calendar date `YYYY-MM-DD`.
    public static let date = Schema.string(maxLength: 10, format: Formats.date)
    /// An amount of money in cents (≥ 0), within JavaScript's exact integer range.
    public static let cents = Schema.integer(minimum: 0, maximum: 99_999_999_99, description: "US cents")
    /// A positive amount of money in cents.
    public static let positiveCents = Schema.integer(minimum: 1, maximum: 99_999_999_99, description: "US cents, > 0")
    /// An idempotency key for money-moving or external-effect methods.
    public static let idempotencyKey = Schema.string(minLength: 8, maxLength: 200,
                                                     description: "replays return the first result; reuse with other params gets −32010")

    /// A page of `item`.
    public static func page(_ item: Schema) -> Schema {
        .object(["items": .array(item, maxItems: nil), "nextCursor": Schema.string(maxLength: 64).orNull])
    }
}
