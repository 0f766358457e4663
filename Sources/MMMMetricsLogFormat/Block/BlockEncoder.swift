package import MMMMetricsCore

/// Builds one block payload (docs/FORMAT.md, "Block payload") from events appended one by one,
/// in a single pass: metrics, strings and tag keys are discovered as they come (a tag key first
/// seen mid-block gets a column that starts with zeros), and the columns are packed by ``finish()``.
///
/// ``append(_:)`` refuses an event (returns `false`) when, by an upper bound of the payload's size,
/// it would take the payload past the byte budget; the first event is always taken. So a payload
/// never exceeds its budget unless its first event alone does.
package struct BlockEncoder {
    private let byteBudget: Int
    // Texts by their bytes: two spellings of one canonical string are two entries (see ExactText).
    private var strings = TextInternTable()
    private var metrics = InternTable<BlockPayload.MetricKey>()
    private var keys = InternTable<ExactText>()
    private var tagColumns: [[UInt64]] = []
    private var currentReference: [Int64] = []
    private var lastReference: [Int64] = []
    private var metricColumn: [UInt64] = []
    private var deltas: [UInt64] = []
    private var timerFlags: [UInt64] = []
    private var counters: [UInt64] = []
    private var gaugeScales: [UInt64] = []
    private var gaugeMantissas: [UInt64] = []
    private var gaugeBits: [UInt64] = []
    private var timers: [UInt64] = []
    private var customs = ByteWriter()
    /// The events' totals for the index (``BlockSummary``).
    private var summarizer = BlockSummarizer()
    /// The column of the sample-rate tag, once met.
    private var sampleColumn: Int?
    private var lastGaugeBits: [Int: UInt64] = [:]
    private var lastDecimal: [Int: (scale: Int, mantissa: Int64)] = [:]
    private var previous: Int64 = 0
    private var baseTimestamp: Int64 = 0
    private var minimum = Int64.max
    private var maximum = Int64.min
    private var lastMetric = -1
    /// An upper bound of the string table's bytes (each string with two varints before it, 10 bytes at most).
    private var stringBound = 0
    private var text: [UInt8] = []

    /// The number of events taken.
    package private(set) var count = 0

    /// An encoder expecting about `capacity` events, refusing events beyond `byteBudget` payload bytes.
    package init(capacity: Int = 0, byteBudget: Int = .max) {
        self.byteBudget = byteBudget
        metricColumn.reserveCapacity(capacity)
        deltas.reserveCapacity(capacity)
    }

    /// Takes `event` into the block, or returns `false` (taking nothing) when it would pass the budget.
    /// `measuredBytes`: the event's ``EventLimits/measure(_:)`` bytes, when the caller has them.
    package mutating func append(_ event: MetricEvent, measuredBytes: Int? = nil) -> Bool {
        // The strings' bytes with a shared-prefix length and a length each (an upper bound: the
        // table keeps each string once, front-coded).
        var eventStringBytes: Int
        if let measuredBytes {
            eventStringBytes = measuredBytes + 10 + 20 * event.tags.count
        } else {
            eventStringBytes = event.name.utf8.count + 10
            for tag in event.tags { eventStringBytes += tag.key.utf8.count + tag.value.utf8.count + 20 }
        }
        text.removeAll(keepingCapacity: true)
        if case .custom(let data) = event.value { JSONText.append(data, to: &text) }
        if count > 0 {
            // Every tag key counted as new to the block: an upper bound, without looking any up twice.
            let keyCount = keys.count + event.tags.count
            let bound = BlockPayload.fixedPayloadBytes + 16 * (metrics.count + 1 + keyCount) + stringBound + eventStringBytes
                + (count + 1) * (BlockPayload.columnBytesPerEvent + BlockPayload.tagColumnBytesPerEvent * keyCount)
                + customs.bytes.count + text.count + 10
            if bound > byteBudget { return false }
            // The table after this event, every string of it counted as new (names and keys join it at the end).
            if strings.count + metrics.count + keys.count + 2 * event.tags.count + 1 > BlockPayload.maximumStrings { return false }
        }
        stringBound += eventStringBytes
        let metric = metricIndex(for: event)
        metricColumn.append(UInt64(metric))
        appendTags(event.tags)
        var delta = timestampDelta(event.timestamp?.nanosecondsSinceEpoch ?? 0)
        appendValue(event.value, metric: metric, delta: &delta)
        let number: Double? = switch event.value {
        case .counter(let value): Double(value)
        case .gauge(let value): value
        case .timer(let duration): Double(duration.totalNanoseconds) / 1e9
        case .custom: nil
        }
        summarizer.add(metric: metric, references: currentReference, sampleColumn: sampleColumn, number: number)
        // Two's complement, not zigzag: deltas are almost never negative, so zigzag's sign bit is wasted.
        deltas.append(UInt64(bitPattern: delta))
        count += 1
        return true
    }

    /// The column of tag key `key`, or -1: a linear scan for the few keys of a typical block (cheaper
    /// than hashing), the table's dictionary once there are many.
    @inline(__always)
    private func keyColumn(_ key: ExactText) -> Int {
        if keys.count > 8 { return keys.index(of: key) ?? -1 }
        for candidate in keys.keys.indices where keys.keys[candidate] == key { return candidate }
        return -1
    }

    /// The metric index of `event`, the previous event's without a lookup when it repeats.
    @inline(__always)
    private mutating func metricIndex(for event: MetricEvent) -> Int {
        let key = BlockPayload.MetricKey(name: event.name, kind: StoredKind(event.value))
        if lastMetric >= 0, metrics.keys[lastMetric] == key { return lastMetric }
        lastMetric = metrics.intern(key)
        return lastMetric
    }

    /// One reference delta per tag column (0 for keys the event lacks).
    @inline(__always)
    private mutating func appendTags(_ tags: Tags) {
        for column in currentReference.indices { currentReference[column] = 0 }
        for tag in tags {
            let key = ExactText(tag.key)
            var column = keyColumn(key)
            if column < 0 {
                // A key new to the block: its column starts with a zero for every earlier event.
                column = keys.intern(key)
                if key == ExactText(SampleRate.tag) { sampleColumn = column }
                tagColumns.append([UInt64](repeating: 0, count: count))
                currentReference.append(0)
                lastReference.append(0)
            }
            // Most tags repeat the previous event's value: one comparison instead of a hash lookup.
            let value = ExactText(tag.value)
            let previous = Int(lastReference[column])
            currentReference[column] = previous > 0 && strings.keys[previous - 1] == value ? Int64(previous) : Int64(strings.intern(value) + 1)
        }
        for column in currentReference.indices {
            tagColumns[column].append(ZigZag.encode(currentReference[column] &- lastReference[column]))
            lastReference[column] = currentReference[column]
        }
    }

    /// The delta from the previous event's timestamp (0 for the first, which is the base).
    @inline(__always)
    private mutating func timestampDelta(_ timestamp: Int64) -> Int64 {
        minimum = min(minimum, timestamp)
        maximum = max(maximum, timestamp)
        defer { previous = timestamp }
        if count == 0 {
            baseTimestamp = timestamp
            return 0
        }
        return timestamp &- previous
    }

    /// The value into its kind's column; a timer may turn `delta` into a difference from its prediction.
    @inline(__always)
    private mutating func appendValue(_ value: MetricValue, metric: Int, delta: inout Int64) {
        switch value {
        case .counter(let value):
            counters.append(ZigZag.encode(value))
        case .gauge(let value):
            if let (scale, mantissa) = BlockPayload.decimal(value) {
                let last = lastDecimal[metric]
                gaugeScales.append(UInt64(scale))
                gaugeMantissas.append(ZigZag.encode(last?.scale == scale ? mantissa &- last!.mantissa : mantissa))
                lastDecimal[metric] = (scale, mantissa)
            } else {
                let bits = value.bitPattern
                gaugeScales.append(UInt64(BlockPayload.rawScale))
                gaugeBits.append(bits ^ (lastGaugeBits[metric] ?? 0))
                lastGaugeBits[metric] = bits
            }
        case .timer(let duration):
            let nanoseconds = duration.totalNanoseconds
            timers.append(UInt64(bitPattern: nanoseconds))
            // A timer is usually recorded when its work ends, one duration after the previous event:
            // when that predicts the timestamp better, store the difference from the prediction.
            let predicted = delta &- nanoseconds
            if predicted.magnitude < delta.magnitude {
                timerFlags.append(1)
                delta = predicted
            } else {
                timerFlags.append(0)
            }
        case .custom:
            customs.varint(UInt64(text.count))
            customs.append(text)
        }
    }

    /// The payload of every event taken, keys sorted so decoded tags come out sorted.
    package mutating func finish() -> BlockPayload.Encoded {
        let order = keys.keys.indices.sorted { ExactText.bytesPrecede(keys.keys[$0].string, keys.keys[$1].string) }
        for metric in metrics.keys { _ = strings.intern(ExactText(metric.name)) }
        for key in keys.keys { _ = strings.intern(key) }
        // A table of more bytes than the block has events (thousands of paths, say) goes out in byte
        // order: neighbours share prefixes, which zstd finds, where the order of first use scatters
        // them (5% less on disk for a block of 10,000 events naming 4,665 paths). A smaller table is
        // left in the order of first use, which keeps reference deltas small (sorting it cost 0.3%).
        // Sorted, a table is also front-coded and referenced plainly (below): 100,000 paths met
        // about once each came out 2.7% larger sorted before those, and 11% smaller with them
        // (docs/PERFORMANCE.md).
        let tableBytes = strings.keys.reduce(0) { $0 + $1.string.utf8.count }
        let sorted = tableBytes <= count ? Array(strings.keys.indices) : Self.byteOrder(of: strings.keys, bytes: tableBytes)
        var renumbered = [Int](repeating: 0, count: sorted.count)
        for (position, original) in sorted.enumerated() { renumbered[original] = position }
        var writer = ByteWriter(capacity: min(count * 14 + 256, byteBudget))
        // A table in byte order numbers strings at random as far as event order goes: differences
        // between neighbours' references are then no smaller than the references (and add a sign).
        let sortsTable = tableBytes > count
        // A block of a few events gains nothing from it that would pay for the flags byte.
        let plainReferences = sortsTable && count >= 64
        // Front coding when it takes fewer bytes than lengths alone, counting the flags byte it may
        // add: a small block whose strings share nothing stays as version 1 wrote it.
        let shared = Self.sharedPrefixes(strings.keys, in: sorted)
        let frontCodes = shared.saved > (plainReferences ? 0 : 1)
        let flags = (plainReferences ? BlockPayload.plainReferences : 0) | (frontCodes ? BlockPayload.frontCodedStrings : 0)
        if flags == 0 {
            writer.u8(1)
        } else {
            writer.u8(BlockPayload.version)
            writer.u8(flags)
        }
        writer.varint(UInt64(count))
        writer.varint(UInt64(sorted.count))
        if frontCodes {
            Self.writeFrontCoded(strings.keys, in: sorted, shared: shared.lengths, into: &writer)
        } else {
            for original in sorted { writer.string(strings.keys[original].string) }
        }
        writer.varint(UInt64(metrics.count))
        for metric in metrics.keys {
            writer.u8(metric.kind.rawValue)
            writer.varint(UInt64(renumbered[strings.index(of: ExactText(metric.name))!]))
        }
        writer.varint(UInt64(keys.count))
        for column in order { writer.varint(UInt64(renumbered[strings.index(of: keys.keys[column])!])) }
        writer.i64(baseTimestamp)
        PlaneColumn.pack(metricColumn, into: &writer)
        // Where each section ends (docs/FORMAT.md, "Sections"): the head, each tag column, the
        // timestamps, counters, gauges, timers, custom texts.
        var sectionEnds = [writer.bytes.count]
        sectionEnds.reserveCapacity(order.count + 6)
        for column in order {
            let references = sortsTable ? Self.renumber(tagColumns[column], renumbered, plain: plainReferences) : tagColumns[column]
            PlaneColumn.pack(references, into: &writer)
            sectionEnds.append(writer.bytes.count)
        }
        PlaneColumn.pack(deltas, into: &writer)
        PlaneColumn.pack(timerFlags, into: &writer)
        sectionEnds.append(writer.bytes.count)
        PlaneColumn.pack(counters, into: &writer)
        sectionEnds.append(writer.bytes.count)
        for column in [gaugeScales, gaugeMantissas, gaugeBits] { PlaneColumn.pack(column, into: &writer) }
        sectionEnds.append(writer.bytes.count)
        PlaneColumn.pack(timers, into: &writer)
        sectionEnds.append(writer.bytes.count)
        writer.append(customs.bytes)
        sectionEnds.append(writer.bytes.count)
        var seen = Set<ExactText>()
        let names = metrics.keys.compactMap { seen.insert(ExactText($0.name)).inserted ? $0.name : nil }
        return BlockPayload.Encoded(bytes: writer.bytes, sectionEnds: sectionEnds, count: count, metricNames: names, minTimestamp: minimum, maxTimestamp: maximum,
                                    summary: summarizer.finish(metrics: metrics.keys.map { BlockMetric(name: $0.name, kind: $0.kind) },
                                                               keys: keys.keys.map(\.string), keyOrder: order, stringCount: strings.keys.count,
                                                               string: { strings.keys[$0].string }))
    }

    /// How many leading bytes each text (in `order`) shares with the one before it, and how many
    /// bytes front coding saves over lengths alone (negative when it costs: one more varint each).
    private static func sharedPrefixes(_ texts: [ExactText], in order: [Int]) -> (lengths: [Int], saved: Int) {
        var lengths = [Int](repeating: 0, count: order.count)
        var saved = 0
        var previous = ""
        for (position, index) in order.enumerated() {
            var text = texts[index].string
            let shared = text.withUTF8 { bytes in
                previous.withUTF8 { before in
                    let limit = min(bytes.count, before.count)
                    var shared = 0
                    while shared < limit, bytes[shared] == before[shared] { shared += 1 }
                    return shared
                }
            }
            lengths[position] = shared
            let count = text.utf8.count
            // Plain: varint(count) + count. Front-coded: varint(shared) + varint(count − shared) + count − shared.
            saved += GroupKeyTable.varintBytes(count) + shared - GroupKeyTable.varintBytes(shared) - GroupKeyTable.varintBytes(count - shared)
            previous = text
        }
        return (lengths, saved)
    }

    /// A front-coded string table (version 2's flag): each text as the number of leading bytes it
    /// shares with the one before, then the rest (length, bytes). Neighbours in byte order share
    /// long prefixes (`src/m58/s10/file_1028.swift`, `src/m58/s10/file_1033.swift`), which zstd finds
    /// anyway but pays a match for each: front-coded, the per-file workload takes 3.5% fewer bytes.
    private static func writeFrontCoded(_ texts: [ExactText], in order: [Int], shared: [Int], into writer: inout ByteWriter) {
        for (position, index) in order.enumerated() {
            var text = texts[index].string
            text.withUTF8 { bytes in
                writer.varint(UInt64(shared[position]))
                writer.varint(UInt64(bytes.count - shared[position]))
                writer.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[shared[position]...])))
            }
        }
    }

    /// The indices of `texts` in byte order of their UTF-8, compared in one contiguous copy (a
    /// comparison through the strings retained and released both for every step of the sort: a
    /// fifth of a per-file ingest's writing thread).
    private static func byteOrder(of texts: [ExactText], bytes: Int) -> [Int] {
        var all = [UInt8]()
        all.reserveCapacity(bytes)
        var starts = [Int]()
        starts.reserveCapacity(texts.count + 1)
        for text in texts {
            starts.append(all.count)
            all.append(contentsOf: text.string.utf8)
        }
        starts.append(all.count)
        return all.withUnsafeBufferPointer { all in
            starts.withUnsafeBufferPointer { starts in
                texts.indices.sorted { left, right in
                    var a = starts[left], b = starts[right]
                    let aEnd = starts[left + 1], bEnd = starts[right + 1]
                    while a < aEnd, b < bEnd {
                        if all[a] != all[b] { return all[a] < all[b] }
                        a += 1
                        b += 1
                    }
                    return a == aEnd && b < bEnd
                }
            }
        }
    }

    /// A tag column (zigzag deltas of references, 0 = no tag, else string number + 1) with every
    /// string number `n` replaced by `renumbered[n]`: as plain references, or again as deltas.
    private static func renumber(_ column: [UInt64], _ renumbered: [Int], plain: Bool) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: column.count)
        var original: Int64 = 0
        var previous: Int64 = 0
        for index in column.indices {
            original &+= ZigZag.decode(column[index])
            let reference = original == 0 ? 0 : Int64(renumbered[Int(original) - 1]) + 1
            result[index] = plain ? UInt64(reference) : ZigZag.encode(reference &- previous)
            previous = reference
        }
        return result
    }
}
