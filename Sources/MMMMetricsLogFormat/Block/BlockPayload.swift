package import MMMMetricsCore

/// The binary encoding of a block's events before compression (docs/FORMAT.md, "Block payload").
package enum BlockPayload {
    /// The newest version: 2, a flags byte after the version saying which of its two forms the block
    /// uses. A writer writes a block with neither in version 1 (no flags byte).
    package static let version: UInt8 = 2
    /// Every version readers take.
    package static let readableVersions: ClosedRange<UInt8> = 1...2
    /// Version 2's flag: tag columns hold plain references, not differences between neighbours'
    /// (written with a string table in byte order).
    package static let plainReferences: UInt8 = 1
    /// Version 2's flag: the string table is front-coded (each string: the bytes it shares with the
    /// one before, then the rest).
    package static let frontCodedStrings: UInt8 = 2
    /// Strings in one block's table, at most: 2^22. A writer's byte budget (32 MiB at most) keeps a
    /// block far below it; a reader refuses more, so a few kilobytes of zstd cannot ask for
    /// gigabytes of string bookkeeping.
    package static let maximumStrings = 1 << 22
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

    /// A metric of a block: its name (compared by bytes, see ``ExactText``) and stored kind.
    package struct MetricKey: Hashable {
        package let name: String
        package let kind: StoredKind

        @inline(__always)
        package static func == (left: MetricKey, right: MetricKey) -> Bool {
            left.kind == right.kind && ExactText(left.name) == ExactText(right.name)
        }

        @inline(__always)
        package func hash(into hasher: inout Hasher) {
            hasher.combine(ExactText(name))
            hasher.combine(kind)
        }
    }

    /// An encoded payload and the facts about its events that the block header and index need.
    package struct Encoded {
        package var bytes: [UInt8]
        /// Where each of the payload's sections ends (``PayloadSections``): the offsets a writer may
        /// compress it apart at.
        package var sectionEnds: [Int]
        /// How many of the given events it holds: a prefix, cut where the byte budget would be passed.
        package var count: Int
        package var metricNames: [String]
        package var minTimestamp: Int64
        package var maxTimestamp: Int64
        /// What the index keeps about the events (``BlockSummary``).
        package var summary: BlockSummary?
    }

    /// Encodes events (all with timestamps; a missing one is stored as 0).
    package static func encode(_ events: [MetricEvent]) -> [UInt8] { encodeBlock(events[...]).bytes }

    /// Encodes a prefix of `events`: as many as fit in `byteBudget` payload bytes (at least one).
    /// (A concrete slice, not a generic collection: the writer calls this from another module, where
    /// a generic would not be specialised.)
    /// `sizes`, when given, holds each event's ``EventLimits/measure(_:)`` bytes (as the writer has
    /// them already), so the encoder need not measure the events again.
    package static func encodeBlock(_ events: ArraySlice<MetricEvent>, sizes: ArraySlice<Int>? = nil, byteBudget: Int = .max) -> Encoded {
        var encoder = BlockEncoder(capacity: events.count, byteBudget: byteBudget)
        if let sizes {
            for (event, size) in zip(events, sizes) {
                guard encoder.append(event, measuredBytes: size) else { break }
            }
        } else {
            for event in events {
                guard encoder.append(event) else { break }
            }
        }
        return encoder.finish()
    }

    /// Decodes a payload produced by ``encode(_:)``: all of it, or the parts asked for (``DecodedParts``).
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, firstSequence: UInt64, parts: DecodedParts = .all, tagKeys: Set<String>? = nil
    ) throws(DecodeFailure) -> DecodedBlock {
        try BlockDecoder.decode(bytes, firstSequence: firstSequence, parts: parts, tagKeys: tagKeys)
    }

    /// Bytes an event may add to a payload beyond its strings and custom text: the metric column (≤ 4),
    /// the timestamp delta (≤ 8), the value columns (≤ 9: a scale or flag byte and 8 value bytes).
    package static let columnBytesPerEvent = 21
    /// Bytes a tag column may take per event (a reference delta, for string tables below 2^31 strings).
    package static let tagColumnBytesPerEvent = 4
    /// Fixed payload bytes (version, counts, base timestamp, column widths) beyond the per-item ones.
    package static let fixedPayloadBytes = 64
}
