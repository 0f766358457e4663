public import MMMMetricsCore
public import MMMMetricsLogFormat

/// The state of a segment's index file relative to the segment.
package enum IndexState: Sendable, Hashable, CustomStringConvertible {
    /// Present and describing the segment as it is.
    case valid
    /// No index file.
    case missing
    /// Present but describing another state of the segment (fewer blocks, another header).
    case stale(String)
    /// Unreadable: bad magic, bad CRC, cut short.
    case corrupt(String)

    package var description: String {
        switch self {
        case .valid: "valid"
        case .missing: "missing"
        case .stale(let why): "stale (\(why))"
        case .corrupt(let why): "corrupt (\(why))"
        }
    }
}

/// A segment file read into memory with its block list, from its index when that can be trusted,
/// else from a scan of the bytes: what readers, verification and recovery work on.
///
/// Benchmarks (`Tools/Benchmarks`) reach its stored form through the `Benchmarks` SPI: blocks
/// decompressed alone, or decoded into columns, to measure each step apart.
@_spi(Benchmarks) public struct StoredSegment: Sendable {
    let path: String
    package let bytes: [UInt8]
    package let header: SegmentHeader
    package var blocks: [BlockLocation]
    /// Metric names per block, where an index supplied them.
    var blockNames: [[String]?]
    /// Per block, its summary from a valid index (empty, or `nil` entries, where none is known).
    var blockSummaries: [BlockSummary?] = []
    /// Whether readers skip and total blocks by ``blockNames`` and ``blockSummaries``
    /// (``SegmentHandle/usesIndexContents``); `verify` checks them either way.
    var usesIndexContents = true
    package var damage: [SegmentDamage]
    package var sealed: Bool
    var indexState: IndexState
    /// A valid index of this segment says it was sealed, and the segment is now shorter than the
    /// index covers: it was cut after its writer finished with it (a power cut under durability
    /// `none`, or a copy cut short). Readers say so; `archive` refuses it until `recover` has run.
    var cutAfterSeal = false

    /// Where the next segment starts: where the blocks end, unless blocks were lost (damage), when
    /// the seal says so (it was written before the damage). An undamaged segment whose seal says
    /// otherwise is reported (`sealContradiction`) and its blocks are believed: a gap to the next
    /// segment is then reported as lost events, once.
    package var nextSequence: UInt64 {
        var end = blocks.last.map { $0.header.firstSequence + UInt64($0.header.eventCount) } ?? header.firstSequence
        // A torn tail's events (counted where it is reported) follow the blocks: the next segment's
        // gap starts after them, or they would be counted twice.
        for case .tornTail(_, _, let lost?) in damage {
            let (sum, overflow) = end.addingReportingOverflow(UInt64(max(lost, 0)))
            end = overflow ? .max : sum
        }
        guard !damage.isEmpty, let seal else { return end }
        return max(seal.nextSequence, end)
    }

    /// The seal record, when the segment is sealed.
    var seal: SealRecord? {
        guard sealed else { return nil }
        return bytes.withUnsafeBytes { SealRecord.validate($0, at: $0.count - Format.sealSize) }
    }

    /// A seal that contradicts the blocks of an otherwise undamaged segment: where it is and why.
    /// Readers and verify report it; import refuses it.
    package var sealContradiction: (offset: Int, reason: String)? {
        guard damage.isEmpty, let seal, let reason = seal.contradiction(blocks: blocks, firstSequence: header.firstSequence) else { return nil }
        return (bytes.count - Format.sealSize, reason)
    }

    /// Reads a segment. With `fullScan`, ignores the index for the block list (verify does this)
    /// but still reports its state.
    static func load(_ path: String, fullScan: Bool = false) throws(LogError) -> StoredSegment {
        try load(SegmentHandle(
            name: path, bytes: { () throws(LogError) -> [UInt8] in try FileSystem.readFile(path) },
            index: { try? FileSystem.readFile(LogRoot.indexPath(forSegment: path)) }), fullScan: fullScan)
    }

    /// What opening a segment found.
    enum Opened {
        /// A readable segment.
        case loaded(StoredSegment)
        /// A file whose header never fully reached the disk (empty, cut short or zeroed) and that holds
        /// no valid block: what a crash between creating a segment and writing its header leaves. It
        /// holds no events; readers skip it and recovery removes it.
        case headerless(path: String, size: Int)
        /// A segment whose header is damaged but whose blocks are intact: they carry their own sequence
        /// numbers and CRCs, so they are read (the error says what was wrong with the header). Its
        /// `header` is rebuilt from the file name; its session id is unknown (empty).
        case salvaged(StoredSegment, LogError)
        /// A segment whose header is damaged or contradicts its file name, with no block that can be
        /// placed in the session. The error names the file and the offset.
        case unreadable(LogError)
    }

