import Foundation
import Mustache

/// The messages Ledgerline sends, as Mustache templates: a subject, a plain-text body, an HTML
/// body (email) and a short text (SMS) per template. HTML bodies escape every value; text bodies
/// and SMS are rendered without escaping.
public enum NotificationTemplate: String, Codable, Sendable, CaseIterable {
    /// A bill sent to the client or their billing contact (`bill.send`).
    case billSent
    /// A receipt for a payment.
    case paymentReceipt
    /// A superbill the client can file with their insurer.
    case superbillReady
    /// For the practice: a claim needs review (rejected or stuck).
    case claimNeedsReview
    /// For the practice: a payer denied a claim.
    case claimDenied
    /// For a member: an invitation to sign in (`member.invite`).
    case memberInvitation
    /// For a member: a password reset link (`auth.requestReset`).
    case passwordReset
}

/// A rendered message, ready to freeze on a notification.
public struct RenderedMessage: Sendable, Hashable {
    public var subject: String
    public var text: String
    public var html: String
    public var sms: String
}

/// Renders `NotificationTemplate`s with swift-mustache.
public struct NotificationRenderer: Sendable {
    private let library: MustacheLibrary

    /// Parses every template once.
    public init() {
        var library = MustacheLibrary()
        for template in NotificationTemplate.allCases {
            let source = Self.sources(template)
            // The parser only fails on malformed templates, which are constants checked by tests.
            try? library.register("{{% CONTENT_TYPE: TEXT}}" + source.subject, named: "\(template.rawValue).subject")
            try? library.register("{{% CONTENT_TYPE: TEXT}}" + source.text, named: "\(template.rawValue).text")
            try? library.register(source.html, named: "\(template.rawValue).html")
            try? library.register("{{% CONTENT_TYPE: TEXT}}" + source.sms, named: "\(template.rawValue).sms")
        }
        self.library = library
    }

    /// Renders `template` with `values` (a dictionary of strings, booleans and nested dictionaries).
    public func render(_ template: NotificationTemplate, _ values: [String: Any]) -> RenderedMessage {
        func part(_ name: String) -> String {
            library.render(values, withTemplate: "\(template.rawValue).\(name)")?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        }
        return RenderedMessage(subject: part("subject"), text: part("text"), html: part("html"), sms: part("sms"))
    }

    /// `true` when every template parsed (checked by the tests).
    public var allTemplatesParse: Bool {
        NotificationTemplate.allCases.allSatisfy { template in
            ["subject", "text", "html", "sms"].allSatisfy { library.getTemplate(named: "\(template.rawValue).\($0)") != nil }
        }
    }

    struct Source {
        var subject: String
        var text: String
        var html: String
        var sms: String
    }

