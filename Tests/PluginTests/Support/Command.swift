import Foundation
import Storage

/// Runs a program to completion on a thread of its own, so its blocking `waitpid` holds neither
/// one of the few threads Swift concurrency runs every test on (2 on a 2-core machine) nor a
/// Dispatch worker, which the plugin host's call timers need; timeout tests running alongside
/// would otherwise see their timers fire late.
enum Command {
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try ChildProcess.run(executable, arguments) })
            }
        }
    }
}
