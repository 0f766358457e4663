public import MMMMetricsCore
public import MMMMetricsLog

/// An event as replay hands it to reducers: with the session (stream) it belongs to and its
/// sequence number in that stream.
public struct ReplayedEvent: Sendable {
    /// The session id.
    public let session: String
    /// The event's sequence number in its session.
    public let sequence: UInt64
    /// The event.
    public let event: MetricEvent

    /// Wraps an event.
    public init(session: String, sequence: UInt64, event: MetricEvent) {
        self.session = session
        self.sequence = sequence
        self.event = event
    }

    /// The event's timestamp in nanoseconds (0 when it has none).
    public var nanoseconds: Int64 { event.timestamp?.nanosecondsSinceEpoch ?? 0 }
}

/// A fold of events into a state: state is only ever derived by replaying events.
///
/// `merge` must combine the states of two disjoint parts of a replay (separate segments or sessions)
/// into the state of replaying both, whatever the order of the parts, so that work can be split.
/// To add a reducer, conform a type and call ``Replay/run(_:source:sessions:filter:)``; see
/// docs/ANALYSIS.md for a worked example.
public protocol MetricsReducer {
    /// What the reducer produces.
    associatedtype Output
    /// The state before any event.
    init()
    /// Folds in one event.
    mutating func apply(_ event: ReplayedEvent)
    /// Folds in the state of another part of the replay.
    mutating func merge(_ other: Self)
    /// The result.
    func result() -> Output
}

/// Runs reducers over stored sessions.
public enum Replay {
    /// Replays `sessions` (every session when empty) from `source` through a fresh reducer.
    public static func run<R: MetricsReducer>(
        _ reducer: R.Type, source: any LogSource, sessions: [String] = [], filter: ReadFilter = ReadFilter(),
        mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in }
    ) throws -> R.Output {
        let reader = LogReader(source: source)
        var state = R()
        for session in sessions.isEmpty ? try reader.sessions() : sessions {
            var part = R()
            try reader.replay(session: session, filter: filter, mode: mode, warning: warning) { block in
                for index in 0..<block.count {
                    part.apply(ReplayedEvent(session: session, sequence: block.firstSequence + UInt64(index), event: block.event(at: index)))
                }
            }
            state.merge(part)
        }
        return state.result()
    }
}

/// A value with the position that decides which of two values is later: timestamp, then sequence.
/// The reducers keep "first" and "last" values with it.
package struct Stamped<Value> {
    /// The event's timestamp, nanoseconds.
    package var nanoseconds: Int64
    /// The event's sequence number.
    package var sequence: UInt64
    /// The value.
    package var value: Value

    /// A value at a position.
    package init(nanoseconds: Int64, sequence: UInt64, value: Value) {
        self.nanoseconds = nanoseconds
        self.sequence = sequence
        self.value = value
    }

    /// Whether this comes after `other` (timestamp, then sequence).
    package func isAfter(_ other: Stamped<Value>) -> Bool {
        (nanoseconds, sequence) > (other.nanoseconds, other.sequence)
    }

    /// Whether this comes after `other`, or `other` is absent.
    package func isAfter(_ other: Stamped<Value>?) -> Bool {
        other.map { isAfter($0) } ?? true
    }
}

extension Stamped: Sendable where Value: Sendable {}

/// Folds the quality gauges: for each, the first and the last value of the session (by timestamp,
/// then sequence), and the last value per iteration.
public struct QualityReducer: MetricsReducer {
    /// The four quality gauges of the metrics catalog, with the field each fills.
    public static let gauges = ["quality.test_coverage", "quality.lint_warnings", "quality.complexity_score", "quality.documentation_coverage"]

    var first: [String: Stamped<Double>] = [:]
    var last: [String: Stamped<Double>] = [:]
    var perIteration: [Int: [String: Stamped<Double>]] = [:]

    public init() {}

