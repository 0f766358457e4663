import MMMMetricsCore

/// A block payload stored in sections (block encoding 2, docs/FORMAT.md, "Sections"): the payload
/// cut where its parts meet (the head up to the metric column, each tag column, the timestamps,
/// counters, gauges, timers, custom texts), each part compressed alone, so that a query
/// decompresses only the parts it reads. Decompressed and put back together, the sections are the
/// payload, byte for byte.
package struct PayloadSections {
    /// One section: how it is stored, where its bytes lie in the stored payload, and where they go
    /// in the decoded one.
    package struct Section {
        package var compressed: Bool
        package var stored: Range<Int>
        package var decoded: Range<Int>
    }

    /// Payloads smaller than this are stored as one frame: a frame per part would cost more bytes
    /// (each frame has a header and its own tables) than reading them saves.
    package static let minimumPayloadBytes = 64 << 10
    /// About what a section costs beyond its share of one frame: a frame header, a block header,
    /// entropy tables, a directory entry (measured: 20–30 bytes for a small tag column).
    package static let overheadPerSection = 32
    /// Sections a payload may be cut into: the head, the five value parts, one per tag key. A reader
    /// refuses more (a block may hold more keys, but then it is stored as one frame).
    package static let maximumSections = 4_096

    /// The sections, in payload order.
    package let sections: [Section]
    /// The stored payload (the directory and the stored sections).
    private let stored: UnsafeRawBufferPointer

    /// Reads the directory of a sectioned payload of `decodedLength` bytes; every length is checked
    /// against the stored bytes and the decoded length, so loading a section cannot reach outside either.
    package init(_ stored: UnsafeRawBufferPointer, decodedLength: Int) throws(DecodeFailure) {
        var reader = ByteReader(stored)
        let count = try reader.count(limit: Self.maximumSections)
        guard count >= 1 else { throw DecodeFailure(offset: 0, reason: "no sections") }
        var entries: [(compressed: Bool, stored: Int, decoded: Int)] = []
        entries.reserveCapacity(count)
        var decodedTotal = 0
        var storedTotal = 0
        for _ in 0..<count {
            let offset = reader.offset
            let encoding = try reader.u8()
            guard encoding <= 1 else { throw DecodeFailure(offset: offset, reason: "unknown section encoding \(encoding)") }
            let decoded = try reader.count(limit: Format.maximumDecodedBlockBytes)
            let storedLength = try reader.count(limit: stored.count)
            guard encoding == 1 || storedLength == decoded else {
                throw DecodeFailure(offset: offset, reason: "raw section stores \(storedLength) bytes of \(decoded)")
            }
            decodedTotal += decoded
            storedTotal += storedLength
            guard decodedTotal <= decodedLength, storedTotal <= stored.count else {
                throw DecodeFailure(offset: offset, reason: "sections exceed the block's \(decodedLength) decoded or \(stored.count) stored bytes")
            }
            entries.append((encoding == 1, storedLength, decoded))
        }
        guard decodedTotal == decodedLength else {
            throw DecodeFailure(offset: 0, reason: "sections decode to \(decodedTotal) bytes, the block header says \(decodedLength)")
        }
        guard reader.offset + storedTotal == stored.count else {
            throw DecodeFailure(offset: reader.offset, reason: "sections store \(storedTotal) bytes after the directory, the block holds \(stored.count - reader.offset)")
        }
        var storedStart = reader.offset
        var decodedStart = 0
        sections = entries.map { entry in
            defer {
                storedStart += entry.stored
                decodedStart += entry.decoded
            }
            return Section(compressed: entry.compressed, stored: storedStart..<(storedStart + entry.stored),
                           decoded: decodedStart..<(decodedStart + entry.decoded))
        }
        self.stored = stored
    }

    /// Decompresses (or copies) section `index` into its place in `payload`, a buffer of the block's
    /// decoded length.
    package func load(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws(DecodeFailure) {
        let section = sections[index]
        let source = UnsafeRawBufferPointer(rebasing: stored[section.stored])
        let destination = UnsafeMutableRawBufferPointer(rebasing: payload[section.decoded])
        guard section.compressed else {
            destination.copyMemory(from: source)
            return
        }
        do {
            try ZstdDecoder.decompress(source, expectedSize: section.decoded.count, into: destination)
        } catch {
            throw DecodeFailure(offset: section.stored.lowerBound, reason: "section \(index): \(error)")
        }
    }

    /// Decompresses every section into `payload`.
    package func loadAll(into payload: UnsafeMutableRawBufferPointer) throws(DecodeFailure) {
        for index in sections.indices { try load(index, into: payload) }
    }
}

/// A payload as it goes on disk: raw, one zstd frame, or in sections.
package struct StoredPayload {
    package var encoding: BlockEncoding
    package var bytes: [UInt8]

    /// How a writer stores `encoded`: in sections when it is at least `sectionMinimum` bytes (each
    /// section compressed, or raw where compressing does not make it smaller), else one frame, or
    /// raw when the frame is no smaller. Sections cost a frame header and tables each: when there
    /// are so many for their size that this could pass 1% (a block of hundreds of tag keys), the
    /// payload is compressed as one frame too, and sections are kept only if at most 1% larger.
    package static func make(
        _ encoded: BlockPayload.Encoded, compressor: ZstdCompressor, sectionMinimum: Int = PayloadSections.minimumPayloadBytes
    ) throws(ZstdFailure) -> StoredPayload {
        let payload = encoded.bytes
        func oneFrame() throws(ZstdFailure) -> StoredPayload {
            let frame = try payload.withBytes { (raw: UnsafeRawBufferPointer) throws(ZstdFailure) in try compressor.compress(raw) }
            return frame.count >= payload.count ? StoredPayload(encoding: .raw, bytes: payload) : StoredPayload(encoding: .zstd, bytes: frame)
        }
        guard payload.count >= sectionMinimum, encoded.sectionEnds.count <= PayloadSections.maximumSections,
            encoded.sectionEnds.last == payload.count
        else { return try oneFrame() }
        let bytes = try inSections(payload, ends: encoded.sectionEnds, compressor: compressor)
        if encoded.sectionEnds.count * PayloadSections.overheadPerSection > bytes.count / 100 {
            let single = try oneFrame()
            if bytes.count > single.bytes.count + single.bytes.count / 100 { return single }
        }
        return StoredPayload(encoding: .sections, bytes: bytes)
    }

    /// `payload` cut at `ends` (each section's end, ascending, the last the payload's length), each
    /// section compressed alone, or raw where that is no larger: the directory, then the sections.
    package static func inSections(_ payload: [UInt8], ends: [Int], compressor: ZstdCompressor) throws(ZstdFailure) -> [UInt8] {
        var directory = ByteWriter(capacity: 8 + 12 * ends.count)
        directory.varint(UInt64(ends.count))
        let parts = try payload.withBytes { (raw: UnsafeRawBufferPointer) throws(ZstdFailure) -> [[UInt8]] in
            var parts: [[UInt8]] = []
            parts.reserveCapacity(ends.count)
            var start = 0
            for end in ends {
                let part = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                // A tiny part stays raw: its frame would be larger than the part.
                let frame = part.count < 32 ? nil : try compressor.compress(part)
                if let frame, frame.count < part.count {
                    directory.u8(1)
                    parts.append(frame)
                } else {
                    directory.u8(0)
                    parts.append(Array(part))
                }
                directory.varint(UInt64(part.count))
                directory.varint(UInt64(parts[parts.count - 1].count))
                start = end
            }
            return parts
        }
        var bytes = directory.bytes
        bytes.reserveCapacity(bytes.count + parts.reduce(0) { $0 + $1.count })
        for part in parts { bytes.append(contentsOf: part) }
        return bytes
    }
}
