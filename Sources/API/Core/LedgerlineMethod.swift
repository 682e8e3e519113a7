import BillingCore
import JSONRPC

/// A Ledgerline method: typed params and result, schema, and role rule in one declaration.
public typealias LedgerlineMethod = RPCMethod<CallContext, Access>

/// Params for methods that take none.
public struct NoParams: Decodable, Sendable {}

/// Params of methods that take a single `id`.
struct IDParams<ID: EntityID>: Decodable, Sendable { let id: ID }

/// Decodes the `cursor` of a list method into the id type it encodes.
func decodeCursor<ID: EntityID>(_ cursor: String?, as type: ID.Type) throws -> ID? {
    guard let cursor else { return nil }
    guard let id = ID(cursor) else { throw DomainError.invalid("/cursor", "is not a cursor returned by this method") }
    return id
}

/// Standard documented errors for member methods.
let memberErrors: [RPCErrorDoc] = [
    RPCErrorDoc(code: -32001, message: "Unauthenticated"), RPCErrorDoc(code: -32003, message: "Forbidden"),
    RPCErrorDoc(code: -32602, message: "Invalid params"), RPCErrorDoc(code: -32029, message: "Too many requests"),
]
let lookupErrors = memberErrors + [RPCErrorDoc(code: -32004, message: "Not found")]
let updateErrors = lookupErrors + [RPCErrorDoc(code: -32009, message: "Conflict")]
