import MMMMetricsCore

/// Turns a block's stored bytes back into its payload and decodes it.
package enum BlockDecoding {
    /// Runs `body` on the block's decoded payload bytes (decompressing when needed).
    package static func withPayload<T>(
        _ segment: UnsafeRawBufferPointer, _ block: BlockLocation, path: String,
        _ body: (UnsafeRawBufferPointer) throws(DecodeFailure) -> T
    ) throws(LogError) -> T {
        do {
            return try withStoredPayload(stored(segment, block), encoding: block.header.encoding, decodedLength: block.header.decodedLength, body)
        } catch {
            throw .corrupt(path: path, offset: block.offset, reason: "block payload: \(error)")
        }
    }

    /// Runs `body` on a payload as stored (`encoding`, decoding to `decodedLength` bytes), decoded
    /// whole: every section of a payload in sections.
    package static func withStoredPayload<T>(
        _ stored: UnsafeRawBufferPointer, encoding: BlockEncoding, decodedLength size: Int, _ body: (UnsafeRawBufferPointer) throws(DecodeFailure) -> T
    ) throws(DecodeFailure) -> T {
        if encoding == .raw { return try body(stored) }
        // One scratch buffer per thread, reused across blocks: a fresh one per block costs page faults.
        let buffer = UnsafeMutableRawBufferPointer(rebasing: ScratchBuffer.current.bytes(atLeast: max(size, 1))[0..<size])
        if encoding == .sections {
            try PayloadSections(stored, decodedLength: size).loadAll(into: buffer)
        } else {
            do { try ZstdDecoder.decompress(stored, expectedSize: size, into: buffer) } catch { throw DecodeFailure(offset: 0, reason: "\(error)") }
        }
        return try body(UnsafeRawBufferPointer(buffer))
    }

    /// Decodes a payload as stored (`encoding`, decoding to `decodedLength` bytes): for a payload in
    /// sections, only the sections that the parts, keys and value metrics asked for need are
    /// decompressed (``BlockDecoder``).
    package static func decodeStored(
        _ stored: UnsafeRawBufferPointer, encoding: BlockEncoding, decodedLength size: Int, firstSequence: UInt64, parts: DecodedParts = .all,
        tagKeys: Set<String>? = nil, valueMetrics: Set<String>? = nil
    ) throws(DecodeFailure) -> DecodedBlock {
        guard encoding == .sections else {
            return try withStoredPayload(stored, encoding: encoding, decodedLength: size) { payload throws(DecodeFailure) in
                try BlockPayload.decode(payload, firstSequence: firstSequence, parts: parts, tagKeys: tagKeys)
            }
        }
        let buffer = UnsafeMutableRawBufferPointer(rebasing: ScratchBuffer.current.bytes(atLeast: max(size, 1))[0..<size])
        return try BlockDecoder.decode(
            sections: PayloadSections(stored, decodedLength: size), into: buffer, firstSequence: firstSequence, parts: parts, tagKeys: tagKeys,
            valueMetrics: valueMetrics)
    }

    /// The block's stored payload bytes within its segment.
    private static func stored(_ segment: UnsafeRawBufferPointer, _ block: BlockLocation) -> UnsafeRawBufferPointer {
        let start = block.offset + Format.blockHeaderSize
        return UnsafeRawBufferPointer(rebasing: segment[start..<(start + block.header.storedLength)])
    }

    /// The block's events, in columns: every part, checked against the header, or the parts asked
    /// for (``DecodedParts``), each checked as far as it was decoded. `valueMetrics` names the
    /// metrics whose values the caller reads (nil: all): a block in sections may leave the values
    /// of other kinds undecoded, as 0 (``BlockDecoder/decode(sections:into:firstSequence:parts:tagKeys:valueMetrics:)``).
    package static func decode(
        _ segment: UnsafeRawBufferPointer, _ block: BlockLocation, path: String, parts: DecodedParts = .all, tagKeys: Set<String>? = nil,
        valueMetrics: Set<String>? = nil
    ) throws(LogError) -> DecodedBlock {
        let decoded: DecodedBlock
        do {
            decoded = try decodeStored(
                stored(segment, block), encoding: block.header.encoding, decodedLength: block.header.decodedLength,
                firstSequence: block.header.firstSequence, parts: parts, tagKeys: tagKeys, valueMetrics: valueMetrics)
        } catch {
            throw .corrupt(path: path, offset: block.offset, reason: "block payload: \(error)")
        }
        guard decoded.count == block.header.eventCount else {
            throw .corrupt(path: path, offset: block.offset, reason: "block header says \(block.header.eventCount) events, payload holds \(decoded.count)")
        }
        // Readers skip blocks by the header's time range: one that disagrees with its events would
        // hide them from time-filtered reads.
        if let range = decoded.timeRange, range.lowerBound != block.header.minTimestamp || range.upperBound != block.header.maxTimestamp {
            throw .corrupt(path: path, offset: block.offset, reason: "block header time range disagrees with its events")
        }
        // A custom text that is not JSON is damage (a reader must not hand it out as null).
        if decoded.customBounds.count > 1 {
            do { try decoded.validateCustomData() } catch {
                throw .corrupt(path: path, offset: block.offset, reason: "custom event data is not valid JSON: \(error)")
            }
        }
        return decoded
    }

    /// The distinct metric names in the block.
    package static func names(_ segment: UnsafeRawBufferPointer, _ block: BlockLocation, path: String) throws(LogError) -> [String] {
        let decoded = try decode(segment, block, path: path)
        var seen = Set<ExactText>()
        return decoded.metrics.compactMap { seen.insert(ExactText($0.name)).inserted ? $0.name : nil }
    }

    /// An index built from a scan by decoding every block's names and summary. A block that does not
    /// decode gets no names (unknown: never skipped by name) and no summary, so reading it still
    /// reports the damage.
    package static func buildIndex(_ segment: UnsafeRawBufferPointer, _ scan: SegmentScan, path: String) -> SegmentIndex {
        var names: [[String]] = []
        var summaries: [BlockSummary?] = []
        for block in scan.blocks {
            guard let decoded = try? decode(segment, block, path: path) else {
                names.append([])
                summaries.append(nil)
                continue
            }
            var seen = Set<ExactText>()
            names.append(decoded.metrics.compactMap { seen.insert(ExactText($0.name)).inserted ? $0.name : nil })
            summaries.append(BlockSummary(decoded))
        }
        return SegmentIndex(scan: scan, blockNames: names, summaries: summaries)
    }
}
