public import MMMMetricsCore
import MMMMetricsLog

/// Folds a session's events into `SessionMetrics` by the reduction rules of docs/METRICS.md.
public struct SessionReducer: MetricsReducer {
    var session: String?
    var startMarker: Stamped<Int64>?
    /// The last `session.end`, with its `data.status` when that is text.
    var endMarker: Stamped<String?>?
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
                endMarker = Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: data["status"]?.stringValue)
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
        let status = endMarker?.value.flatMap { SessionStatus(rawValue: $0) } ?? .incomplete
        return SessionMetrics(
            sessionId: session ?? "", startTime: start.map { MetricTimestamp(nanosecondsSinceEpoch: $0) },
            iterations: iterations.result(),
            totalDurationSeconds: start.flatMap { s in end.map { Double($0 &- s) / 1e9 } } ?? 0,
            finalStatus: status, quality: quality.result())
    }

    /// `session.end`'s status as written (it may be a word outside the catalog), or `nil` when
    /// there is no `session.end` or its `data.status` is missing, empty or not text.
    public var rawFinalStatus: String? { endMarker?.value.flatMap { $0.isEmpty ? nil : $0 } }
}
