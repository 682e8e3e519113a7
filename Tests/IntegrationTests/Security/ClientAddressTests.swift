import Server
import Testing

/// Which address sign-in throttling counts: X-Forwarded-For only from a trusted proxy.
@Suite struct ClientAddressTests {
    @Test func forwardedForIsBelievedOnlyFromATrustedProxy() {
        let proxies: Set<String> = ["10.0.0.5"]
        #expect(HTTPRoutes.clientAddress(peer: "203.0.113.9", forwardedFor: "198.51.100.1", trustedProxies: proxies)
            == "203.0.113.9")
        #expect(HTTPRoutes.clientAddress(peer: "10.0.0.5", forwardedFor: "198.51.100.1", trustedProxies: proxies)
            == "198.51.100.1")
        // A client cannot spoof: the proxy appends the real peer last.
        #expect(HTTPRoutes.clientAddress(peer: "10.0.0.5", forwardedFor: "1.2.3.4, 198.51.100.1", trustedProxies: proxies)
            == "198.51.100.1")
        #expect(HTTPRoutes.clientAddress(peer: "10.0.0.5", forwardedFor: nil, trustedProxies: proxies) == "10.0.0.5")
        #expect(HTTPRoutes.clientAddress(peer: nil, forwardedFor: "1.2.3.4", trustedProxies: proxies) == nil)
    }
}
