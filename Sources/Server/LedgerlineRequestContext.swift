import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the peer address.
public struct LedgerlineRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address as text, for logs and throttling.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}
