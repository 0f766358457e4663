public import MMMMetricsCore
import MMMMetricsLog

/// Folds events into one `IterationMetrics` per distinct integer `iteration` tag, ascending.
///
/// An iteration tag is an integer as `mmm-record` writes one (``number(of:)``): `01` or `+5` is
/// not iteration 1 or 5 (queries group them apart too). Counts of changed files and lines that
/// overflow `Int64` stop at its limit, and the iteration is listed in ``overflowedIterations``.
/// Errors whose `iteration` tag is missing or not such an integer are kept apart, in
/// ``errorsOutsideIterations``.
public struct IterationReducer: MetricsReducer {
    struct Partial {
        var duration = 0.0
        var commands = 0
        var files: Int64 = 0
        var added: Int64 = 0
        var removed: Int64 = 0
        var errors: [Stamped<ErrorMetric>] = []
        var overflowed = false

        /// `total + count`, at `Int64`'s limit (and noted in `overflowed`) when it does not fit.
        static func sum(_ total: Int64, _ count: Int64, _ overflowed: inout Bool) -> Int64 {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard overflow else { return sum }
            overflowed = true
            return count > 0 ? .max : .min
        }
    }

    /// The iteration number an `iteration` tag names: an integer in its plain decimal form (`7`,
    /// `-2`), else `nil`.
    public static func number(of tag: String?) -> Int? {
        guard let tag, let number = Int(tag), String(number) == tag else { return nil }
        return number
    }

    var iterations: [Int: Partial] = [:]
    var outside: [Stamped<ErrorMetric>] = []

    public init() {}

    public mutating func apply(_ event: ReplayedEvent) {
        guard let number = Self.number(of: event.event.tags["iteration"]) else {
            if let error = Self.error(event) { outside.append(error) }
            return
        }
        var partial = iterations[number] ?? Partial()
        switch (event.event.name, event.event.value) {
        case ("iteration.duration", .timer(let duration)): partial.duration += duration.secondsAsDouble
        case ("command.duration", .timer): partial.commands += 1
        case ("git.files_changed", .counter(let count)): partial.files = Partial.sum(partial.files, count, &partial.overflowed)
        case ("git.lines_added", .counter(let count)): partial.added = Partial.sum(partial.added, count, &partial.overflowed)
        case ("git.lines_removed", .counter(let count)): partial.removed = Partial.sum(partial.removed, count, &partial.overflowed)
        case ("error", .custom):
            if let error = Self.error(event) { partial.errors.append(error) }
        default: break
        }
        iterations[number] = partial
    }

    /// An `error` event's message and kind, stamped with its place; `nil` for any other event.
    private static func error(_ event: ReplayedEvent) -> Stamped<ErrorMetric>? {
        guard event.event.name == "error", case .custom(let data) = event.event.value else { return nil }
        let error = ErrorMetric(message: data["message"]?.stringValue ?? "", kind: data["kind"]?.stringValue ?? "", timestamp: event.event.timestamp)
        return Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: error)
    }

    /// Errors in recording order: sequence within a session, timestamp across merged parts.
    private static func inRecordingOrder(_ errors: [Stamped<ErrorMetric>]) -> [ErrorMetric] {
        errors.sorted { ($0.nanoseconds, $0.sequence) < ($1.nanoseconds, $1.sequence) }.map(\.value)
    }

    public mutating func merge(_ other: IterationReducer) {
        for (number, theirs) in other.iterations {
            var mine = iterations[number] ?? Partial()
            mine.duration += theirs.duration
            mine.commands += theirs.commands
            mine.overflowed = mine.overflowed || theirs.overflowed
            mine.files = Partial.sum(mine.files, theirs.files, &mine.overflowed)
            mine.added = Partial.sum(mine.added, theirs.added, &mine.overflowed)
            mine.removed = Partial.sum(mine.removed, theirs.removed, &mine.overflowed)
            mine.errors += theirs.errors
            iterations[number] = mine
        }
        outside += other.outside
    }

    /// The iterations whose changed files or lines did not fit `Int64`: shown at its limit.
    public var overflowedIterations: [Int] { iterations.filter(\.value.overflowed).keys.sorted() }

    /// Errors recorded outside any iteration (no `iteration` tag, or not an integer), in recording order.
    public var errorsOutsideIterations: [ErrorMetric] { Self.inRecordingOrder(outside) }

    public func result() -> [IterationMetrics] {
        iterations.keys.sorted().map { number in
            let partial = iterations[number]!
            return IterationMetrics(
                iterationNumber: number, durationSeconds: partial.duration, commandsExecuted: partial.commands,
                filesChanged: partial.files, linesAdded: partial.added, linesRemoved: partial.removed,
                errors: Self.inRecordingOrder(partial.errors))
        }
    }
}
