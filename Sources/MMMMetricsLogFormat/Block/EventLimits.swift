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
        let nameBytes = event.name.utf8.count
        guard nameBytes > 0 else { return "the metric name is empty" }
        guard nameBytes <= maximumNameBytes else {
            return "the metric name has \(nameBytes) bytes, more than the limit of \(maximumNameBytes)"
        }
        guard event.tags.count <= maximumTags else {
            return "\(event.name.prefix(80).debugDescription) has \(event.tags.count) tags, more than the limit of \(maximumTags)"
        }
        var total = nameBytes
        for tag in event.tags {
            let keyBytes = tag.key.utf8.count
            let valueBytes = tag.value.utf8.count
            if keyBytes > maximumTagKeyBytes {
                return "a tag key of \(event.name.prefix(80).debugDescription) has \(keyBytes) bytes, more than the limit of \(maximumTagKeyBytes)"
            }
            if valueBytes > maximumTagValueBytes {
                return "tag \(tag.key.prefix(80).debugDescription) of \(event.name.prefix(80).debugDescription) has a value of \(valueBytes) bytes, more than the limit of \(maximumTagValueBytes)"
            }
            total += keyBytes + valueBytes
        }
        switch event.value {
        case .timer(let duration):
            let (seconds, attoseconds) = duration.components
            let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            guard !overflow, !scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow else {
                return "timer \(event.name.prefix(80).debugDescription) lasts \(seconds) s, outside the range of Int64 nanoseconds (about ±292 years)"
            }
        case .custom(let data):
            total += JSONText.encodedLength(data, limit: maximumEventBytes - total + 1)
        case .counter, .gauge:
            break
        }
        guard total <= maximumEventBytes else {
            return "\(event.name.prefix(80).debugDescription) needs more than \(maximumEventBytes) bytes (name, tags and data), the limit of one event"
        }
        return nil
    }

    /// Throws ``LogError/invalidInput(_:)`` naming the limit when `event` cannot be stored.
    public static func check(_ event: MetricEvent) throws(LogError) {
        if let violation = violation(event) { throw .invalidInput("event too large to store: \(violation)") }
    }
}
