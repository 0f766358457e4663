import MMMMetricsCore

/// A segment's header: which session, which sequence it starts at, when it was made.
package struct SegmentHeader: Sendable, Hashable {
    /// The session the segment belongs to.
    package var sessionID: String
    /// The sequence number of the segment's first event.
    package var firstSequence: UInt64
    /// When the segment was created, nanoseconds since the Unix epoch.
    package var createdNanoseconds: Int64
    /// The header's CRC32C (binds an index to its segment).
    package var crc: UInt32 = 0
    /// The header's size in bytes.
    package var size: Int = 0

    /// Creates a value from its fields.
    package init(sessionID: String, firstSequence: UInt64, createdNanoseconds: Int64, crc: UInt32 = 0, size: Int = 0) {
        self.sessionID = sessionID
        self.firstSequence = firstSequence
        self.createdNanoseconds = createdNanoseconds
        self.crc = crc
        self.size = size
    }

    package func encoded() -> [UInt8] {
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

    package static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws(LogError) -> SegmentHeader {
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