    /// Opens a segment, telling a headerless, salvageable or damaged one apart; throws only I/O
    /// errors. A file that vanished since it was listed (a writer removed a segment it could not
    /// start) is headerless: it holds no events.
    static func open(_ handle: SegmentHandle, fullScan: Bool = false) throws(LogError) -> Opened {
        let bytes: [UInt8]
        do {
            bytes = try handle.bytes()
        } catch {
            if FileSystem.isMissingFile(error) { return .headerless(path: handle.name, size: 0) }
            throw error
        }
        do {
            return .loaded(try load(handle, bytes: bytes, fullScan: fullScan))
        } catch {
            guard case .corrupt = error else { throw error }
            if bytes.withUnsafeBytes({ SegmentScan.isHeaderless($0) }) { return .headerless(path: handle.name, size: bytes.count) }
            if let salvaged = salvage(handle.name, bytes) { return .salvaged(salvaged, error) }
            return .unreadable(error)
        }
    }

    /// The intact blocks of a segment whose header does not decode, placed by the file name: the first
    /// valid block must start at or after the sequence the name gives (events before it are a bad region).
    static func salvage(_ path: String, _ bytes: [UInt8]) -> StoredSegment? {
        bytes.withUnsafeBytes { raw -> StoredSegment? in
            guard (try? SegmentHeader.decode(raw, path: path)) == nil, let start = SegmentScan.resynchronize(raw, after: -1),
                let (first, _) = BlockHeader.peek(raw, at: start)
            else { return nil }
            let named = sequence(fromName: path) ?? first.firstSequence
            guard first.firstSequence >= named else { return nil }
            let header = SegmentHeader(sessionID: "", firstSequence: named, createdNanoseconds: 0, crc: 0, size: start)
            var scan = SegmentScan(header: header, blocks: [], seal: nil, damage: [], validEnd: start, fileSize: raw.count)
            scan.continueScan(raw, from: start)
            if first.firstSequence > named {
                scan.damage.insert(.badRegion(offset: 0, resumeOffset: start, eventsLost: first.firstSequence - named,
                                              reason: "damaged header and first blocks"), at: 0)
            }
            return StoredSegment(
                path: path, bytes: bytes, header: header, blocks: scan.blocks, blockNames: scan.blocks.map { _ in nil },
                damage: scan.damage, sealed: scan.isSealed, indexState: .missing)
        }
    }

    /// The first sequence number a segment's name gives (`…/00000000000000004711.seg` → 4711), if it has one.
    static func sequence(fromName name: String) -> UInt64? {
        guard name.hasSuffix(".seg") else { return nil }
        let digits = name.dropLast(4).suffix(20)
        guard digits.count == 20, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return UInt64(digits)
    }

    /// Reads a segment from any source.
    static func load(_ handle: SegmentHandle, fullScan: Bool = false) throws(LogError) -> StoredSegment {
        try load(handle, bytes: try handle.bytes(), fullScan: fullScan)
    }

    private static func load(_ handle: SegmentHandle, bytes: [UInt8], fullScan: Bool) throws(LogError) -> StoredSegment {
        var segment = try loadBlocks(handle, bytes: bytes, fullScan: fullScan)
        segment.usesIndexContents = handle.usesIndexContents
        return segment
    }

