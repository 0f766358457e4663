public import MMMMetrics

/// The kind of a series, as stored: the tag of ``MetricValue``.
public enum StoredKind: UInt8, Sendable, Hashable {
    case counter = 0
    case gauge = 1
    case timer = 2
    case custom = 3

    init(_ value: MetricValue) {
        switch value {
        case .counter: self = .counter
        case .gauge: self = .gauge
        case .timer: self = .timer
        case .custom: self = .custom
        }
    }
}

/// One series of a block: the metric name, kind and tags that several events share.
public struct BlockSeries: Sendable, Hashable {
    /// The metric name.
    public let name: String
    /// The kind of every event of the series.
    public let kind: StoredKind
    /// The tags of every event of the series.
    public let tags: Tags
}

/// A decoded block in columns: what replay and queries work on without building events.
///
/// `rawValues[i]` holds event i's value: a counter's `Int64` bits, a gauge's `Double` bits, a
/// timer's nanoseconds as `Int64` bits, or for a custom event the index of its data in `customData`.
public struct DecodedBlock: Sendable {
    /// The sequence number of the first event; event i has `firstSequence + i`.
    public let firstSequence: UInt64
    /// The series, indexed by `seriesOfEvent`.
    public let series: [BlockSeries]
    /// Each event's series index.
    public let seriesOfEvent: [UInt32]
    /// Each event's timestamp, nanoseconds since the Unix epoch.
    public let timestamps: [Int64]
    /// Each event's value bits (see the type's documentation).
    public let rawValues: [UInt64]
    /// Custom events' data, in event order.
    public let customData: [JSONValue]

    /// The number of events.
    public var count: Int { timestamps.count }

    /// The value of event `index`.
    public func value(at index: Int) -> MetricValue {
        let raw = rawValues[index]
        switch series[Int(seriesOfEvent[index])].kind {
        case .counter: return .counter(Int64(bitPattern: raw))
        case .gauge: return .gauge(Double(bitPattern: raw))
        case .timer: return .timer(.nanoseconds(Int64(bitPattern: raw)))
        case .custom: return .custom(customData[Int(raw)])
        }
    }

    /// The number aggregations use for event `index`: counter and gauge values, timers in seconds, `nil` for custom.
    @inline(__always)
    public func numericValue(at index: Int) -> Double? {
        let raw = rawValues[index]
        switch series[Int(seriesOfEvent[index])].kind {
        case .counter: return Double(Int64(bitPattern: raw))
        case .gauge: return Double(bitPattern: raw)
        case .timer: return Double(Int64(bitPattern: raw)) / 1e9
        case .custom: return nil
        }
    }

    /// Event `index` as a ``MetricEvent``.
    public func event(at index: Int) -> MetricEvent {
        let info = series[Int(seriesOfEvent[index])]
        return MetricEvent(
            name: info.name, value: value(at: index), tags: info.tags,
            timestamp: MetricTimestamp(nanosecondsSinceEpoch: timestamps[index]))
    }

    /// Every event, in sequence order.
    public var events: [MetricEvent] { (0..<count).map(event(at:)) }
}

/// The binary encoding of a block's events before compression (docs/FORMAT.md, "Block payload").
enum BlockPayload {
    static let version: UInt8 = 1
    /// Upper bound on events per block, so a corrupt count cannot ask for absurd memory.
    static let maximumEvents = 1 << 24

    struct SeriesKey: Hashable {
        let name: String
        let kind: StoredKind
        let tags: Tags
    }

    /// Encodes events (all with timestamps; a missing one is stored as 0).
    static func encode(_ events: some Collection<MetricEvent>) -> [UInt8] {
        var strings: [String: Int] = [:]
        var stringList: [String] = []
        func intern(_ text: String) -> Int {
            if let index = strings[text] { return index }
            strings[text] = stringList.count
            stringList.append(text)
            return stringList.count - 1
        }
        var seriesIndex: [SeriesKey: Int] = [:]
        var seriesList: [SeriesKey] = []
        var seriesOfEvent: [UInt64] = []
        var deltas: [UInt64] = []
        var counters: [UInt64] = []
        var gauges: [UInt64] = []
        var timers: [UInt64] = []
        var customs = ByteWriter()
        var lastGauge: [Int: UInt64] = [:]
        seriesOfEvent.reserveCapacity(events.count)
        deltas.reserveCapacity(events.count)
        var previous: Int64 = 0
        var first = true
        var baseTimestamp: Int64 = 0
        for event in events {
            let kind = StoredKind(event.value)
            let key = SeriesKey(name: event.name, kind: kind, tags: event.tags)
            let series: Int
            if let existing = seriesIndex[key] {
                series = existing
            } else {
                series = seriesList.count
                seriesIndex[key] = series
                seriesList.append(key)
            }
            seriesOfEvent.append(UInt64(series))
            let timestamp = event.timestamp?.nanosecondsSinceEpoch ?? 0
            if first {
                baseTimestamp = timestamp
                deltas.append(0)
                first = false
            } else {
                deltas.append(zigzag(timestamp &- previous))
            }
            previous = timestamp
            switch event.value {
            case .counter(let value): counters.append(zigzag(value))
            case .gauge(let value):
                let bits = value.bitPattern
                gauges.append(bits ^ (lastGauge[series] ?? 0))
                lastGauge[series] = bits
            case .timer(let duration): timers.append(zigzag(duration.totalNanoseconds))
            case .custom(let data): customs.string(JSONText.encode(data))
            }
        }
        var writer = ByteWriter(capacity: events.count * 12 + 256)
        writer.u8(version)
        writer.varint(UInt64(events.count))
        for series in seriesList {
            _ = intern(series.name)
            for tag in series.tags {
                _ = intern(tag.key)
                _ = intern(tag.value)
            }
        }
        writer.varint(UInt64(stringList.count))
        for text in stringList { writer.string(text) }
        writer.varint(UInt64(seriesList.count))
        for series in seriesList {
            writer.u8(series.kind.rawValue)
            writer.varint(UInt64(strings[series.name]!))
            writer.varint(UInt64(series.tags.count))
            for tag in series.tags {
                writer.varint(UInt64(strings[tag.key]!))
                writer.varint(UInt64(strings[tag.value]!))
            }
        }
        writer.i64(baseTimestamp)
        packColumn(seriesOfEvent, into: &writer)
        packColumn(deltas, into: &writer)
        packColumn(counters, into: &writer)
        packColumn(gauges, into: &writer)
        packColumn(timers, into: &writer)
        writer.append(customs.bytes)
        return writer.bytes
    }

