import BillingCore
import Testing

@Suite struct DomainErrorTests {
    @Test func notFoundNamesTheEntityAndPointsAtTheID() {
        let error = DomainError.notFound("bill")
        #expect(error.kind == .notFound)
        #expect(error.code == "bill.notFound")
        #expect(error.message == "bill not found")
        #expect(error.problems == [FieldProblem(pointer: "/id", reason: "no such bill", code: "notFound")])
    }

    @Test func notFoundCanPointAtAnotherField() {
        #expect(DomainError.notFound("client", pointer: "/clientId").problems.map(\.pointer) == ["/clientId"])
    }

    @Test func staleVersionIsAConflictPointingAtTheVersion() {
        let error = DomainError.staleVersion("practice")
        #expect(error.kind == .conflict)
        #expect(error.code == "practice.staleVersion")
        #expect(error.message == "practice was changed by someone else; reload it and try again")
        #expect(error.problems == [FieldProblem(pointer: "/version", reason: "does not match the current version",
                                                code: "stale")])
    }

    @Test func validationCarriesEveryProblem() {
        let problems = [FieldProblem(pointer: "/a", reason: "is wrong"), FieldProblem(pointer: "/b", reason: "too", code: "x")]
        let error = DomainError.validation(problems)
        #expect(error.kind == .validation)
        #expect(error.code == "validation")
        #expect(error.message == "invalid params")
        #expect(error.problems == problems)
    }

    @Test func invalidIsAValidationErrorWithOneProblem() {
        let error = DomainError.invalid("/npi", "fails the check digit", code: "format")
        #expect(error == .validation([FieldProblem(pointer: "/npi", reason: "fails the check digit", code: "format")]))
    }

    @Test func fieldProblemCodeDefaultsToInvalid() {
        #expect(FieldProblem(pointer: "/x", reason: "bad").code == "invalid")
        #expect(DomainError.invalid("/x", "bad").problems.first?.code == "invalid")
    }

    @Test func descriptionJoinsKindCodeAndMessage() {
        #expect(DomainError.notFound("bill").description == "notFound: bill.notFound: bill not found")
    }

    @Test func kindsHaveDistinctRawValues() {
        let kinds: [DomainError.Kind] = [.unauthenticated, .forbidden, .notFound, .conflict, .validation,
                                         .idempotencyMismatch, .idempotencyInProgress, .notConfigured]
        #expect(Set(kinds.map(\.rawValue)).count == kinds.count)
        #expect(DomainError.Kind.idempotencyMismatch.description == "idempotencyMismatch")
    }

    @Test func customKindsCompareByRawValue() {
        #expect(DomainError.Kind("rateLimited") == DomainError.Kind("rateLimited"))
        #expect(DomainError.Kind("conflict") == .conflict)
    }
}
