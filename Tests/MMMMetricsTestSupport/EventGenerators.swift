package import MMMMetricsCore
package import MMMMetricsLog
import MMMWorkload


/// A seeded generator, so every property test is reproducible.
package typealias SeededRandom = SplitMix64

package enum EventGenerator {
    package static let names = ["command.duration", "git.lines_added", "quality.test_coverage", "error", "session.start",
                        "métrica.日本語", "emoji.🚀", "a", "x.y-z_1", String(repeating: "long", count: 100)]
    package static let tagKeys = ["command", "iteration", "status", "ключ", "🔑", "file"]
    package static let tagValues = ["build", "test", "1", "2", "ok", "error", "значение", "", "with \"quotes\" and \\ and \n newline", "🦀🦀"]

    package static func value(_ random: inout SeededRandom) -> MetricValue {
        switch random.next() % 4 {
        case 0:
            let extremes: [Int64] = [0, 1, -1, .max, .min, 42]
            return .counter(random.next() % 3 == 0 ? extremes[Int(random.next() % 6)] : Int64(bitPattern: random.next()) >> Int(random.next() % 64))
        case 1:
            let extremes: [Double] = [0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 83.5, 1e-300, .infinity, -.infinity, .nan]
            return .gauge(random.next() % 3 == 0 ? extremes[Int(random.next() % UInt64(extremes.count))] : Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF))
        case 2:
            let extremes: [Int64] = [0, 1, .max, .min, 1_250_000_000]
            return .timer(.nanoseconds(random.next() % 3 == 0 ? extremes[Int(random.next() % 5)] : Int64(random.next() % 10_000_000_000)))
        default:
            let payloads: [JSONValue] = [
                ["message": "lint failed", "kind": "lint"], nil, true, 3, 2.5, "текст", [1, "two", ["three": 3]],
                ["nested": ["deep": [nil, false, -9_223_372_036_854_775_808]]], ["unicode 🚀": "\u{0001}control"],
            ]
            return .custom(payloads[Int(random.next() % UInt64(payloads.count))])
        }
    }

    package static func event(_ random: inout SeededRandom, timestamp: Int64) -> MetricEvent {
        var tags = Tags()
        for _ in 0..<(random.next() % 4) {
            tags[tagKeys[Int(random.next() % UInt64(tagKeys.count))]] = tagValues[Int(random.next() % UInt64(tagValues.count))]
        }
        return MetricEvent(name: names[Int(random.next() % UInt64(names.count))], value: value(&random), tags: tags,
                           timestamp: MetricTimestamp(nanosecondsSinceEpoch: timestamp))
    }

    /// `count` events with mostly increasing timestamps and a few extreme ones.
    package static func events(count: Int, seed: UInt64) -> [MetricEvent] {
        var random = SeededRandom(seed: seed)
        var time: Int64 = 1_795_900_000_000_000_000
        return (0..<count).map { _ in
            time += Int64(random.next() % 2_000_000_000)
            let extreme: [Int64] = [.min, .max, 0, -1]
            let timestamp = random.next() % 50 == 0 ? extreme[Int(random.next() % 4)] : time
            return event(&random, timestamp: timestamp)
        }
    }

    /// A cook-like session: iterations of commands with timers, git counters, quality gauges, errors.
    package static func cookSession(iterations: Int, seed: UInt64) -> [MetricEvent] {
        var random = SeededRandom(seed: seed)
        var time: Int64 = 1_795_900_000_000_000_000
        var events: [MetricEvent] = [.custom(name: "session.start", data: ["playbook": "improve.yml"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time))]
        for iteration in 1...iterations {
            let tag = "\(iteration)"
            for command in ["build", "test", "lint"] {
                let nanos = Int64(random.next() % 3_000_000_000) + 1
                time += nanos
                events.append(.timer(name: "command.duration", duration: .nanoseconds(nanos),
                                     tags: ["iteration": tag, "command": command, "status": random.next() % 5 == 0 ? "error" : "ok"],
                                     timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
            }
            events.append(.counter(name: "git.lines_added", value: Int64(random.next() % 200), tags: ["iteration": tag], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
            events.append(.gauge(name: "quality.test_coverage", value: 60 + Double(iteration), tags: ["iteration": tag], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
            time += 1000
            events.append(.timer(name: "iteration.duration", duration: .seconds(5), tags: ["iteration": tag], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
        }
        events.append(.custom(name: "session.end", data: ["status": "completed"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time + 1)))
        return events
    }
}


/// A log of the generated cook workload, written once and shared by the query tests.
package enum WorkloadLog {
    package static let directory = TemporaryDirectory("workload")
    package static let events: [(session: String, event: MetricEvent)] = CookWorkload.events(count: 30_000, sessions: 6, seed: 7)
    package static let root: LogRoot = {
        let root = directory.root
        var writers: [String: SessionLogWriter] = [:]
        for (session, event) in events {
            if writers[session] == nil { writers[session] = try! SessionLogWriter(root: root, session: session, options: LogWriterOptions(blockMaxEvents: 2000)) }
            try! writers[session]!.append(event)
        }
        for writer in writers.values { try! writer.close() }
        return root
    }()
}
