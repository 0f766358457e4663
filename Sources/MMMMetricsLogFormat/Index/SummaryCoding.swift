import CZstd
import MMMMetricsCore

/// The block summaries section of an index file, version 2 (docs/FORMAT.md, "Block summaries").
enum SummaryCoding {
    /// The most bytes a summaries section may decode to (a hostile length cannot ask for more).
    static let maximumDecodedBytes = 64 << 20

    /// Appends the section: `u8` encoding (0 raw, 1 zstd), `u32` stored length, `u32` decoded
    /// length, then the stored bytes.
    static func append(_ summaries: [BlockSummary?], names: [String], to writer: inout ByteWriter) {
        var nameNumbers: [ExactText: Int] = [:]
        for (number, name) in names.enumerated() { nameNumbers[ExactText(name)] = number }
        var strings = InternTable<ExactText>()
        var body = ByteWriter()
        for summary in summaries {
            guard let summary, summary.metrics.allSatisfy({ nameNumbers[ExactText($0.name)] != nil }) else {
                body.varint(0)
                continue
            }
            body.varint(UInt64(summary.metrics.count))
            for metric in summary.metrics {
                body.varint(UInt64(nameNumbers[ExactText(metric.name)]!))
                body.u8(metric.kind.rawValue)
                body.u8((metric.sampled ? 1 : 0) | (metric.series == nil ? 0 : 2))
                appendTotals(metric.totals, to: &body)
                body.varint(UInt64(metric.tags.count))
                for tag in metric.tags {
                    body.varint(UInt64(strings.intern(ExactText(tag.key))))
                    guard let values = tag.values else {
                        body.varint(0)
                        continue
                    }
                    body.varint(UInt64(values.count) + 1)
                    for (value, totals) in values {
                        body.varint(value.map { UInt64(strings.intern(ExactText($0))) + 1 } ?? 0)
                        appendTotals(totals, to: &body)
                    }
                }
                guard let series = metric.series else { continue }
                body.varint(UInt64(series.count))
                for one in series {
                    body.varint(UInt64(one.keys.count))
                    for (key, value) in zip(one.keys, one.values) {
                        body.varint(UInt64(strings.intern(ExactText(key))))
                        body.varint(UInt64(strings.intern(ExactText(value))))
                    }
                    appendTotals(one.totals, to: &body)
                }
            }
        }
        var section = ByteWriter()
        section.varint(UInt64(strings.count))
        for text in strings.keys { section.string(text.string) }
        section.append(body.bytes)
        let plain = section.bytes
        let compressed = (try? plain.withUnsafeBytes { try ZstdCompressor(level: 3).compress($0) }) ?? plain
        let useRaw = compressed.count >= plain.count
        writer.u8(useRaw ? 0 : 1)
        writer.u32(UInt32(useRaw ? plain.count : compressed.count))
        writer.u32(UInt32(plain.count))
        writer.append(useRaw ? plain : compressed)
    }

    private static func appendTotals(_ totals: SummaryTotals, to writer: inout ByteWriter) {
        writer.varint(UInt64(totals.count))
        writer.varint(UInt64(totals.numeric))
        guard totals.numeric > 0 else { return }
        writer.u64(totals.sum.bitPattern)
        writer.u64(totals.minimum.bitPattern)
        writer.u64(totals.maximum.bitPattern)
    }

