import Dispatch
import Storage

/// Runs a program to completion on a Dispatch thread, so its blocking `waitpid` never holds one of
/// the few threads Swift concurrency runs every test on (2 on a 2-core machine); timeout tests
/// running alongside would otherwise see their timers starve.
enum Command {
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try ChildProcess.run(executable, arguments) })
            }
        }
    }
}
