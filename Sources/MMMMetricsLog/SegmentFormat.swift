// The byte layout of segments, blocks, seal records and index files. docs/FORMAT.md describes
// the same layout in prose; keep the two in step.

/// Fixed values of the on-disk format, version 1.
enum Format {
    static let segmentMagic: [UInt8] = Array("MMMSEG\r\n".utf8)
    static let indexMagic: [UInt8] = Array("MMMIDX\r\n".utf8)
    static let blockMagic: UInt32 = 0x4B4C_424D  // "MBLK" read little-endian
    static let sealMagic: UInt32 = 0x444E_454D  // "MEND" read little-endian
    static let version: UInt16 = 1
    static let blockHeaderSize = 48
    static let sealSize = 44
    /// A block never decodes to more than this, so a damaged or hostile length cannot ask for absurd memory.
    static let maximumDecodedBlockBytes = 64 << 20
    static let maximumSessionIDBytes = 1024
}

/// How a block's payload is stored.
public enum BlockEncoding: UInt8, Sendable {
    /// Stored as encoded, because compressing did not make it smaller.
    case raw = 0
    /// One standard zstd frame.
    case zstd = 1
}

/// A segment's header: which session, which sequence it starts at, when it was made.
public struct SegmentHeader: Sendable, Hashable {
    /// The session the segment belongs to.
    public var sessionID: String
    /// The sequence number of the segment's first event.
    public var firstSequence: UInt64
    /// When the segment was created, nanoseconds since the Unix epoch.
    public var createdNanoseconds: Int64
    /// The header's CRC32C (binds an index to its segment).
    public var crc: UInt32 = 0
    /// The header's size in bytes.
    public var size: Int = 0

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.append(Format.segmentMagic)
        writer.u16(Format.version)
        writer.u16(0)
        let id = Array(sessionID.utf8)
        writer.u32(UInt32(38 + id.count))
        writer.u64(firstSequence)
        writer.i64(createdNanoseconds)
        writer.u16(UInt16(id.count))
        writer.append(id)
        writer.u32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws(LogError) -> SegmentHeader {
        func corrupt(_ offset: Int, _ reason: String) -> LogError { .corrupt(path: path, offset: offset, reason: reason) }
        guard bytes.count >= 38 else { throw corrupt(0, "segment header cut short (\(bytes.count) bytes)") }
        guard Array(bytes[0..<8]) == Format.segmentMagic else { throw corrupt(0, "not a segment file (bad magic)") }
        var reader = ByteReader(bytes, offset: 8)
        do {
            let version = try reader.u16()
            guard version == Format.version else { throw corrupt(8, "unsupported segment format version \(version)") }
            _ = try reader.u16()
            let size = Int(try reader.u32())
            guard size >= 38, size <= 38 + Format.maximumSessionIDBytes, size <= bytes.count else {
                throw corrupt(12, "segment header length \(size) is impossible or cut short")
            }
            let first = try reader.u64()
            let created = try reader.i64()
            let idLength = Int(try reader.u16())
            guard 38 + idLength == size else { throw corrupt(32, "session id length \(idLength) disagrees with header length \(size)") }
            let idBytes = try reader.bytes(idLength)
            let stored = try reader.u32()
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(size - 4)]))
            guard stored == computed else { throw corrupt(size - 4, "segment header CRC mismatch") }
            guard let id = String(validating: idBytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
                throw corrupt(34, "session id is not valid UTF-8")
            }
            return SegmentHeader(sessionID: id, firstSequence: first, createdNanoseconds: created, crc: stored, size: size)
        } catch let error as LogError {
            throw error
        } catch {
            throw corrupt(reader.offset, "segment header cut short")
        }
    }
}

/// The fixed header in front of every block's payload.
public struct BlockHeader: Sendable, Hashable {
    /// How the payload is stored.
    public var encoding: BlockEncoding
    /// Payload bytes on disk.
    public var storedLength: Int
    /// Payload bytes once decompressed.
    public var decodedLength: Int
    /// Events in the block.
    public var eventCount: Int
    /// The sequence number of the block's first event.
    public var firstSequence: UInt64
    /// The smallest event timestamp in the block.
    public var minTimestamp: Int64
    /// The largest event timestamp in the block.
    public var maxTimestamp: Int64

    /// Header plus payload.
    public var totalLength: Int { Format.blockHeaderSize + storedLength }

    /// The framed block: header, CRC over header and payload, payload.
    func frame(payload: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: Format.blockHeaderSize + payload.count)
        writer.u32(Format.blockMagic)
        writer.u8(encoding.rawValue)
        writer.u8(0)
        writer.u16(0)
        writer.u32(UInt32(storedLength))
        writer.u32(UInt32(decodedLength))
        writer.u32(UInt32(eventCount))
        writer.u64(firstSequence)
        writer.i64(minTimestamp)
        writer.i64(maxTimestamp)
        let crc = payload.withUnsafeBytes { CRC32C.checksum($0, continuing: CRC32C.checksum(writer.bytes)) }
        writer.u32(crc)
        writer.append(payload)
        return writer.bytes
    }

    /// Reads the header fields at `offset` without checking the CRC; `nil` when fewer than 48 bytes remain
    /// or the fields are impossible.
    static func peek(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (header: BlockHeader, crc: UInt32)? {
        guard bytes.count - offset >= Format.blockHeaderSize else { return nil }
        var reader = ByteReader(bytes, offset: offset)
        guard let magic = try? reader.u32(), magic == Format.blockMagic,
            let encodingByte = try? reader.u8(), let encoding = BlockEncoding(rawValue: encodingByte),
            let _ = try? reader.u8(), let _ = try? reader.u16(),
            let stored = try? reader.u32(), let decoded = try? reader.u32(), let count = try? reader.u32(),
            let first = try? reader.u64(), let minimum = try? reader.i64(), let maximum = try? reader.i64(),
            let crc = try? reader.u32()
        else { return nil }
        guard Int(decoded) <= Format.maximumDecodedBlockBytes, count > 0, Int(count) <= BlockPayload.maximumEvents,
            encoding == .zstd || stored == decoded, minimum <= maximum
        else { return nil }
        return (BlockHeader(encoding: encoding, storedLength: Int(stored), decodedLength: Int(decoded), eventCount: Int(count),
                            firstSequence: first, minTimestamp: minimum, maxTimestamp: maximum), crc)
    }

    /// Whether the block at `offset` is complete and its CRC matches.
    static func validate(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> BlockHeader? {
        guard let (header, crc) = peek(bytes, at: offset), bytes.count - offset >= header.totalLength else { return nil }
        let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 44)]))
        let start = offset + Format.blockHeaderSize
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + header.storedLength)]), continuing: headerCRC)
        return computed == crc ? header : nil
    }
}

/// The record that ends a sealed segment.
public struct SealRecord: Sendable, Hashable {
    /// Blocks in the segment.
    public var blockCount: Int
    /// Events in the segment.
    public var eventCount: UInt64
    /// The sequence number the next segment starts at.
    public var nextSequence: UInt64
    /// The smallest timestamp in the segment (0 when empty).
    public var minTimestamp: Int64
    /// The largest timestamp in the segment (0 when empty).
    public var maxTimestamp: Int64

    func encoded() -> [UInt8] {
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

    static func validate(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> SealRecord? {
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
