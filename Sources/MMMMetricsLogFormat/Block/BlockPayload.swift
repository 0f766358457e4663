package import MMMMetricsCore

/// The binary encoding of a block's events before compression (docs/FORMAT.md, "Block payload").
package enum BlockPayload {
    package static let version: UInt8 = 1
    /// Upper bound on events per block, so a corrupt count cannot ask for absurd memory.
    package static let maximumEvents = 1 << 24
    /// Powers of ten for decimal gauges: scale k means value = mantissa / 10^k.
    package static let powersOfTen: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
    /// The scale byte of a gauge stored as raw IEEE bits.
    package static let rawScale = 255

    /// A gauge as mantissa / 10^scale when that reproduces its exact bits (83.5 → (1, 835)), else `nil`.
    package static func decimal(_ value: Double) -> (scale: Int, mantissa: Int64)? {
        guard value.isFinite, value.bitPattern != (-0.0).bitPattern else { return nil }
        for scale in 0..<powersOfTen.count {
            let scaled = value * powersOfTen[scale]
            guard abs(scaled) < 9.0e15 else { return nil }
            guard scaled == scaled.rounded() else { continue }
            let mantissa = Int64(scaled)
            if (Double(mantissa) / powersOfTen[scale]).bitPattern == value.bitPattern { return (scale, mantissa) }
        }
        return nil
    }

    @inline(__always)
    package static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    @inline(__always)
    package static func unzigzag(_ raw: UInt64) -> Int64 { Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1) }

    package struct MetricKey: Hashable {
        package let name: String
        package let kind: StoredKind
    }

    /// An encoded payload and the facts about its events that the block header and index need.
    package struct Encoded {
        package var bytes: [UInt8]
        /// How many of the given events it holds: a prefix, cut where the byte budget would be passed.
        package var count: Int
        package var metricNames: [String]
        package var minTimestamp: Int64
        package var maxTimestamp: Int64
    }

    /// Encodes events (all with timestamps; a missing one is stored as 0).
    package static func encode(_ events: some Collection<MetricEvent>) -> [UInt8] { encodeBlock(events).bytes }

    /// Bytes an event may add to a payload beyond its strings and custom text: the metric column (≤ 4),
    /// the timestamp delta (≤ 8), the value columns (≤ 9: a scale or flag byte and 8 value bytes).
    package static let columnBytesPerEvent = 21
    /// Bytes a tag column may take per event (a reference delta, for string tables below 2^31 strings).
    package static let tagColumnBytesPerEvent = 4
    /// Fixed payload bytes (version, counts, base timestamp, column widths) beyond the per-item ones.
    package static let fixedPayloadBytes = 64

    /// Encodes a prefix of `events` in one pass: as many as fit in `byteBudget` payload bytes (at least
    /// one). Metrics and tag keys are discovered as they come (a tag key first seen mid-block gets a
    /// column that starts with zeros), then keys are sorted for the output.
    ///
    /// The budget is checked against an upper bound of the payload's size before each event is taken,
    /// so the payload never exceeds `byteBudget` unless its first event alone does.
    package static func encodeBlock(_ events: some Collection<MetricEvent>, byteBudget: Int = .max) -> Encoded {
        let capacity = events.count
        var stringIndex: [String: Int] = [:]
        var strings: [String] = []
        @inline(__always) func intern(_ text: String) -> Int {
            if let index = stringIndex[text] { return index }
            stringIndex[text] = strings.count
            strings.append(text)
            return strings.count - 1
        }
        var metricIndex: [MetricKey: Int] = [:]
        var metrics: [MetricKey] = []
        var keys: [String] = []
        var keyColumn: [String: Int] = [:]
        var tagColumns: [[UInt64]] = []
        var currentReference: [Int64] = []
        var lastReference: [Int64] = []
        var metricColumn: [UInt64] = []
        var deltas: [UInt64] = []
        var timerFlags: [UInt64] = []
        var counters: [UInt64] = []
        var gaugeScales: [UInt64] = []
        var gaugeMantissas: [UInt64] = []
        var gaugeBits: [UInt64] = []
        var timers: [UInt64] = []
        var customs = ByteWriter()
        var lastGaugeBits: [Int: UInt64] = [:]
        var lastDecimal: [Int: (scale: Int, mantissa: Int64)] = [:]
        metricColumn.reserveCapacity(capacity)
        deltas.reserveCapacity(capacity)
        var previous: Int64 = 0
        var baseTimestamp: Int64 = 0
        var minimum = Int64.max
        var maximum = Int64.min
        var lastMetricName = ""
        var lastMetricKind = StoredKind.custom
        var lastMetric = -1
        // An upper bound of the strings' bytes in the table (each with a 5-byte length prefix at most).
        var stringBound = 0
        var position = 0
        var text: [UInt8] = []
        var eventColumns: [Int] = []
        for event in events {
            // The column of each of the event's tag keys (-1: new to this block).
            var eventStringBytes = event.name.utf8.count + 5
            var newKeys = 0
            eventColumns.removeAll(keepingCapacity: true)
            for tag in event.tags {
                eventStringBytes += tag.key.utf8.count + tag.value.utf8.count + 10
                let column = column(of: tag.key, keys, keyColumn)
                if column < 0 { newKeys += 1 }
                eventColumns.append(column)
            }
            text.removeAll(keepingCapacity: true)
            if case .custom(let data) = event.value { JSONText.append(data, to: &text) }
            if position > 0 {
                let keyCount = keys.count + newKeys
                let bound = fixedPayloadBytes + 16 * (metrics.count + 1 + keyCount) + stringBound + eventStringBytes
                    + (position + 1) * (columnBytesPerEvent + tagColumnBytesPerEvent * keyCount) + customs.bytes.count + text.count + 10
                if bound > byteBudget { break }
            }
            stringBound += eventStringBytes

            let kind = StoredKind(event.value)
            let metric: Int
            if lastMetric >= 0, kind == lastMetricKind, event.name == lastMetricName {
                metric = lastMetric
            } else {
                let key = MetricKey(name: event.name, kind: kind)
                if let known = metricIndex[key] {
                    metric = known
                } else {
                    metric = metrics.count
                    metricIndex[key] = metric
                    metrics.append(key)
                }
                lastMetric = metric
                lastMetricName = event.name
                lastMetricKind = kind
            }
            metricColumn.append(UInt64(metric))

            for column in currentReference.indices { currentReference[column] = 0 }
            for (tagPosition, tag) in event.tags.enumerated() {
                var column = eventColumns[tagPosition]
                // New when looked up above; looked up again in case an earlier tag of this event added it.
                if column < 0 { column = Self.column(of: tag.key, keys, keyColumn) }
                if column < 0 {
                    column = keys.count
                    keys.append(tag.key)
                    keyColumn[tag.key] = column
                    tagColumns.append([UInt64](repeating: 0, count: position))
                    tagColumns[column].reserveCapacity(capacity)
                    currentReference.append(0)
                    lastReference.append(0)
                }
                currentReference[column] = Int64(intern(tag.value) + 1)
            }
            for column in keys.indices {
                tagColumns[column].append(zigzag(currentReference[column] &- lastReference[column]))
                lastReference[column] = currentReference[column]
            }

            let timestamp = event.timestamp?.nanosecondsSinceEpoch ?? 0
            minimum = min(minimum, timestamp)
            maximum = max(maximum, timestamp)
            var delta: Int64 = 0
            if position == 0 { baseTimestamp = timestamp } else { delta = timestamp &- previous }
            previous = timestamp
            switch event.value {
            case .counter(let value):
                counters.append(zigzag(value))
            case .gauge(let value):
                if let (scale, mantissa) = decimal(value) {
                    let last = lastDecimal[metric]
                    gaugeScales.append(UInt64(scale))
                    gaugeMantissas.append(zigzag(last?.scale == scale ? mantissa &- last!.mantissa : mantissa))
                    lastDecimal[metric] = (scale, mantissa)
                } else {
                    let bits = value.bitPattern
                    gaugeScales.append(UInt64(rawScale))
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
            // Two's complement, not zigzag: deltas are almost never negative, so zigzag's sign bit is wasted.
            deltas.append(UInt64(bitPattern: delta))
            position += 1
        }
        let count = position

        // Keys in ascending order, so decoded tags come out sorted.
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        var writer = ByteWriter(capacity: min(count * 14 + 256, byteBudget))
        writer.u8(version)
        writer.varint(UInt64(count))
        for metric in metrics { _ = intern(metric.name) }
        for key in keys { _ = intern(key) }
        writer.varint(UInt64(strings.count))
        for text in strings { writer.string(text) }
        writer.varint(UInt64(metrics.count))
        for metric in metrics {
            writer.u8(metric.kind.rawValue)
            writer.varint(UInt64(stringIndex[metric.name]!))
        }
        writer.varint(UInt64(keys.count))
        for column in order { writer.varint(UInt64(stringIndex[keys[column]]!)) }
        writer.i64(baseTimestamp)
        packColumn(metricColumn, into: &writer)
        for column in order { packColumn(tagColumns[column], into: &writer) }
        packColumn(deltas, into: &writer)
        packColumn(timerFlags, into: &writer)
        packColumn(counters, into: &writer)
        packColumn(gaugeScales, into: &writer)
        packColumn(gaugeMantissas, into: &writer)
        packColumn(gaugeBits, into: &writer)
        packColumn(timers, into: &writer)
        writer.append(customs.bytes)
        var seen = Set<String>()
        let names = metrics.compactMap { seen.insert($0.name).inserted ? $0.name : nil }
        return Encoded(bytes: writer.bytes, count: count, metricNames: names, minTimestamp: minimum, maxTimestamp: maximum)
    }

    /// The column of tag key `key` among `keys`, or -1: a linear scan for the few keys of a typical
    /// block, the dictionary once there are many (so a block with thousands of keys stays linear).
    @inline(__always)
    package static func column(of key: String, _ keys: [String], _ keyColumn: [String: Int]) -> Int {
        if keys.count > 8 { return keyColumn[key] ?? -1 }
        for candidate in keys.indices where keys[candidate] == key { return candidate }
        return -1
    }

    /// A column of unsigned integers as byte planes: one byte W (the widest value's byte count),
    /// then W planes of `count` bytes, least significant plane first. Planes of random low bytes stay
    /// random; planes of high bytes are mostly equal and compress to almost nothing.
    package static func packColumn(_ values: [UInt64], into writer: inout ByteWriter) {
        let widest = values.reduce(0, |)
        let width = widest == 0 ? 0 : (64 - widest.leadingZeroBitCount + 7) / 8
        writer.u8(UInt8(width))
        let start = writer.bytes.count
        writer.bytes.append(contentsOf: repeatElement(0, count: width * values.count))
        writer.bytes.withUnsafeMutableBufferPointer { buffer in
            let count = values.count
            for plane in 0..<width {
                let shift = UInt64(plane * 8)
                let base = start + plane * count
                for index in 0..<count { buffer[base + index] = UInt8(truncatingIfNeeded: values[index] >> shift) }
            }
        }
    }

    /// A packed column read in place: value i is assembled from its bytes in the W planes.
    package struct PlaneColumn {
        package let base: UnsafePointer<UInt8>?
        package let count: Int
        package let width: Int

        /// Writes all `count` values to `output`, plane by plane.
        package func unpack(into output: UnsafeMutablePointer<UInt64>) {
            guard let base, width > 0 else {
                output.initialize(repeating: 0, count: count)
                return
            }
            for index in 0..<count { output[index] = UInt64(base[index]) }
            for plane in 1..<width {
                let shift = UInt64(plane * 8)
                let planeBase = base + plane * count
                for index in 0..<count { output[index] |= UInt64(planeBase[index]) << shift }
            }
        }

        @inline(__always)
        package subscript(index: Int) -> UInt64 {
            guard let base else { return 0 }
            let p = base + index
            let n = count
            // Unrolled for each width: the branch is the same for a whole column, so it predicts well.
            switch width {
            case 0: return 0
            case 1: return UInt64(p[0])
            case 2: return UInt64(p[0]) | UInt64(p[n]) << 8
            case 3: return UInt64(p[0]) | UInt64(p[n]) << 8 | UInt64(p[2 * n]) << 16
            case 4: return UInt64(p[0]) | UInt64(p[n]) << 8 | UInt64(p[2 * n]) << 16 | UInt64(p[3 * n]) << 24
            case 5: return low4(p, n) | UInt64(p[4 * n]) << 32
            case 6: return low4(p, n) | UInt64(p[4 * n]) << 32 | UInt64(p[5 * n]) << 40
            case 7: return low4(p, n) | UInt64(p[4 * n]) << 32 | UInt64(p[5 * n]) << 40 | UInt64(p[6 * n]) << 48
            default:
                return low4(p, n) | UInt64(p[4 * n]) << 32 | UInt64(p[5 * n]) << 40 | UInt64(p[6 * n]) << 48 | UInt64(p[7 * n]) << 56
            }
        }
    }

    @inline(__always)
    package static func low4(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        UInt64(p[0]) | UInt64(p[n]) << 8 | UInt64(p[2 * n]) << 16 | UInt64(p[3 * n]) << 24
    }

    package static func column(count: Int, from reader: inout ByteReader) throws(DecodeFailure) -> PlaneColumn {
        let widthOffset = reader.offset
        let width = Int(try reader.u8())
        guard width <= 8 else { throw DecodeFailure(offset: widthOffset, reason: "column width \(width) exceeds 8") }
        let planes = try reader.bytes(width * count)
        return PlaneColumn(base: planes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: count, width: width)
    }

    /// Decodes a payload produced by ``encode(_:)``. Columns are read in place from the payload bytes;
    /// each output array is written once.
    package static func decode(_ bytes: UnsafeRawBufferPointer, firstSequence: UInt64) throws(DecodeFailure) -> DecodedBlock {
        var reader = ByteReader(bytes)
        let version = try reader.u8()
        guard version == Self.version else { throw DecodeFailure(offset: 0, reason: "unknown payload version \(version)") }
        let count = try reader.count(limit: maximumEvents)
        let stringCount = try reader.count(limit: reader.remaining)
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { strings.append(try reader.string()) }
        func string(_ reader: inout ByteReader) throws(DecodeFailure) -> String {
            let offset = reader.offset
            let index = try reader.varint()
            guard index < UInt64(strings.count) else { throw DecodeFailure(offset: offset, reason: "string index \(index) out of range") }
            return strings[Int(index)]
        }
        let metricCount = try reader.count(limit: reader.remaining)
        var metrics: [BlockMetric] = []
        metrics.reserveCapacity(metricCount)
        for _ in 0..<metricCount {
            let kindOffset = reader.offset
            guard let kind = StoredKind(rawValue: try reader.u8()) else { throw DecodeFailure(offset: kindOffset, reason: "unknown event kind") }
            metrics.append(BlockMetric(name: try string(&reader), kind: kind))
        }
        let keyCount = try reader.count(limit: reader.remaining)
        var keys: [String] = []
        for _ in 0..<keyCount {
            let offset = reader.offset
            let key = try string(&reader)
            if let last = keys.last, last >= key { throw DecodeFailure(offset: offset, reason: "tag keys out of order") }
            keys.append(key)
        }
        let base = try reader.i64()
        let kinds = metrics.map(\.kind)

        // Metric of each event, and how many events of each kind (the value columns' lengths).
        let metricOffset = reader.offset
        let metricColumn = try column(count: count, from: &reader)
        var kindCounts = (0, 0, 0, 0)
        var metricOutOfRange = false
        var perMetric = [Int](repeating: 0, count: metricCount + 1)
        let metricOfEvent = [UInt32](unsafeUninitializedCapacity: count) { output, initialized in
            perMetric.withUnsafeMutableBufferPointer { perMetric in
                // Out-of-range indices are counted in the extra last slot and reported below.
                let limit = UInt64(metricCount)
                if metricColumn.width == 1, let bytes = metricColumn.base {
                    for index in 0..<count {
                        let metric = UInt64(bytes[index])
                        let slot = Int(min(metric, limit))
                        perMetric[slot] += 1
                        output[index] = UInt32(truncatingIfNeeded: slot)
                    }
                } else {
                    for index in 0..<count {
                        let slot = Int(min(metricColumn[index], limit))
                        perMetric[slot] += 1
                        output[index] = UInt32(truncatingIfNeeded: slot)
                    }
                }
            }
            initialized = count
        }
        metricOutOfRange = perMetric[metricCount] > 0
        for (metric, kind) in kinds.enumerated() {
            switch kind {
            case .counter: kindCounts.0 += perMetric[metric]
            case .gauge: kindCounts.1 += perMetric[metric]
            case .timer: kindCounts.2 += perMetric[metric]
            case .custom: kindCounts.3 += perMetric[metric]
            }
        }
        if metricOutOfRange { throw DecodeFailure(offset: metricOffset, reason: "metric index out of range") }

        var tagColumns: [[UInt32]] = []
        tagColumns.reserveCapacity(keyCount)
        for _ in 0..<keyCount {
            let offset = reader.offset
            let packed = try column(count: count, from: &reader)
            var outOfRange = false
            let tagColumn = [UInt32](unsafeUninitializedCapacity: count) { output, initialized in
                var reference: Int64 = 0
                var low: Int64 = 0
                var high: Int64 = 0
                if packed.width == 1, let bytes = packed.base {
                    // The common case (references change by less than ±64 between events), without the width switch.
                    for index in 0..<count {
                        reference = reference &+ unzigzag(UInt64(bytes[index]))
                        low = min(low, reference)
                        high = max(high, reference)
                        output[index] = UInt32(truncatingIfNeeded: reference)
                    }
                } else {
                    for index in 0..<count {
                        reference = reference &+ unzigzag(packed[index])
                        low = min(low, reference)
                        high = max(high, reference)
                        output[index] = UInt32(truncatingIfNeeded: reference)
                    }
                }
                outOfRange = low < 0 || high > Int64(stringCount)
                initialized = count
            }
            if outOfRange { throw DecodeFailure(offset: offset, reason: "tag value reference out of range") }
            tagColumns.append(tagColumn)
        }
        let deltas = try column(count: count, from: &reader)
        let timerFlags = try column(count: kindCounts.2, from: &reader)
        let counters = try column(count: kindCounts.0, from: &reader)
        let scalesOffset = reader.offset
        let gaugeScales = try column(count: kindCounts.1, from: &reader)
        var decimalCount = 0
        for index in 0..<kindCounts.1 {
            let scale = gaugeScales[index]
            if scale == UInt64(rawScale) { continue }
            guard scale < UInt64(powersOfTen.count) else { throw DecodeFailure(offset: scalesOffset, reason: "gauge scale \(scale) out of range") }
            decimalCount += 1
        }
        let gaugeMantissas = try column(count: decimalCount, from: &reader)
        let gaugeBits = try column(count: kindCounts.1 - decimalCount, from: &reader)
        let timers = try column(count: kindCounts.2, from: &reader)

        // Custom texts: length-prefixed, in event order, after the columns.
        var customRanges: [Range<Int>] = []
        customRanges.reserveCapacity(kindCounts.3)
        for _ in 0..<kindCounts.3 {
            let length = try reader.count(limit: reader.remaining)
            let start = reader.offset
            _ = try reader.bytes(length)
            customRanges.append(start..<(start + length))
        }
        guard reader.isAtEnd else { throw DecodeFailure(offset: reader.offset, reason: "\(reader.remaining) unexpected bytes after the columns") }

        var timestamps = [Int64]()
        let rawValues = [UInt64](unsafeUninitializedCapacity: count) { values, initializedValues in
            timestamps = [Int64](unsafeUninitializedCapacity: count) { times, initializedTimes in
                // The deltas first, plane by plane (loops the compiler vectorises); the event loop below
                // then turns them into timestamps in place.
                deltas.unpack(into: UnsafeMutableRawPointer(times.baseAddress!).assumingMemoryBound(to: UInt64.self))
                var counterCursor = 0, gaugeCursor = 0, decimalCursor = 0, bitsCursor = 0, timerCursor = 0, customCursor = 0
                var lastGaugeBits = [UInt64](repeating: 0, count: metricCount)
                var lastScale = [Int](repeating: -1, count: metricCount)
                var lastMantissa = [Int64](repeating: 0, count: metricCount)
                var current = base
                metricOfEvent.withUnsafeBufferPointer { metricOfEvent in
                    kinds.withUnsafeBufferPointer { kinds in
                        for index in 0..<count {
                            var delta = times[index]
                            let metric = Int(metricOfEvent[index])
                            switch kinds[metric] {
                            case .timer:
                                let nanoseconds = Int64(bitPattern: timers[timerCursor])
                                if timerFlags[timerCursor] != 0 { delta = delta &+ nanoseconds }
                                timerCursor += 1
                                values[index] = UInt64(bitPattern: nanoseconds)
                            case .counter:
                                values[index] = UInt64(bitPattern: unzigzag(counters[counterCursor]))
                                counterCursor += 1
                            case .gauge:
                                let scale = Int(gaugeScales[gaugeCursor])
                                gaugeCursor += 1
                                if scale == rawScale {
                                    let bits = gaugeBits[bitsCursor] ^ lastGaugeBits[metric]
                                    bitsCursor += 1
                                    lastGaugeBits[metric] = bits
                                    values[index] = bits
                                } else {
                                    var mantissa = unzigzag(gaugeMantissas[decimalCursor])
                                    decimalCursor += 1
                                    if lastScale[metric] == scale { mantissa = mantissa &+ lastMantissa[metric] }
                                    lastScale[metric] = scale
                                    lastMantissa[metric] = mantissa
                                    values[index] = (Double(mantissa) / powersOfTen[scale]).bitPattern
                                }
                            case .custom:
                                values[index] = UInt64(customCursor)
                                customCursor += 1
                            }
                            if index > 0 { current = current &+ delta }
                            times[index] = current
                        }
                    }
                }
                initializedTimes = count
            }
            initializedValues = count
        }

        // The texts without their length prefixes, back to back.
        var customText: [UInt8] = []
        var customBounds = [0]
        customBounds.reserveCapacity(customRanges.count + 1)
        for range in customRanges {
            customText.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
            customBounds.append(customText.count)
        }
        return DecodedBlock(
            firstSequence: firstSequence, metrics: metrics, metricOfEvent: metricOfEvent, strings: strings, tagKeys: keys,
            tagColumns: tagColumns, timestamps: timestamps, rawValues: rawValues, customText: customText,
            customBounds: customBounds, kinds: kinds)
    }
}
