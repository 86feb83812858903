// swift-tools-version:6.1
import PackageDescription

// Targets, one concern each; arrows point one way (see Docs/architecture.md):
// SpoolbridgeCore <- CloudAPI, Outbox, Config, SystemIntegration
// Outbox <- Ingest;  Outbox + CloudAPI <- Delivery;  CloudAPI <- DeviceAuth;  all of them <- Daemon <- spoolbridge (CLI)
// spoolbridge-backend uses SpoolbridgeCore + CCups only; EmulatorKit uses SwiftNIO only.

// The daemon's release link (the Debian package's static build included), chosen for its idle memory
// (Docs/performance.md, "Idle memory, breakdown"). The static Swift runtime's link arguments export
// every symbol of the executable's own objects (`-export-dynamic`): 2.6 MiB of symbol tables that the
// dynamic loader reads at start and nothing looks up (no dlsym of the daemon's own symbols). And lld's
// packed relative relocations (DT_RELR, glibc >= 2.36) replace gold's 3 MiB of RELA entries, all read
// at start, with 50 KiB. The binary stays position-independent and bound at start (`-z now`).
let daemonReleaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
        .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "spoolbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spoolbridge", targets: ["spoolbridge"]),
        .executable(name: "spoolbridge-backend", targets: ["spoolbridge-backend"]),
        .executable(name: "spoolbridge-emulator", targets: ["spoolbridge-emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // The domain: pure values, no I/O, no dependencies.
        .target(name: "SpoolbridgeCore"),

        // C libraries, through system-library targets.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // Debian 12's libcups2-dev ships no cups.pc: the module map links `cups` directly.
        .systemLibrary(name: "CCups", providers: [.apt(["libcups2-dev"])]),
        // glibc's <malloc.h> (mallopt), part of libc: nothing to link.
        .systemLibrary(name: "CMalloc"),

        .target(name: "CloudAPI", dependencies: [
            "SpoolbridgeCore", "CFileSync",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // NIOThreadPool: payload reads off the cooperative pool.
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // syncfs(2), renameat2(2) and preadv2(2), which Swift's Glibc module does not expose.
        .target(name: "CFileSync"),
        .target(name: "Outbox", dependencies: [
            "SpoolbridgeCore", "CFileSync",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // Device and user tokens: registration, the durable token store, the refresher (Dispatch-driven).
        .target(name: "DeviceAuth", dependencies: [
            "SpoolbridgeCore", "CloudAPI",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Config", dependencies: [
            "SpoolbridgeCore",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "Ingest", dependencies: [
            "SpoolbridgeCore", "Outbox",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "Delivery", dependencies: [
            "SpoolbridgeCore", "Outbox", "CloudAPI",
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "SystemIntegration", dependencies: [
            "SpoolbridgeCore", "CSystemd", "CMalloc",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Health, metrics and the operator's HTTP endpoint: pure evaluators plus a small NIO server.
        .target(name: "Observability", dependencies: [
            "SpoolbridgeCore", "Outbox", "Config",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Composition root: builds the services from a Config and runs them in a ServiceGroup.
        .target(name: "Daemon", dependencies: [
            "SpoolbridgeCore", "Config", "Outbox", "CloudAPI", "Ingest", "Delivery", "SystemIntegration",
            "Observability", "DeviceAuth",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "spoolbridge", dependencies: [
            "SpoolbridgeCore", "Config", "Outbox", "CloudAPI", "Daemon", "SystemIntegration", "Observability",
            "DeviceAuth",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], linkerSettings: daemonReleaseLinking),
        .executableTarget(name: "spoolbridge-backend", dependencies: ["SpoolbridgeCore", "CCups"]),

        // The strict cloud emulator: SwiftNIO and swift-crypto, nothing of the daemon, so it judges the client independently.
        .target(name: "EmulatorKit", dependencies: [
            // SHA-256 of received documents. Built anyway: swift-nio-ssl's certificates depend on it.
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "spoolbridge-emulator", dependencies: [
            "EmulatorKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "SpoolbridgeCoreTests", dependencies: ["SpoolbridgeCore"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "OutboxTests", dependencies: ["Outbox"]),
        .testTarget(name: "DeliveryTests", dependencies: [
            "Delivery", "Outbox", "CloudAPI", "EmulatorKit", "SpoolbridgeCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "DeviceAuthTests", dependencies: [
            "DeviceAuth", "CloudAPI", "SpoolbridgeCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // CloudAPI: its OAuthClient is the real client of the token-service tests.
        .testTarget(name: "EmulatorKitTests", dependencies: ["EmulatorKit", "CloudAPI", "SpoolbridgeCore"]),
        .testTarget(name: "CloudAPITests", dependencies: [
            "CloudAPI", "EmulatorKit",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "IngestTests", dependencies: [
            "Ingest", "Outbox", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SystemIntegrationTests", dependencies: ["SystemIntegration"]),
        .testTarget(name: "ObservabilityTests", dependencies: [
            "Observability", "SpoolbridgeCore", "Outbox", "Config",
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // A private cupsd with the built backend installed; the real daemon or an in-process listener.
        .testTarget(name: "CupsTests", dependencies: [
            "SpoolbridgeCore", "Outbox", "Ingest", "CCups",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Process-level: built executables, the emulator, kill -9.
        .testTarget(name: "IntegrationTests", dependencies: ["EmulatorKit", "SpoolbridgeCore", "Outbox"]),
    ],
    swiftLanguageModes: [.v6]
)
