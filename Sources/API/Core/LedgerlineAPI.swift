import BillingCore
import JSONRPC
import Logging

/// The method table: every JSON-RPC method the server offers.
public enum LedgerlineAPI {
    /// The API version published in `rpc.discover`.
    public static let version = "0.1.0"

    /// Every method, registered once.
    public static func registry() -> RPCMethodRegistry<CallContext, Access> {
        var registry = RPCMethodRegistry<CallContext, Access>()
        let areas: [[LedgerlineMethod]] = [
            TenancyMethods.all, CatalogMethods.all, ClientMethods.all, SessionMethods.all, BillingMethods.all,
            IntegrationMethods.all, ClaimMethods.all, RemittanceMethods.all, ReportMethods.all, AutomationMethods.all, ClearinghouseEnrollmentMethods.all, AuthMethods.all,
        ]
        for method in areas.joined() { registry.register(method) }
        return registry
    }

    /// A processor for `POST /rpc`.
    /// - Parameter observer: told about every call (the server records metrics with it).
    public static func processor(services: Services, operatorKey: String?, limits: RPCLimits, logger: Logger,
                                 observer: RPCProcessor<LedgerlineExecutor>.Observer? = nil)
        -> RPCProcessor<LedgerlineExecutor>
    {
        RPCProcessor(
            registry: registry(),
            executor: LedgerlineExecutor(services: services, operatorKey: operatorKey, logger: logger),
            limits: limits,
            info: OpenRPCInfo(title: "Ledgerline", version: version,
                              description: "Billing backend for behavioral-health practices: JSON-RPC 2.0 over POST /rpc."),
            observer: observer)
    }
}