    @inline(__always)
    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    @inline(__always)
    static func unzigzag(_ raw: UInt64) -> Int64 { Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1) }

    /// A column of unsigned integers as byte planes: one byte W (the widest value's byte count),
    /// then W planes of `count` bytes, least significant plane first. Planes of random low bytes stay
    /// random; planes of high bytes are mostly equal and compress to almost nothing.
    static func packColumn(_ values: [UInt64], into writer: inout ByteWriter) {
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

    static func unpackColumn(count: Int, from reader: inout ByteReader) throws(DecodeFailure) -> [UInt64] {
        let widthOffset = reader.offset
        let width = Int(try reader.u8())
        guard width <= 8 else { throw DecodeFailure(offset: widthOffset, reason: "column width \(width) exceeds 8") }
        let planes = try reader.bytes(width * count)
        var values = [UInt64](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { output in
            let input = planes.bindMemory(to: UInt8.self)
            for plane in 0..<width {
                let shift = UInt64(plane * 8)
                let base = plane * count
                for index in 0..<count { output[index] |= UInt64(input[base + index]) << shift }
            }
        }
        return values
    }

    /// Decodes a payload produced by ``encode(_:)``.
    static func decode(_ bytes: UnsafeRawBufferPointer, firstSequence: UInt64) throws(DecodeFailure) -> DecodedBlock {
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
        let seriesCount = try reader.count(limit: reader.remaining)
        var series: [BlockSeries] = []
        series.reserveCapacity(seriesCount)
        for _ in 0..<seriesCount {
            let kindOffset = reader.offset
            guard let kind = StoredKind(rawValue: try reader.u8()) else {
                throw DecodeFailure(offset: kindOffset, reason: "unknown event kind")
            }
            let name = try string(&reader)
            let tagCount = try reader.count(limit: reader.remaining)
            var tags = Tags()
            for _ in 0..<tagCount {
                let key = try string(&reader)
                tags[key] = try string(&reader)
            }
            series.append(BlockSeries(name: name, kind: kind, tags: tags))
        }
        let base = try reader.i64()
        let seriesColumnOffset = reader.offset
        let seriesColumn = try unpackColumn(count: count, from: &reader)
        var seriesOfEvent = [UInt32](repeating: 0, count: count)
        var kindCounts = [0, 0, 0, 0]
        for index in 0..<count {
            let value = seriesColumn[index]
            guard value < UInt64(seriesCount) else {
                throw DecodeFailure(offset: seriesColumnOffset, reason: "series index \(value) out of range")
            }
            seriesOfEvent[index] = UInt32(value)
            kindCounts[Int(series[Int(value)].kind.rawValue)] += 1
        }
        let deltas = try unpackColumn(count: count, from: &reader)
        var timestamps = [Int64](repeating: 0, count: count)
        var current = base
        for index in 0..<count {
            if index > 0 { current = current &+ unzigzag(deltas[index]) }
            timestamps[index] = current
        }
        let counters = try unpackColumn(count: kindCounts[0], from: &reader)
        let gauges = try unpackColumn(count: kindCounts[1], from: &reader)
        let timers = try unpackColumn(count: kindCounts[2], from: &reader)
        var customData: [JSONValue] = []
        var rawValues = [UInt64](repeating: 0, count: count)
        var cursors = [0, 0, 0]
        var lastGauge = [UInt64](repeating: 0, count: seriesCount)
        for index in 0..<count {
            let seriesIndex = Int(seriesOfEvent[index])
            switch series[seriesIndex].kind {
            case .counter:
                rawValues[index] = UInt64(bitPattern: unzigzag(counters[cursors[0]]))
                cursors[0] += 1
            case .gauge:
                let bits = gauges[cursors[1]] ^ lastGauge[seriesIndex]
                lastGauge[seriesIndex] = bits
                rawValues[index] = bits
                cursors[1] += 1
            case .timer:
                rawValues[index] = UInt64(bitPattern: unzigzag(timers[cursors[2]]))
                cursors[2] += 1
            case .custom:
                let offset = reader.offset
                let text = try reader.string()
                guard let data = try? JSONText.parse(text) else {
                    throw DecodeFailure(offset: offset, reason: "custom event data is not valid JSON")
                }
                rawValues[index] = UInt64(customData.count)
                customData.append(data)
            }
        }
        guard reader.isAtEnd else { throw DecodeFailure(offset: reader.offset, reason: "\(reader.remaining) unexpected bytes after the columns") }
        return DecodedBlock(
            firstSequence: firstSequence, series: series, seriesOfEvent: seriesOfEvent, timestamps: timestamps,
            rawValues: rawValues, customData: customData)
    }
}
