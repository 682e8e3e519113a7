import Dispatch
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Why a stand-in could not be started.
struct StandInFailure: Error, CustomStringConvertible {
    let description: String
}

/// Starts a Python stand-in script (SMS, Claim.MD) and reads its `READY <port>` line, for the
/// launchers in this target.
enum StandInLauncher {
    struct Launch {
        let processID: pid_t
        let port: Int
        let controlSocket: Int32
    }

    /// Spawns the script with its stdin and stdout on one end of a socket pair (close-on-exec in
    /// this process from the start, so children spawned concurrently by other tests never hold it)
    /// and its stderr in `logPath`, then reads `READY <port>`. The other end stays open in this
    /// process until `stop()`: closing it is the child's end of stdin. Blocks: call it on a thread of its own.
    static func spawn(_ arguments: [String], logPath: String, name: String) throws -> Launch {
        var sockets: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &sockets) == 0 else {
            throw StandInFailure(description: "socketpair failed: \(String(cString: strerror(errno)))")
        }
        let (parentEnd, childEnd) = (sockets[0], sockets[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childEnd, 0)
        posix_spawn_file_actions_adddup2(&actions, childEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var processID: pid_t = 0
        let spawned = posix_spawnp(&processID, arguments[0], &actions, nil, argv, environ)
        close(childEnd)
        guard spawned == 0 else {
            close(parentEnd)
            throw StandInFailure(description: "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }

        if let port = readReadyLine(parentEnd, timeoutMilliseconds: 15_000) {
            // The log was only needed to explain a failed start; the child keeps writing to it unlinked.
            unlink(logPath)
            return Launch(processID: processID, port: port, controlSocket: parentEnd)
        }
        close(parentEnd)
        kill(processID, SIGKILL)
        var status: Int32 = 0
        while waitpid(processID, &status, 0) == -1, errno == EINTR {}
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        unlink(logPath)
        throw StandInFailure(description: "\(name) did not print READY <port>: \(log.suffix(2000))")
    }

    /// Reads one line from `descriptor` and parses `READY <port>`; `nil` on EOF, timeout or anything else.
    static func readReadyLine(_ descriptor: Int32, timeoutMilliseconds: Int) -> Int? {
        var line: [UInt8] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMilliseconds) * 1_000_000
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32((deadline - now) / 1_000_000) + 1)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return nil }
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
            if line.count > 200 { return nil }
        }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 2, words[0] == "READY", let port = Int(words[1]), port > 0 else { return nil }
        return port
    }
}