    /// Reads the section written by ``append(_:names:to:)``: one summary (or `nil`) per entry.
    /// A summary must account for exactly its entry's `eventCounts` events (its metrics' counts add up
    /// to it, and a metric's listed series and tag values to the metric's), so a hostile index cannot
    /// claim more events than its blocks hold.
    static func read(_ reader: inout ByteReader, eventCounts: [Int], names: [String]) throws(DecodeFailure) -> [BlockSummary?] {
        let start = reader.offset
        let encoding = try reader.u8()
        let stored = Int(try reader.u32())
        let decoded = Int(try reader.u32())
        guard encoding <= 1 else { throw DecodeFailure(offset: start, reason: "unknown encoding \(encoding)") }
        guard decoded <= maximumDecodedBytes else { throw DecodeFailure(offset: start + 5, reason: "decoded length \(decoded) exceeds \(maximumDecodedBytes)") }
        let bytes = try reader.bytes(stored)
        let plain: [UInt8]
        if encoding == 0 {
            guard stored == decoded else { throw DecodeFailure(offset: start + 1, reason: "raw section of \(stored) bytes declares \(decoded)") }
            plain = Array(bytes)
        } else {
            var failure: ZstdFailure?
            plain = [UInt8](unsafeUninitializedCapacity: max(decoded, 1)) { buffer, count in
                do throws(ZstdFailure) {
                    try ZstdDecoder.decompress(bytes, expectedSize: decoded, into: UnsafeMutableRawBufferPointer(buffer))
                    count = decoded
                } catch {
                    failure = error
                    count = 0
                }
            }
            if let failure { throw DecodeFailure(offset: start + 9, reason: failure.description) }
        }
        return try plain.withBytes { (raw: UnsafeRawBufferPointer) throws(DecodeFailure) -> [BlockSummary?] in
            var body = ByteReader(raw)
            do throws(DecodeFailure) {
                let summaries = try readBody(&body, eventCounts: eventCounts, names: names)
                guard body.isAtEnd else { throw DecodeFailure(offset: body.offset, reason: "bytes after the last summary") }
                return summaries
            } catch {
                throw DecodeFailure(offset: start + 9, reason: "\(error.reason) at byte \(error.offset) of the decoded section")
            }
        }
    }

