// x12-bench: how fast Writer837P turns claim snapshots into 837P text.
// Writes 10,000 claims as five 2,000-claim files (the submission worker's batch size), five
// times, and prints the median claims per second and MB per second. Run in release:
//   swift build -c release --scratch-path .build-release --product x12-bench
//   .build-release/release/x12-bench [claims] [rounds]
import BillingCore
import X12

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let claimCount = arguments.first ?? 10_000
let rounds = arguments.dropFirst().first ?? 5
let claimsPerFile = 2_000

let address = ClaimSnapshot.PostalAddress(line1: "1200 Harbor Blvd", line2: "Suite 300", city: "Portland",
                                          state: "OR", postalCode: "972011234")
let providers = (0..<10).map { index in
    ClaimSnapshot.BillingProvider(
        name: index % 2 == 0 ? .organization("Riverbend Counseling Group \(index)")
            : .person(.init(last: "Okafor", first: "Adaeze\(index)")),
        npi: "1987654328", taxonomyCode: "261QM0801X", taxID: "123456789", taxIDKind: .ein, address: address,
        phone: "5035550100")
}
let payer = ClaimSnapshot.Payer(name: "Cascade Health Plan", payerID: "CHP01")
let rendering = ClaimSnapshot.Clinician(name: .init(last: "Lindqvist", first: "Maja"), npi: "1558598797",
                                        taxonomyCode: "101YP2500X")
let codes = ["90791", "90834", "90837", "90847", "90853"]
let firstDate = CalendarDate(year: 2026, month: 1, day: 5)!

let claims: [ClaimSnapshot] = (0..<claimCount).map { index in
    let subscriber = ClaimSnapshot.Subscriber(
        name: .init(last: "Client\(index / 3)", first: "Jordan"), memberID: "M\(100_000 + index / 3)",
        groupNumber: "G77", dateOfBirth: CalendarDate(year: 1980 + index % 30, month: 1 + index % 12, day: 1 + index % 28)!,
        sex: index % 2 == 0 ? .female : .male, address: address)
    let lineCount = 1 + index % 4
    let lines = (0..<lineCount).map { number in
        ClaimSnapshot.Line(procedureCode: codes[(index + number) % codes.count], modifiers: index % 3 == 0 ? ["95"] : [],
                           chargeCents: 15_000 + Int64(number * 1_025), diagnosisPointers: [1, 2],
                           dateOfService: firstDate.adding(days: (index + number * 7) % 300),
                           lineControlNumber: "L\(index)N\(number)")
    }
    return ClaimSnapshot(
        billingProvider: providers[index % providers.count], renderingProvider: rendering, subscriber: subscriber,
        payer: payer, patientControlNumber: "LL\(index)", placeOfService: index % 3 == 0 ? "10" : "11",
        diagnosisCodes: ["F41.1", "F33.1"], lines: lines)
}

let writer = Writer837P()
var samples: [Double] = []
var bytes = 0
for round in 0..<rounds {
    bytes = 0
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
        var start = 0
        var file = 0
        while start < claims.count {
            let end = min(start + claimsPerFile, claims.count)
            let envelope = InterchangeEnvelope(
                senderID: "LEDGERLINE01", receiverID: "CLAIMMD", interchangeControlNumber: 1 + round * 100 + file,
                groupControlNumber: 1 + file, transactionSetControlNumber: 1,
                submitter: .init(name: "Riverbend", identifier: "SUB1", contactName: "Dana Wu", phone: "5035550100"),
                receiverName: "Claim.MD", creationDate: firstDate, creationHour: 9, creationMinute: 5, usage: .production)
            bytes += try writer.write(Array(claims[start..<end]), envelope: envelope).utf8.count
            start = end
            file += 1
        }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    samples.append(seconds)
}
samples.sort()
let median = samples[samples.count / 2]
let claimsPerSecond = Int(Double(claimCount) / median)
let megabytesPerSecond = Double(bytes) / 1e6 / median
print("x12-bench: \(claimCount) claims (\(bytes) bytes) in \(rounds) rounds; median \(Int(median * 1000)) ms")
print("x12-bench: \(claimsPerSecond) claims/s, \((megabytesPerSecond * 10).rounded() / 10) MB/s")
