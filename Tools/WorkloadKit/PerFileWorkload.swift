// A second workload, shaped on purpose unlike CookWorkload (and not used to tune the format): 200
// short sessions of a per-file analysis loop. A high-cardinality `path` tag (thousands of values),
// bursts of events that share one timestamp, timers from 1 µs to 10 minutes, negative and very
// large counters, integer-valued and slowly drifting gauges, and custom events with 1–4 KB stack
// traces beside small ones. Information content is accounted as in CookWorkload.
import Foundation
public import MMMMetricsCore

private let directories = ["src", "lib", "tests", "tools", "docs", "vendor", "gen", "ui", "api", "db"]
private let extensions = ["rs", "swift", "go", "py", "ts", "c", "h", "md", "toml", "json"]
private let frames = (0..<300).map { index in
    "    at Module\(index % 17).Type\(index % 41).method\(index)(File\(index % 53).swift:\(100 + index * 7))"
}
private let notes = ["cache hit", "retry", "skipped", "vendored", "generated", "large file"]

/// The per-file generator.
public struct PerFileWorkload {
    /// The seed.
    public let seed: UInt64
    /// Information content of everything generated so far, in bits.
    public private(set) var informationBits = 0.0

    /// A generator with a seed.
    public init(seed: UInt64) { self.seed = seed }

    /// A path among `count` distinct ones (the same index always gives the same path).
    static func path(_ index: Int) -> String {
        let directory = directories[index % directories.count]
        let ext = extensions[(index / 7) % extensions.count]
        return "\(directory)/m\(index % 97)/s\((index / 97) % 23)/file_\(index).\(ext)"
    }

    /// Generates `events` events over `sessions` sessions (200 by default in `mmm-workload`), calling `emit` in order.
    public mutating func generate(events: Int, sessions: Int, emit: (String, MetricEvent) throws -> Void) rethrows {
        var random = Random(state: seed ^ 0x5EED_F11E)
        let perSession = max(1, events / sessions)
        var produced = 0
        let pathCount = 6_000
        for sessionIndex in 0..<sessions {
            let session = "pf-\(sessionIndex)-\(String(seed, radix: 36))"
            let target = sessionIndex == sessions - 1 ? events - produced : min(perSession, events - produced)
            guard target > 0 else { break }
            var emitted = 0
            var clock: Int64 = 1_790_000_000_000_000_000 + random.integer(60 * 86_400) * 1_000_000_000
            var filesTotal = 8_000 + random.integer(4_000)
            var health = 0.5 + Double(random.integer(500)) / 1_000
            func send(_ event: MetricEvent) throws {
                try emit(session, event)
                emitted += 1
            }
            while emitted < target {
                // A burst: several files analysed in one step, stamped with the same time.
                clock += random.integer(2_000_000_000) + 1
                let time = MetricTimestamp(nanosecondsSinceEpoch: clock)
                let burst = Int(random.integer(40)) + 1
                for _ in 0..<burst where emitted < target {
                    let path = Self.path(Int(random.integer(Int64(pathCount))))
                    switch random.choose(4) {
                    case 0:
                        try send(.timer(name: "analysis.file_duration", duration: .nanoseconds(random.logUniformNanoseconds(low: 1_000, high: 600_000_000_000)),
                                        tags: ["path": path], timestamp: time))
                    case 1:
                        try send(.counter(name: "analysis.findings_delta", value: random.integer(41) - 20, tags: ["path": path], timestamp: time))
                    case 2:
                        try send(.counter(name: "analysis.bytes_scanned", value: random.integer(1 << 40), tags: ["path": path], timestamp: time))
                    default:
                        try send(.gauge(name: "analysis.file_score", value: Double(random.integer(101)), tags: ["path": path, "pass": "\(random.choose(3))"], timestamp: time))
                    }
                }
                guard emitted < target else { break }
                filesTotal += random.integer(5) - 2
                health = min(1, max(0, health + (Double(random.integer(21)) - 10) / 10_000))
                try send(.gauge(name: "repo.files_total", value: Double(filesTotal), timestamp: time))
                if emitted < target { try send(.gauge(name: "repo.health", value: health, timestamp: time)) }
                if emitted < target, random.chance(0.05) {
                    var trace = "Fatal error: index out of range\n"
                    let depth = Int(random.integer(40)) + 20
                    for _ in 0..<depth { trace += frames[random.choose(frames.count)] + "\n" }
                    try send(.custom(name: "diagnostic.crash", data: ["trace": .string(trace), "signal": .integer(Int64(random.choose(3)) + 4)],
                                     tags: ["path": Self.path(Int(random.integer(Int64(pathCount))))], timestamp: time))
                }
                if emitted < target, random.chance(0.1) {
                    try send(.custom(name: "note", data: ["text": .string(notes[random.choose(notes.count)])], timestamp: time))
                }
            }
            produced += emitted
        }
        informationBits += random.bits
    }
}

extension Random {
    /// A log-uniform number of nanoseconds in [low, high], quantised to 1 ns; accounts -log2 of
    /// the density at the drawn value times 1 ns.
    mutating func logUniformNanoseconds(low: Double, high: Double) -> Int64 {
        let span = log(high / low)
        let x = low * exp(uniform() * span)
        bits += -log2(max(1 / (x * span), 1e-300))
        return max(1, Int64(x.rounded()))
    }
}
