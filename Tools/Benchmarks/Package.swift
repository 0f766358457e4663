// swift-tools-version: 6.1
// Benchmarks for mmm-metrics, kept in their own package so the main build stays fast.
// Run from this directory: `swift package benchmark` (see README.md here).
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name, which depends on where the repository was cloned.
let rootIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .standardizedFileURL.lastPathComponent

let package = Package(
    name: "mmm-metrics-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "RecordingOverhead",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MMMMetrics", package: rootIdentity),
                .product(name: "MMMMetricsLog", package: rootIdentity),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks/RecordingOverhead",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LogThroughput",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MMMMetricsAnalysis", package: rootIdentity),
                .product(name: "MMMMetricsCore", package: rootIdentity),
                .product(name: "MMMMetricsLog", package: rootIdentity),
                .product(name: "MMMWorkload", package: rootIdentity),
            ],
            path: "Benchmarks/LogThroughput",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(
            name: "CookWorkload",
            dependencies: [.product(name: "MMMMetrics", package: rootIdentity)],
            path: "Sources/CookWorkload",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "RecordingCost",
            dependencies: [
                "CookWorkload",
                .product(name: "MMMMetrics", package: rootIdentity),
                .product(name: "MMMMetricsLog", package: rootIdentity),
            ],
            path: "Sources/RecordingCost",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "CookLoop",
            dependencies: [
                "CookWorkload",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MMMMetrics", package: rootIdentity),
                .product(name: "MMMMetricsLog", package: rootIdentity),
            ],
            path: "Benchmarks/CookLoop",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
