@_spi(Fuzzing) import MMMMetricsCore

/// Entry points for the libFuzzer targets in `Tools/Fuzz` (docs/FUZZING.md); not API.
///
/// Segment and index inputs are checked twice: as given, and with every CRC they hold recomputed
/// (``repairedSegment(_:)``), so that mutations get past the checksums to the code behind them.
@_spi(Fuzzing) public enum FormatFuzzEntryPoints {
    /// Blocks with more events than this are decoded but not re-encoded (keeps each run fast).
    static let roundTripEventLimit = 1 << 16

    /// For the fuzzers: `BlockDecoder.decode` on a raw payload; a payload that decodes (with valid
    /// custom JSON) re-encodes and decodes to the same events.
    /// A payload that decodes whole also decodes in part (as queries decode it: no strings, custom
    /// data, timestamps or values, one tag key) to the same metric column, and tag columns.
    @_spi(Fuzzing) public static func blockPayload(_ bytes: UnsafeRawBufferPointer) {
        let firstKey = "k"
        let part = try? BlockDecoder.decode(bytes, firstSequence: 0, parts: [], tagKeys: [firstKey])
        let decoded: DecodedBlock
        do {
            decoded = try BlockDecoder.decode(bytes, firstSequence: 0)
        } catch {
            CoreFuzzEntryPoints.require(error.offset >= 0 && error.offset <= bytes.count, "decode failure offset \(error.offset) outside 0...\(bytes.count)")
            _ = error.description
            return
        }
        if let part {
            requireAgreement(part, decoded, keys: [firstKey], "a partial decode")
        } else {
            CoreFuzzEntryPoints.require(false, "a payload that decodes whole does not decode in part")
        }
        checkDecoded(decoded, roundTrip: true)
    }

    /// For the fuzzers: `SegmentScan.scan` on a segment file, then what readers do with the result:
    /// decode every block, build the index, encode it and decode it back.
    @_spi(Fuzzing) public static func segmentScan(_ bytes: UnsafeRawBufferPointer) {
        checkSegment(bytes)
        if let repaired = repairedSegment(bytes) { repaired.withUnsafeBytes { checkSegment($0) } }
    }

    /// For the fuzzers: `SegmentIndex.decode` on an index file; an index that decodes re-encodes
    /// and decodes to the same index.
    @_spi(Fuzzing) public static func segmentIndex(_ bytes: UnsafeRawBufferPointer) {
        checkIndex(bytes)
        if let repaired = repairedIndex(bytes) { repaired.withUnsafeBytes { checkIndex($0) } }
    }

    // MARK: - Checks shared with the other modules' entry points

