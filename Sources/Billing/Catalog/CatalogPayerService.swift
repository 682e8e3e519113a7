import BillingCore
import Foundation
import Storage

/// Use cases for the global payer catalog (read-only for practices).
public struct PayerService: Sendable {
    let payers = PayerRepository()

    /// Creates the use cases.
    public init() {}

    /// The payer with `id`, active or not.
    /// - Parameter pointer: the field that named the payer, for the not-found error.
    public func payer(_ id: PayerID, pointer: String = "/id", in transaction: Transaction) async throws -> Payer {
        guard let payer = try await payers.find(id, in: transaction) else {
            throw DomainError.notFound("payer", pointer: pointer)
        }
        return payer
    }

    /// A page of active payers matching `query` (case-insensitive, on name or clearinghouse payer id),
    /// ordered by name then id.
    public func search(_ query: String?, after cursor: PayerID?, limit: Int, in transaction: Transaction) async throws
        -> Page<Payer>
    {
        var last: Payer? = nil
        if let cursor {
            guard let found = try await payers.find(cursor, in: transaction) else {
                throw DomainError.invalid("/cursor", "is not a cursor returned by this method")
            }
            last = found
        }
        let trimmed = query?.trimmingCharacters(in: .whitespaces)
        return try await payers.search(trimmed?.isEmpty == true ? nil : trimmed, after: last, limit: limit, in: transaction)
    }
}
