public import MMMMetricsCore
public import MMMMetricsLog
import Foundation

/// Appends events to a session from a short-lived process (`mmm-record`), many of which may run at
/// once for one session: each waits for the session's single-writer lock (bounded), appends,
/// flushes and releases the lock without sealing, so the next one continues the same segment.
public struct SessionRecorder: Sendable {
    /// The log root.
    public let root: LogRoot
    /// The session.
    public let session: String
    /// How long to wait for another writer to release the session's lock.
    public var lockTimeout: Duration

    /// A recorder; `lockTimeout` bounds the wait for the session's lock.
    public init(root: LogRoot, session: String, lockTimeout: Duration = .seconds(30)) {
        self.root = root
        self.session = session
        self.lockTimeout = lockTimeout
    }

    /// What an append waited for.
    public struct Appended: Sendable, Hashable {
        /// Time spent waiting for the lock (zero when it was free).
        public var waited: Duration
        /// The process that held the lock while this one waited, when it said.
        public var holder: Int32?
    }

    /// Appends `events` (stamped now when they have no timestamp) and makes them durable before
    /// returning. Waits for the lock up to ``lockTimeout``, then throws ``LogError/locked(session:path:holderPID:)``;
    /// in a process that catches termination signals (`mmm-record run`), one caught during the wait
    /// ends it, with ``LogError/invalidInput(_:)`` naming the signal.
    @discardableResult
    public func append(_ events: [MetricEvent]) throws(LogError) -> Appended {
        let clock = ContinuousClock()
        let start = clock.now
        var holder: Int32?
        var pause = Duration.milliseconds(5)
        while true {
            do throws(LogError) {
                let writer = try SessionLogWriter(root: root, session: session)
                do throws(LogError) {
                    let now = MetricTimestamp.now()
                    try writer.append(contentsOf: events.map { event in
                        var stamped = event
                        if stamped.timestamp == nil { stamped.timestamp = now }
                        return stamped
                    })
                    try writer.release()
                } catch {
                    try? writer.release()
                    throw error
                }
                return Appended(waited: clock.now - start, holder: holder)
            } catch {
                guard case .locked(_, _, let pid) = error, clock.now - start < lockTimeout else { throw error }
                holder = pid ?? holder
                // A termination signal caught meanwhile (where the process catches them: `mmm-record
                // run`) ends the wait: whoever sent it does not want this process to linger.
                try InterruptSignal.check("waiting for the lock of session \(session)")
                // Jittered backoff, so that many waiting processes do not retry in step.
                Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 * Double.random(in: 0.5...1.5))
                pause = min(pause * 2, .milliseconds(100))
            }
        }
    }

    /// The latest event of `name` in the session with tag `key` equal to `value`, if any.
    public func latest(_ name: String, tag key: String, _ value: String) throws -> MetricEvent? {
        guard try root.sessionIDs().contains(session) else { return nil }
        let filter = ReadFilter(names: [name])
        return try LogReader(root: root).events(session: session, filter: filter)
            .last { $0.event.tags[key] == value }?.event
    }
}
