// mmm-workload: a seeded, cook-like metrics workload at any size, as NDJSON and/or straight into a
// log. It also reports the workload's information content (the sum of -log2 p over every random
// draw it made), a floor for any lossless encoding of these events.
//
//   swift run -c release mmm-workload --events 2000000 --sessions 20 --seed 1 --ndjson w.ndjson --log w-log
import Foundation
import MMMMetrics
import MMMMetricsLog

struct Arguments {
    var events = 100_000
    var sessions = 10
    var seed: UInt64 = 1
    var ndjson: String?
    var log: String?
    var level: Int32 = 9
    var blockEvents = 32_768

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() -> String {
                guard let next = iterator.next() else { fail("\(argument) needs a value") }
                return next
            }
            switch argument {
            case "--events": guard let parsed = Int(value()) else { fail("--events takes a number") }; events = parsed
            case "--sessions": guard let parsed = Int(value()) else { fail("--sessions takes a number") }; sessions = parsed
            case "--seed": guard let parsed = UInt64(value()) else { fail("--seed takes a number") }; seed = parsed
            case "--ndjson": ndjson = value()
            case "--log": log = value()
            case "--level": guard let parsed = Int32(value()) else { fail("--level takes a number") }; level = parsed
            case "--block-events": guard let parsed = Int(value()) else { fail("--block-events takes a number") }; blockEvents = parsed
            case "-h", "--help":
                print("usage: mmm-workload [--events N] [--sessions N] [--seed N] [--ndjson FILE|-] [--log DIR] [--level 1-19] [--block-events N]")
                exit(0)
            default: fail("unknown argument \(argument)")
            }
        }
        guard events > 0, sessions > 0 else { fail("--events and --sessions must be positive") }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("mmm-workload: \(message)\n".utf8))
    exit(2)
}

/// SplitMix64 with information accounting: every draw adds its -log2 p to `bits`.
struct Random {
    var state: UInt64
    var bits = 0.0

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

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

let commands: [(name: String, median: Double, sigma: Double)] = [
    ("plan", 8e9, 0.6), ("code", 45e9, 0.9), ("build", 12e9, 0.5), ("test", 30e9, 0.7), ("lint", 3e9, 0.4),
    ("fmt", 0.4e9, 0.3), ("clippy", 6e9, 0.5), ("coverage", 50e9, 0.6), ("doc", 7e9, 0.5), ("review", 20e9, 0.8),
    ("commit", 0.3e9, 0.4), ("bench", 90e9, 0.7),
]
let errorKinds = ["lint", "test", "build", "timeout", "merge"]
let playbooks = ["improve.yml", "coverage.yml", "refactor.yml", "docs.yml"]

let arguments = Arguments()
var random = Random(state: arguments.seed)
let root = arguments.log.map { LogRoot(path: $0) }
let writerOptions = LogWriterOptions(blockMaxEvents: arguments.blockEvents, compressionLevel: arguments.level, durability: .none)
var ndjson: FileHandle?
if let path = arguments.ndjson {
    if path == "-" { ndjson = .standardOutput } else {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            fail("cannot write \(path)")
        }
        ndjson = handle
    }
}
var lineBuffer: [UInt8] = []
lineBuffer.reserveCapacity(1 << 22)
var produced = 0
let perSession = arguments.events / arguments.sessions
let weekStart: Int64 = 1_795_824_000_000_000_000  // 2026-11-28T00:00:00Z... minus a few days

for sessionIndex in 0..<arguments.sessions {
    let session = "cook-\(String(arguments.seed, radix: 16))-\(sessionIndex)"
    let target = sessionIndex == arguments.sessions - 1 ? arguments.events - produced : perSession
    let writer = try root.map { try SessionLogWriter(root: $0, session: session, options: writerOptions) }
    var emitted = 0
    var clock = weekStart + random.integer(7 * 86_400_000_000_000)
    func emit(_ event: MetricEvent) {
        try! writer?.append(event)
        if ndjson != nil {
            NDJSONEvent.format(event, session: session, into: &lineBuffer)
            lineBuffer.append(0x0A)
            if lineBuffer.count > 1 << 22 {
                ndjson!.write(Data(lineBuffer))
                lineBuffer.removeAll(keepingCapacity: true)
            }
        }
        emitted += 1
    }
    func at(_ nanos: Int64) -> MetricTimestamp { MetricTimestamp(nanosecondsSinceEpoch: nanos) }
    emit(.custom(name: "session.start", data: ["playbook": .string(playbooks[random.choose(playbooks.count)])], timestamp: at(clock)))
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
            emit(.timer(name: "command.duration", duration: .nanoseconds(duration),
                        tags: ["iteration": tag, "command": command.name, "status": failed ? "error" : "ok"], timestamp: at(clock)))
            if failed, emitted < target - 1 {
                let kind = errorKinds[random.choose(errorKinds.count)]
                emit(.custom(name: "error", data: ["message": .string("\(command.name) failed (\(kind))"), "kind": .string(kind)],
                             tags: ["iteration": tag], timestamp: at(clock + 1_000)))
            }
        }
        guard emitted < target - 1 else { break }
        let files = random.integer(12) + 1
        for (name, value) in [("git.files_changed", files), ("git.lines_added", random.integer(400)), ("git.lines_removed", random.integer(250))]
        where emitted < target - 1 {
            emit(.counter(name: name, value: value, tags: ["iteration": tag], timestamp: at(clock)))
        }
        coverage = min(100, coverage + Double(random.integer(300)) / 100 - 0.5)
        lint = max(0, lint - Double(random.integer(10)) + 2)
        let gauges: [(String, Double)] = [("quality.test_coverage", (coverage * 10).rounded() / 10), ("quality.lint_warnings", lint),
                                          ("quality.complexity_score", Double(random.integer(1000)) / 100),
                                          ("quality.documentation_coverage", 50 + Double(random.integer(500)) / 10)]
        for (name, value) in gauges where emitted < target - 1 {
            emit(.gauge(name: name, value: value, tags: ["iteration": tag], timestamp: at(clock)))
        }
        if emitted < target - 1 {
            emit(.timer(name: "iteration.duration", duration: .nanoseconds(clock - iterationStart), tags: ["iteration": tag], timestamp: at(clock)))
        }
    }
    let statuses = ["completed", "failed", "interrupted"]
    emit(.custom(name: "session.end", data: ["status": .string(statuses[random.choose(3)])], timestamp: at(clock + 1)))
    try writer?.close()
    produced += emitted
}
if let ndjson, !lineBuffer.isEmpty { ndjson.write(Data(lineBuffer)) }
let summary = String(format: "events %d, sessions %d, information content %.0f bytes (%.2f bytes/event)",
                     produced, arguments.sessions, random.bits / 8, random.bits / 8 / Double(produced))
FileHandle.standardError.write(Data("mmm-workload: \(summary)\n".utf8))
