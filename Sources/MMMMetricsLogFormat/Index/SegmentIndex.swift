import MMMMetricsCore

/// What the index says about one block.
package struct IndexEntry: Sendable, Hashable {
    /// Byte offset of the block in the segment.
    package var offset: Int
    /// The block's length including its header.
    package var length: Int
    /// Events in the block.
    package var eventCount: Int
    /// The sequence number of its first event.
    package var firstSequence: UInt64
    /// Its smallest timestamp.
    package var minTimestamp: Int64
    /// Its largest timestamp.
    package var maxTimestamp: Int64
    /// The metric names that occur in it (indices into the index's name table). Empty when they are
    /// unknown (the block could not be decoded when the index was built): such a block is never
    /// skipped by name.
    package var names: [Int]
    /// Totals per metric and series (``BlockSummary``); `nil` when unknown (an index of version 1,
    /// or the block's names are unknown).
    package var summary: BlockSummary? = nil
}

/// A segment's index: derived data, rebuilt from the segment whenever it is missing, stale or corrupt.
package struct SegmentIndex: Sendable, Hashable {
    /// The metric names the entries refer to.
    package var names: [String]
    /// One entry per valid block, in file order.
    package var entries: [IndexEntry]
    /// The segment bytes the index describes (`validEnd` of the scan it was built from).
    package var coveredBytes: Int
    /// The CRC of the segment header it belongs to.
    package var segmentHeaderCRC: UInt32
    /// Whether the segment was sealed when the index was built.
    package var sealed: Bool

    /// Builds an index from a scan, the decoded names of each block and, where known, its summary.
    package init(scan: SegmentScan, blockNames: [[String]], summaries: [BlockSummary?] = []) {
        // By bytes, as blocks keep names (é and e + U+0301 are two names; one table entry would hide one).
        var table = InternTable<ExactText>()
        var entries: [IndexEntry] = []
        for (position, (block, blockNames)) in zip(scan.blocks, blockNames).enumerated() {
            // A name the index cannot hold (its length is a u16) leaves the block's names unknown.
            let representable = blockNames.allSatisfy { $0.utf8.count <= Int(UInt16.max) }
            let indices = (representable ? blockNames : []).map { table.intern(ExactText($0)) }
            var summary = position < summaries.count ? summaries[position] : nil
            // A summary names only metrics the entry lists (it refers to them by number).
            if indices.isEmpty || !(summary?.metrics.allSatisfy({ table.index(of: ExactText($0.name)) != nil }) ?? true) {
                summary = nil
            }
            entries.append(IndexEntry(
                offset: block.offset, length: block.header.totalLength, eventCount: block.header.eventCount,
                firstSequence: block.header.firstSequence, minTimestamp: block.header.minTimestamp,
                maxTimestamp: block.header.maxTimestamp, names: indices.sorted(), summary: summary))
        }
        // Past the cost a reader accepts, the index keeps no summary at all (readers total the blocks).
        if entries.reduce(0, { $0 + ($1.summary?.cost ?? 0) }) > BlockSummary.maximumCostPerIndex {
            for position in entries.indices { entries[position].summary = nil }
        }
        names = table.keys.map(\.string)
        self.entries = entries
        coveredBytes = scan.validEnd
        segmentHeaderCRC = scan.header.crc
        sealed = scan.isSealed
    }

    package init(names: [String], entries: [IndexEntry], coveredBytes: Int, segmentHeaderCRC: UInt32, sealed: Bool) {
        self.names = names
        self.entries = entries
        self.coveredBytes = coveredBytes
        self.segmentHeaderCRC = segmentHeaderCRC
        self.sealed = sealed
    }

    /// The index file's bytes (docs/FORMAT.md, "Index file").
    package func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.append(Format.indexMagic)
        writer.u16(Format.indexVersion)
        writer.u16(sealed ? 1 : 0)
        writer.u32(UInt32(entries.count))
        writer.u64(UInt64(coveredBytes))
        writer.u32(segmentHeaderCRC)
        writer.u32(UInt32(names.count))
        for name in names {
            let bytes = Array(name.utf8)
            writer.u16(UInt16(bytes.count))
            writer.append(bytes)
        }
        for entry in entries {
            writer.u64(UInt64(entry.offset))
            writer.u32(UInt32(entry.length))
            writer.u32(UInt32(entry.eventCount))
            writer.u64(entry.firstSequence)
            writer.i64(entry.minTimestamp)
            writer.i64(entry.maxTimestamp)
            writer.u32(UInt32(entry.names.count))
            for name in entry.names { writer.u32(UInt32(name)) }
        }
        SummaryCoding.append(entries.map(\.summary), names: names, to: &writer)
        writer.u32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    /// Reads an index file; throws when it is not a well-formed index with a matching CRC.
    package static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws(LogError) -> SegmentIndex {
        func corrupt(_ offset: Int, _ reason: String) -> LogError { .corrupt(path: path, offset: offset, reason: reason) }
        guard bytes.count >= 36, Array(bytes[0..<8]) == Format.indexMagic else { throw corrupt(0, "not an index file") }
        let stored = bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).littleEndian
        guard stored == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)])) else {
            throw corrupt(bytes.count - 4, "index CRC mismatch")
        }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)]), offset: 8)
        do {
            let version = try reader.u16()
            guard version == 1 || version == Format.indexVersion else { throw corrupt(8, "unsupported index version \(version)") }
            let sealed = try reader.u16() & 1 == 1
            let entryCount = Int(try reader.u32())
            let covered = Int(truncatingIfNeeded: try reader.u64())
            guard covered >= 0 else { throw corrupt(16, "covered byte count out of range") }
            let headerCRC = try reader.u32()
            let nameCount = Int(try reader.u32())
            var names: [String] = []
            for _ in 0..<min(nameCount, reader.remaining) {
                let length = Int(try reader.u16())
                let raw = try reader.bytes(length)
                guard let name = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
                    throw corrupt(reader.offset, "name is not UTF-8")
                }
                names.append(name)
            }
            guard names.count == nameCount else { throw corrupt(reader.offset, "name table cut short") }
            var entries: [IndexEntry] = []
            for _ in 0..<min(entryCount, reader.remaining / 44 + 1) {
                let entryOffset = reader.offset
                let offset = Int(truncatingIfNeeded: try reader.u64())
                guard offset >= 0, offset <= Int(UInt32.max) << 8 else { throw corrupt(entryOffset, "block offset out of range") }
                let length = Int(try reader.u32())
                let events = Int(try reader.u32())
                let first = try reader.u64()
                let minimum = try reader.i64()
                let maximum = try reader.i64()
                let count = Int(try reader.u32())
                var indices: [Int] = []
                for _ in 0..<min(count, reader.remaining / 4 + 1) {
                    let index = Int(try reader.u32())
                    guard index < names.count else { throw corrupt(reader.offset, "name index out of range") }
                    indices.append(index)
                }
                entries.append(IndexEntry(offset: offset, length: length, eventCount: events, firstSequence: first,
                                          minTimestamp: minimum, maxTimestamp: maximum, names: indices))
            }
            guard entries.count == entryCount else { throw corrupt(reader.offset, "index entries cut short") }
            if version >= 2 {
                let summaryOffset = reader.offset
                do throws(DecodeFailure) {
                    let summaries = try SummaryCoding.read(&reader, eventCounts: entries.map(\.eventCount), names: names)
                    for position in entries.indices where !entries[position].names.isEmpty { entries[position].summary = summaries[position] }
                } catch {
                    throw corrupt(error.offset, "block summaries: \(error.reason) (the section starts at byte \(summaryOffset))")
                }
            }
            guard reader.isAtEnd else { throw corrupt(reader.offset, "bytes after the index entries") }
            return SegmentIndex(names: names, entries: entries, coveredBytes: covered, segmentHeaderCRC: headerCRC, sealed: sealed)
        } catch let error as LogError {
            throw error
        } catch {
            throw corrupt(reader.offset, "index cut short")
        }
    }

    /// Each entry's metric names (as stored: by bytes), `nil` where they are unknown.
    package var nameLists: [[String]?] { entries.map(nameList) }

    /// One entry's metric names, `nil` where they are unknown.
    package func nameList(of entry: IndexEntry) -> [String]? {
        entry.names.isEmpty ? nil : entry.names.map { names[$0] }
    }

    /// Each entry's summary, `nil` where unknown.
    package var summaries: [BlockSummary?] { entries.map(\.summary) }

    /// Whether this index describes the segment as scanned (same header, same blocks, same end).
    package func matches(_ scan: SegmentScan) -> Bool {
        guard segmentHeaderCRC == scan.header.crc, coveredBytes == scan.validEnd, sealed == scan.isSealed,
            entries.count == scan.blocks.count
        else { return false }
        return zip(entries, scan.blocks).allSatisfy { entry, block in
            entry.offset == block.offset && entry.length == block.header.totalLength && entry.eventCount == block.header.eventCount
                && entry.firstSequence == block.header.firstSequence && entry.minTimestamp == block.header.minTimestamp
                && entry.maxTimestamp == block.header.maxTimestamp
        }
    }
}
