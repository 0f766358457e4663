package import MMMMetricsCore

/// The kind of a metric, as stored: the tag of ``MetricValue``.
package enum StoredKind: UInt8, Sendable, Hashable {
    case counter = 0
    case gauge = 1
    case timer = 2
    case custom = 3

    package init(_ value: MetricValue) {
        switch value {
        case .counter: self = .counter
        case .gauge: self = .gauge
        case .timer: self = .timer
        case .custom: self = .custom
        }
    }
}

/// The parts of a block a reader asks the decoder for, beyond what every decode gives (the metric
/// and tag columns, the string table). Every part's bytes are still walked, so a block whose
/// columns do not fit together fails whatever is asked; what is not asked for is not decoded, and
/// so not checked beyond that: a query that reads neither values nor custom data does not see a
/// wrong time range or invalid JSON in a block whose CRC holds (`verify` and `export` ask for all).
package struct DecodedParts: OptionSet, Sendable, Hashable {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Timestamps (`timestamps`, and `timeRange`, checked against the header); without them zeros.
    package static let timestamps = DecodedParts(rawValue: 1)
    /// Values (`rawValues`); without them zeros.
    package static let values = DecodedParts(rawValue: 4)
    /// The custom events' JSON texts, each checked; without them `customData` gives null.
    package static let customData = DecodedParts(rawValue: 2)
    /// The string table as Swift strings (`strings`); without it `strings` is empty and
    /// ``DecodedBlock/string(at:)`` makes each string asked for from its bytes. (The bytes are
    /// checked either way.)
    package static let strings = DecodedParts(rawValue: 8)
    /// Everything.
    package static let all: DecodedParts = [.timestamps, .values, .customData, .strings]
}

/// A metric of a block: a name with the kind of its events.
package struct BlockMetric: Sendable, Hashable {
    /// The metric name.
    package let name: String
    /// The kind of its events.
    package let kind: StoredKind
}

