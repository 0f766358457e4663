public import MMMMetricsCore
import MMMMetricsLog

/// Folds events into one `IterationMetrics` per distinct integer `iteration` tag, ascending.
public struct IterationReducer: MetricsReducer {
    struct Partial {
        var duration = 0.0
        var commands = 0
        var files: Int64 = 0
        var added: Int64 = 0
        var removed: Int64 = 0
        var errors: [Stamped<ErrorMetric>] = []
    }

    var iterations: [Int: Partial] = [:]

    public init() {}

    public mutating func apply(_ event: ReplayedEvent) {
        guard let number = event.event.tags["iteration"].flatMap({ Int($0) }) else { return }
        var partial = iterations[number] ?? Partial()
        switch (event.event.name, event.event.value) {
        case ("iteration.duration", .timer(let duration)): partial.duration += duration.secondsAsDouble
        case ("command.duration", .timer): partial.commands += 1
        case ("git.files_changed", .counter(let count)): partial.files &+= count
        case ("git.lines_added", .counter(let count)): partial.added &+= count
        case ("git.lines_removed", .counter(let count)): partial.removed &+= count
        case ("error", .custom(let data)):
            let error = ErrorMetric(message: data["message"]?.stringValue ?? "", kind: data["kind"]?.stringValue ?? "",
                                    timestamp: event.event.timestamp)
            partial.errors.append(Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: error))
        default: break
        }
        iterations[number] = partial
    }

    public mutating func merge(_ other: IterationReducer) {
        for (number, theirs) in other.iterations {
            var mine = iterations[number] ?? Partial()
            mine.duration += theirs.duration
            mine.commands += theirs.commands
            mine.files &+= theirs.files
            mine.added &+= theirs.added
            mine.removed &+= theirs.removed
            mine.errors += theirs.errors
            iterations[number] = mine
        }
    }

    public func result() -> [IterationMetrics] {
        iterations.keys.sorted().map { number in
            let partial = iterations[number]!
            // Errors in recording order: sequence within a session, timestamp across merged parts.
            let errors = partial.errors.sorted { ($0.nanoseconds, $0.sequence) < ($1.nanoseconds, $1.sequence) }.map(\.value)
            return IterationMetrics(
                iterationNumber: number, durationSeconds: partial.duration, commandsExecuted: partial.commands,
                filesChanged: partial.files, linesAdded: partial.added, linesRemoved: partial.removed, errors: errors)
        }
    }
}
