import MMMMetricsCore
import MMMMetricsLogFormat

/// The events a writer has buffered and not yet written, with each one's measured bytes
/// (``EventLimits/measure(_:)``): a block is due when either the count or the bytes reach the
/// block's limits. One value, so the writer touches one property per append.
struct PendingEvents {
    private(set) var events: [MetricEvent] = []
    private(set) var sizes: [Int] = []
    /// The sum of `sizes`.
    private(set) var bytes = 0

    var count: Int { events.count }
    var isEmpty: Bool { events.isEmpty }

    mutating func append(_ event: MetricEvent, size: Int) {
        events.append(event)
        sizes.append(size)
        bytes += size
    }

    mutating func append(contentsOf batch: [MetricEvent], sizes batchSizes: [Int]) {
        events.append(contentsOf: batch)
        sizes.append(contentsOf: batchSizes)
        bytes += batchSizes.reduce(0, +)
    }

    /// Whether a block of at most `maximumEvents` events and `maximumBytes` payload bytes is full.
    func fillsBlock(maximumEvents: Int, maximumBytes: Int) -> Bool {
        events.count >= maximumEvents || bytes + events.count * BlockPayload.columnBytesPerEvent >= maximumBytes
    }

    /// Gives back room beyond what is held: a writer left waiting with a block's remainder would
    /// otherwise keep a whole block's room (megabytes) until its session's next block.
    mutating func shrinkToFit() {
        guard events.capacity > 2 * events.count + 64 else { return }
        var keptEvents: [MetricEvent] = []
        keptEvents.reserveCapacity(events.count)
        keptEvents.append(contentsOf: events)
        events = keptEvents
        var keptSizes: [Int] = []
        keptSizes.reserveCapacity(sizes.count)
        keptSizes.append(contentsOf: sizes)
        sizes = keptSizes
    }

    /// The room the buffers hold, in events (for tests).
    var capacity: Int { events.capacity }

    /// Removes the `count` oldest events.
    mutating func removeFirst(_ count: Int) {
        bytes -= sizes[0..<count].reduce(0, +)
        events.removeFirst(count)
        sizes.removeFirst(count)
    }
}
