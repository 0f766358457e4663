// swift-tools-version: 6.1
// libFuzzer targets for mmm-metrics (docs/FUZZING.md), kept in their own package so the main
// build stays light. They build only with the fuzzer runtime, which supplies `main`; use
// `Tools/fuzz.sh`, or from the repository root:
//   swift build -c release --package-path Tools/Fuzz -Xswiftc -sanitize=fuzzer,address
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name, which depends on where the repository was cloned.
let rootIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .standardizedFileURL.lastPathComponent

/// One executable per fuzz target: its name, its folder under `Targets/`, the module it fuzzes.
let fuzzTargets: [(name: String, folder: String, module: String)] = [
    ("fuzz-block-payload", "BlockPayload", "MMMMetricsLogFormat"),
    ("fuzz-segment-scan", "SegmentScan", "MMMMetricsLogFormat"),
    ("fuzz-segment-index", "SegmentIndex", "MMMMetricsLogFormat"),
    ("fuzz-stored-segment", "StoredSegment", "MMMMetricsLog"),
    ("fuzz-ndjson", "NDJSON", "MMMMetricsLog"),
    ("fuzz-rfc3339", "RFC3339", "MMMMetricsLog"),
    ("fuzz-query", "Query", "MMMMetricsAnalysis"),
    ("fuzz-archive", "Archive", "MMMMetricsLog"),
    ("fuzz-legacy", "Legacy", "MMMMetricsLegacy"),
    ("fuzz-json", "JSON", "MMMMetricsCore"),
]

let package = Package(
    name: "mmm-metrics-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
    ],
    targets: [
        // libFuzzer's driver, called by every target's `main`.
        .target(name: "FuzzDriver", path: "Sources/FuzzDriver", swiftSettings: [.swiftLanguageMode(.v6)]),
    ] + fuzzTargets.map { target in
        .executableTarget(
            name: target.name,
            dependencies: ["FuzzDriver", .product(name: target.module, package: rootIdentity)],
            path: "Targets/\(target.folder)",
            // No top-level code: `main` comes from libFuzzer.
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]
        )
    }
)