    static func sources(_ template: NotificationTemplate) -> Source {
        switch template {
        case .billSent:
            return Source(
                subject: "Your bill {{billNumber}} from {{practiceName}}",
                text: """
                    Dear {{recipientFirstName}},

                    {{#forDependent}}Please find attached bill {{billNumber}} for services to {{clientFirstName}} from {{practiceName}}.{{/forDependent}}{{^forDependent}}Please find attached your bill {{billNumber}} from {{practiceName}}.{{/forDependent}}

                    Amount due: {{amountDue}}
                    Due on: {{dueOn}}

                    Questions about this bill? Call us at {{practicePhone}}.

                    {{practiceName}}
                    {{#footer}}

                    {{footer}}
                    {{/footer}}
                    """,
                html: """
                    <!DOCTYPE html>
                    <html><body style="font-family: sans-serif">
                    <p>Dear {{recipientFirstName}},</p>
                    <p>{{#forDependent}}Please find attached bill <strong>{{billNumber}}</strong> for services to {{clientFirstName}} from {{practiceName}}.{{/forDependent}}{{^forDependent}}Please find attached your bill <strong>{{billNumber}}</strong> from {{practiceName}}.{{/forDependent}}</p>
                    <table><tr><td>Amount due</td><td><strong>{{amountDue}}</strong></td></tr>
                    <tr><td>Due on</td><td>{{dueOn}}</td></tr></table>
                    <p>Questions about this bill? Call us at {{practicePhone}}.</p>
                    <p>{{practiceName}}</p>
                    {{#footer}}<p style="color: #555">{{footer}}</p>{{/footer}}
                    </body></html>
                    """,
                sms: "{{practiceName}}: bill {{billNumber}} for {{amountDue}} is due {{dueOn}}. Questions? Call {{practicePhone}}.")
        case .paymentReceipt:
            return Source(
                subject: "Receipt for your payment to {{practiceName}}",
                text: """
                    Dear {{recipientFirstName}},

                    Thank you. We received {{amount}} on {{receivedOn}}{{#methodLabel}} by {{methodLabel}}{{/methodLabel}}.
                    {{#reference}}Reference: {{reference}}{{/reference}}

                    {{practiceName}} · {{practicePhone}}
                    """,
                html: """
                    <!DOCTYPE html>
                    <html><body style="font-family: sans-serif">
                    <p>Dear {{recipientFirstName}},</p>
                    <p>Thank you. We received <strong>{{amount}}</strong> on {{receivedOn}}{{#methodLabel}} by {{methodLabel}}{{/methodLabel}}.</p>
                    {{#reference}}<p>Reference: {{reference}}</p>{{/reference}}
                    <p>{{practiceName}} · {{practicePhone}}</p>
                    </body></html>
                    """,
                sms: "{{practiceName}}: we received your payment of {{amount}} on {{receivedOn}}. Thank you.")
        case .superbillReady:
            return Source(
                subject: "Your superbill from {{practiceName}}",
                text: """
                    Dear {{recipientFirstName}},

                    Attached is a superbill for services from {{from}} to {{to}}. You can send it to your insurance company to ask for reimbursement.

                    {{practiceName}} · {{practicePhone}}
                    """,
                html: """
                    <!DOCTYPE html>
                    <html><body style="font-family: sans-serif">
                    <p>Dear {{recipientFirstName}},</p>
                    <p>Attached is a superbill for services from {{from}} to {{to}}. You can send it to your insurance company to ask for reimbursement.</p>
                    <p>{{practiceName}} · {{practicePhone}}</p>
                    </body></html>
                    """,
                sms: "{{practiceName}}: your superbill for {{from}} to {{to}} is ready; we sent it by email.")
        case .claimNeedsReview:
            return Source(
                subject: "Claim {{patientControlNumber}} needs review",
                text: """
                    Claim {{patientControlNumber}} ({{payerName}}, {{amount}}) needs review: {{reason}}
                    """,
                html: """
                    <!DOCTYPE html>
                    <html><body style="font-family: sans-serif">
                    <p>Claim <strong>{{patientControlNumber}}</strong> ({{payerName}}, {{amount}}) needs review:</p>
                    <p>{{reason}}</p>
                    </body></html>
                    """,
                sms: "Ledgerline: claim {{patientControlNumber}} needs review: {{reason}}")
        case .claimDenied:
            return Source(
                subject: "Claim {{patientControlNumber}} was denied",
                text: """
                    {{payerName}} denied claim {{patientControlNumber}} ({{amount}}): {{reason}}
                    """,
                html: """
                    <!DOCTYPE html>
                    <html><body style="font-family: sans-serif">
                    <p>{{payerName}} denied claim <strong>{{patientControlNumber}}</strong> ({{amount}}):</p>
                    <p>{{reason}}</p>
                    </body></html>
                    """,
                sms: "Ledgerline: {{payerName}} denied claim {{patientControlNumber}}: {{reason}}")
        case .memberInvitation:
            return Source(
                subject: "Your invitation to {{practiceName}}",
                text: """
                    Hello {{firstName}},

                    {{practiceName}} invites you to sign in to Ledgerline as {{role}}.
                    {{#link}}Open {{link}} to choose your password.{{/link}}{{^link}}Your invitation code: {{token}}{{/link}}

                    The invitation works once and expires in {{hours}} hours. If you did not expect it, ignore this email.
                    """,
                html: """
                    <!DOCTYPE html>
                    <html><body style="font-family: sans-serif">
                    <p>Hello {{firstName}},</p>
                    <p>{{practiceName}} invites you to sign in to Ledgerline as {{role}}.</p>
                    {{#link}}<p><a href="{{link}}">Choose your password</a></p>{{/link}}{{^link}}<p>Your invitation code: <code>{{token}}</code></p>{{/link}}
                    <p>The invitation works once and expires in {{hours}} hours. If you did not expect it, ignore this email.</p>
                    </body></html>
                    """,
                sms: "{{practiceName}} invites you to Ledgerline; see your email.")
        case .passwordReset:
            return Source(
                subject: "Reset your Ledgerline password",
                text: """
                    Someone asked to reset the password you use to sign in to Ledgerline ({{practiceName}}).
                    {{#link}}Open {{link}} to choose a new one.{{/link}}{{^link}}Your reset code: {{token}}{{/link}}

                    The code works once and expires in {{minutes}} minutes; choosing a new password signs you out everywhere.
                    If you did not ask, ignore this email: your password stays as it is.
                    """,
                html: """
                    <!DOCTYPE html>
                    <html><body style="font-family: sans-serif">
                    <p>Someone asked to reset the password you use to sign in to Ledgerline ({{practiceName}}).</p>
                    {{#link}}<p><a href="{{link}}">Choose a new password</a></p>{{/link}}{{^link}}<p>Your reset code: <code>{{token}}</code></p>{{/link}}
                    <p>The code works once and expires in {{minutes}} minutes; choosing a new password signs you out everywhere.
                    If you did not ask, ignore this email: your password stays as it is.</p>
                    </body></html>
                    """,
                sms: "Ledgerline: a password reset was requested; see your email.")
        }
    }
}
