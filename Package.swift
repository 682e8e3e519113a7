// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// Test plugins export only the five `plugin_*` symbols, like real ones (ARCHITECTURE.md §7).
let testPluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Tests/Plugins/exports.map"]),
]

/// Shipped plugins export only the five `plugin_*` symbols (ARCHITECTURE.md §7).
let pluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Plugins/exports.map"]),
]

let package = Package(
    name: "ledgerline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ledgerline", targets: ["ledgerline"]),
        // What plugin authors build against (out of tree, by path), and the kit their tests run.
        .library(name: "PluginAPI", targets: ["PluginAPI"]),
        .library(name: "PluginConformance", targets: ["PluginConformance"]),
        // The shipped plugins: each a shared library the server loads by configuration, never links.
        .library(name: "LedgerlineEmailPlugin", type: .dynamic, targets: ["EmailPlugin"]),
        .library(name: "LedgerlineSMSPlugin", type: .dynamic, targets: ["SMSPlugin"]),
        .library(name: "LedgerlineClaimMDPlugin", type: .dynamic, targets: ["ClaimMDPlugin"]),
        // Built from Plugins/Template to exercise the payment-processor contract; not loaded by default.
        .library(name: "LedgerlineExampleProcessorPlugin", type: .dynamic, targets: ["ExampleProcessorPlugin"]),
        // Test-only plugins, loaded by PluginTests from their built .so files; never linked by the server.
        .library(name: "LedgerlineExamplePlugin", type: .dynamic, targets: ["ExamplePlugin"]),
        .library(name: "LedgerlineMisbehavingPlugin", type: .dynamic, targets: ["MisbehavingPlugin"]),
        .library(name: "LedgerlineABI2Plugin", type: .dynamic, targets: ["ABI2Plugin"]),
        .library(name: "LedgerlineNotAPlugin", type: .dynamic, targets: ["NotAPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Already in the graph through Hummingbird and PostgresNIO; Prometheus adds only swift-atomics.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "BillingCore",
            resources: [
                .copy("Resources/icd10cm-2026-billable.tsv"),
                .copy("Resources/carc.tsv"),
                .copy("Resources/rarc.tsv"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "JSONRPC", swiftSettings: swiftSettings),
        .target(name: "X12", dependencies: ["BillingCore"], swiftSettings: swiftSettings),
        .target(name: "CPluginABI"),
        .target(name: "PluginAPI", dependencies: ["CPluginABI"], swiftSettings: swiftSettings),
        .target(
            name: "PluginHost",
            dependencies: [
                "PluginAPI", "CPluginABI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "PluginConformance", dependencies: ["PluginAPI", "PluginHost"], swiftSettings: swiftSettings),
        .systemLibrary(name: "CCurl", path: "Plugins/Email/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "EmailPlugin", dependencies: ["PluginAPI", "CCurl"], path: "Plugins/Email/Sources",
                swiftSettings: swiftSettings, linkerSettings: pluginLinkerSettings),
        .target(name: "SMSPlugin", dependencies: ["PluginAPI"], path: "Plugins/SMS/Sources",
                swiftSettings: swiftSettings, linkerSettings: pluginLinkerSettings),
        .target(name: "ClaimMDPlugin", dependencies: ["PluginAPI"], path: "Plugins/ClaimMD/Sources",
                swiftSettings: swiftSettings, linkerSettings: pluginLinkerSettings),
        .target(name: "ExampleProcessorPlugin", dependencies: ["PluginAPI"], path: "Plugins/ExampleProcessor/Sources",
                swiftSettings: swiftSettings, linkerSettings: pluginLinkerSettings),
        // Test support: launches the SMTP sink (aiosmtpd) and the SMS stand-in, reads what they received.
        .target(name: "StandIns", dependencies: ["Storage"], path: "Tests/StandIns", swiftSettings: swiftSettings),
        .target(name: "ExamplePlugin", dependencies: ["PluginAPI"], path: "Tests/Plugins/Example",
                swiftSettings: swiftSettings, linkerSettings: testPluginLinkerSettings),
        .target(name: "MisbehavingPlugin", dependencies: ["PluginAPI"], path: "Tests/Plugins/Misbehaving",
                swiftSettings: swiftSettings, linkerSettings: testPluginLinkerSettings),
        .target(name: "ABI2Plugin", path: "Tests/Plugins/ABI2"),
        .target(name: "NotAPlugin", path: "Tests/Plugins/NotAPlugin"),
        .systemLibrary(name: "CHaru", path: "Sources/CHaru", providers: [.apt(["libhpdf-dev"])]),
        .target(name: "Documents", dependencies: ["BillingCore", "CHaru"], swiftSettings: swiftSettings),
        .target(
            name: "Storage",
            dependencies: [
                "BillingCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("SQL")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Billing",
            dependencies: [
                "BillingCore", "Storage", "Documents", "X12", "PluginAPI", "PluginHost",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/common-passwords.txt")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "API",
            dependencies: ["JSONRPC", "Billing", "BillingCore", "Storage", "PluginAPI",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Server",
            dependencies: [
                "API", "Billing", "Storage", "JSONRPC", "BillingCore", "PluginHost",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ledgerline",
            dependencies: [
                "Server", "Storage", "Billing", "BillingCore", "PluginAPI", "PluginHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "x12-bench", dependencies: ["X12", "BillingCore"], path: "Benchmarks/x12",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "x12-read-bench", dependencies: ["X12"], path: "Benchmarks/x12-read",
                          exclude: ["peers835.py", "run.sh"], swiftSettings: swiftSettings),
        .testTarget(name: "BillingCoreTests", dependencies: ["BillingCore"], swiftSettings: swiftSettings),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC"], swiftSettings: swiftSettings),
        // Storage only for ChildProcess, to run pyx12 on the files the writer produces.
        .testTarget(name: "X12Tests", dependencies: ["X12", "BillingCore", "Storage"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PluginTests",
            dependencies: [
                "PluginAPI", "PluginHost", "PluginConformance", "Storage", "StandIns",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Server", "API", "Billing", "Storage", "JSONRPC", "BillingCore", "PluginAPI", "PluginHost", "StandIns",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
