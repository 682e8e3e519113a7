import Foundation
import Logging
import PostgresNIO

/// A private PostgreSQL cluster the server manages itself: the default when no `DATABASE_URL` is set.
///
/// The cluster lives under `<dataDirectory>/pg`, listens only on a Unix socket (mode 0700), and
/// is initialized on first use with the system's `initdb`. PostgreSQL refuses to run as root, so
/// when the server is root the cluster runs as the unprivileged OS user `ledgerline`, which owns
/// the data folder.
public final class EmbeddedPostgres: Sendable {
    /// The URLs for the three roles: bootstrap superuser, migration owner, application.
    public struct Endpoints: Sendable {
        public let admin: DatabaseURL
        public let owner: DatabaseURL
        public let application: DatabaseURL
    }

    public let dataDirectory: URL
    let logger: Logger
    let osUser = "ledgerline"
    let startedByUs = LockedFlag()

    /// Creates a manager for the cluster under `dataDirectory`.
    public init(dataDirectory: URL, logger: Logger) {
        self.dataDirectory = dataDirectory.standardizedFileURL
        self.logger = logger
    }

    var clusterDirectory: URL { dataDirectory.appendingPathComponent("pg") }
    var isRoot: Bool { geteuid() == 0 }

    /// The directory holding the server's Unix socket (short enough for the 107-byte socket path limit).
    var socketDirectory: String {
        let preferred = dataDirectory.appendingPathComponent("run").path
        if preferred.utf8.count < 80 { return preferred }
        var hash: UInt64 = 1_469_598_103_934_665_603
        for byte in dataDirectory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return "/tmp/ledgerline-\(String(hash, radix: 36))"
    }

