// x12-read-bench: how fast Reader835 reads an 835 file and checks that it balances.
// Reads the file's bytes once, decodes them to a String, then times, per round,
// `Reader835.read(text)` followed by `Reader835.balanceProblems` on every transaction set, and
// prints the median MB/s (MB = 10^6 bytes of the file), claims, transaction sets and balance
// problems, then one JSON line for Benchmarks/x12-read/run.sh. Run in release:
//   swift build -c release --scratch-path .build-release --product x12-read-bench
//   .build-release/release/x12-read-bench FILE.835 [rounds]
import Foundation
import X12

let arguments = Array(CommandLine.arguments.dropFirst())
guard let path = arguments.first else {
    FileHandle.standardError.write(Data("usage: x12-read-bench FILE.835 [rounds]\n".utf8))
    exit(2)
}
let rounds = max(1, arguments.dropFirst().first.flatMap { Int($0) } ?? 5)
guard let data = FileManager.default.contents(atPath: path) else {
    FileHandle.standardError.write(Data("x12-read-bench: cannot read \(path)\n".utf8))
    exit(1)
}
let bytes = data.count

let clock = ContinuousClock()
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// Decoding is not part of the timed work (the reader takes a String); it is shown apart.
var text = ""
let decodeSeconds = seconds(clock.measure { text = String(decoding: data, as: UTF8.self) })

struct Outcome: Equatable {
    var transactions = 0
    var claims = 0
    var serviceLines = 0
    var balanceProblems = 0
    var claimPaymentsCents: Int64 = 0
    var warnings = 0
}

var samples: [Double] = []
var outcome = Outcome()
for round in 0..<rounds {
    var current = Outcome()
    let elapsed = try clock.measure {
        let file = try Reader835.read(text)
        current.transactions = file.transactions.count
        current.warnings = file.warnings.count
        for transaction in file.transactions {
            current.claims += transaction.claims.count
            current.claimPaymentsCents += transaction.claimPaymentsTotalCents
            for claim in transaction.claims { current.serviceLines += claim.serviceLines.count }
            current.balanceProblems += Reader835.balanceProblems(transaction).count
        }
    }
    if round > 0 && current != outcome {
        FileHandle.standardError.write(Data("x12-read-bench: round \(round + 1) read something different\n".utf8))
        exit(1)
    }
    outcome = current
    samples.append(seconds(elapsed))
}

let sorted = samples.sorted()
let median = sorted[sorted.count / 2]
let megabytesPerSecond = Double(bytes) / 1e6 / median
let claimsPerSecond = Double(outcome.claims) / median
func rounded(_ value: Double, _ places: Double = 3) -> Double {
    let scale = Foundation.pow(10, places)
    return (value * scale).rounded() / scale
}

func dollars(_ cents: Int64) -> String {
    let sign = cents < 0 ? "-" : ""
    let magnitude = cents.magnitude
    let fraction = magnitude % 100
    return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

print("x12-read-bench: \(path) (\(bytes) bytes), \(rounds) rounds of Reader835.read + balanceProblems")
print("x12-read-bench: rounds (s) \(samples.map { String(format: "%.3f", $0) }.joined(separator: ", ")); "
    + "median \(String(format: "%.3f", median)) s (String decoding apart: \(String(format: "%.3f", decodeSeconds)) s)")
print("x12-read-bench: \(String(format: "%.1f", megabytesPerSecond)) MB/s, \(Int(claimsPerSecond)) claims/s")
print("x12-read-bench: \(outcome.transactions) transaction sets, \(outcome.claims) claims, "
    + "\(outcome.serviceLines) service lines, Σ CLP04 \(dollars(outcome.claimPaymentsCents)), "
    + "\(outcome.balanceProblems) balance problems, \(outcome.warnings) warnings")

let json: [String: Any] = [
    "tool": "ledgerline Reader835",
    "mode": "Reader835.read + Reader835.balanceProblems per transaction set (String decoding not timed)",
    "file": path,
    "bytes": bytes,
    "rounds": rounds,
    "seconds": samples.map { rounded($0, 4) },
    "median_seconds": rounded(median, 4),
    "mb_per_s": rounded(megabytesPerSecond, 2),
    "claims_per_s": Int(claimsPerSecond),
    "transactions": outcome.transactions,
    "claims": outcome.claims,
    "service_lines": outcome.serviceLines,
    "claim_payments_cents": outcome.claimPaymentsCents,
    "balance_problems": outcome.balanceProblems,
    "warnings": outcome.warnings,
    "decode_seconds": rounded(decodeSeconds, 4),
]
let line = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
print(String(decoding: line, as: UTF8.self))
