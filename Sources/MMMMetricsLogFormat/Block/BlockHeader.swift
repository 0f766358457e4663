import MMMMetricsCore

/// How a block's payload is stored.
package enum BlockEncoding: UInt8, Sendable {
    /// Stored as encoded, because compressing did not make it smaller.
    case raw = 0
    /// One standard zstd frame.
    case zstd = 1
    /// In sections, each stored alone (``PayloadSections``).
    case sections = 2
}

/// The fixed header in front of every block's payload.
package struct BlockHeader: Sendable, Hashable {
    /// How the payload is stored.
    package var encoding: BlockEncoding
    /// Payload bytes on disk.
    package var storedLength: Int
    /// Payload bytes once decompressed.
    package var decodedLength: Int
    /// Events in the block.
    package var eventCount: Int
    /// The sequence number of the block's first event.
    package var firstSequence: UInt64
    /// The smallest event timestamp in the block.
    package var minTimestamp: Int64
    /// The largest event timestamp in the block.
    package var maxTimestamp: Int64

    /// Creates a value from its fields.
    package init(encoding: BlockEncoding, storedLength: Int, decodedLength: Int, eventCount: Int, firstSequence: UInt64, minTimestamp: Int64, maxTimestamp: Int64) {
        self.encoding = encoding
        self.storedLength = storedLength
        self.decodedLength = decodedLength
        self.eventCount = eventCount
        self.firstSequence = firstSequence
        self.minTimestamp = minTimestamp
        self.maxTimestamp = maxTimestamp
    }

    /// Header plus payload.
    package var totalLength: Int { Format.blockHeaderSize + storedLength }

    /// The framed block: header, CRC over header and payload, payload.
    package func frame(payload: [UInt8]) -> [UInt8] {
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
    package static func peek(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (header: BlockHeader, crc: UInt32)? {
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
            encoding != .raw || stored == decoded, minimum <= maximum, UInt64(count) <= UInt64.max - first
        else { return nil }
        return (BlockHeader(encoding: encoding, storedLength: Int(stored), decodedLength: Int(decoded), eventCount: Int(count),
                            firstSequence: first, minTimestamp: minimum, maxTimestamp: maximum), crc)
    }

    /// Whether the block at `offset` is complete and its CRC matches.
    package static func validate(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> BlockHeader? {
        guard let (header, crc) = peek(bytes, at: offset), bytes.count - offset >= header.totalLength else { return nil }
        let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 44)]))
        let start = offset + Format.blockHeaderSize
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + header.storedLength)]), continuing: headerCRC)
        return computed == crc ? header : nil
    }
}
