import Foundation
import PostgresNIO

/// Connection facts parsed from a `postgres://` URL.
///
/// Accepts `postgres://user:password@host:port/database` and the libpq socket form
/// `postgres://user@/database?host=/path/to/socket-directory`.
public struct DatabaseURL: Sendable, Hashable {
    public var username: String
    public var password: String?
    public var host: String?
    public var port: Int
    public var socketDirectory: String?
    public var database: String
    /// Reported to the server as `application_name` (visible in `pg_stat_activity`).
    public var applicationName: String?

    /// Parses `text`; throws ``StorageError`` with a readable reason when it is not a PostgreSQL URL.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
              components.scheme == "postgres" || components.scheme == "postgresql"
        else { throw StorageError.configuration("DATABASE_URL must look like postgres://user:password@host:5432/database") }
        username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        port = components.port ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? username : path
        applicationName = components.queryItems?.first { $0.name == "application_name" }?.value
        let queryHost = components.queryItems?.first { $0.name == "host" }?.value
        if let queryHost, queryHost.hasPrefix("/") {
            socketDirectory = queryHost
            host = nil
        } else {
            host = (components.host?.isEmpty == false ? components.host : nil) ?? queryHost ?? "127.0.0.1"
            socketDirectory = nil
        }
    }

    /// Builds a URL for a Unix-socket connection.
    public init(username: String, password: String? = nil, socketDirectory: String, port: Int = 5432, database: String) {
        self.username = username
        self.password = password
        self.host = nil
        self.port = port
        self.socketDirectory = socketDirectory
        self.database = database
        self.applicationName = nil
    }

    /// The same server and credentials, another user or database.
    public func with(username: String? = nil, password: String?? = nil, database: String? = nil,
                     applicationName: String? = nil) -> DatabaseURL {
        var copy = self
        if let applicationName { copy.applicationName = applicationName }
        if let username { copy.username = username }
        if let password { copy.password = password }
        if let database { copy.database = database }
        return copy
    }

    /// The URL as text, with the password hidden (for logs).
    public var redacted: String {
        let authority = password == nil ? username : "\(username):***"
        if let socketDirectory { return "postgres://\(authority)@/\(database)?host=\(socketDirectory)" }
        return "postgres://\(authority)@\(host ?? "")):\(port)/\(database)"
    }

    /// The URL as text, including the password (for child processes).
    public var text: String {
        var authority = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
        if let password {
            authority += ":" + (password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password)
        }
        if let socketDirectory {
            return "postgres://\(authority)@/\(database)?host=\(socketDirectory)&port=\(port)"
        }
        return "postgres://\(authority)@\(host ?? "127.0.0.1"):\(port)/\(database)"
    }

    /// PostgresNIO client configuration for this URL.
    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = PostgresClient.Configuration(
                unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)", username: username, password: password,
                database: database)
        } else {
            configuration = PostgresClient.Configuration(
                host: host ?? "127.0.0.1", port: port, username: username, password: password, database: database,
                tls: .disable)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        if let applicationName { configuration.options.additionalStartupParameters = [("application_name", applicationName)] }
        return configuration
    }
}
