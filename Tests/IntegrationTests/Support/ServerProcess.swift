import Foundation
import JSONRPC
import StandIns
import Synchronization
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The real `ledgerline serve` binary as a child process, for tests that kill it (SIGKILL) and
/// start it again against the same database.
final class ServerProcess: Sendable {
    let port: Int
    let environment: [String: String]
    let logPath: String
    private let processID = Mutex<pid_t>(0)

    init(environment: [String: String]) {
        port = Self.freePort()
        self.environment = environment
        logPath = NSTemporaryDirectory() + "ledgerline-server-\(UUID().uuidString.prefix(8)).log"
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the binary and waits until `/health/ready` answers.
    func start() async throws {
        let binary = BuiltProducts.binPath + "/ledgerline"
        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        let arguments = [binary, "serve", "--port", String(port)]
        let log = logPath
        let finalVariables = variables
        let pid = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<pid_t, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.spawn(arguments, environment: finalVariables, log: log) })
            }
        }
        processID.withLock { $0 = pid }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let (_, status) = try? await get("/health/ready"), status == 200 { return }
            if kill(pid, 0) != 0 { throw TestSetupError("ledgerline exited during start:\n\(self.log())") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("ledgerline did not become ready:\n\(self.log())")
    }

    /// SIGKILL: no graceful shutdown, in-flight work dies mid-call.
    func killHard() {
        let pid = processID.withLock { current -> pid_t in
            defer { current = 0 }
            return current
        }
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    /// SIGTERM and wait.
    func stop() {
        let pid = processID.withLock { current -> pid_t in
            defer { current = 0 }
            return current
        }
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// One JSON-RPC call over HTTP.
    func call(_ method: String, _ params: JSONValue = [:], key: String) async throws -> JSONValue {
        var request = URLRequest(url: URL(string: baseURL + "/rpc")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params]
        request.httpBody = Data(JSONWriter.encode(body))
        request.timeoutInterval = 60
        let (data, _) = try await URLSession.shared.data(for: request)
        return try JSONParser.parse(Array(data))
    }

    private func get(_ path: String) async throws -> (Data, Int) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.timeoutInterval = 2
        let (data, response) = try await URLSession.shared.data(for: request)
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    private static func spawn(_ arguments: [String], environment: [String: String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        guard result == 0 else { throw TestSetupError("cannot start \(arguments[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    private static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
