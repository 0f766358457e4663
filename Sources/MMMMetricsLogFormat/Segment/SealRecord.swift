import MMMMetricsCore

/// The record that ends a sealed segment.
package struct SealRecord: Sendable, Hashable {
    /// Blocks in the segment.
    package var blockCount: Int
    /// Events in the segment.
    package var eventCount: UInt64
    /// The sequence number the next segment starts at.
    package var nextSequence: UInt64
    /// The smallest timestamp in the segment (0 when empty).
    package var minTimestamp: Int64
    /// The largest timestamp in the segment (0 when empty).
    package var maxTimestamp: Int64

    /// Creates a value from its fields.
    package init(blockCount: Int, eventCount: UInt64, nextSequence: UInt64, minTimestamp: Int64, maxTimestamp: Int64) {
        self.blockCount = blockCount
        self.eventCount = eventCount
        self.nextSequence = nextSequence
        self.minTimestamp = minTimestamp
        self.maxTimestamp = maxTimestamp
    }

    package func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Format.sealSize)
        writer.u32(Format.sealMagic)
        writer.u32(UInt32(blockCount))
        writer.u64(eventCount)
        writer.u64(nextSequence)
        writer.i64(minTimestamp)
        writer.i64(maxTimestamp)
        writer.u32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    /// How this seal contradicts the blocks before it, if it does. A writer seals a segment with
    /// the count of its blocks and events and the sequence number its blocks end at, so in a segment
    /// with no damage all three must agree. Only meaningful for an undamaged segment: damage
    /// legitimately leaves fewer blocks than the seal counts.
    package func contradiction(blocks: [BlockLocation], firstSequence: UInt64) -> String? {
        let events = blocks.reduce(UInt64(0)) { $0 &+ UInt64($1.header.eventCount) }
        let end = blocks.last.map { $0.header.firstSequence &+ UInt64($0.header.eventCount) } ?? firstSequence
        guard blockCount != blocks.count || eventCount != events || nextSequence != end else { return nil }
        return "the seal record says \(blockCount) blocks, \(eventCount) events, next sequence \(nextSequence); "
                + "the blocks before it are \(blocks.count), hold \(events) events and end at sequence \(end)"
    }

    package static func validate(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> SealRecord? {
        guard bytes.count - offset >= Format.sealSize else { return nil }
        var reader = ByteReader(bytes, offset: offset)
        guard let magic = try? reader.u32(), magic == Format.sealMagic,
            let blocks = try? reader.u32(), let events = try? reader.u64(), let next = try? reader.u64(),
            let minimum = try? reader.i64(), let maximum = try? reader.i64(), let crc = try? reader.u32(),
            crc == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 40)]))
        else { return nil }
        return SealRecord(blockCount: Int(blocks), eventCount: events, nextSequence: next, minTimestamp: minimum, maxTimestamp: maximum)
    }
}
