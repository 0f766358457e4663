public import MMMMetricsCore

/// The largest events the log stores, checked before anything is written.
///
/// Every block the writer makes stays within every limit a reader enforces (docs/FORMAT.md,
/// "Limits"): an event over one of these limits is refused with an error saying which, and nothing
/// of the batch it came in is written.
public enum EventLimits {
    /// A metric name: 1 to 4,096 bytes of UTF-8.
    public static let maximumNameBytes = 4096
    /// A tag key: at most 4,096 bytes.
    public static let maximumTagKeyBytes = 4096
    /// A tag value: at most 65,536 bytes.
    public static let maximumTagValueBytes = 65_536
    /// Tags on one event.
    public static let maximumTags = 1024
    /// One event's name, tag keys and values and custom data (as compact JSON) together: 16 MiB.
    public static let maximumEventBytes = 16 << 20

    /// Why `event` cannot be stored, or `nil` when it can: an empty or oversized name, too many or
    /// oversized tags, more than ``maximumEventBytes`` in all, or a timer whose duration does not fit
    /// in `Int64` nanoseconds (about ±292 years).
    public static func violation(_ event: MetricEvent) -> String? {
        if case .failure(let violation) = problem(event) { return violation.message }
        return nil
    }

    /// Why an event is over the limits.
    package struct Violation: Error {
        package let message: String
    }

    /// The bytes of an event's name, tag keys and values and custom data, or why it cannot be stored
    /// (one pass over the event).
    package static func measure(_ event: MetricEvent) -> Result<Int, Violation> {
        switch problem(event) {
        case .success(let total): .success(total)
        case .failure(let violation): .failure(violation)
        }
    }

    private static func problem(_ event: MetricEvent) -> Result<Int, Violation> {
        func refuse(_ message: String) -> Result<Int, Violation> { .failure(Violation(message: message)) }
        let nameBytes = event.name.utf8.count
        guard nameBytes > 0 else { return refuse("the metric name is empty") }
        guard nameBytes <= maximumNameBytes else {
            return refuse("the metric name has \(nameBytes) bytes, more than the limit of \(maximumNameBytes)")
        }
        guard event.tags.count <= maximumTags else {
            return refuse("\(event.name.prefix(80).debugDescription) has \(event.tags.count) tags, more than the limit of \(maximumTags)")
        }
        var total = nameBytes
        for tag in event.tags {
            let keyBytes = tag.key.utf8.count
            let valueBytes = tag.value.utf8.count
            if keyBytes > maximumTagKeyBytes {
                return refuse("a tag key of \(event.name.prefix(80).debugDescription) has \(keyBytes) bytes, more than the limit of \(maximumTagKeyBytes)")
            }
            if valueBytes > maximumTagValueBytes {
                return refuse("tag \(tag.key.prefix(80).debugDescription) of \(event.name.prefix(80).debugDescription) has a value of \(valueBytes) bytes, more than the limit of \(maximumTagValueBytes)")
            }
            total += keyBytes + valueBytes
        }
        switch event.value {
        case .timer(let duration):
            guard duration >= Self.shortestTimer, duration < Self.longestTimer else {
                return refuse("timer \(event.name.prefix(80).debugDescription) lasts \(duration.components.seconds) s, outside the range of Int64 nanoseconds (about ±292 years)")
            }
        case .custom(let data):
            total += JSONText.encodedLength(data, limit: maximumEventBytes - total + 1)
        case .counter, .gauge:
            break
        }
        guard total <= maximumEventBytes else {
            return refuse("\(event.name.prefix(80).debugDescription) needs more than \(maximumEventBytes) bytes (name, tags and data), the limit of one event")
        }
        return .success(total)
    }

    /// The timer range: whole nanoseconds in `Int64` (a duration below the next nanosecond truncates into it).
    static let shortestTimer = Duration.nanoseconds(Int64.min)
    static let longestTimer = Duration.nanoseconds(Int64.max) + .nanoseconds(1)

    /// Throws ``LogError/invalidInput(_:)`` naming the limit when `event` cannot be stored.
    public static func check(_ event: MetricEvent) throws(LogError) {
        if let violation = violation(event) { throw .invalidInput("event too large to store: \(violation)") }
    }
}
