import MMMMetricsCore

/// Reads one block payload (docs/FORMAT.md, "Block payload") into columns, step by step in the
/// order the payload holds them: the tables, the metric column, the tag columns, the value columns,
/// the custom texts, then one pass that assembles timestamps and values. Columns are read in
/// place from the payload bytes; each output array is written once. Any index out of range, column
/// wider than 8 bytes, byte left over or invalid UTF-8 is a ``DecodeFailure`` naming the offset.
package struct BlockDecoder {
    private var reader: ByteReader
    private let firstSequence: UInt64
    private var count = 0
    private var strings: [String] = []
    private var packedStrings: [UInt8] = []
    private var packedStringEnds: [Int] = []
    private var metrics: [BlockMetric] = []
    private var kinds: [StoredKind] = []
    private var keys: [String] = []
    private var base: Int64 = 0
    private var metricOfEvent: [UInt32] = []
    /// Events per kind: counter, gauge, timer, custom (the value columns' lengths).
    private var kindCounts = (0, 0, 0, 0)
    private var tagColumns: [[UInt32]] = []
    /// Whether every key is ASCII (then byte order is Swift's order, and no two keys are equal as
    /// Swift strings, which compare by canonical equivalence).
    private var asciiKeys = true
    /// Whether tag columns hold references as they are (version 2's flag), not zigzag differences.
    private var plainReferences = false
    /// The keys whose columns to decode (nil: all); the others are one shared column of zeros.
    private var wantedKeys: Set<String>?
    /// Whether to make every string of the table a Swift string (``DecodedParts/strings``).
    private var makesStrings = true
    /// A payload stored in sections, loaded into `sectionBuffer` as the decoder reaches each
    /// section it reads; the others are skipped unread.
    private var sections: PayloadSections?
    private var sectionBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// The metrics whose values to decode (nil: all). In a sectioned payload the value sections of
    /// kinds none of them has are skipped, and those events' values read as 0.
    private var valueMetrics: Set<String>?

    /// The value columns, read in place.
    private struct ValueColumns {
        var deltas: PlaneColumn
        var timerFlags: PlaneColumn
        var counters: PlaneColumn
        var gaugeScales: PlaneColumn
        var gaugeMantissas: PlaneColumn
        var gaugeBits: PlaneColumn
        var timers: PlaneColumn
    }

    /// Decodes a payload produced by ``BlockEncoder``: every part, or the metric and tag columns and
    /// the `parts` asked for, and the tag columns of `tagKeys` (every key when nil; keys compare as
    /// Swift strings); the rest is walked over, not decoded, and a key not asked for reads as absent.
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, firstSequence: UInt64, parts: DecodedParts = .all, tagKeys: Set<String>? = nil
    ) throws(DecodeFailure) -> DecodedBlock {
        try decode(bytes, sections: nil, into: UnsafeMutableRawBufferPointer(start: nil, count: 0), firstSequence: firstSequence, parts: parts,
                   tagKeys: tagKeys, valueMetrics: nil)
    }

    /// Decodes a payload stored in `sections` (``PayloadSections``), loading into `buffer` (the
    /// payload's decoded length) only the sections that the parts and keys asked for need: the
    /// sections skipped are neither decompressed nor walked. With `valueMetrics`, values are
    /// decoded only for the kinds of the block's metrics so named (compared as Swift strings);
    /// other events' values read as 0.
    package static func decode(
        sections: PayloadSections, into buffer: UnsafeMutableRawBufferPointer, firstSequence: UInt64, parts: DecodedParts = .all,
        tagKeys: Set<String>? = nil, valueMetrics: Set<String>? = nil
    ) throws(DecodeFailure) -> DecodedBlock {
        try decode(UnsafeRawBufferPointer(buffer), sections: sections, into: buffer, firstSequence: firstSequence, parts: parts, tagKeys: tagKeys,
                   valueMetrics: valueMetrics)
    }

    private static func decode(
        _ bytes: UnsafeRawBufferPointer, sections: PayloadSections?, into buffer: UnsafeMutableRawBufferPointer, firstSequence: UInt64,
        parts: DecodedParts, tagKeys: Set<String>?, valueMetrics: Set<String>?
    ) throws(DecodeFailure) -> DecodedBlock {
        var decoder = BlockDecoder(reader: ByteReader(bytes), firstSequence: firstSequence)
        decoder.wantedKeys = tagKeys
        decoder.valueMetrics = valueMetrics
        decoder.makesStrings = parts.contains(.strings)
        decoder.sections = sections
        decoder.sectionBuffer = buffer
        _ = try decoder.enter(0, reads: true)
        try decoder.readTables()
        try decoder.readMetricColumn()
        try decoder.leave(0)
        if let sections, sections.sections.count != decoder.keys.count + 6 {
            throw DecodeFailure(offset: 0, reason: "\(sections.sections.count) sections for \(decoder.keys.count) tag keys (expected \(decoder.keys.count + 6))")
        }
        try decoder.readTagColumns()
        try decoder.checkEquivalentKeys()
        let values = try decoder.readValueColumns(parts)
        let customRanges = try decoder.readCustomRanges(parts)
        guard decoder.reader.isAtEnd else {
            throw DecodeFailure(offset: decoder.reader.offset, reason: "\(decoder.reader.remaining) unexpected bytes after the columns")
        }
        let rawValues = parts.contains(.values) ? decoder.values(values) : ZeroColumns.uint64(decoder.count)
        let (timestamps, timeRange) = parts.contains(.timestamps) ? decoder.timestamps(values) : (ZeroColumns.int64(decoder.count), nil)
        // The texts without their length prefixes, back to back.
        var customText: [UInt8] = []
        var customBounds = [0]
        customBounds.reserveCapacity(customRanges.count + 1)
        for range in parts.contains(.customData) ? customRanges : [] {
            customText.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
            customBounds.append(customText.count)
        }
        return DecodedBlock(
            firstSequence: firstSequence, count: decoder.count, parts: parts, metrics: decoder.metrics, metricOfEvent: decoder.metricOfEvent, strings: decoder.strings,
            packedStrings: decoder.packedStrings, packedStringEnds: decoder.packedStringEnds,
            tagKeys: decoder.keys, tagKeysInSwiftOrder: decoder.asciiKeys || zip(decoder.keys, decoder.keys.dropFirst()).allSatisfy { $0 < $1 },
            tagColumns: decoder.tagColumns, timestamps: timestamps, timeRange: timeRange, rawValues: rawValues, customText: customText,
            customBounds: customBounds, kinds: decoder.kinds)
    }

    private init(reader: ByteReader, firstSequence: UInt64) {
        self.reader = reader
        self.firstSequence = firstSequence
    }

    /// Starts section `index` of a sectioned payload: loads it when the decoder `reads` it, else
    /// moves past it. Returns whether its columns are to be read (always, for a payload not in sections).
    private mutating func enter(_ index: Int, reads: Bool) throws(DecodeFailure) -> Bool {
        guard let sections else { return true }
        let section = sections.sections[index]
        if reads { try sections.load(index, into: sectionBuffer) }
        // Bounded by the section's end: reading past it is an error, not a read of another section.
        reader = ByteReader(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(sectionBuffer)[0..<section.decoded.upperBound]),
                            offset: reads ? section.decoded.lowerBound : section.decoded.upperBound)
        return reads
    }

    /// Ends section `index`: its columns must have taken all its bytes.
    private func leave(_ index: Int) throws(DecodeFailure) {
        guard let sections else { return }
        let end = sections.sections[index].decoded.upperBound
        guard reader.offset == end else {
            throw DecodeFailure(offset: reader.offset, reason: "section \(index) holds \(end - reader.offset) bytes after its columns")
        }
    }

    /// Version, event count, string table, metrics, tag keys (strictly ascending), base timestamp.
    private mutating func readTables() throws(DecodeFailure) {
        let version = try reader.u8()
        guard BlockPayload.readableVersions.contains(version) else {
            throw DecodeFailure(offset: 0, reason: "unknown payload version \(version)")
        }
        var frontCoded = false
        if version >= 2 {
            let flags = try reader.u8()
            guard flags & ~(BlockPayload.plainReferences | BlockPayload.frontCodedStrings) == 0 else {
                throw DecodeFailure(offset: 1, reason: "unknown payload flags \(flags)")
            }
            plainReferences = flags & BlockPayload.plainReferences != 0
            frontCoded = flags & BlockPayload.frontCodedStrings != 0
        }
        count = try reader.count(limit: BlockPayload.maximumEvents)
        let countOffset = reader.offset
        let stringCount = try reader.count(limit: reader.remaining)
        guard stringCount <= BlockPayload.maximumStrings else {
            throw DecodeFailure(offset: countOffset, reason: "\(stringCount) strings, more than a block may hold (\(BlockPayload.maximumStrings))")
        }
        if makesStrings { strings.reserveCapacity(stringCount) }
        packedStringEnds.reserveCapacity(stringCount)
        if !frontCoded {
            for _ in 0..<stringCount {
                if makesStrings {
                    let (text, bytes) = try reader.stringAndBytes()
                    strings.append(text)
                    GroupKeyTable.pack(value: bytes, into: &packedStrings)
                } else {
                    let start = reader.offset
                    let bytes = try reader.bytes(try reader.count(limit: reader.remaining))
                    guard ByteReader.isValid(bytes.bindMemory(to: UInt8.self)) else {
                        throw DecodeFailure(offset: start, reason: "string is not valid UTF-8")
                    }
                    GroupKeyTable.pack(value: bytes, into: &packedStrings)
                }
                packedStringEnds.append(packedStrings.count)
            }
        } else {
            try readFrontCodedStrings(stringCount)
        }
        let metricCount = try reader.count(limit: reader.remaining)
        metrics.reserveCapacity(metricCount)
        for _ in 0..<metricCount {
            let kindOffset = reader.offset
            guard let kind = StoredKind(rawValue: try reader.u8()) else { throw DecodeFailure(offset: kindOffset, reason: "unknown event kind") }
            metrics.append(BlockMetric(name: try string(), kind: kind))
        }
        kinds = metrics.map(\.kind)
        let keyCount = try reader.count(limit: reader.remaining)
        for _ in 0..<keyCount {
            let offset = reader.offset
            let key = try string()
            if let last = keys.last, !ExactText.bytesPrecede(last, key) {
                throw DecodeFailure(offset: offset, reason: "tag keys out of order")
            }
            if asciiKeys, key.utf8.contains(where: { $0 >= 0x80 }) { asciiKeys = false }
            keys.append(key)
        }
        base = try reader.i64()
    }

    /// A front-coded string table (version 2's flag): per string, the length of the prefix it
    /// shares with the one before, the length of the rest, the rest. The strings together may not
    /// exceed the largest decoded block (a few bytes could otherwise ask for gigabytes of repeated
    /// prefixes). A first pass checks the lengths; the second rebuilds the strings straight into
    /// `packedStrings` (each prefix copied from the string before it there) and makes them into
    /// Swift strings from those bytes.
    private mutating func readFrontCodedStrings(_ stringCount: Int) throws(DecodeFailure) {
        let tableStart = reader.offset
        var previousLength = 0
        var total = 0
        var packedTotal = 0
        for _ in 0..<stringCount {
            let offset = reader.offset
            let shared = try reader.count(limit: Int(UInt32.max))
            guard shared <= previousLength else {
                throw DecodeFailure(offset: offset, reason: "string shares \(shared) bytes with a string of \(previousLength)")
            }
            let rest = try reader.count(limit: reader.remaining)
            _ = try reader.bytes(rest)
            previousLength = shared + rest
            total += previousLength
            guard total <= Format.maximumDecodedBlockBytes else {
                throw DecodeFailure(offset: offset, reason: "strings exceed \(Format.maximumDecodedBlockBytes) bytes")
            }
            packedTotal += GroupKeyTable.varintBytes(previousLength) + previousLength
        }
        let tableEnd = reader.offset
        reader.offset = tableStart
        var ends: [Int] = []
        ends.reserveCapacity(stringCount)
        var texts: [String] = []
        texts.reserveCapacity(stringCount)
        var invalidAt: Int?
        var reader = self.reader
        let makesStrings = self.makesStrings
        packedStrings = [UInt8](unsafeUninitializedCapacity: packedTotal) { output, initialized in
            guard let base = output.baseAddress else { return }
            var position = 0
            var previousStart = 0
            for _ in 0..<stringCount {
                // Checked by the first pass: these reads cannot fail.
                let offset = reader.offset
                let shared = (try? reader.count(limit: Int(UInt32.max))) ?? 0
                let rest = (try? reader.bytes((try? reader.count(limit: reader.remaining)) ?? 0)) ?? UnsafeRawBufferPointer(start: nil, count: 0)
                position += GroupKeyTable.writeLength(shared + rest.count, at: base + position)
                // The previous string lies wholly before `position`: the regions never overlap.
                (base + position).update(from: base + previousStart, count: shared)
                if let restBase = rest.baseAddress {
                    UnsafeMutableRawPointer(base + position + shared).copyMemory(from: restBase, byteCount: rest.count)
                }
                let utf8 = UnsafeBufferPointer(start: base + position, count: shared + rest.count)
                previousStart = position
                position += shared + rest.count
                ends.append(position)
                if makesStrings {
                    guard let text = ByteReader.text(utf8) else {
                        invalidAt = offset
                        break
                    }
                    texts.append(text)
                } else if !ByteReader.isValid(utf8) {
                    invalidAt = offset
                    break
                }
            }
            initialized = position
        }
        if let invalidAt { throw DecodeFailure(offset: invalidAt, reason: "string is not valid UTF-8") }
        self.reader.offset = tableEnd
        strings = texts
        packedStringEnds = ends
    }

    /// A string table reference.
    private mutating func string() throws(DecodeFailure) -> String {
        let offset = reader.offset
        let index = try reader.varint()
        guard index < UInt64(packedStringEnds.count) else { throw DecodeFailure(offset: offset, reason: "string index \(index) out of range") }
        return makesStrings ? strings[Int(index)] : DecodedBlock.string(at: Int(index), packed: packedStrings, ends: packedStringEnds)
    }

    /// The metric of each event, and how many events of each kind there are.
    private mutating func readMetricColumn() throws(DecodeFailure) {
        let metricOffset = reader.offset
        let column = try PlaneColumn.read(count: count, from: &reader)
        let metricCount = metrics.count
        var perMetric = [Int](repeating: 0, count: metricCount + 1)
        let count = self.count
        metricOfEvent = [UInt32](unsafeUninitializedCapacity: count) { output, initialized in
            perMetric.withUnsafeMutableBufferPointer { perMetric in
                // Out-of-range indices are counted in the extra last slot and reported below.
                let limit = UInt64(metricCount)
                if column.width == 1, let bytes = column.base {
                    for index in 0..<count {
                        let slot = Int(min(UInt64(bytes[index]), limit))
                        perMetric[slot] += 1
                        output[index] = UInt32(truncatingIfNeeded: slot)
                    }
                } else {
                    for index in 0..<count {
                        let slot = Int(min(column[index], limit))
                        perMetric[slot] += 1
                        output[index] = UInt32(truncatingIfNeeded: slot)
                    }
                }
            }
            initialized = count
        }
        if perMetric[metricCount] > 0 { throw DecodeFailure(offset: metricOffset, reason: "metric index out of range") }
        for (metric, kind) in kinds.enumerated() {
            switch kind {
            case .counter: kindCounts.0 += perMetric[metric]
            case .gauge: kindCounts.1 += perMetric[metric]
            case .timer: kindCounts.2 += perMetric[metric]
            case .custom: kindCounts.3 += perMetric[metric]
            }
        }
    }

    /// One column per tag key: each event's string reference, from zigzag deltas.
    /// No event may have two spellings of one key (`"é"`, `"e\u{301}"`): its tags could not hold both.
    private func checkEquivalentKeys() throws(DecodeFailure) {
        guard !asciiKeys else { return }
        let spellings = Dictionary(grouping: keys.indices) { keys[$0] }.values.filter { $0.count > 1 }
        for columns in spellings {
            for event in 0..<count where columns.count(where: { tagColumns[$0][event] != 0 }) > 1 {
                throw DecodeFailure(offset: 0, reason: "event \(event) has two spellings of tag key \(keys[columns[0]].debugDescription)")
            }
        }
    }

    private mutating func readTagColumns() throws(DecodeFailure) {
        tagColumns.reserveCapacity(keys.count)
        let count = self.count
        let stringCount = Int64(packedStringEnds.count)
        let plainReferences = self.plainReferences
        // A key not asked for reads as absent: one column of zeros, shared.
        var absent: [UInt32]?
        func appendAbsent() {
            if absent == nil { absent = ZeroColumns.uint32(count) }
            tagColumns.append(absent!)
        }
        for (position, key) in keys.enumerated() {
            let wanted = wantedKeys?.contains(key) ?? true
            // In sections, an unwanted column is skipped unread; in one frame it is walked.
            guard try enter(1 + position, reads: wanted) else {
                appendAbsent()
                continue
            }
            let offset = reader.offset
            let packed = try PlaneColumn.read(count: count, from: &reader)
            try leave(1 + position)
            if count > 0, packed.width == 0 { throw DecodeFailure(offset: offset, reason: "tag column of a key no event carries") }
            if !wanted {
                appendAbsent()
                continue
            }
            var outOfRange = false
            let tagColumn = [UInt32](unsafeUninitializedCapacity: count) { output, initialized in
                if plainReferences {
                    // Wider than four bytes: some reference is past any string table.
                    if let base = output.baseAddress {
                        if let high = packed.unpack32(into: base) {
                            outOfRange = Int64(high) > stringCount
                        } else {
                            base.initialize(repeating: 0, count: count)
                            outOfRange = true
                        }
                    }
                    initialized = count
                    return
                }
                var reference: Int64 = 0
                var low: Int64 = 0
                var high: Int64 = 0
                if packed.width == 1, let bytes = packed.base {
                    // The common case (references change by less than ±64 between events), without the width switch.
                    for index in 0..<count {
                        reference = reference &+ ZigZag.decode(UInt64(bytes[index]))
                        low = min(low, reference)
                        high = max(high, reference)
                        output[index] = UInt32(truncatingIfNeeded: reference)
                    }
                } else {
                    for index in 0..<count {
                        reference = reference &+ ZigZag.decode(packed[index])
                        low = min(low, reference)
                        high = max(high, reference)
                        output[index] = UInt32(truncatingIfNeeded: reference)
                    }
                }
                outOfRange = low < 0 || high > stringCount
                initialized = count
            }
            if outOfRange { throw DecodeFailure(offset: offset, reason: "tag value reference out of range") }
            tagColumns.append(tagColumn)
        }
    }

    /// Timestamp deltas, timer flags, counters, gauge scales, mantissas and raw bits, timer durations.
    /// In a sectioned payload, the columns of sections the `parts` do not need are skipped and read
    /// as zeros.
    private mutating func readValueColumns(_ parts: DecodedParts) throws(DecodeFailure) -> ValueColumns {
        let first = keys.count + 1
        // The kinds whose values are read: every kind, or those of the metrics asked for.
        var valueKinds: Set<StoredKind> = parts.contains(.values) ? [.counter, .gauge, .timer] : []
        if let valueMetrics, !valueKinds.isEmpty {
            valueKinds = Set(metrics.lazy.filter { valueMetrics.contains($0.name) }.map(\.kind))
        }
        let zeros = { (count: Int) in PlaneColumn(base: nil, count: count, width: 0) }
        var deltas = zeros(count), timerFlags = zeros(kindCounts.2)
        if try enter(first, reads: parts.contains(.timestamps)) {
            deltas = try PlaneColumn.read(count: count, from: &reader)
            timerFlags = try PlaneColumn.read(count: kindCounts.2, from: &reader)
            try leave(first)
        }
        var counters = zeros(kindCounts.0)
        if try enter(first + 1, reads: valueKinds.contains(.counter)) {
            counters = try PlaneColumn.read(count: kindCounts.0, from: &reader)
            try leave(first + 1)
        }
        var gaugeScales = zeros(kindCounts.1), gaugeMantissas = zeros(kindCounts.1), gaugeBits = zeros(0)
        if try enter(first + 2, reads: valueKinds.contains(.gauge)) {
            (gaugeScales, gaugeMantissas, gaugeBits) = try readGaugeColumns()
            try leave(first + 2)
        }
        var timers = zeros(kindCounts.2)
        if try enter(first + 3, reads: valueKinds.contains(.timer) || parts.contains(.timestamps)) {
            timers = try PlaneColumn.read(count: kindCounts.2, from: &reader)
            try leave(first + 3)
        }
        return ValueColumns(
            deltas: deltas, timerFlags: timerFlags, counters: counters, gaugeScales: gaugeScales, gaugeMantissas: gaugeMantissas,
            gaugeBits: gaugeBits, timers: timers)
    }

    /// Gauge scales, then the mantissas of decimal gauges and the bits of raw ones.
    private mutating func readGaugeColumns() throws(DecodeFailure) -> (PlaneColumn, PlaneColumn, PlaneColumn) {
        let scalesOffset = reader.offset
        let gaugeScales = try PlaneColumn.read(count: kindCounts.1, from: &reader)
        var decimalCount = 0
        for index in 0..<kindCounts.1 {
            let scale = gaugeScales[index]
            if scale == UInt64(BlockPayload.rawScale) { continue }
            guard scale < UInt64(BlockPayload.powersOfTen.count) else {
                throw DecodeFailure(offset: scalesOffset, reason: "gauge scale \(scale) out of range")
            }
            decimalCount += 1
        }
        let gaugeMantissas = try PlaneColumn.read(count: decimalCount, from: &reader)
        let gaugeBits = try PlaneColumn.read(count: kindCounts.1 - decimalCount, from: &reader)
        return (gaugeScales, gaugeMantissas, gaugeBits)
    }

    /// Where each custom event's JSON text lies: length-prefixed, in event order, after the columns.
    private mutating func readCustomRanges(_ parts: DecodedParts) throws(DecodeFailure) -> [Range<Int>] {
        let section = keys.count + 5
        guard try enter(section, reads: parts.contains(.customData)) else { return [] }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(kindCounts.3)
        for _ in 0..<kindCounts.3 {
            let length = try reader.count(limit: reader.remaining)
            let start = reader.offset
            _ = try reader.bytes(length)
            ranges.append(start..<(start + length))
        }
        try leave(section)
        return ranges
    }

    /// Each event's value from its kind's column. Counters and timers are unpacked first, plane by
    /// plane (loops the compiler vectorises), so that the event loop reads plain words instead of
    /// gathering each value's bytes from its planes.
    private func values(_ columns: ValueColumns) -> [UInt64] {
        let count = self.count
        let metricCount = metrics.count
        let counterCount = kindCounts.0, timerCount = kindCounts.2
        return ScratchBuffer.withColumnWords(counterCount + timerCount) { counters in
            let timers = counters + counterCount
            columns.counters.unpack(into: counters)
            for index in 0..<counterCount { counters[index] = UInt64(bitPattern: ZigZag.decode(counters[index])) }
            columns.timers.unpack(into: timers)
            return [UInt64](unsafeUninitializedCapacity: count) { values, initialized in
                var counterCursor = 0, gaugeCursor = 0, decimalCursor = 0, bitsCursor = 0, timerCursor = 0, customCursor = 0
                var lastGaugeBits = [UInt64](repeating: 0, count: metricCount)
                var lastScale = [Int](repeating: -1, count: metricCount)
                var lastMantissa = [Int64](repeating: 0, count: metricCount)
                metricOfEvent.withUnsafeBufferPointer { metricOfEvent in
                    kinds.withUnsafeBufferPointer { kinds in
                        for index in 0..<count {
                            let metric = Int(metricOfEvent[index])
                            switch kinds[metric] {
                            case .counter:
                                values[index] = counters[counterCursor]
                                counterCursor += 1
                            case .timer:
                                values[index] = timers[timerCursor]
                                timerCursor += 1
                            case .gauge:
                                let scale = Int(columns.gaugeScales[gaugeCursor])
                                gaugeCursor += 1
                                if scale == BlockPayload.rawScale {
                                    let bits = columns.gaugeBits[bitsCursor] ^ lastGaugeBits[metric]
                                    bitsCursor += 1
                                    lastGaugeBits[metric] = bits
                                    values[index] = bits
                                } else {
                                    var mantissa = ZigZag.decode(columns.gaugeMantissas[decimalCursor])
                                    decimalCursor += 1
                                    if lastScale[metric] == scale { mantissa = mantissa &+ lastMantissa[metric] }
                                    lastScale[metric] = scale
                                    lastMantissa[metric] = mantissa
                                    values[index] = (Double(mantissa) / BlockPayload.powersOfTen[scale]).bitPattern
                                }
                            case .custom:
                                values[index] = UInt64(customCursor)
                                customCursor += 1
                            }
                        }
                    }
                }
                initialized = count
            }
        }
    }

    /// Each event's timestamp from the deltas (and a timer's duration where its delta was
    /// predicted), and the earliest and latest of them.
    private func timestamps(_ columns: ValueColumns) -> ([Int64], ClosedRange<Int64>?) {
        let count = self.count
        let timerCount = kindCounts.2
        // A timer's addition to its delta: its duration when the writer predicted the delta, else 0.
        return ScratchBuffer.withColumnWords(2 * timerCount) { durations in
            let shifts = durations + timerCount
            columns.timers.unpack(into: durations)
            columns.timerFlags.unpack(into: shifts)
            for index in 0..<timerCount { shifts[index] = shifts[index] == 0 ? 0 : durations[index] }
            var low = Int64.max, high = Int64.min
            let timestamps = [Int64](unsafeUninitializedCapacity: count) { times, initialized in
                // The deltas, unpacked in place; the event loop turns them into timestamps.
                columns.deltas.unpack(into: UnsafeMutableRawPointer(times.baseAddress!).assumingMemoryBound(to: UInt64.self))
                var timerCursor = 0
                var current = base
                metricOfEvent.withUnsafeBufferPointer { metricOfEvent in
                    kinds.withUnsafeBufferPointer { kinds in
                        for index in 0..<count {
                            var delta = times[index]
                            if kinds[Int(metricOfEvent[index])] == .timer {
                                delta = delta &+ Int64(bitPattern: shifts[timerCursor])
                                timerCursor += 1
                            }
                            if index > 0 { current = current &+ delta }
                            times[index] = current
                            low = min(low, current)
                            high = max(high, current)
                        }
                    }
                }
                initialized = count
            }
            return (timestamps, count == 0 ? nil : low...high)
        }
    }
}
