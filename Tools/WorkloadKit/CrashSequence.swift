public import MMMMetricsCore

/// The known sequence of the crash campaign (docs/RELIABILITY.md): `mmm-crash-writer` appends it
/// until it is killed, and the campaign compares what survived with it. Event `i` is a function of
/// `i` and the seed alone, and carries `i` in its value whatever its kind (``index(of:)``):
/// counters, gauges, timers, and custom events whose pads are mostly small and now and then
/// several kilobytes (a block of their own when the block byte limit is small).
public enum CrashSequence {
    /// The first event's time; each next one is about a millisecond later.
    public static let baseTime: Int64 = 1_800_000_000_000_000_000
    static let hosts = ["alpha", "beta", "gamma"]
    static let phases = ["build", "test", "lint", "deploy", "ünïcode ✓"]

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Event `index` of the sequence for `seed`.
    public static func event(_ index: Int, seed: UInt64) -> MetricEvent {
        let hash = mix(seed ^ mix(UInt64(index)))
        let timestamp = MetricTimestamp(nanosecondsSinceEpoch: baseTime + Int64(index) * 1_000_003 + Int64(hash % 1000))
        var tags: Tags = ["host": hosts[Int((hash >> 8) % 3)]]
        if hash & 0x10000 != 0 { tags["phase"] = phases[Int((hash >> 20) % UInt64(phases.count))] }
        switch hash % 10 {
        case 0..<4:
            return .counter(name: "crash.count", value: Int64(index), tags: tags, timestamp: timestamp)
        case 4, 5:
            return .gauge(name: "crash.gauge", value: Double(index) + 0.25, tags: tags, timestamp: timestamp)
        case 6, 7:
            return .timer(name: "crash.timer", duration: .nanoseconds(index), tags: tags, timestamp: timestamp)
        default:
            let size = (hash >> 32) % 16 == 0 ? Int((hash >> 40) % 20_000) : Int((hash >> 40) % 300)
            return .custom(name: "crash.custom", data: ["i": .integer(Int64(index)), "pad": .string(String(repeating: "p", count: size))],
                           tags: tags, timestamp: timestamp)
        }
    }

    /// The index an event of the sequence carries in its value, whatever its kind.
    public static func index(of event: MetricEvent) -> Int? {
        switch event.value {
        case .counter(let value): Int(value)
        case .gauge(let value): value.isFinite ? Int(value - 0.25) : nil
        case .timer(let duration): Int(duration.totalNanoseconds)
        case .custom(let data): data["i"].flatMap { if case .integer(let value) = $0 { Int(value) } else { nil } }
        }
    }
}
