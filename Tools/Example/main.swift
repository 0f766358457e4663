// The client program from the foundation issue, verbatim, followed by a printout of what was
// recorded; then, given a log directory, a small cook session recorded the way the orchestrator
// would, through the file collector, for `mmm-analyze` to report on.
//   swift run mmm-metrics-example [LOG_DIR]
import Foundation
import MMMMetrics
import MMMMetricsLog
import MMMMetricsTesting
import Testing  // MetricsAssert reports failures as Swift Testing issues at the caller's source location

if CommandLine.arguments.count > 1, CommandLine.arguments[1].hasPrefix("-") {
    print("usage: mmm-metrics-example [LOG_DIR]: records the example's events in memory and prints them; with LOG_DIR, also a cook session \"demo\" into that log")
    exit(CommandLine.arguments[1] == "-h" || CommandLine.arguments[1] == "--help" ? 0 : 2)
}

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

// A cook session into the event log, when a log directory is given.
if CommandLine.arguments.count > 1 {
    do {
        let root = LogRoot(path: CommandLine.arguments[1])
        let cook = MetricsRegistry(config: MetricsConfig())
        let file = try FileMetricsCollector(root: root, session: "demo")
        cook.register(file, name: "file")
        let session = MetricsContext(registry: cook)
        await session.record(.custom(name: "session.start", data: ["playbook": "improve.yml"]))
        var coverage = 71.5, lint = 42.0
        for number in 1...3 {
            let iteration = session.child(["iteration": "\(number)"])
            let started = ContinuousClock.now
            for (command, milliseconds) in [("build", 40), ("test", 90), ("lint", 15)] {
                do {
                    try await iteration.time("command.duration", tags: ["command": command]) {
                        try await Task.sleep(for: .milliseconds(milliseconds + number * 3))
                        if command == "lint", number == 1 { throw CancellationError() }
                    }
                } catch {
                    await iteration.record(.custom(name: "error", data: ["message": .string("\(command) failed"), "kind": .string(command)]))
                }
            }
            await iteration.increment("git.files_changed", by: Int64(8 - 2 * number))
            await iteration.increment("git.lines_added", by: Int64(120 / number))
            await iteration.increment("git.lines_removed", by: Int64(30 / number))
            coverage += 3.25
            lint = (lint / 2).rounded()
            await iteration.gauge("quality.test_coverage", value: coverage)
            await iteration.gauge("quality.lint_warnings", value: lint)
            await iteration.gauge("quality.complexity_score", value: 14.5 - Double(number))
            await iteration.gauge("quality.documentation_coverage", value: 55 + 2.5 * Double(number))
            await iteration.record(.timer(name: "iteration.duration", duration: ContinuousClock.now - started))
        }
        await session.record(.custom(name: "session.end", data: ["status": "completed"]))
        try await cook.flush()
        try await file.close()
        print("recorded session demo into \(root.path): \(file.statistics.written) events")
    } catch {
        // The log cannot be opened (another writer holds the session, the path is a file): say so.
        StandardError.write("mmm-metrics-example: \(error)\n")
        exit(1)
    }
}
