// What recording costs the caller: disabled (must be zero allocations), beside apple/swift-metrics'
// NOOP counter, and enabled through a pre-bound handle and the dynamic API; a pre-bound handle whose
// every event is persisted by the file collector, beside swift-prometheus' in-memory counter.
import Benchmark
import CoreMetrics
import Foundation
import MMMMetrics
import MMMMetricsLog
import Prometheus

let benchmarks: @Sendable () -> Void = {
    // Names are shell-safe: package-benchmark 1.38 writes threshold files with spaces replaced by
    // underscores but looks them up by the name as given.
    // Checked by `swift package benchmark thresholds check` against Thresholds/ (README.md here):
    // wall clock within 50% either way (the machines are shared), allocations within 25% (counted per
    // sample of 1,000 calls, process-wide: a few come from the harness; zero allocations when disabled
    // is asserted by RegistryTests.disabledBuildsNothing, not here).
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        maxDuration: .seconds(2),
        maxIterations: 1_000_000,
        thresholds: [
            .wallClock: BenchmarkThresholds(relative: [.p90: 50.0]),
            .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 25.0]),
        ]
    )
    // Enabled recording hands events to a consumer on another thread: its timing varies with what
    // else the machine runs, so only a doubling counts as a regression.
    let handOff: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: BenchmarkThresholds(relative: [.p90: 100.0]), .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 25.0]),
    ]
    // A few nanoseconds per call: relative changes are noise there, so the bound is absolute, 5 ns
    // per call (thresholds are per sample of 1,000 calls).
    let nanoseconds: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: BenchmarkThresholds(absolute: [.p90: 5_000]), .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 25.0]),
    ]
    let disabled = MetricsRegistry(config: MetricsConfig(enabled: false))
    let disabledCounter = disabled.counter("command.executed", tags: ["command": "build"])

    Benchmark("disabled-async-increment-with-tags", configuration: .init(scalingFactor: .kilo, thresholds: nanoseconds)) { benchmark in
        for _ in benchmark.scaledIterations {
            await disabled.increment("command.executed", tags: ["command": "build"])
        }
    }

    Benchmark("disabled-prebound-counter", configuration: .init(scalingFactor: .kilo, thresholds: nanoseconds)) { benchmark in
        for _ in benchmark.scaledIterations {
            disabledCounter.increment()
        }
    }

    let noop = Counter(label: "command.executed", dimensions: [("command", "build")], factory: NOOPMetricsHandler.instance)
    Benchmark("swift-metrics-noop-counter", configuration: .init(scalingFactor: .kilo, thresholds: nanoseconds)) { benchmark in
        for _ in benchmark.scaledIterations {
            noop.increment()
        }
    }

    // Enabled: a collector that discards, so the figure is the registry's own hand-off cost.
    struct Discard: MetricsCollector {
        func record(_ event: MetricEvent) async throws {}
        func record(contentsOf events: [MetricEvent]) async throws {}
        func flush() async throws {}
    }
    let enabled = MetricsRegistry(config: MetricsConfig(bufferSize: 1_000_000))
    enabled.register(Discard())
    let enabledCounter = enabled.counter("command.executed", tags: ["command": "build"])

    Benchmark("enabled-prebound-counter", configuration: .init(scalingFactor: .kilo, thresholds: handOff)) { benchmark in
        for _ in benchmark.scaledIterations {
            enabledCounter.increment()
        }
        try? await enabled.flush()
    }

    Benchmark("enabled-async-increment-with-tags", configuration: .init(scalingFactor: .kilo, thresholds: handOff)) { benchmark in
        for _ in benchmark.scaledIterations {
            await enabled.increment("command.executed", tags: ["command": "build"])
        }
        try? await enabled.flush()
    }

    // Persisting every event: a pre-bound handle into the file collector, a million increments per
    // sample and a flush (every event written to the log, nothing dropped: buffers hold the lot).
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mmm-bench-\(getpid())").path
    let persisting = MetricsRegistry(config: MetricsConfig(bufferSize: 2_000_000))
    let fileCollector = try! FileMetricsCollector(
        root: LogRoot(path: directory), session: "bench",
        options: .init(writer: LogWriterOptions(durability: .none), bufferSize: 2_000_000, flushInterval: .seconds(60)))
    persisting.register(fileCollector)
    let persistingCounter = persisting.counter("command.executed", tags: ["command": "build"])

    Benchmark(
        "enabled-prebound-counter-persisted-by-file-collector",
        configuration: .init(
            scalingFactor: .mega, maxDuration: .seconds(10), maxIterations: 20,
            thresholds: handOff,
            teardown: {
                try? await persisting.flush()
                let statistics = fileCollector.statistics
                precondition(statistics.dropped == 0 && statistics.errors == 0, "the file collector dropped or failed: \(statistics)")
                try? FileManager.default.removeItem(atPath: directory)
            })
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            persistingCounter.increment()
        }
        try? await persisting.flush()
    }

    // swift-server/swift-prometheus: the same counter, name and label, kept in memory.
    let prometheus = PrometheusCollectorRegistry()
    let prometheusCounter = prometheus.makeCounter(descriptor: MetricNameDescriptor(metricName: "command", unitName: "executed", helpText: ""), labels: [("command", "build")])
    Benchmark("swift-prometheus-counter-in-memory", configuration: .init(scalingFactor: .kilo, thresholds: nanoseconds)) { benchmark in
        for _ in benchmark.scaledIterations {
            prometheusCounter.increment()
        }
    }
}
