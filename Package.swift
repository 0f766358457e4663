// swift-tools-version: 6.1
import PackageDescription

/// Strictness turned on once for every target (as apple/swift-metrics does).
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "mmm-metrics",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MMMMetrics", targets: ["MMMMetrics"]),
        .library(name: "MMMMetricsCore", targets: ["MMMMetricsCore"]),
        .library(name: "MMMMetricsTesting", targets: ["MMMMetricsTesting"]),
        .library(name: "MMMSwiftMetrics", targets: ["MMMSwiftMetrics"]),
        .library(name: "MMMMetricsLogFormat", targets: ["MMMMetricsLogFormat"]),
        .library(name: "MMMMetricsLog", targets: ["MMMMetricsLog"]),
        .library(name: "MMMMetricsAnalysis", targets: ["MMMMetricsAnalysis"]),
        .library(name: "MMMMetricsLegacy", targets: ["MMMMetricsLegacy"]),
        .executable(name: "mmm-metrics-example", targets: ["mmm-metrics-example"]),
        .executable(name: "mmm-analyze", targets: ["mmm-analyze"]),
        .library(name: "MMMMetricsRecord", targets: ["MMMMetricsRecord"]),
        .executable(name: "mmm-record", targets: ["mmm-record"]),
        .library(name: "MMMWorkload", targets: ["MMMWorkload"]),
        .library(name: "MMMMetricsRemote", targets: ["MMMMetricsRemote"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // The core API: standard library, Foundation and Synchronization only.
        .target(name: "MMMMetricsCore", swiftSettings: strict),
        // The umbrella users import: the core plus swift-log error reporting and config loading.
        .target(
            name: "MMMMetrics",
            dependencies: [
                "MMMMetricsCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),
        .target(name: "MMMMetricsTesting", dependencies: ["MMMMetricsCore"], swiftSettings: strict),
        .target(
            name: "MMMSwiftMetrics",
            dependencies: ["MMMMetricsCore", .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strict
        ),
        // The log's binary format as pure codecs, no file I/O: bytes, CRC32C, zstd, blocks, segment
        // headers, seals, indexes, archive records (docs/FORMAT.md).
        .target(name: "MMMMetricsLogFormat", dependencies: ["MMMMetricsCore", "CZstd", "CCRC32C"], swiftSettings: strict),
        // CRC-32C with the CPU's instruction where it has one (the Swift tables are the fallback).
        .target(name: "CCRC32C"),
        // The log on files: writing, reading, recovery, maintenance, NDJSON, archives, the file collector.
        .target(
            name: "MMMMetricsLog",
            dependencies: ["MMMMetricsCore", "MMMMetricsLogFormat", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict
        ),
        // Reducers, the query language and its engine, reports.
        .target(name: "MMMMetricsAnalysis", dependencies: ["MMMMetricsCore", "MMMMetricsLogFormat", "MMMMetricsLog"], swiftSettings: strict),
        // Push and pull: the remote, StatsD and /metrics collectors, `push` and `serve` (docs/REMOTE.md).
        // HTTP through Foundation's URLSession: no HTTP package to build.
        .target(name: "MMMMetricsRemote", dependencies: ["MMMMetricsCore", "MMMMetricsLog"], swiftSettings: strict),
        // MMM's old .mmm/metrics files, both ways.
        .target(name: "MMMMetricsLegacy", dependencies: ["MMMMetricsCore", "MMMMetricsLog", "MMMMetricsAnalysis"], swiftSettings: strict),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]
        ),
        // The analyzer CLI: parses arguments and prints; the work is in the libraries.
        .executableTarget(
            name: "mmm-analyze",
            dependencies: [
                "MMMMetricsCore", "MMMMetricsLog", "MMMMetricsAnalysis", "MMMMetricsLegacy", "MMMMetricsRemote",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Recording from outside Swift: the session lock waited for, commands run, git counted.
        .target(name: "MMMMetricsRecord", dependencies: ["MMMMetricsCore", "MMMMetricsLog"], swiftSettings: strict),
        // The recording CLI: parses arguments and prints; the work is in MMMMetricsRecord.
        .executableTarget(
            name: "mmm-record",
            dependencies: [
                "MMMMetricsCore", "MMMMetricsLog", "MMMMetricsRecord", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The seeded cook-like workload generator behind the size and speed figures.
        .target(name: "MMMWorkload", dependencies: ["MMMMetricsCore"], path: "Tools/WorkloadKit", swiftSettings: strict),
        .executableTarget(
            name: "mmm-workload",
            dependencies: ["MMMMetricsCore", "MMMMetricsLog", "MMMWorkload"],
            path: "Tools/Workload",
            swiftSettings: strict
        ),
        // The crash campaign's child: appends a known sequence and reports each flush until killed.
        .executableTarget(
            name: "mmm-crash-writer",
            dependencies: ["MMMMetricsCore", "MMMMetricsLog", "MMMWorkload"],
            path: "Tools/Reliability/CrashWriter",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "mmm-metrics-example",
            dependencies: ["MMMMetrics", "MMMMetricsTesting", "MMMMetricsLog"],
            path: "Tools/Example",
            swiftSettings: strict
        ),
        // Test helpers shared by every test target: generators, temporary logs, corrupters, fixtures, the CLI runner.
        .target(
            name: "MMMMetricsTestSupport",
            dependencies: ["MMMMetricsCore", "MMMMetricsLog", "MMMWorkload", .product(name: "Logging", package: "swift-log")],
            path: "Tests/MMMMetricsTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "MMMMetricsCoreTests",
            dependencies: ["MMMMetricsCore", "MMMMetrics", "MMMMetricsTesting", "MMMMetricsTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MMMMetricsTests",
            dependencies: ["MMMMetrics", "MMMMetricsTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "MMMMetricsTestingTests", dependencies: ["MMMMetrics", "MMMMetricsTesting"], swiftSettings: strict),
        .testTarget(
            name: "MMMSwiftMetricsTests",
            dependencies: [
                "MMMMetrics", "MMMMetricsTesting", "MMMSwiftMetrics",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MMMMetricsLogFormatTests",
            dependencies: ["MMMMetricsCore", "MMMMetricsLogFormat", "MMMMetricsTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MMMMetricsLogTests",
            dependencies: ["MMMMetricsCore", "MMMMetrics", "MMMMetricsLog", "MMMMetricsTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MMMMetricsAnalysisTests",
            dependencies: ["MMMMetricsCore", "MMMMetricsLog", "MMMMetricsAnalysis", "MMMWorkload", "MMMMetricsTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MMMMetricsLegacyTests",
            dependencies: ["MMMMetricsCore", "MMMMetricsLog", "MMMMetricsAnalysis", "MMMMetricsLegacy", "MMMMetricsTestSupport"],
            swiftSettings: strict
        ),
        // The reliability campaigns (docs/RELIABILITY.md): short forms in CI, long forms with MMM_CAMPAIGN=long.
        .testTarget(
            name: "MMMReliabilityTests",
            dependencies: [
                "MMMMetricsCore", "MMMMetrics", "MMMMetricsLog", "MMMMetricsAnalysis", "MMMMetricsTestSupport", "MMMWorkload",
                "mmm-crash-writer", "mmm-analyze",
            ],
            swiftSettings: strict
        ),
        // mmm-record's tests run the binary built beside the test bundle, against real git repositories.
        .testTarget(
            name: "MMMRecordTests",
            dependencies: ["MMMMetricsCore", "MMMMetricsLog", "MMMMetricsRecord", "MMMMetricsTestSupport", "mmm-record"],
            swiftSettings: strict
        ),
        // Push and pull against real Prometheus, Pushgateway and VictoriaMetrics servers on 127.0.0.1.
        .testTarget(
            name: "MMMMetricsRemoteTests",
            dependencies: ["MMMMetricsCore", "MMMMetrics", "MMMMetricsLog", "MMMMetricsRemote", "MMMMetricsTestSupport", "MMMWorkload", "mmm-analyze"],
            swiftSettings: strict
        ),
        // The command-line tests run the mmm-analyze binary built beside the test bundle.
        .testTarget(
            name: "MMMAnalyzeTests",
            dependencies: [
                "MMMMetricsCore", "MMMMetrics", "MMMMetricsLog", "MMMMetricsAnalysis", "MMMMetricsLegacy", "MMMMetricsTestSupport",
                "mmm-analyze",
            ],
            swiftSettings: strict
        ),
    ]
)