    public mutating func apply(_ event: ReplayedEvent) {
        guard case .gauge(let value) = event.event.value, Self.gauges.contains(event.event.name) else { return }
        let stamped = Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: value)
        let name = event.event.name
        if first[name].map({ $0.isAfter(stamped) }) ?? true { first[name] = stamped }
        if stamped.isAfter(last[name]) { last[name] = stamped }
        if let iteration = event.event.tags["iteration"].flatMap({ Int($0) }) {
            if stamped.isAfter(perIteration[iteration]?[name]) {
                perIteration[iteration, default: [:]][name] = stamped
            }
        }
    }

    public mutating func merge(_ other: QualityReducer) {
        for (name, value) in other.first where first[name].map({ $0.isAfter(value) }) ?? true { first[name] = value }
        for (name, value) in other.last where value.isAfter(last[name]) { last[name] = value }
        for (iteration, values) in other.perIteration {
            for (name, value) in values where value.isAfter(perIteration[iteration]?[name]) {
                perIteration[iteration, default: [:]][name] = value
            }
        }
    }

    static func metrics(_ values: [String: Stamped<Double>]) -> QualityMetrics {
        QualityMetrics(
            testCoverage: values["quality.test_coverage"]?.value, lintWarnings: values["quality.lint_warnings"]?.value,
            complexityScore: values["quality.complexity_score"]?.value, documentationCoverage: values["quality.documentation_coverage"]?.value)
    }

    /// The last value of each gauge.
    public func result() -> QualityMetrics { Self.metrics(last) }

    /// The first value of each gauge.
    public var start: QualityMetrics { Self.metrics(first) }

    /// The last value of each gauge within each iteration, by iteration number.
    public var byIteration: [Int: QualityMetrics] { perIteration.mapValues(Self.metrics) }
}

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

/// Folds a session's events into `SessionMetrics` by the reduction rules of docs/METRICS.md.
public struct SessionReducer: MetricsReducer {
    var session: String?
    var startMarker: Stamped<Int64>?
    var endMarker: Stamped<String>?
    var firstEvent: Stamped<Int64>?
    var lastEvent: Stamped<Int64>?
    /// The iteration fold.
    public private(set) var iterations = IterationReducer()
    /// The quality fold.
    public private(set) var quality = QualityReducer()

    public init() {}

    public mutating func apply(_ event: ReplayedEvent) {
        session = session ?? event.session
        let position = Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: event.nanoseconds)
        // The session's first and last events are by sequence: the order they were recorded in.
        if firstEvent.map({ event.sequence < $0.sequence }) ?? true { firstEvent = position }
        if lastEvent.map({ event.sequence > $0.sequence }) ?? true { lastEvent = position }
        switch (event.event.name, event.event.value) {
        case ("session.start", .custom):
            if startMarker.map({ event.sequence < $0.sequence }) ?? true { startMarker = position }
        case ("session.end", .custom(let data)):
            if endMarker.map({ event.sequence > $0.sequence }) ?? true {
                endMarker = Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: data["status"]?.stringValue ?? "")
            }
        default: break
        }
        iterations.apply(event)
        quality.apply(event)
    }

    public mutating func merge(_ other: SessionReducer) {
        session = session ?? other.session
        if let theirs = other.startMarker, startMarker.map({ theirs.sequence < $0.sequence }) ?? true { startMarker = theirs }
        if let theirs = other.endMarker, endMarker.map({ theirs.sequence > $0.sequence }) ?? true { endMarker = theirs }
        if let theirs = other.firstEvent, firstEvent.map({ theirs.sequence < $0.sequence }) ?? true { firstEvent = theirs }
        if let theirs = other.lastEvent, lastEvent.map({ theirs.sequence > $0.sequence }) ?? true { lastEvent = theirs }
        iterations.merge(other.iterations)
        quality.merge(other.quality)
    }

    public func result() -> SessionMetrics {
        let start = startMarker?.value ?? firstEvent?.value
        let end = endMarker?.nanoseconds ?? lastEvent?.value
        let status = endMarker.flatMap { SessionStatus(rawValue: $0.value) } ?? .incomplete
        return SessionMetrics(
            sessionId: session ?? "", startTime: start.map { MetricTimestamp(nanosecondsSinceEpoch: $0) },
            iterations: iterations.result(),
            totalDurationSeconds: start.flatMap { s in end.map { Double($0 &- s) / 1e9 } } ?? 0,
            finalStatus: status, quality: quality.result())
    }

    /// `session.end`'s status as written (it may be a word outside the catalog), or `nil`.
    public var rawFinalStatus: String? { endMarker?.value }
}