    private static func readBody(_ body: inout ByteReader, eventCounts: [Int], names: [String]) throws(DecodeFailure) -> [BlockSummary?] {
        // Every string is used by some summary, so there are no more than the summaries' cost allows.
        let stringCount = try body.count(limit: min(body.remaining, BlockSummary.maximumCostPerIndex))
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        // Each string is charged once, apart from its uses: a table padded with strings nothing uses
        // would otherwise cost every reader its whole length.
        var tableCost = 0
        for _ in 0..<stringCount {
            // Charged by its length before it is read: one huge string is refused unread.
            let at = body.offset
            tableCost += 1 + (try body.count(limit: body.remaining)) / 32
            body.offset = at
            guard tableCost <= BlockSummary.maximumCostPerIndex else {
                throw DecodeFailure(offset: body.offset, reason: "summaries' strings cost more than a writer keeps (\(BlockSummary.maximumCostPerIndex))")
            }
            strings.append(try body.string())
        }
        func string() throws(DecodeFailure) -> String {
            let at = body.offset
            let number = try body.count(limit: Int(UInt32.max))
            guard number < strings.count else { throw DecodeFailure(offset: at, reason: "string \(number) of \(strings.count)") }
            return strings[number]
        }
        // The cost (BlockSummary.cost) of what is read, checked as it is read: memory stays bounded.
        var indexCost = 0
        var blockCost = 0
        func charge(_ string: String?) throws(DecodeFailure) {
            let cost = 1 + (string?.utf8.count ?? 0) / 32
            blockCost += cost
            indexCost += cost
            guard blockCost <= BlockSummary.maximumCostPerBlock, indexCost <= BlockSummary.maximumCostPerIndex else {
                throw DecodeFailure(offset: body.offset, reason: "summaries cost more than a writer keeps (\(BlockSummary.maximumCostPerBlock) per block, \(BlockSummary.maximumCostPerIndex) per index)")
            }
        }
        var summaries: [BlockSummary?] = []
        for eventCount in eventCounts {
            let entryStart = body.offset
            blockCost = 0
            let metricCount = try body.count(limit: body.remaining)
            guard metricCount > 0 else {
                summaries.append(nil)
                continue
            }
            var metrics: [BlockSummary.Metric] = []
            for _ in 0..<metricCount {
                let at = body.offset
                let number = try body.count(limit: Int(UInt32.max))
                guard number < names.count else { throw DecodeFailure(offset: at, reason: "name \(number) of \(names.count)") }
                try charge(names[number])
                guard let kind = StoredKind(rawValue: try body.u8()) else { throw DecodeFailure(offset: body.offset - 1, reason: "unknown metric kind") }
                let flags = try body.u8()
                guard flags <= 3 else { throw DecodeFailure(offset: body.offset - 1, reason: "unknown flags \(flags)") }
                let totals = try readTotals(&body)
                var tags: [BlockSummary.TagTotals] = []
                for _ in 0..<(try body.count(limit: body.remaining)) {
                    let key = try string()
                    try charge(key)
                    let valueCount = try body.count(limit: BlockSummary.maximumSeriesPerMetric + 1)
                    guard valueCount > 0 else {
                        tags.append(BlockSummary.TagTotals(key: key, values: nil))
                        continue
                    }
                    var values: [(value: String?, totals: SummaryTotals)] = []
                    for _ in 0..<(valueCount - 1) {
                        let at = body.offset
                        let number = try body.count(limit: Int(UInt32.max) + 1)
                        guard number <= strings.count else { throw DecodeFailure(offset: at, reason: "string \(number - 1) of \(strings.count)") }
                        let value = number == 0 ? nil : strings[number - 1]
                        try charge(value)
                        values.append((value, try readTotals(&body)))
                    }
                    tags.append(BlockSummary.TagTotals(key: key, values: values))
                }
                var series: [BlockSummary.Series]?
                if flags & 2 != 0 {
                    let seriesCount = try body.count(limit: BlockSummary.maximumSeriesPerMetric)
                    var list: [BlockSummary.Series] = []
                    for _ in 0..<seriesCount {
                        try charge(nil)  // a series costs one, as a string-less entry does
                        let tagCount = try body.count(limit: body.remaining)
                        var keys: [String] = []
                        var values: [String] = []
                        for _ in 0..<tagCount {
                            keys.append(try string())
                            try charge(keys.last)
                            values.append(try string())
                            try charge(values.last)
                        }
                        list.append(BlockSummary.Series(keys: keys, values: values, totals: try readTotals(&body)))
                    }
                    series = list
                }
                let listed = (series.map { [$0.map(\.totals.count)] } ?? []) + tags.compactMap { $0.values?.map(\.totals.count) }
                guard listed.allSatisfy({ $0.reduce(0, +) == totals.count }) else {
                    throw DecodeFailure(offset: at, reason: "a metric's series or tag values count other than its \(totals.count) events")
                }
                metrics.append(BlockSummary.Metric(name: names[number], kind: kind, sampled: flags & 1 != 0, totals: totals, series: series, tags: tags))
            }
            guard metrics.reduce(0, { $0 + $1.totals.count }) == eventCount else {
                throw DecodeFailure(offset: entryStart, reason: "the summary's metrics count other than the entry's \(eventCount) events")
            }
            summaries.append(BlockSummary(metrics: metrics))
        }
        return summaries
    }

    private static func readTotals(_ body: inout ByteReader) throws(DecodeFailure) -> SummaryTotals {
        let at = body.offset
        let count = try body.count(limit: BlockPayload.maximumEvents)
        let numeric = try body.count(limit: count)
        guard numeric > 0 else {
            return SummaryTotals(count: count, numeric: 0, sum: 0, minimum: .infinity, maximum: -.infinity)
        }
        let sum = Double(bitPattern: try body.u64())
        let minimum = Double(bitPattern: try body.u64())
        let maximum = Double(bitPattern: try body.u64())
        guard !(minimum > maximum) else { throw DecodeFailure(offset: at, reason: "minimum above maximum") }
        return SummaryTotals(count: count, numeric: numeric, sum: sum, minimum: minimum, maximum: maximum)
    }
}
