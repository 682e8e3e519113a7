// swift-tools-version: 6.2
// A Ledgerline plugin: copy this folder, rename it, and build it anywhere (ARCHITECTURE.md §7).
import PackageDescription

let package = Package(
    name: "TemplatePlugin",
    platforms: [.macOS(.v15)],
    products: [
        // The .so the server loads: .build/debug/libTemplatePlugin.so (or release/).
        .library(name: "TemplatePlugin", type: .dynamic, targets: ["TemplatePlugin"]),
    ],
    dependencies: [
        // The Ledgerline source tree; out of tree, point this at your checkout of it.
        .package(name: "ledgerline", path: "../.."),
    ],
    targets: [
        .target(
            name: "TemplatePlugin",
            dependencies: [.product(name: "PluginAPI", package: "ledgerline")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            // Export only the five plugin_* symbols, so the plugin's own copies of Swift types and
            // libraries never clash with the server's or another plugin's.
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/exports.map"]),
            ]
        ),
    ]
)
