import PostgresNIO

/// Failures of the storage layer that callers act on.
public enum StorageError: Error, Sendable, CustomStringConvertible {
    /// A configuration problem a person must fix (bad URL, wrong role).
    case configuration(String)
    /// A unique constraint was violated (the constraint name says which).
    case uniqueViolation(constraint: String)
    /// A foreign key pointed at a row that does not exist in this practice.
    case foreignKeyViolation(constraint: String)
    /// A check constraint refused the row.
    case checkViolation(constraint: String)
    /// A serialization or deadlock failure; the transaction may be retried.
    case retryable(String)
    /// A lock could not be taken within the transaction's lock timeout.
    case lockTimeout
    /// The transaction had no practice set (a programming error, failing closed).
    case noTenant
    /// Migrations are missing, edited or out of order.
    case migration(String)
    /// The embedded PostgreSQL cluster could not be managed.
    case embedded(String)

    public var description: String {
        switch self {
        case .configuration(let reason): return "configuration: \(reason)"
        case .uniqueViolation(let constraint): return "unique violation: \(constraint)"
        case .foreignKeyViolation(let constraint): return "foreign key violation: \(constraint)"
        case .checkViolation(let constraint): return "check violation: \(constraint)"
        case .retryable(let reason): return "retryable: \(reason)"
        case .lockTimeout: return "lock timeout"
        case .noTenant: return "no practice set for the transaction"
        case .migration(let reason): return "migration: \(reason)"
        case .embedded(let reason): return "embedded PostgreSQL: \(reason)"
        }
    }

    /// Maps a PostgreSQL error to a ``StorageError`` where one applies; otherwise returns `nil`.
    public static func classify(_ error: any Error) -> StorageError? {
        if let storage = error as? StorageError { return storage }
        guard let psql = error as? PSQLError, let info = psql.serverInfo, let state = info[.sqlState] else { return nil }
        let constraint = info[.constraintName] ?? ""
        switch state {
        case "23505": return .uniqueViolation(constraint: constraint)
        case "23503": return .foreignKeyViolation(constraint: constraint)
        case "23514": return .checkViolation(constraint: constraint)
        case "40001", "40P01": return .retryable(state)
        case "LL001": return .noTenant
        case "55P03": return .lockTimeout
        default: return nil
        }
    }
}
