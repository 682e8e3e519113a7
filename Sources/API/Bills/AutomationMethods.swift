import Billing
import BillingCore
import Foundation
import JSONRPC
import Storage

/// `automation.*`: what billing automation did, and running a day by hand.
enum AutomationMethods {
    static let readers: Access = .members([.owner, .biller, .viewer])
    static let writers: Access = .members([.owner, .biller])

    struct RunParams: Decodable, Sendable {
        let date: CalendarDate
        let idempotencyKey: String?
    }

    struct RunsParams: Decodable, Sendable { let limit: Int? }

    static let summarySchema = Schema.object([
        "date": Schemas.date, "billsCreated": .array(.string(), maxItems: nil), "billsSent": .integer(minimum: 0),
        "claimsGenerated": .integer(minimum: 0), "claimsSubmitted": .integer(minimum: 0),
        "autoPayApproved": .integer(minimum: 0), "autoPayDeclined": .integer(minimum: 0),
        "autoPayChargedCents": .integer(minimum: 0), "superbillsSent": .integer(minimum: 0), "problems": .array(.string(maxLength: nil), maxItems: nil),
    ], title: "AutomationRun")

    static var all: [LedgerlineMethod] {
        [
            LedgerlineMethod(
                "automation.run",
                summary: "Run the practice's billing automation for a date (today or earlier in the practice's time zone) now, instead of at the scheduled hour: bills for unbilled sessions (daily, or on the 1st for the month before), sent when set; claims generated and submitted when set; AutoPay charges with retries. A date runs once (−32009 `automation.alreadyRan`; −32009 `automation.inProgress` while another run of the practice is going on: nothing done, try again).",
                params: .object(["date": Schemas.date, "idempotencyKey?": Schemas.idempotencyKey]),
                result: .object(["run": summarySchema]), errors: updateErrors, policy: writers
            ) { (params: RunParams, context) in
                let practiceID = try context.practiceID
                let today = try await PracticeCalendar().today(in: context.transaction)
                let date = params.date
                guard date <= today else { throw DomainError.invalid("/date", "must not be in the future") }
                let automation = BillingAutomation(runtime: context.services.plugins, configuration: context.services.claims)
                switch try await automation.runDay(date, practiceID: practiceID, in: context.transaction) {
                case .ran(let summary):
                    return ["run": summary]
                case .alreadyRan:
                    throw DomainError(.conflict, code: "automation.alreadyRan", message: "automation already ran for \(date)",
                                      problems: [FieldProblem(pointer: "/date", reason: "already ran", code: "duplicate")])
                case .busy:
                    throw DomainError(.conflict, code: "automation.inProgress",
                                      message: "another billing automation run of this practice is in progress; try again in a moment")
                }
            },
            LedgerlineMethod(
                "automation.runs",
                summary: "Billing automation's recent runs, newest first, with what each did and what it could not do.",
                params: .object(["limit?": Schemas.limit]),
                result: .object(["items": .array(summarySchema, maxItems: nil)]), errors: memberErrors, policy: readers
            ) { (params: RunsParams, context) in
                let automation = BillingAutomation(runtime: context.services.plugins, configuration: context.services.claims)
                return ["items": try await automation.runs(limit: params.limit ?? 30, in: context.transaction).map(\.summary)]
            },
        ]
    }
}