    /// Invariants of a decoded block; with `roundTrip`, re-encodes its events and decodes them back.
    package static func checkDecoded(_ decoded: DecodedBlock, roundTrip: Bool) {
        let count = decoded.count
        CoreFuzzEntryPoints.require(decoded.rawValues.count == count && decoded.metricOfEvent.count == count, "column lengths differ from \(count)")
        CoreFuzzEntryPoints.require(decoded.tagColumns.count == decoded.tagKeys.count, "tag columns != tag keys")
        CoreFuzzEntryPoints.require(decoded.tagColumns.allSatisfy { $0.count == count }, "a tag column's length differs from \(count)")
        guard count <= roundTripEventLimit else { return }
        let customCount = (0..<count).reduce(0) { $0 + (decoded.kind(at: $1) == .custom ? 1 : 0) }
        CoreFuzzEntryPoints.require(decoded.customBounds.count == customCount + 1, "\(decoded.customBounds.count) custom bounds for \(customCount) custom events")
        // A custom text that is not JSON makes readers reject the block: nothing more to compare.
        guard (try? decoded.allCustomData()) != nil else { return }
        let events = decoded.events
        guard roundTrip else { return }
        let encoded = BlockPayload.encodeBlock(events[...])
        CoreFuzzEntryPoints.require(encoded.count == count, "the encoder took \(encoded.count) of \(count) events")
        if count > 0 {
            let times = events.map { $0.timestamp!.nanosecondsSinceEpoch }
            CoreFuzzEntryPoints.require(encoded.minTimestamp == times.min()! && encoded.maxTimestamp == times.max()!, "block time range is wrong")
        }
        let again: DecodedBlock
        do {
            again = try encoded.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(DecodeFailure) in try BlockDecoder.decode(raw, firstSequence: 0) }
        } catch {
            fatalError("fuzz invariant: a re-encoded payload does not decode: \(error)")
        }
        CoreFuzzEntryPoints.requireSame(again.events, events, "block payload round trip")
        checkSections(encoded, again)
    }

    private static let sectionCompressor = ThreadLocal<ZstdCompressor>()

    /// A block decoded in part agrees with it decoded whole: the metric column, the strings, and
    /// the tag columns of `keys` (nil: every key; keys compare as Swift strings, as the decoder's).
    static func requireAgreement(_ part: DecodedBlock, _ whole: DecodedBlock, keys: Set<String>?, _ what: String) {
        CoreFuzzEntryPoints.require(part.count == whole.count && part.metricOfEvent == whole.metricOfEvent, "\(what): the metric column differs")
        CoreFuzzEntryPoints.require(part.packedStrings == whole.packedStrings && part.tagKeys == whole.tagKeys, "\(what): the strings differ")
        for (position, key) in whole.tagKeys.enumerated() where keys?.contains(key) ?? true {
            CoreFuzzEntryPoints.require(part.tagColumns[position] == whole.tagColumns[position], "\(what): a tag column differs")
        }
    }

    /// Stores a payload in sections (whatever its size) and decodes it whole and in part, as
    /// readers of a block in sections do: each must agree with the payload decoded as it is.
    static func checkSections(_ encoded: BlockPayload.Encoded, _ whole: DecodedBlock) {
        // One compression context per thread: making one per input would slow every fuzzing run.
        let compressor = sectionCompressor.value { ZstdCompressor(level: 1) }
        guard let stored = try? StoredPayload.inSections(encoded.bytes, ends: encoded.sectionEnds, compressor: compressor) else {
            fatalError("fuzz invariant: a payload does not compress")
        }
        let firstKey = whole.tagKeys.first ?? "k"
        let firstMetric = whole.metrics.first?.name ?? "m"
        let requests: [(DecodedParts, Set<String>?, Set<String>?)] = [(.all, nil, nil), ([], [firstKey], nil), (.values, [], [firstMetric])]
        for (parts, keys, metrics) in requests {
            let part: DecodedBlock
            do {
                part = try stored.withBytes { (raw: UnsafeRawBufferPointer) throws(DecodeFailure) in
                    try BlockDecoding.decodeStored(raw, encoding: .sections, decodedLength: encoded.bytes.count, firstSequence: 0, parts: parts,
                                                   tagKeys: keys, valueMetrics: metrics)
                }
            } catch {
                fatalError("fuzz invariant: a payload in sections does not decode: \(error)")
            }
            requireAgreement(part, whole, keys: keys, "a decode in sections")
            for event in 0..<whole.count where parts.contains(.values) && (metrics?.contains(whole.metrics[Int(whole.metricOfEvent[event])].name) ?? true) {
                CoreFuzzEntryPoints.require(part.rawValues[event] == whole.rawValues[event], "sections: value of event \(event) differs")
            }
            if parts == .all { CoreFuzzEntryPoints.requireSame(part.events, whole.events, "sections: events differ") }
        }
    }

    /// Scans a segment and does with it what readers do; invariants of the scan.
    package static func checkSegment(_ raw: UnsafeRawBufferPointer) {
        _ = SegmentScan.isHeaderless(raw)
        let path = "fuzz.seg"
        let scan: SegmentScan
        do { scan = try SegmentScan.scan(raw, path: path) } catch {
            _ = error.description
            return
        }
        var previousEnd = scan.header.size
        for block in scan.blocks {
            CoreFuzzEntryPoints.require(block.offset >= previousEnd, "block at \(block.offset) overlaps the previous one (ends \(previousEnd))")
            previousEnd = block.offset + block.header.totalLength
            CoreFuzzEntryPoints.require(previousEnd <= raw.count, "block at \(block.offset) ends past the file")
        }
        CoreFuzzEntryPoints.require(scan.validEnd >= previousEnd && scan.validEnd <= raw.count, "validEnd \(scan.validEnd) out of place")
        for damage in scan.damage {
            _ = damage.description
            switch damage {
            case .badRegion(let offset, let resume, _, _):
                CoreFuzzEntryPoints.require(offset >= scan.header.size && offset < resume && resume <= raw.count, "bad region \(offset)..<\(resume)")
            case .tornTail(let offset, let bytes, _):
                CoreFuzzEntryPoints.require(offset >= scan.header.size && bytes > 0 && offset + bytes == raw.count, "torn tail \(offset)+\(bytes)")
            }
        }
        _ = scan.eventCount
        _ = scan.nextSequence
        for block in scan.blocks {
            do {
                let decoded = try BlockDecoding.decode(raw, block, path: path)
                checkDecoded(decoded, roundTrip: false)
            } catch {
                _ = error.description
            }
        }
        let index = BlockDecoding.buildIndex(raw, scan, path: path)
        let encoded = index.encoded()
        let decodedIndex: SegmentIndex
        do {
            decodedIndex = try encoded.withBytes { (bytes: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(bytes, path: "fuzz.idx") }
        } catch {
            fatalError("fuzz invariant: an index built from a scan does not decode: \(error)")
        }
        CoreFuzzEntryPoints.require(decodedIndex == index, "an index built from a scan decodes differently")
        CoreFuzzEntryPoints.require(decodedIndex.matches(scan), "an index built from a scan does not match it")
        _ = decodedIndex.nameLists
    }

    /// Decodes an index; one that decodes re-encodes and decodes to the same index.
    package static func checkIndex(_ raw: UnsafeRawBufferPointer) {
        let index: SegmentIndex
        do { index = try SegmentIndex.decode(raw, path: "fuzz.idx") } catch {
            _ = error.description
            return
        }
        _ = index.nameLists
        let encoded = index.encoded()
        do {
            let again = try encoded.withBytes { (bytes: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(bytes, path: "fuzz.idx") }
            CoreFuzzEntryPoints.require(again == index, "an index decodes differently after re-encoding")
        } catch {
            fatalError("fuzz invariant: a re-encoded index does not decode: \(error)")
        }
    }

    // MARK: - Checksum repair

    /// `bytes` with the segment header CRC, every block CRC and every seal CRC recomputed wherever
    /// their magic and lengths fit (later ones first, so a block's CRC covers repaired blocks
    /// inside it); `nil` when nothing changes.
    package static func repairedSegment(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var output = Array(bytes)
        repairSegment(&output)
        return output.elementsEqual(bytes) ? nil : output
    }

    /// Recomputes a segment's CRCs in place (see ``repairedSegment(_:)``).
    package static func repairSegment(_ output: inout [UInt8]) {
        let count = output.count
        func u32(_ offset: Int) -> UInt32 {
            UInt32(output[offset]) | UInt32(output[offset + 1]) << 8 | UInt32(output[offset + 2]) << 16 | UInt32(output[offset + 3]) << 24
        }
        func put(_ value: UInt32, at offset: Int) {
            for shift in 0..<4 { output[offset + shift] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(shift))) }
        }
        func crc(_ range: Range<Int>, then second: Range<Int>? = nil) -> UInt32 {
            output.withUnsafeBytes { raw in
                let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[range]))
                guard let second else { return first }
                return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[second]), continuing: first)
            }
        }
        var offset = count - 4
        while offset >= 0 {
            let word = u32(offset)
            if word == Format.blockMagic, count - offset >= Format.blockHeaderSize {
                let stored = Int(u32(offset + 8))
                if stored <= count - offset - Format.blockHeaderSize {
                    let start = offset + Format.blockHeaderSize
                    put(crc(offset..<(offset + 44), then: start..<(start + stored)), at: offset + 44)
                }
            } else if word == Format.sealMagic, count - offset >= Format.sealSize {
                put(crc(offset..<(offset + 40)), at: offset + 40)
            }
            offset -= 1
        }
        if count >= 38, output[0..<8].elementsEqual(Format.segmentMagic) {
            let size = Int(u32(12))
            if size >= 38, size <= count { put(crc(0..<(size - 4)), at: size - 4) }
        }
    }

    /// `bytes` with an index's final CRC recomputed; `nil` when nothing changes.
    package static func repairedIndex(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var output = Array(bytes)
        repairIndex(&output)
        return output.elementsEqual(bytes) ? nil : output
    }

    /// Recomputes an index's CRC in place.
    package static func repairIndex(_ output: inout [UInt8]) {
        guard output.count >= 36, output[0..<8].elementsEqual(Format.indexMagic) else { return }
        let crc = CRC32C.checksum(Array(output[0..<(output.count - 4)]))
        for shift in 0..<4 { output[output.count - 4 + shift] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(shift))) }
    }

    /// For turning a reproducer into the file the repaired run saw: the bytes with their CRCs
    /// recomputed as the fuzzers do (`kind` is `segment` or `index`).
    @_spi(Fuzzing) public static func repairChecksums(_ bytes: [UInt8], kind: String) -> [UInt8] {
        var output = bytes
        switch kind {
        case "segment": repairSegment(&output)
        case "index": repairIndex(&output)
        default: break
        }
        return output
    }
}
