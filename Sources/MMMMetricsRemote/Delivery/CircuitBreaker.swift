/// The circuit breaker of a remote collector: closed → open after `failureThreshold` consecutive
/// failed deliveries → half-open after `coolDown` (one probe delivery is let through) → closed
/// when the probe succeeds, open again (for another `coolDown`) when it fails.
///
/// A value type with the time passed in, so that its rules are tested without waiting.
public struct CircuitBreaker: Sendable, Hashable {
    /// Where the breaker is.
    public enum State: Sendable, Hashable, CustomStringConvertible {
        /// Deliveries go through.
        case closed
        /// Deliveries are refused until the given instant (nanoseconds of a monotonic clock).
        case open(until: UInt64)
        /// One probe delivery is out; others are refused until it returns.
        case halfOpen

        public var description: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half-open"
            }
        }
    }

    /// Consecutive failures that open the breaker (at least 1).
    public let failureThreshold: Int
    /// How long it stays open before a probe.
    public let coolDown: Duration
    /// The current state.
    public private(set) var state: State = .closed
    /// Consecutive failures so far.
    public private(set) var consecutiveFailures = 0
    /// Times it opened.
    public private(set) var openings = 0

    /// A closed breaker.
    public init(failureThreshold: Int = 5, coolDown: Duration = .seconds(30)) {
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = max(.zero, coolDown)
    }

    /// Whether a delivery may start at `now`; moves an open breaker whose cool-down has passed to
    /// half-open and lets that one delivery through as the probe.
    public mutating func allowsDelivery(now: UInt64) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        case .halfOpen:
            return false
        }
    }

    /// A delivery succeeded: the breaker closes.
    public mutating func recordSuccess() {
        consecutiveFailures = 0
        state = .closed
    }

    /// A delivery failed at `now`: a failed probe, or the threshold reached, opens the breaker.
    public mutating func recordFailure(now: UInt64) {
        consecutiveFailures += 1
        if state == .halfOpen || consecutiveFailures >= failureThreshold {
            if case .open = state {} else { openings += 1 }
            let (until, overflow) = now.addingReportingOverflow(UInt64(clamping: coolDown.nanosecondsClamped))
            state = .open(until: overflow ? .max : until)
        }
    }
}

extension Duration {
    /// The duration in nanoseconds, clamped to `Int64`.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (seconds < 0 ? .min : .max) : total
    }
}
