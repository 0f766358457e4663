import MMMMetricsCore
import MMMMetricsLogFormat

/// The events a writer has buffered and not yet written, with each one's measured bytes
/// (``EventLimits/measure(_:)``): a block is due when either the count or the bytes reach the
/// block's limits. One value, so the writer touches one property per append.
///
/// Written blocks leave from the front by moving a start index, not by shifting what remains: a
/// collector hands over millions of events at once when the writer falls behind, and shifting the
/// rest after each block made writing them quadratic. The room before the start is reclaimed when
/// the buffer empties, or when it is at least half of the buffer (so written events are held at
/// most as long, and as many, as the pending ones: amortised, each event moves at most once).
struct PendingEvents {
    private var storedEvents: [MetricEvent] = []
    private var storedSizes: [Int] = []
    /// The first event not yet written.
    private var start = 0
    /// The sum of the pending events' sizes.
    private(set) var bytes = 0

    var count: Int { storedEvents.count - start }
    var isEmpty: Bool { start == storedEvents.count }

    /// The `count` oldest events and their sizes.
    func prefix(_ count: Int) -> (events: ArraySlice<MetricEvent>, sizes: ArraySlice<Int>) {
        (storedEvents[start..<start + count], storedSizes[start..<start + count])
    }

    mutating func append(_ event: MetricEvent, size: Int) {
        storedEvents.append(event)
        storedSizes.append(size)
        bytes += size
    }

    mutating func append(contentsOf batch: ArraySlice<MetricEvent>, sizes batchSizes: ArraySlice<Int>) {
        storedEvents.append(contentsOf: batch)
        storedSizes.append(contentsOf: batchSizes)
        bytes += batchSizes.reduce(0, +)
    }

    /// Whether a block of at most `maximumEvents` events and `maximumBytes` payload bytes is full.
    func fillsBlock(maximumEvents: Int, maximumBytes: Int) -> Bool {
        Self.fillBlock(count: count, bytes: bytes, maximumEvents: maximumEvents, maximumBytes: maximumBytes)
    }

    /// The rule: `count` events whose strings and data take `bytes` fill a block when they reach its
    /// count, or its byte budget with their columns counted.
    static func fillBlock(count: Int, bytes: Int, maximumEvents: Int, maximumBytes: Int) -> Bool {
        count >= maximumEvents || bytes + count * BlockPayload.columnBytesPerEvent >= maximumBytes
    }

    /// Gives back room beyond what is held: a writer left waiting with a block's remainder would
    /// otherwise keep a whole block's room (megabytes) until its session's next block.
    mutating func shrinkToFit() {
        guard storedEvents.capacity > 2 * count + 64 else { return }
        var keptEvents: [MetricEvent] = []
        keptEvents.reserveCapacity(count)
        keptEvents.append(contentsOf: storedEvents[start...])
        storedEvents = keptEvents
        var keptSizes: [Int] = []
        keptSizes.reserveCapacity(count)
        keptSizes.append(contentsOf: storedSizes[start...])
        storedSizes = keptSizes
        start = 0
    }

    /// The room the buffers hold, in events (for tests).
    var capacity: Int { storedEvents.capacity }

    /// Removes the `count` oldest events.
    mutating func removeFirst(_ count: Int) {
        bytes -= storedSizes[start..<start + count].reduce(0, +)
        start += count
        if start == storedEvents.count {
            storedEvents.removeAll(keepingCapacity: true)
            storedSizes.removeAll(keepingCapacity: true)
            start = 0
        } else if 2 * start >= storedEvents.count {
            storedEvents.removeSubrange(..<start)
            storedSizes.removeSubrange(..<start)
            start = 0
        }
    }
}
