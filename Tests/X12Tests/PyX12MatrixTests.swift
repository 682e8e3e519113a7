import BillingCore
import Foundation
import Storage
import Testing
import X12

/// Every 837P the writer produces passes pyx12's 005010X222A1 validation (ARCHITECTURE.md §10).
///
/// pyx12 lives in `<repo>/.venv`, installed by `scripts/deps.sh`. Its exit status is always 1,
/// so the verdict is its `FILE: OK` / `FILE: Failure` line (../shared/domain/x12-tools.md §2).
@Suite struct PyX12MatrixTests {
    /// One cell of the matrix.
    struct Case: CustomTestStringConvertible, Sendable {
        var subscriberIsPatient: Bool
        var organizationBills: Bool
        var renderingDiffers: Bool
        var supervised: Bool
        var placeOfService: String
        var lineCount: Int
        var frequency: ClaimSnapshot.Frequency
        var priorAuthorization: Bool
        var index: Int

        var testDescription: String {
            "\(index): \(subscriberIsPatient ? "self" : "child") \(organizationBills ? "org" : "solo")"
                + "\(renderingDiffers ? " rendering" : "")\(supervised ? " supervised" : "") POS \(placeOfService)"
                + " \(lineCount) lines freq \(frequency.code)\(priorAuthorization ? " auth" : "")"
        }

        var claim: ClaimSnapshot {
            let telehealth = placeOfService != "11"
            var lines: [ClaimSnapshot.Line] = []
            for number in 0..<lineCount {
                let service = ClaimFixtures.services[(index + number) % ClaimFixtures.services.count]
                lines.append(ClaimSnapshot.Line(
                    procedureCode: service.code, modifiers: (telehealth ? ["95"] : []) + service.modifiers,
                    chargeCents: service.chargeCents, units: 1 + number % 2,
                    placeOfService: number == 2 ? "11" : nil,
                    diagnosisPointers: Array([1, 2, 3, 4].prefix(1 + number % 4)),
                    dateOfService: ClaimFixtures.dateOfService.adding(days: number * 7),
                    lineControlNumber: "LN\(index)X\(number)"))
            }
            return ClaimSnapshot(
                billingProvider: organizationBills ? ClaimFixtures.organization : ClaimFixtures.soloClinician,
                payToAddress: index % 5 == 0
                    ? .init(line1: "PO Box 88", city: "Portland", state: "OR", postalCode: "972080088") : nil,
                renderingProvider: renderingDiffers ? ClaimFixtures.associate : nil,
                supervisingProvider: supervised ? ClaimFixtures.supervisor : nil,
                serviceFacility: index % 4 == 1
                    ? .init(name: "Riverbend Eastside Clinic", npi: index % 8 == 1 ? "1765432103" : nil,
                            address: .init(line1: "800 NE Couch St", city: "Portland", state: "OR", postalCode: "97232"))
                    : nil,
                subscriber: ClaimFixtures.subscriber(),
                patient: subscriberIsPatient ? nil : ClaimFixtures.child,
                payer: ClaimFixtures.payer,
                patientControlNumber: "LL\(String(index, radix: 36).uppercased())A\(lineCount)",
                placeOfService: placeOfService,
                frequency: frequency,
                priorAuthorizationNumber: priorAuthorization ? "PA-2026-\(index)" : nil,
                diagnosisCodes: ["F41.1", "F33.1", "Z63.0", "F43.10", "F90.2"],
                lines: lines)
        }
    }

    /// patient × billing provider × rendering × supervision × place of service (48 cells), with
    /// line count (1–6), frequency (1/7/8) and prior authorization cycling through them.
    static let matrix: [Case] = {
        var cases: [Case] = []
        for subscriberIsPatient in [true, false] {
            for organizationBills in [true, false] {
                for renderingDiffers in [false, true] {
                    for supervised in [false, true] {
                        for placeOfService in ["11", "02", "10"] {
                            let index = cases.count
                            let frequencies: [ClaimSnapshot.Frequency] = [
                                .original, .replacement(payerClaimNumber: "PCN\(index)2026"),
                                .void(payerClaimNumber: "PCN\(index)2026"),
                            ]
                            cases.append(Case(
                                subscriberIsPatient: subscriberIsPatient, organizationBills: organizationBills,
                                renderingDiffers: renderingDiffers, supervised: supervised,
                                placeOfService: placeOfService, lineCount: 1 + index % 6,
                                frequency: frequencies[(index / 2) % 3], priorAuthorization: (index / 3) % 2 == 1,
                                index: index))
                        }
                    }
                }
            }
        }
        return cases
    }()