/// A decoded block in columns: what replay and queries work on without building events.
///
/// `rawValues[i]` holds event i's value: a counter's `Int64` bits, a gauge's `Double` bits, a
/// timer's nanoseconds as `Int64` bits, or for a custom event the index of its data among the block's
/// custom events. Custom data stays JSON text until asked for.
/// Tags are columns too: `tagColumns[k][i]` is 0 when event i has no tag `tagKeys[k]`, else the
/// index of its value in `strings` plus one.
package struct DecodedBlock: Sendable {
    /// The sequence number of the first event; event i has `firstSequence + i`.
    package let firstSequence: UInt64
    /// The number of events.
    package let count: Int
    /// What was decoded beyond the metric and tag columns (see ``DecodedParts``).
    package let parts: DecodedParts
    /// The block's metrics, indexed by `metricOfEvent`.
    package let metrics: [BlockMetric]
    /// Each event's metric index.
    package let metricOfEvent: [UInt32]
    /// The block's string table (tag keys and values among them); empty unless decoded with
    /// ``DecodedParts/strings`` (use ``string(at:)``, which works either way).
    package let strings: [String]
    /// The string table again, each string packed as a group value is (``GroupKeyTable``: its
    /// UTF-8 length as a varint, then its bytes), back to back: string i's packing ends at
    /// `packedStringEnds[i]` and starts where string i − 1's ends (0 for the first). A query packs
    /// its groups by copying these bytes, without touching the strings.
    package let packedStrings: [UInt8]
    package let packedStringEnds: [Int]
    /// The tag keys that occur in the block, in ascending byte order.
    package let tagKeys: [String]
    /// Whether byte order is also Swift's string order for these keys (always, unless a key is not
    /// in Unicode normal form C), so an event's tags can be taken in column order without sorting.
    package let tagKeysInSwiftOrder: Bool
    /// Per tag key, per event: 0 for absent, else the value's index in `strings` plus one.
    package let tagColumns: [[UInt32]]
    /// Each event's timestamp, nanoseconds since the Unix epoch.
    package let timestamps: [Int64]
    /// The earliest and the latest of `timestamps` (`nil` for a block of no events), found while decoding.
    package let timeRange: ClosedRange<Int64>?
    /// Each event's value bits (see the type's documentation).
    package let rawValues: [UInt64]
    /// The custom events' JSON texts, back to back.
    package let customText: [UInt8]
    /// Where each custom event's text starts in `customText` (one more entry marks the end).
    package let customBounds: [Int]
    /// Each event's kind, by metric (avoids touching the metric's name on hot paths).
    package let kinds: [StoredKind]

    /// The number of strings in the table.
    package var stringCount: Int { packedStringEnds.count }

    /// String `index` of the table: from `strings` when decoded, else made from its packed bytes.
    package func string(at index: Int) -> String {
        if index < strings.count { return strings[index] }
        return Self.string(at: index, packed: packedStrings, ends: packedStringEnds)
    }

    /// String `index` of a table packed as ``GroupKeyTable`` packs values (checked UTF-8).
    package static func string(at index: Int, packed: [UInt8], ends: [Int]) -> String {
        packed.withUnsafeBytes { raw in GroupKeyTable.unpack(UnsafeRawBufferPointer(rebasing: raw[(index == 0 ? 0 : ends[index - 1])..<ends[index]]))[0] }
    }

    /// The data of the `index`-th custom event of the block (parsed on each call).
    package func customData(_ index: Int) -> JSONValue {
        guard index >= 0, index + 1 < customBounds.count else { return .null }  // not decoded (``DecodedParts``)
        return customText.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(rebasing: raw[customBounds[index]..<customBounds[index + 1]])
            return (try? JSONText.parse(slice)) ?? .null
        }
    }

    /// Every custom event's data, in event order; throws when a text is not valid JSON.
    package func allCustomData() throws(JSONSyntaxError) -> [JSONValue] {
        try customText.withBytes { (raw: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> [JSONValue] in
            var values: [JSONValue] = []
            for index in 0..<(customBounds.count - 1) {
                values.append(try JSONText.parse(UnsafeRawBufferPointer(rebasing: raw[customBounds[index]..<customBounds[index + 1]])))
            }
            return values
        }
    }

    /// Checks every custom event's text as ``allCustomData()`` would parse it, without building the
    /// values (readers check every block they decode; most never look at the data).
    package func validateCustomData() throws(JSONSyntaxError) {
        try customText.withBytes { (raw: UnsafeRawBufferPointer) throws(JSONSyntaxError) in
            for index in 0..<(customBounds.count - 1) {
                try JSONText.validate(UnsafeRawBufferPointer(rebasing: raw[customBounds[index]..<customBounds[index + 1]]))
            }
        }
    }

    /// The metric name of event `index`.
    @inline(__always)
    package func name(at index: Int) -> String { metrics[Int(metricOfEvent[index])].name }

    /// The kind of event `index`.
    @inline(__always)
    package func kind(at index: Int) -> StoredKind { kinds[Int(metricOfEvent[index])] }

    /// The value of tag `tagKeys[key]` on event `index`, or `nil`.
    @inline(__always)
    package func tagValue(key: Int, at index: Int) -> String? {
        let reference = tagColumns[key][index]
        return reference == 0 ? nil : string(at: Int(reference) - 1)
    }

    /// The tags of event `index`.
    package func tags(at index: Int) -> Tags {
        var pairs: [Tag] = []
        for key in tagKeys.indices {
            let reference = tagColumns[key][index]
            if reference != 0 { pairs.append(Tag(key: tagKeys[key], value: string(at: Int(reference) - 1))) }
        }
        if pairs.isEmpty { return Tags() }
        return tagKeysInSwiftOrder ? Tags(presorted: pairs) : Tags(pairs.map { ($0.key, $0.value) })
    }

    /// The value of event `index`.
    package func value(at index: Int) -> MetricValue {
        let raw = rawValues[index]
        switch kind(at: index) {
        case .counter: return .counter(Int64(bitPattern: raw))
        case .gauge: return .gauge(Double(bitPattern: raw))
        case .timer: return .timer(.nanoseconds(Int64(bitPattern: raw)))
        case .custom: return .custom(customData(Int(raw)))
        }
    }

    /// The number aggregations use for event `index`: counter and gauge values, timers in seconds, `nil` for custom.
    @inline(__always)
    package func numericValue(at index: Int) -> Double? {
        let raw = rawValues[index]
        switch kind(at: index) {
        case .counter: return Double(Int64(bitPattern: raw))
        case .gauge: return Double(bitPattern: raw)
        case .timer: return Double(Int64(bitPattern: raw)) / 1e9
        case .custom: return nil
        }
    }

    /// Event `index` as a ``MetricEvent``.
    package func event(at index: Int) -> MetricEvent {
        MetricEvent(
            name: name(at: index), value: value(at: index), tags: tags(at: index),
            timestamp: MetricTimestamp(nanosecondsSinceEpoch: timestamps[index]))
    }

    /// Every event, in sequence order.
    package var events: [MetricEvent] { (0..<count).map(event(at:)) }
}
