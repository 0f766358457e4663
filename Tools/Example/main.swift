// The client program from the foundation issue, verbatim, followed by a printout of what was
// recorded. `swift run mmm-metrics-example` builds and runs it.
import MMMMetrics
import MMMMetricsTesting

let probe = MetricsAssert()
let registry = MetricsRegistry(config: MetricsConfig(enabled: true))
registry.register(probe.collector)

await registry.increment("command.executed", tags: ["command": "build"])
await registry.gauge("quality.test_coverage", value: 83.5, tags: [:])
let answer = try await registry.time("command.duration", tags: ["command": "test"]) {
    try await Task.sleep(for: .milliseconds(5))
    return 42
}
let iteration = MetricsContext(registry: registry, tags: ["session": "s1"]).child(["iteration": "1"])
await iteration.record(.counter(name: "git.lines_added", value: 12, tags: ["file": "a.swift"]))
await iteration.record(.custom(name: "error", data: ["message": "lint failed", "kind": "lint"], tags: [:]))
try await registry.flush()

precondition(answer == 42)
probe.assertCounter("command.executed", expected: 1)
probe.assertCounter("git.lines_added", expected: 12)
probe.assertGauge("quality.test_coverage", expected: 83.5)
probe.assertTimerCalled("command.duration")
probe.assertTags("git.lines_added", include: ["session": "s1", "iteration": "1", "file": "a.swift"])

let off = MetricsRegistry(config: MetricsConfig(enabled: false))
let silent = MetricsAssert()
off.register(silent.collector)
await off.increment("never", tags: [:])
silent.assertNoMetrics()

// What was recorded, one line per event.
for event in probe.events {
    let value: String
    switch event.value {
    case .counter(let count): value = "counter \(count)"
    case .gauge(let level): value = "gauge \(level)"
    case .timer(let duration): value = "timer \(duration)"
    case .custom(let data): value = "custom \(data)"
    }
    print("\(event.timestamp?.nanosecondsSinceEpoch ?? 0) \(event.name)\(event.tags) \(value)")
}
let p50 = try await probe.memory.aggregate(.percentile(50), for: MetricsQuery(metricNames: ["command.duration"]))
print("command.duration p50: \(p50.value ?? .nan) s; collectors: \(registry.statistics())")