    @Test(arguments: matrix)
    func everyMatrixClaimPassesPyX12(_ testCase: Case) async throws {
        let file = try Writer837P().write([testCase.claim], envelope: ClaimFixtures.envelope(interchange: 100 + testCase.index))
        try await expectPyX12Accepts(file, name: "case\(testCase.index)")
    }

    @Test func theWholeMatrixInOneFilePassesPyX12() async throws {
        let claims = Self.matrix.map(\.claim)
        let file = try Writer837P().write(claims, envelope: ClaimFixtures.envelope(interchange: 999_999_999, group: 42, transaction: 7))
        try await expectPyX12Accepts(file, name: "all")
    }

    @Test func aFileWithOtherDelimitersAndLineBreaksPassesPyX12() async throws {
        let delimiters = X12Delimiters(element: "|", component: ">", repetition: "^", segment: "~", segmentSuffix: "\n")
        let claim = Self.matrix[7].claim
        let file = try Writer837P(delimiters: delimiters).write([claim], envelope: ClaimFixtures.envelope())
        try await expectPyX12Accepts(file, name: "delimiters")
    }

    @Test func theCheckNoticesWhatPyX12Rejects() async throws {
        let file = try Writer837P().write([Self.matrix[0].claim], envelope: ClaimFixtures.envelope())
        let broken = file.replacingOccurrences(of: "~SE*", with: "~SE*9")  // wrong SE01 count
        let verdict = try await runPyX12(broken, name: "broken")
        #expect(!verdict.accepted)
        #expect(verdict.errors.contains { $0.contains("SE count") })
    }

    // MARK: - Running pyx12

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func expectPyX12Accepts(_ file: String, name: String) async throws {
        let verdict = try await runPyX12(file, name: name)
        #expect(verdict.accepted && verdict.errors.isEmpty,
                "pyx12 rejected \(name):\n\(verdict.output)\n--- file ---\n\(file.prefix(4000))")
    }

    /// Writes `file` to a temporary folder, runs `x12valid -q` on it and reads the verdict line.
    private func runPyX12(_ file: String, name: String) async throws -> (accepted: Bool, errors: [String], output: String) {
        let validator = Self.repositoryRoot.appendingPathComponent(".venv/bin/x12valid").path
        guard FileManager.default.isExecutableFile(atPath: validator) else {
            throw PyX12Missing(path: validator)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("x12-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("\(name).837").path
        try file.write(toFile: path, atomically: true, encoding: .ascii)
        // LEDGERLINE_X12_KEEP=/some/folder keeps a copy of every file, for reading them by eye.
        if let keep = ProcessInfo.processInfo.environment["LEDGERLINE_X12_KEEP"] {
            try? file.write(toFile: keep + "/\(name).837", atomically: true, encoding: .ascii)
        }
        let output: String
        do {
            output = try await ChildProcess.runDetached(validator, ["-q", path])
        } catch let failure as ChildProcess.Failure {
            output = failure.output  // pyx12 exits 1 whether or not the file is valid
        }
        let lines = output.split(whereSeparator: \.isNewline).map(String.init)
        let errors = lines.filter { $0.contains("ERROR") || $0.contains("Traceback") }
        return (lines.contains("\(path): OK"), errors, output)
    }

    /// Thrown (failing the test, never skipping it) when pyx12 is not installed.
    struct PyX12Missing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "pyx12 is missing: \(path) does not exist. Run scripts/deps.sh (make test does) to install it into .venv."
        }
    }
}