    private static func loadBlocks(_ handle: SegmentHandle, bytes: [UInt8], fullScan: Bool) throws(LogError) -> StoredSegment {
        let path = handle.name
        return try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
            let header = try SegmentHeader.decode(raw, path: path)
            // The name orders segments; a header that disagrees would put its events in the wrong place.
            if let named = sequence(fromName: path), named != header.firstSequence {
                throw LogError.corrupt(path: path, offset: 16, reason: "the file name says the segment starts at sequence \(named), its header says \(header.firstSequence)")
            }
            let indexPath = indexPath(for: path)
            var indexState = IndexState.missing
            var index: SegmentIndex?
            if let indexBytes = handle.indexBytes() {
                do {
                    index = try indexBytes.withBytes { (rawIndex: UnsafeRawBufferPointer) throws(LogError) in
                        try SegmentIndex.decode(rawIndex, path: indexPath)
                    }
                    indexState = .valid
                } catch {
                    indexState = .corrupt("\(error)")
                }
            }
            if let candidate = index, case .valid = indexState {
                if let problem = Self.check(candidate, against: header, raw) {
                    indexState = .stale(problem)
                    index = nil
                }
            } else {
                index = nil
            }
            if fullScan || index == nil {
                var scan = try SegmentScan.scan(raw, path: path)
                var cutAfterSeal = false
                if let cut = Self.cutShort(handle, header: header, scan: scan, size: raw.count) {
                    // Read as a torn tail: what a power cut can leave under durability none, when the
                    // index reached the disk before the segment's last writes did. The index counts
                    // every event lost, also those of whole blocks the cut took with the torn one.
                    let lost = Int(clamping: cut.events)
                    if let torn = scan.damage.lastIndex(where: { if case .tornTail = $0 { true } else { false } }),
                        case .tornTail(let offset, let bytes, let declared) = scan.damage[torn] {
                        scan.damage[torn] = .tornTail(offset: offset, bytes: bytes, eventsLost: max(declared ?? 0, lost))
                    } else {
                        scan.damage.append(.tornTail(offset: raw.count, bytes: 0, eventsLost: lost))
                    }
                    cutAfterSeal = cut.sealed
                }
                var names = [[String]?](repeating: nil, count: scan.blocks.count)
                var summaries: [BlockSummary?] = []
                if let index {
                    if index.matches(scan) {
                        names = index.nameLists
                        summaries = index.summaries
                    } else {
                        indexState = .stale("does not match the segment's blocks")
                        // Readers that trust the index (damage in one block leaves it trusted) take the
                        // summaries of the blocks it lists correctly: verify must check those too.
                        let listed = Dictionary(index.entries.map { ($0.offset, $0) }, uniquingKeysWith: { first, _ in first })
                        let entries = scan.blocks.map { block -> IndexEntry? in
                            guard let entry = listed[block.offset], entry.length == block.header.totalLength,
                                entry.eventCount == block.header.eventCount, entry.firstSequence == block.header.firstSequence
                            else { return nil }
                            return entry
                        }
                        summaries = entries.map { $0?.summary }
                        names = entries.map { entry in entry.flatMap(index.nameList) }
                    }
                }
                var segment = StoredSegment(path: path, bytes: bytes, header: header, blocks: scan.blocks, blockNames: names,
                                            damage: scan.damage, sealed: scan.isSealed, indexState: indexState)
                segment.cutAfterSeal = cutAfterSeal
                segment.blockSummaries = summaries
                return segment
            }
            let trusted = index!
            var blocks: [BlockLocation] = []
            var damage: [SegmentDamage] = []
            var expectedOffset = header.size
            var expectedSequence = header.firstSequence
            for entry in trusted.entries {
                let (blockHeader, _) = BlockHeader.peek(raw, at: entry.offset)!
                if entry.offset != expectedOffset {
                    damage.append(.badRegion(
                        offset: expectedOffset, resumeOffset: entry.offset,
                        eventsLost: entry.firstSequence >= expectedSequence ? entry.firstSequence - expectedSequence : nil,
                        reason: "not a valid block (the index skips it)"))
                }
                blocks.append(BlockLocation(offset: entry.offset, header: blockHeader))
                expectedOffset = entry.offset + entry.length
                expectedSequence = entry.firstSequence + UInt64(entry.eventCount)
            }
            var names = trusted.nameLists
            let summaries = trusted.summaries
            guard !trusted.sealed, trusted.coveredBytes < raw.count else {
                var segment = StoredSegment(path: path, bytes: bytes, header: header, blocks: blocks, blockNames: names,
                                            damage: damage, sealed: trusted.sealed, indexState: indexState)
                segment.blockSummaries = summaries
                return segment
            }
            // The active segment grew after its index was written: scan the rest.
            var rest = SegmentScan(header: header, blocks: [], seal: nil, damage: [], validEnd: trusted.coveredBytes, fileSize: raw.count)
            rest.continueScan(raw, from: trusted.coveredBytes)
            blocks += rest.blocks
            names += rest.blocks.map { _ in nil }
            var segment = StoredSegment(path: path, bytes: bytes, header: header, blocks: blocks, blockNames: names,
                                        damage: damage + rest.damage, sealed: rest.isSealed,
                                        indexState: .stale("covers \(trusted.coveredBytes) of \(raw.count) bytes"))
            segment.blockSummaries = summaries
            return segment
        }
    }

    /// Where a segment's index is (beside it; an archive entry's name gets `.idx` appended), for messages.
    static func indexPath(for name: String) -> String {
        name.hasSuffix(".seg") ? LogRoot.indexPath(forSegment: name) : name + ".idx"
    }

    /// Events an index (its CRC valid, of this segment's header) lists beyond a segment cut shorter
    /// than the index covers: proof that they were written and are gone. `nil` when there is no such proof.
    static func eventsMissing(_ handle: SegmentHandle, header: SegmentHeader?, scan: SegmentScan?, size: Int) -> UInt64? {
        cutShort(handle, header: header, scan: scan, size: size)?.events
    }

    /// As ``eventsMissing(_:header:scan:size:)``, and whether that index says the segment was sealed.
    static func cutShort(_ handle: SegmentHandle, header: SegmentHeader?, scan: SegmentScan?, size: Int) -> (events: UInt64, sealed: Bool)? {
        let indexPath = indexPath(for: handle.name)
        guard let indexBytes = handle.indexBytes(),
            let index = try? indexBytes.withBytes({ (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: indexPath) }),
            index.coveredBytes > size, let last = index.entries.last
        else { return nil }
        if let header, index.segmentHeaderCRC != header.crc { return nil }
        // A seal that agrees with the blocks before it was written after all of them: the segment is
        // whole, and an index covering more is wrong, not proof of loss (a cut would have taken the seal).
        if let scan, let seal = scan.seal, seal.contradiction(blocks: scan.blocks, firstSequence: scan.header.firstSequence) == nil {
            return nil
        }
        let (listedEnd, overflow) = last.firstSequence.addingReportingOverflow(UInt64(last.eventCount))
        let found = scan?.nextSequence ?? header?.firstSequence ?? index.entries[0].firstSequence
        guard !overflow, listedEnd > found else { return nil }
        return (listedEnd - found, index.sealed)
    }

    /// Why an index cannot be trusted for this segment, or `nil` when it can (cheap checks; CRCs are checked on read).
    private static func check(_ index: SegmentIndex, against header: SegmentHeader, _ raw: UnsafeRawBufferPointer) -> String? {
        guard index.segmentHeaderCRC == header.crc else { return "belongs to another segment header" }
        guard index.coveredBytes <= raw.count else { return "covers \(index.coveredBytes) bytes, the segment has \(raw.count)" }
        if index.sealed {
            guard index.coveredBytes == raw.count, SealRecord.validate(raw, at: raw.count - Format.sealSize) != nil else {
                return "says sealed, the segment does not end with its seal"
            }
        }
        var previousEnd = header.size
        for entry in index.entries {
            guard entry.offset >= previousEnd, let (block, _) = BlockHeader.peek(raw, at: entry.offset),
                block.totalLength == entry.length, block.eventCount == entry.eventCount, block.firstSequence == entry.firstSequence,
                block.minTimestamp == entry.minTimestamp, block.maxTimestamp == entry.maxTimestamp,
                entry.offset + entry.length <= index.coveredBytes
            else { return "entry at offset \(entry.offset) does not match the block there" }
            if entry.offset > previousEnd, let found = SegmentScan.resynchronize(raw, after: previousEnd - 1), found < entry.offset {
                return "skips the valid block at offset \(found)"
            }
            previousEnd = entry.offset + entry.length
        }
        let end = index.sealed ? raw.count - Format.sealSize : index.coveredBytes
        if end > previousEnd, let found = SegmentScan.resynchronize(raw, after: previousEnd - 1), found < end {
            return "skips the valid block at offset \(found)"
        }
        return nil
    }
}

