import MMMMetricsCore
import MMMMetricsLog

/// Per-command timings of a session: every `command.duration`, by its `command` tag.
public struct CommandReducer: MetricsReducer {
    // Commands by their bytes, as query groups are: `cé` and `ce`+U+0301 are two commands.
    var durations: [ExactText: [Double]] = [:]
    var failures: [ExactText: Int] = [:]

    public init() {}

    public mutating func apply(_ event: ReplayedEvent) {
        guard event.event.name == "command.duration", case .timer(let duration) = event.event.value else { return }
        let command = ExactText(event.event.tags["command"] ?? "")
        durations[command, default: []].append(duration.secondsAsDouble)
        if event.event.tags["status"] == "error" { failures[command, default: 0] += 1 }
    }

    public mutating func merge(_ other: CommandReducer) {
        for (command, values) in other.durations { durations[command, default: []] += values }
        for (command, count) in other.failures { failures[command, default: 0] += count }
    }

    /// Statistics per command, slowest (by p95) first.
    public func result() -> [CommandStatistics] {
        durations.map { command, values in
            let sorted = values.sorted()
            return CommandStatistics(
                command: command.string, runs: values.count, failures: failures[command] ?? 0,
                p50Seconds: Percentile.of(sorted: sorted, q: 50) ?? 0, p95Seconds: Percentile.of(sorted: sorted, q: 95) ?? 0,
                maxSeconds: sorted.last ?? 0, totalSeconds: values.reduce(0, +), durations: values)
        }.sorted { left, right in
            // Slowest first; ties by command, in code point order (two spellings of one text differ there).
            if left.p95Seconds != right.p95Seconds { return left.p95Seconds > right.p95Seconds }
            return left.command.unicodeScalars.lexicographicallyPrecedes(right.command.unicodeScalars, by: { $0.value < $1.value })
        }
    }
}

/// How one command performed in a session.
public struct CommandStatistics: Sendable, Hashable {
    /// The `command` tag.
    public var command: String
    /// `command.duration` events.
    public var runs: Int
    /// Those tagged `status` = `error`.
    public var failures: Int
    /// Median duration.
    public var p50Seconds: Double
    /// 95th percentile.
    public var p95Seconds: Double
    /// Longest.
    public var maxSeconds: Double
    /// Sum.
    public var totalSeconds: Double
    /// Every duration, in recording order.
    public var durations: [Double]
}
