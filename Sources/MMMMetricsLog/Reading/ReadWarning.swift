public import MMMMetricsCore
import MMMMetricsLogFormat

/// How a replay treats damage.
public enum ReadMode: Sendable, Hashable {
    /// Any damaged block (other than a torn tail of the last, unsealed segment, which a live writer may
    /// be writing) is an error.
    case strict
    /// Damaged blocks are skipped with a warning naming the segment, the offset and the events lost.
    case lenient
}

/// Something a lenient replay skipped, or noticed.
public struct ReadWarning: Sendable, Hashable, CustomStringConvertible {
    /// The session.
    public var session: String
    /// The segment file.
    public var segment: String
    /// Byte offset in the segment.
    public var offset: Int
    /// What happened.
    public var message: String
    /// Events left out of the answer because of it: `nil` when the count is unknown.
    public var skippedEvents: Int?

    /// A warning.
    public init(session: String, segment: String, offset: Int, message: String, skippedEvents: Int?) {
        self.session = session
        self.segment = segment
        self.offset = offset
        self.message = message
        self.skippedEvents = skippedEvents
    }

    public var description: String { "warning: session \(session): \(segment): offset \(offset): \(message)" }
}

extension SkippedData {
    /// Counts what `warning` says was skipped.
    public mutating func add(_ warning: ReadWarning) { add(events: warning.skippedEvents) }
}
