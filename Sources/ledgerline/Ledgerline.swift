import API
import ArgumentParser
import Billing
import BillingCore
import Foundation
import JSONRPC
import Logging
import PluginAPI
import PluginHost
import Server
import Storage

@main
struct Ledgerline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledgerline",
        abstract: "Billing backend for behavioral-health practices (JSON-RPC 2.0 over HTTP).",
        subcommands: [Serve.self, Migrate.self, PracticeCommand.self, APIKeyCommand.self, PluginsCommand.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by commands that reach the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "A file of KEY=value lines (same keys as the environment).")
    var configFile: String?

    @Option(name: .customLong("data-dir"), help: "Where the embedded cluster lives (LEDGERLINE_DATA_DIR, default .ledgerline).")
    var dataDirectory: String?

    @Option(name: .customLong("database-url"), help: "Application-role URL (DATABASE_URL); omit for the embedded cluster.")
    var databaseURL: String?

    func load() async throws -> ServerConfiguration {
        var configuration = try await ServerConfiguration.load(file: configFile)
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        if let databaseURL { configuration.databaseURL = databaseURL }
        return configuration
    }
}

func makeLogger(_ level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "ledgerline")
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (embedded PostgreSQL unless DATABASE_URL is set).")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Port to listen on (LEDGERLINE_PORT, default 8080).") var port: Int?
    @Option(help: "Address to bind (LEDGERLINE_HOST, default 127.0.0.1).") var host: String?

    func run() async throws {
        var configuration = try await database.load()
        if let port { configuration.port = port }
        if let host { configuration.host = host }
        let logger = makeLogger(configuration.logLevel)
        try await LedgerlineServer.run(configuration: configuration, logger: logger)
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations as the owner role (LEDGERLINE_MIGRATE_URL, or --owner-url).")

    @Option(name: .customLong("owner-url"), help: "The owner role's URL (default: LEDGERLINE_MIGRATE_URL, then DATABASE_URL).")
    var ownerURL: String?
    @Option(name: .customLong("app-role"), help: "The application role migrations grant to.") var appRole = "ledgerline_app"
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = try await database.load()
        let logger = makeLogger(configuration.logLevel)
        let environment = ProcessInfo.processInfo.environment
        if let text = ownerURL ?? environment["LEDGERLINE_MIGRATE_URL"] ?? configuration.databaseURL {
            let applied = try await MigrationRunner(logger: logger).migrate(ownerURL: try DatabaseURL(text), appRole: appRole)
            print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
        } else {
            let cluster = EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: configuration.dataDirectory), logger: logger)
            let endpoints = try await cluster.start()
            defer { cluster.stop() }
            let applied = try await MigrationRunner(logger: logger).migrate(ownerURL: endpoints.owner, appRole: appRole)
            print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
        }
    }
}

/// Runs `body` against the configured database (starting the embedded cluster if needed).
func withDatabase<Result: Sendable>(_ options: DatabaseOptions, _ body: @escaping @Sendable (Database, Logger) async throws -> Result)
    async throws -> Result
{
    let configuration = try await options.load()
    let logger = makeLogger(configuration.logLevel == .info ? .warning : configuration.logLevel)
    var cluster: EmbeddedPostgres?
    let url: DatabaseURL
    if let text = configuration.databaseURL {
        url = try DatabaseURL(text)
    } else {
        let embedded = EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: configuration.dataDirectory), logger: logger)
        let endpoints = try await embedded.start()
        try await MigrationRunner(logger: logger).migrate(ownerURL: endpoints.owner)
        cluster = embedded
        url = endpoints.application
    }
    defer { cluster?.stop() }
    let database = Database(url: url, maximumConnections: 2, logger: logger)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await database.run()
            return nil
        }
        let result = try await body(database, logger)
        group.cancelAll()
        return result
    }
}

/// Reads `--json` as inline JSON or `@path`.
func readJSONArgument(_ argument: String) throws -> JSONValue {
    let text = argument.hasPrefix("@")
        ? try String(contentsOfFile: String(argument.dropFirst()), encoding: .utf8) : argument
    do {
        return try JSONParser.parse(Array(text.utf8))
    } catch {
        throw ValidationError("--json is not valid JSON: \(error.description)")
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try RPCCoding.encode(value), as: UTF8.self))
}

struct PracticeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "practice", abstract: "Manage practices.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a practice and its owner; prints the owner's first API key (shown once).",
            discussion: "--json takes the same object as the practice.create method, inline or as @file.")

        @Option(help: "practice.create params as JSON, or @file.") var json: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let params = try readJSONArgument(json)
            guard let method = LedgerlineAPI.registry()["practice.create"] else { return }
            let problems = method.params.validate(params)
            guard problems.isEmpty else {
                throw ValidationError(problems.map { "\($0.pointer.isEmpty ? "params" : $0.pointer): \($0.reason)" }
                    .joined(separator: "\n"))
            }
            let input = try RPCCoding.decode(NewPractice.self, from: params)
            let created = try await withDatabase(database) { database, _ in
                try await database.withTransaction { transaction in
                    try await TenancyService().createPractice(input, in: transaction)
                }
            }
            print("practice: \(created.practice.id)")
            print("owner:    \(created.owner.id) (\(created.owner.email))")
            print("api key:  \(created.secret)")
        }
    }
}

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apikey", abstract: "Manage API keys.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue an API key for a member; prints the secret once.")

        @Option(help: "The practice id (prc_…).") var practice: String
        @Option(help: "The member id (mem_…).") var member: String
        @Option(help: "A name to tell the key apart.") var name = "CLI key"
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard let practiceID = PracticeID(practice) else { throw ValidationError("--practice must be a prc_ id") }
            guard let memberID = MemberID(member) else { throw ValidationError("--member must be a mem_ id") }
            let name = self.name
            let (key, secret) = try await withDatabase(database) { database, _ in
                try await database.withTenant(practiceID) { transaction in
                    try await TenancyService().createKey(for: memberID, name: name, practiceID: practiceID, in: transaction)
                }
            }
            print("api key:  \(key.id)")
            print("secret:   \(secret)")
        }
    }
}

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plugins", abstract: "Inspect plugin files.",
                                                    subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a plugin's manifest, or the reason this server would refuse it.",
            discussion: "With --settings, also validates the global settings and creates the plugin once.")

        @Argument(help: "The plugin's shared library (.so).") var path: String
        @Option(help: "Global settings as JSON, or @file.") var settings: String?

        func run() throws {
            do {
                let manifest = try PluginLoader.inspect(path: path)
                if let settings {
                    let text = settings.hasPrefix("@")
                        ? try String(contentsOfFile: String(settings.dropFirst()), encoding: .utf8) : settings
                    let json = try PluginJSON(parsing: Data(text.utf8))
                    _ = try PluginLoader.load(PluginConfigurationEntry(name: manifest.name, path: path, settings: json))
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(manifest), as: UTF8.self))
            } catch let error as PluginLoadError {
                FileHandle.standardError.write(Data("refused: \(error)\n".utf8))
                throw ExitCode(1)
            } catch let error as PluginError {
                FileHandle.standardError.write(Data("refused: --settings \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