// MARK: - Benchmarks SPI

extension StoredSegment {
    /// Reads a segment file (trusting a valid index, else scanning).
    @_spi(Benchmarks) public static func load(_ path: String) throws(LogError) -> StoredSegment {
        try load(path, fullScan: false)
    }

    /// The file's path.
    @_spi(Benchmarks) public var filePath: String { path }

    /// The segment's size in bytes.
    @_spi(Benchmarks) public var size: Int { bytes.count }

    /// The number of valid blocks.
    @_spi(Benchmarks) public var blockCount: Int { blocks.count }

    /// Decompresses block `index`'s payload (the binary encoding, not decoded further) into
    /// `buffer`, which grows as needed; returns the payload's length.
    @discardableResult
    @_spi(Benchmarks) public func decompress(block index: Int, into buffer: inout [UInt8]) throws(LogError) -> Int {
        let block = blocks[index]
        let size = block.header.decodedLength
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        let path = self.path
        let result: Result<Void, LogError> = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBytes { output in
                Result { () throws(LogError) in
                    try BlockDecoding.withPayload(raw, block, path: path) { payload throws(DecodeFailure) in
                        UnsafeMutableRawBufferPointer(rebasing: output[0..<size]).copyMemory(from: payload)
                    }
                }
            }
        }
        try result.get()
        return size
    }

    /// Decodes block `index` into columns.
    @_spi(Benchmarks) public func decode(block index: Int) throws(LogError) -> DecodedColumns {
        let path = self.path
        let block = blocks[index]
        return DecodedColumns(block: try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
            try BlockDecoding.decode(raw, block, path: path)
        })
    }
}

/// A decoded block, as the benchmarks see it.
@_spi(Benchmarks) public struct DecodedColumns: Sendable {
    let block: DecodedBlock

    /// The number of events.
    @_spi(Benchmarks) public var count: Int { block.count }

    /// Event `index`'s value as aggregations use it (timers in seconds), `nil` for custom events.
    @_spi(Benchmarks) public func numericValue(at index: Int) -> Double? { block.numericValue(at: index) }

    /// Event `index` as a ``MetricEvent``.
    @_spi(Benchmarks) public func event(at index: Int) -> MetricEvent { block.event(at: index) }
}
