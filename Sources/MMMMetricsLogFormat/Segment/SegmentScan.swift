import MMMMetricsCore

/// A block found in a segment.
package struct BlockLocation: Sendable, Hashable {
    /// Byte offset of the block header in the segment file.
    package var offset: Int
    /// The block's header.
    package var header: BlockHeader

    /// Creates a value from its fields.
    package init(offset: Int, header: BlockHeader) {
        self.offset = offset
        self.header = header
    }
}

/// Damage found while scanning a segment.
public enum SegmentDamage: Sendable, Hashable, CustomStringConvertible {
    /// Bytes between valid blocks that do not form a valid block (bad CRC, bad framing):
    /// `[offset, resumeOffset)`; `eventsLost` counted from the sequence numbers around the gap.
    case badRegion(offset: Int, resumeOffset: Int, eventsLost: UInt64?, reason: String)
    /// Bytes at the end after the last valid block or seal that form no valid block: a write cut
    /// short. `eventsLost` is the torn block's declared count when its header could be read.
    case tornTail(offset: Int, bytes: Int, eventsLost: Int?)

    public var description: String {
        switch self {
        case .badRegion(let offset, let resume, let lost, let reason):
            "bad block at offset \(offset) (\(reason)); \(resume - offset) bytes skipped, "
                + (lost.map { "\($0) events lost" } ?? "events lost unknown")
        case .tornTail(let offset, let bytes, let lost):
            "torn tail at offset \(offset): \(bytes) bytes past the last valid block"
                + (lost.map { " (\($0) events)" } ?? "")
        }
    }
}

/// The result of reading a segment file's structure from its bytes (not trusting any index).
package struct SegmentScan: Sendable {
    /// The header.
    package var header: SegmentHeader
    /// Valid blocks, in file order.
    package var blocks: [BlockLocation]
    /// The seal, when the segment ends with a valid one.
    package var seal: SealRecord?
    /// Damage found, in file order.
    package var damage: [SegmentDamage]
    /// The offset just past the last valid block or seal.
    package var validEnd: Int
    /// The file's size when scanned.
    package var fileSize: Int

    /// Creates a value from its fields.
    package init(header: SegmentHeader, blocks: [BlockLocation], seal: SealRecord?, damage: [SegmentDamage], validEnd: Int, fileSize: Int) {
        self.header = header
        self.blocks = blocks
        self.seal = seal
        self.damage = damage
        self.validEnd = validEnd
        self.fileSize = fileSize
    }

    /// Whether the segment ends with a valid seal.
    package var isSealed: Bool { seal != nil }
    /// Events in valid blocks.
    package var eventCount: Int { blocks.reduce(0) { $0 + $1.header.eventCount } }
    /// The sequence number after the last valid block.
    package var nextSequence: UInt64 {
        blocks.last.map { $0.header.firstSequence + UInt64($0.header.eventCount) } ?? header.firstSequence
    }

    /// Scans a whole segment: validates the header, walks blocks checking every CRC, and on a bad
    /// block searches forward for the next valid block or seal. Damage followed by no valid block
    /// is a torn tail; damage followed by one is a bad region.
    package static func scan(_ bytes: UnsafeRawBufferPointer, path: String) throws(LogError) -> SegmentScan {
        let header = try SegmentHeader.decode(bytes, path: path)
        var scan = SegmentScan(header: header, blocks: [], seal: nil, damage: [], validEnd: header.size, fileSize: bytes.count)
        scan.continueScan(bytes, from: header.size)
        return scan
    }

    /// Continues scanning from `offset` (a block boundary), appending what it finds.
    package mutating func continueScan(_ bytes: UnsafeRawBufferPointer, from start: Int) {
        fileSize = bytes.count
        var offset = start
        validEnd = start
        while offset < bytes.count {
            if let block = BlockHeader.validate(bytes, at: offset) {
                blocks.append(BlockLocation(offset: offset, header: block))
                offset += block.totalLength
                validEnd = offset
                continue
            }
            if let record = SealRecord.validate(bytes, at: offset) {
                seal = record
                offset += Format.sealSize
                validEnd = offset
                if offset < bytes.count {
                    damage.append(.tornTail(offset: offset, bytes: bytes.count - offset, eventsLost: nil))
                }
                return
            }
            // Not a valid block here: find the next place where one starts.
            let reason = Self.diagnose(bytes, at: offset)
            guard let resume = Self.resynchronize(bytes, after: offset) else {
                let declared = BlockHeader.peek(bytes, at: offset).flatMap { peeked in
                    peeked.header.firstSequence == nextSequence ? peeked.header.eventCount : nil
                }
                damage.append(.tornTail(offset: offset, bytes: bytes.count - offset, eventsLost: declared))
                return
            }
            let lost: UInt64?
            if let next = BlockHeader.peek(bytes, at: resume)?.header, next.firstSequence >= nextSequence {
                lost = next.firstSequence - nextSequence
            } else if let sealRecord = SealRecord.validate(bytes, at: resume), sealRecord.nextSequence >= nextSequence {
                lost = sealRecord.nextSequence - nextSequence
            } else {
                lost = nil
            }
            damage.append(.badRegion(offset: offset, resumeOffset: resume, eventsLost: lost, reason: reason))
            offset = resume
        }
    }

    private static func diagnose(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        guard let (header, _) = BlockHeader.peek(bytes, at: offset) else {
            return bytes.count - offset < Format.blockHeaderSize ? "block header cut short" : "no valid block header"
        }
        if bytes.count - offset < header.totalLength { return "block cut short" }
        return "CRC mismatch"
    }

    /// Whether a segment file is what a crash between creating it and writing its header leaves:
    /// empty, zero-filled, or a proper prefix of a segment header (the magic so far), with no valid
    /// block or seal anywhere. Such a file holds no events. Anything else that fails to decode is
    /// damage, not an unfinished header.
    package static func isHeaderless(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let zeroFilled = bytes.allSatisfy { $0 == 0 }
        // Cut short: the magic as far as it goes, and fewer bytes than the header length it declares.
        var cutShort = zip(bytes, Format.segmentMagic).allSatisfy { $0 == $1 }
        if cutShort, bytes.count >= 16 {
            let declared = Int(bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
            cutShort = declared >= 38 && declared <= 38 + Format.maximumSessionIDBytes && bytes.count < declared
        }
        return (zeroFilled || cutShort) && resynchronize(bytes, after: -1) == nil
    }

    /// The offset of the next valid block or seal after `offset`, if any.
    package static func resynchronize(_ bytes: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        var candidate = offset + 1
        while candidate + 4 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: candidate, as: UInt32.self).littleEndian
            if word == Format.blockMagic, BlockHeader.validate(bytes, at: candidate) != nil { return candidate }
            if word == Format.sealMagic, SealRecord.validate(bytes, at: candidate) != nil { return candidate }
            candidate += 1
        }
        return nil
    }
}
