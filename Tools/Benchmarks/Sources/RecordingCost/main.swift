// What recording costs, measured in one process, for the figures in docs/PERFORMANCE.md:
//
//   RecordingCost hand-off [EVENTS [BUFFER]]  a pre-bound counter into a collector that discards: the caller's cost
//   RecordingCost persist [EVENTS [BUFFER]]   the same into the file collector: every event written, then a flush
//   RecordingCost dynamic [EVENTS [BUFFER]]   `await registry.increment(_:tags:)` into a discarding collector, from
//                                        the main actor (`dynamic-off-main`: from a nonisolated function)
//                                        (the buffers hold every event unless BUFFER is given: `default` is the config's)
//   RecordingCost cook-overhead [PAIRS] [file|discard|none|disabled]
//                                        the cook-like loop (CookWorkload) with metrics disabled and enabled,
//                                        alternated PAIRS times, recording 100,000 events per second of the
//                                        disabled loop's time; prints the median paired ratio. Enabled records
//                                        into the file collector (default), a discarding collector, or none;
//                                        `disabled` runs both with metrics disabled (the method's own bias)
//
// Whole-process timing (farm-bench, hyperfine) suits `hand-off` and `persist`; `cook-overhead` pairs the runs
// inside one process, so that start-up and a drifting machine do not swamp a difference of a few percent.
import CookWorkload
import Foundation
import MMMMetrics
import MMMMetricsLog

struct Discard: MetricsCollector {
    func record(_ event: MetricEvent) async throws {}
    func record(contentsOf events: [MetricEvent]) async throws {}
    func flush() async throws {}
}

func temporaryLog() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("mmm-recording-cost-\(getpid())").path
}

func nanosecondsPerEvent(_ duration: Duration, _ events: Int) -> String {
    let nanoseconds = Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
    return String(format: "%.1f ns", nanoseconds / Double(max(1, events)))
}

/// The dynamic API from a nonisolated async function (the global executor).
func recordOffMain(_ registry: MetricsRegistry, _ events: Int) async {
    for _ in 0..<events { await registry.increment("command.executed", tags: ["command": "build"]) }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? "hand-off"
let count = arguments.count > 1 ? Int(arguments[1]) : nil
let clock = ContinuousClock()

switch mode {
case "hand-off", "persist", "dynamic", "dynamic-off-main":
    let events = count ?? 5_000_000
    // The buffer holds every event unless a third argument sets it (the default is MetricsConfig's).
    let buffer = arguments.count > 2 ? (Int(arguments[2]) ?? MetricsConfig().bufferSize) : events
    let directory = temporaryLog()
    let registry = MetricsRegistry(config: MetricsConfig(bufferSize: buffer, flushTimeout: .seconds(600)))
    if mode == "persist" {
        registry.register(try FileMetricsCollector(
            root: LogRoot(path: directory), session: "recording-cost",
            options: .init(writer: LogWriterOptions(durability: .none), bufferSize: buffer, flushInterval: .seconds(60))))
    } else {
        registry.register(Discard())
    }
    let counter = registry.counter("command.executed", tags: ["command": "build"])
    let start = clock.now
    if mode == "dynamic" {
        // From the main actor, as top-level code and UI code record.
        for _ in 0..<events { await registry.increment("command.executed", tags: ["command": "build"]) }
    } else if mode == "dynamic-off-main" {
        await recordOffMain(registry, events)
    } else {
        for _ in 0..<events { counter.increment() }
    }
    let recorded = clock.now
    try await registry.flush()
    let done = clock.now
    let statistics = registry.statistics()[0]
    print("\(mode): \(events) events; recording \(nanosecondsPerEvent(recorded - start, events)) per event on the caller,",
          "\(nanosecondsPerEvent(done - start, events)) per event until flushed; delivered \(statistics.delivered), dropped \(statistics.dropped)")
    try? FileManager.default.removeItem(atPath: directory)
    guard statistics.delivered + statistics.dropped == events, arguments.count > 2 || statistics.dropped == 0 else { exit(1) }
case "cook-overhead":
    let pairs = count ?? 30
    let iterations = 1_000
    let directory = temporaryLog()
    let disabled = MetricsRegistry(config: MetricsConfig(enabled: false))
    let into = arguments.count > 2 ? arguments[2] : "file"
    // `disabled` times the method itself: both loops run with metrics disabled.
    let enabled = MetricsRegistry(config: MetricsConfig(enabled: into != "disabled", flushTimeout: .seconds(600)))
    // What the enabled loop records into: the file collector (the spec's case), a collector that
    // discards (the hand-off alone), or none (building and stamping events alone).
    switch into {
    case "file": enabled.register(try FileMetricsCollector(root: LogRoot(path: directory), session: "cook-loop"))
    case "discard": enabled.register(Discard())
    case "none", "disabled": break
    default:
        FileHandle.standardError.write(Data("RecordingCost: cook-overhead records into file, discard or none (or is disabled), not \(into)\n".utf8))
        exit(2)
    }
    // The spec's rate: as many events per iteration as make 100,000 a second of the disabled loop's time.
    func time(_ registry: MetricsRegistry, events: Int) async -> Double {
        let start = clock.now
        _ = await cookLoop(registry, iterations: iterations, eventsPerIteration: events)
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    var calibration: [Double] = []
    for _ in 0..<5 { calibration.append(await time(disabled, events: 18)) }
    let perIteration = max(4, Int((100_000 * median(calibration) / Double(iterations)).rounded()))
    _ = await time(enabled, events: perIteration)
    var off: [Double] = [], on: [Double] = [], ratios: [Double] = []
    for pair in 0..<pairs {
        // Alternate which goes first, so neither always runs on a warmer or cooler machine.
        let a: Double, b: Double
        if pair % 2 == 0 {
            a = await time(disabled, events: perIteration)
            b = await time(enabled, events: perIteration)
        } else {
            b = await time(enabled, events: perIteration)
            a = await time(disabled, events: perIteration)
        }
        off.append(a)
        on.append(b)
        ratios.append(b / a)
    }
    try await enabled.flush()
    let statistics = enabled.statistics().first
    let eventsPerSecond = Double(perIteration * iterations) / median(off)
    print(String(format: "cook-overhead (\(into)): %d pairs of %d iterations, %d events each; disabled median %.1f ms, enabled median %.1f ms;", pairs, iterations, perIteration, median(off) * 1e3, median(on) * 1e3),
          String(format: "median paired ratio %.4f (overhead %+.2f%%); %.0f events per second of work; delivered %d, dropped %d",
                 median(ratios), (median(ratios) - 1) * 100, eventsPerSecond, statistics?.delivered ?? 0, statistics?.dropped ?? 0))
    try? FileManager.default.removeItem(atPath: directory)
default:
    FileHandle.standardError.write(Data("usage: RecordingCost hand-off|persist|dynamic|dynamic-off-main [EVENTS [BUFFER]] | cook-overhead [PAIRS] [file|discard|none|disabled]\n".utf8))
    exit(2)
}
