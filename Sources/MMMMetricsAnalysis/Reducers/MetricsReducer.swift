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
