// A seeded, cook-like metrics workload: many sessions of iterations of a dozen commands with
// long-tailed nanosecond durations, git counters, quality gauges, errors and session markers.
// It accounts the information content of every random draw (the sum of -log2 p), a floor for any
// lossless encoding of the events it makes. Used by `mmm-workload` and the benchmarks.
import Foundation
public import MMMMetricsCore

/// SplitMix64 with information accounting: every draw adds its -log2 p to `bits`.
struct Random {
    var generator: SplitMix64
    var bits = 0.0

    init(state: UInt64) { generator = SplitMix64(seed: state) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform choice among `count`.
    mutating func choose(_ count: Int) -> Int {
        bits += log2(Double(count))
        return Int(next() % UInt64(count))
    }

    /// A Bernoulli draw.
    mutating func chance(_ p: Double) -> Bool {
        let hit = uniform() < p
        bits += -log2(hit ? p : 1 - p)
        return hit
    }

    /// A standard normal (Box–Muller), unaccounted: callers account for what they derive from it.
    mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300)
        let u2 = uniform()
        return sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
    }

    /// A log-normal number of nanoseconds with median `median` ns and shape `sigma`, quantised to 1 ns;
    /// accounts -log2 of the density at the drawn value times 1 ns.
    mutating func logNormalNanoseconds(median: Double, sigma: Double) -> Int64 {
        let z = normal()
        let x = median * exp(sigma * z)
        let density = exp(-z * z / 2) / (x * sigma * sqrt(2 * .pi))
        bits += -log2(max(density, 1e-300))
        return max(1, Int64(x.rounded()))
    }

    /// A uniform integer in 0..<count, accounted.
    mutating func integer(_ count: Int64) -> Int64 {
        bits += log2(Double(count))
        return Int64(next() % UInt64(count))
    }
}

private let commands: [(name: String, median: Double, sigma: Double)] = [
    ("plan", 8e9, 0.6), ("code", 45e9, 0.9), ("build", 12e9, 0.5), ("test", 30e9, 0.7), ("lint", 3e9, 0.4),
    ("fmt", 0.4e9, 0.3), ("clippy", 6e9, 0.5), ("coverage", 50e9, 0.6), ("doc", 7e9, 0.5), ("review", 20e9, 0.8),
    ("commit", 0.3e9, 0.4), ("bench", 90e9, 0.7),
]
private let errorKinds = ["lint", "test", "build", "timeout", "merge"]
private let playbooks = ["improve.yml", "coverage.yml", "refactor.yml", "docs.yml"]


/// The generator.
public struct CookWorkload {
    /// The seed.
    public let seed: UInt64
    /// Information content of everything generated so far, in bits.
    public private(set) var informationBits = 0.0

    /// A generator with a seed.
    public init(seed: UInt64) { self.seed = seed }

    /// Generates `events` events spread over `sessions` sessions, calling `emit(session, event)` in order.
    public mutating func generate(events: Int, sessions: Int, emit: (String, MetricEvent) throws -> Void) rethrows {
        var random = Random(state: seed)
        let perSession = events / sessions
        let weekStart: Int64 = 1_795_824_000_000_000_000
        var produced = 0
        for sessionIndex in 0..<sessions {
            let session = "cook-\(String(seed, radix: 16))-\(sessionIndex)"
            let target = sessionIndex == sessions - 1 ? events - produced : perSession
            var emitted = 0
            func send(_ event: MetricEvent) throws {
                try emit(session, event)
                emitted += 1
            }
            var clock = weekStart + random.integer(7 * 86_400_000_000_000)
            func at(_ nanos: Int64) -> MetricTimestamp { MetricTimestamp(nanosecondsSinceEpoch: nanos) }
            try send(.custom(name: "session.start", data: ["playbook": .string(playbooks[random.choose(playbooks.count)])], timestamp: at(clock)))
            var iteration = 0
            var coverage = 40 + Double(random.integer(30))
            var lint = Double(random.integer(200))
            while emitted < target - 1 {
                iteration += 1
                let tag = String(iteration)
                let iterationStart = clock
                for command in commands where emitted < target - 1 {
                    let duration = random.logNormalNanoseconds(median: command.median, sigma: command.sigma)
                    clock += duration + random.integer(50_000_000)
                    let failed = random.chance(0.04)
                    try send(.timer(name: "command.duration", duration: .nanoseconds(duration),
                                    tags: ["iteration": tag, "command": command.name, "status": failed ? "error" : "ok"], timestamp: at(clock)))
                    if failed, emitted < target - 1 {
                        let kind = errorKinds[random.choose(errorKinds.count)]
                        try send(.custom(name: "error", data: ["message": .string("\(command.name) failed (\(kind))"), "kind": .string(kind)],
                                         tags: ["iteration": tag], timestamp: at(clock + 1_000)))
                    }
                }
                guard emitted < target - 1 else { break }
                let files = random.integer(12) + 1
                for (name, value) in [("git.files_changed", files), ("git.lines_added", random.integer(400)), ("git.lines_removed", random.integer(250))]
                where emitted < target - 1 {
                    try send(.counter(name: name, value: value, tags: ["iteration": tag], timestamp: at(clock)))
                }
                coverage = min(100, coverage + Double(random.integer(300)) / 100 - 0.5)
                lint = max(0, lint - Double(random.integer(10)) + 2)
                let gauges: [(String, Double)] = [("quality.test_coverage", (coverage * 10).rounded() / 10), ("quality.lint_warnings", lint),
                                                  ("quality.complexity_score", Double(random.integer(1000)) / 100),
                                                  ("quality.documentation_coverage", 50 + Double(random.integer(500)) / 10)]
                for (name, value) in gauges where emitted < target - 1 {
                    try send(.gauge(name: name, value: value, tags: ["iteration": tag], timestamp: at(clock)))
                }
                if emitted < target - 1 {
                    try send(.timer(name: "iteration.duration", duration: .nanoseconds(clock - iterationStart), tags: ["iteration": tag], timestamp: at(clock)))
                }
            }
            let statuses = ["completed", "failed", "interrupted"]
            try send(.custom(name: "session.end", data: ["status": .string(statuses[random.choose(3)])], timestamp: at(clock + 1)))
            produced += emitted
        }
        informationBits += random.bits
    }

    /// All events of a workload in memory, in order, with their sessions (for benchmarks).
    public static func events(count: Int, sessions: Int, seed: UInt64) -> [(session: String, event: MetricEvent)] {
        var workload = CookWorkload(seed: seed)
        var result: [(String, MetricEvent)] = []
        result.reserveCapacity(count)
        workload.generate(events: count, sessions: sessions) { result.append(($0, $1)) }
        return result
    }
}