    /// Initializes (first run) and starts the cluster, creates roles and the database, and returns how to reach it.
    public func start() async throws -> Endpoints {
        let binaries = try Self.findBinaries()
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        if isRoot { try prepareOSUser() }
        let versionFile = clusterDirectory.appendingPathComponent("PG_VERSION")
        if !FileManager.default.fileExists(atPath: versionFile.path) {
            try FileManager.default.createDirectory(at: clusterDirectory, withIntermediateDirectories: true)
            try ownForCluster(clusterDirectory.path)
            try setPermissions(clusterDirectory.path, mode: 0o700)
            logger.info("initializing embedded PostgreSQL cluster", metadata: ["path": "\(clusterDirectory.path)"])
            try runAsClusterUser(binaries + "/initdb", ["-D", clusterDirectory.path, "-U", "postgres", "--auth=trust",
                                                        "--encoding=UTF8", "--no-locale", "--no-instructions"])
        }
        let socket = socketDirectory
        try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true)
        try ownForCluster(socket)
        try setPermissions(socket, mode: 0o700)
        let logFile = dataDirectory.appendingPathComponent("pg.log").path
        if !FileManager.default.fileExists(atPath: logFile) { FileManager.default.createFile(atPath: logFile, contents: nil) }
        try ownForCluster(logFile)
        let running = (try? runAsClusterUser(binaries + "/pg_ctl", ["status", "-D", clusterDirectory.path])) != nil
        if !running {
            logger.info("starting embedded PostgreSQL", metadata: ["socket": "\(socket)"])
            try runAsClusterUser(binaries + "/pg_ctl", [
                "start", "-D", clusterDirectory.path, "-w", "-t", "60", "-l", logFile, "-o",
                "-c listen_addresses='' -c unix_socket_directories='\(socket)' -c unix_socket_permissions=0700 -p 5432 -c max_connections=200",
            ])
            startedByUs.set(true)
        }
        let admin = DatabaseURL(username: "postgres", socketDirectory: socket, database: "postgres")
        try await Bootstrap.ensureRolesAndDatabase(adminURL: admin, database: "ledgerline", logger: logger)
        return Endpoints(admin: admin,
                         owner: admin.with(username: "ledgerline_owner", database: "ledgerline"),
                         application: admin.with(username: "ledgerline_app", database: "ledgerline"))
    }

    /// Stops the cluster if this process started it.
    public func stop() {
        guard startedByUs.value, let binaries = try? Self.findBinaries() else { return }
        logger.info("stopping embedded PostgreSQL")
        _ = try? runAsClusterUser(binaries + "/pg_ctl", ["stop", "-D", clusterDirectory.path, "-m", "fast", "-w"])
        startedByUs.set(false)
    }

    /// The directory holding `initdb` and `pg_ctl`: `LEDGERLINE_PG_BIN`, the newest
    /// `/usr/lib/postgresql/*/bin`, or `PATH`.
    public static func findBinaries() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["LEDGERLINE_PG_BIN"], !configured.isEmpty { return configured }
        let root = "/usr/lib/postgresql"
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: root) {
            for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
                let bin = "\(root)/\(version)/bin"
                if FileManager.default.isExecutableFile(atPath: bin + "/initdb") { return bin }
            }
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(directory)/initdb") { return String(directory) }
        }
        throw StorageError.embedded("PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql (make deps) or set LEDGERLINE_PG_BIN")
    }

    private func prepareOSUser() throws {
        if (try? run("/usr/bin/id", ["-u", osUser])) == nil {
            logger.info("creating OS user for the embedded cluster", metadata: ["user": "\(osUser)"])
            try run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", osUser])
        }
        // Every parent folder must be traversable by that user.
        var path = dataDirectory.path
        while path != "/" && !path.isEmpty {
            if (try? run("/usr/sbin/runuser", ["-u", osUser, "--", "/usr/bin/test", "-x", path])) == nil {
                throw StorageError.embedded("the folder \(path) cannot be entered by the OS user \(osUser) that runs PostgreSQL; set LEDGERLINE_DATA_DIR to a folder under /var/lib or /tmp")
            }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    private func ownForCluster(_ path: String) throws {
        guard isRoot else { return }
        try run("/bin/chown", ["-R", "\(osUser):\(osUser)", path])
    }

    private func setPermissions(_ path: String, mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @discardableResult
    private func runAsClusterUser(_ executable: String, _ arguments: [String]) throws -> String {
        if isRoot { return try run("/usr/sbin/runuser", ["-u", osUser, "--", executable] + arguments) }
        return try run(executable, arguments)
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        do {
            return try ChildProcess.run(executable, arguments)
        } catch let failure as ChildProcess.Failure {
            throw StorageError.embedded("\((executable as NSString).lastPathComponent) \(arguments.first ?? "") failed (\(failure.status)): \(failure.output.suffix(800))")
        }
    }
}

/// Creates the owner and application roles and the database when they are missing.
public enum Bootstrap {
    /// Idempotently creates `ledgerline_owner`, `ledgerline_app` (no superuser, no BYPASSRLS) and `database`.
    public static func ensureRolesAndDatabase(adminURL: DatabaseURL, database: String, ownerPassword: String? = nil,
                                              appPassword: String? = nil, logger: Logger) async throws {
        try await SingleConnection.with(adminURL, logger: logger) { connection in
            // Role changes are cluster-wide catalog updates; two bootstraps at once (several instances or
            // parallel tests) would fail with "tuple concurrently updated", so they take turns.
            try await connection.query("select pg_advisory_lock(\(Self.lockKey))", logger: logger)
            // The owner runs migrations, which must see every practice's rows (e.g. to validate a new
            // foreign key on FORCEd tables), so it bypasses RLS; the application role never does.
            for (role, password, bypass) in [("ledgerline_owner", ownerPassword, true), ("ledgerline_app", appPassword, false)] {
                let rls = bypass ? "bypassrls" : "nobypassrls"
                let existing = try await connection.query(
                    "select rolbypassrls from pg_roles where rolname = \(role)", logger: logger)
                var current: Bool? = nil
                for try await value in existing.decode(Bool.self) { current = value }
                if let current {
                    if current != bypass {
                        try await connection.query(PostgresQuery(unsafeSQL: "alter role \(role) \(rls)"), logger: logger)
                    }
                } else {
                    let passwordClause = password.map { " password '\($0.replacingOccurrences(of: "'", with: "''"))'" } ?? ""
                    try await connection.query(PostgresQuery(unsafeSQL:
                        "create role \(role) login nosuperuser \(rls) nocreatedb nocreaterole\(passwordClause)"), logger: logger)
                }
            }
            let databases = try await connection.query("select 1 from pg_database where datname = \(database)", logger: logger)
            var found = false
            for try await _ in databases { found = true }
            if !found {
                let quoted = "\"" + database.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                try await connection.query(PostgresQuery(unsafeSQL: "create database \(quoted) owner ledgerline_owner"), logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "revoke all on database \(quoted) from public"), logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "grant connect on database \(quoted) to ledgerline_app"), logger: logger)
            }
            try await connection.query("select pg_advisory_unlock(\(Self.lockKey))", logger: logger)
        }
    }

    /// The advisory lock that serializes bootstraps (`boot` in ASCII).
    static let lockKey: Int64 = 0x62_6F_6F_74
}

/// A thread-safe boolean.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool { lock.withLock { flag } }
    func set(_ newValue: Bool) { lock.withLock { flag = newValue } }
}
