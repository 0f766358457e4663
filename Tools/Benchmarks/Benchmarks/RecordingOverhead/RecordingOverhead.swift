// What recording costs the caller: disabled (must be zero allocations), beside apple/swift-metrics'
// NOOP counter, and enabled through a pre-bound handle and the dynamic API.
import Benchmark
import CoreMetrics
import MMMMetrics

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )
    let disabled = MetricsRegistry(config: MetricsConfig(enabled: false))
    let disabledCounter = disabled.counter("command.executed", tags: ["command": "build"])

    Benchmark("disabled: registry.increment with tags (async API)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            await disabled.increment("command.executed", tags: ["command": "build"])
        }
    }

    Benchmark("disabled: pre-bound counter handle", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            disabledCounter.increment()
        }
    }

    let noop = Counter(label: "command.executed", dimensions: [("command", "build")], factory: NOOPMetricsHandler.instance)
    Benchmark("swift-metrics: NOOP counter increment", configuration: .init(scalingFactor: .kilo)) { benchmark in
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

    Benchmark("enabled: pre-bound counter handle", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            enabledCounter.increment()
        }
        try? await enabled.flush()
    }

    Benchmark("enabled: registry.increment with tags (async API)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            await enabled.increment("command.executed", tags: ["command": "build"])
        }
        try? await enabled.flush()
    }
}
