/// A collector's failure, as the registry reports it to its error handler.
///
/// The code that recorded a metric never sees these: they go to the handler (the `MMMMetrics`
/// module logs them through swift-log) and to the collector's ``CollectorStatistics``.
public struct CollectorFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the registry was doing when the collector failed.
    public enum Operation: String, Sendable, Hashable {
        /// `record` threw.
        case record
        /// `flush` threw.
        case flush
        /// `flush` did not return within the configured `flushTimeout`.
        case flushTimeout = "flush timeout"
        /// The collector's hand-off buffer was full and events were dropped.
        case overflow
    }

    /// The collector's name.
    public var collector: String
    /// What failed.
    public var operation: Operation
    /// What went wrong.
    public var message: String

    /// Creates a failure report.
    public init(collector: String, operation: Operation, message: String) {
        self.collector = collector
        self.operation = operation
        self.message = message
    }

    public var description: String { "collector \(collector): \(operation.rawValue) failed: \(message)" }
}

/// Receives collector failures. It must not block.
public typealias MetricsErrorHandler = @Sendable (CollectorFailure) -> Void

/// What happened to one collector's events so far.
public struct CollectorStatistics: Sendable, Hashable {
    /// The collector's name.
    public var name: String
    /// Events handed to the collector (including those whose `record` threw).
    public var delivered: Int
    /// Events dropped because the collector's buffer was full.
    public var dropped: Int
    /// Failed `record` and `flush` calls.
    public var errors: Int
    /// Flushes that did not complete within `flushTimeout`.
    public var flushTimeouts: Int
    /// Events waiting in the buffer.
    public var pending: Int
    /// The last failure's message.
    public var lastError: String?
}
