import MMMMetricsCore
public import MMMMetricsLogFormat

/// Writing and importing archives.
public enum SessionArchive {
    /// Writes `session` of `root` into one archive file (through a temporary file and a rename).
    /// Segments go in as stored, up to their last valid block (a torn tail of a live segment is left
    /// out); a session with damaged blocks is refused. Indexes are rebuilt from the segments.
    /// Returns the number of segments archived.
    @discardableResult
    public static func write(session: String, from root: LogRoot, to path: String) throws(LogError) -> Int {
        guard !root.holdsSessionData(at: path) else {
            throw .invalidInput("\(path): refusing to write the archive inside the log's session data (\(root.sessionsPath))")
        }
        let (output, segments) = try encoded(session: session, from: root)
        try AtomicFile.write(output, to: path, sync: true)
        return segments
    }

    /// The archive ``write(session:from:to:)`` writes, as bytes (for standard output), with the
    /// number of segments in it; the same checks and refusals.
    public static func encoded(session: String, from root: LogRoot) throws(LogError) -> (bytes: [UInt8], segments: Int) {
        let handles = try root.segments(session: session)
        guard !handles.isEmpty else { throw .noSuchSession(session, root: root.path) }
        var output = ArchiveFormat.magic
        var header = ByteWriter()
        header.u16(ArchiveFormat.version)
        header.u16(0)
        let id = Array(session.utf8)
        header.u16(UInt16(id.count))
        header.append(id)
        output += header.bytes
        var crcWriter = ByteWriter()
        crcWriter.u32(CRC32C.checksum(output))
        output += crcWriter.bytes
        var count = 0
        for handle in handles {
            let lostReason = "its index says it was sealed and lists events the file no longer holds; run verify and recover before archiving"
            switch try StoredSegment.open(handle) {
            case .headerless(let path, let size):
                // Holds no events, unless its sealed index proves it held some: then it was cut.
                if let cut = StoredSegment.cutShort(handle, header: nil, scan: nil, size: size), cut.sealed {
                    throw LogError.corrupt(path: path, offset: 0, reason: "segment cut to \(size) bytes: \(lostReason)")
                }
                continue
            case .unreadable(let error), .salvaged(_, let error): throw error
            case .loaded(let segment):
                // An archive would hold the rest as a whole session, and the loss would not show.
                if segment.cutAfterSeal { throw LogError.corrupt(path: handle.name, offset: segment.bytes.count, reason: "segment cut short: \(lostReason)") }
            }
            let bytes = try handle.bytes()
            let (segment, index) = try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) -> ([UInt8], [UInt8]) in
                let scan = try SegmentScan.scan(raw, path: handle.name)
                for damage in scan.damage {
                    if case .badRegion(let offset, _, _, _) = damage {
                        throw LogError.corrupt(path: handle.name, offset: offset, reason: "\(damage); run verify and recover before archiving")
                    }
                }
                let kept = Array(bytes[0..<scan.validEnd])
                return (kept, BlockDecoding.buildIndex(raw, scan, path: handle.name).encoded())
            }
            let name = String(handle.name.split(separator: "/").last ?? "")
            output += entry(name: name, kind: .segment, data: segment)
            output += entry(name: String(name.dropLast(4)) + ".idx", kind: .index, data: index)
            count += 2
        }
        var trailer = ByteWriter()
        trailer.u32(ArchiveFormat.trailerMagic)
        trailer.u32(UInt32(count))
        trailer.u32(CRC32C.checksum(trailer.bytes))
        output += trailer.bytes
        return (output, handles.count)
    }

    package static func entry(name: String, kind: ArchiveFormat.Kind, data: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.u32(ArchiveFormat.entryMagic)
        writer.u8(kind.rawValue)
        let nameBytes = Array(name.utf8)
        writer.u16(UInt16(nameBytes.count))
        writer.append(nameBytes)
        writer.u64(UInt64(data.count))
        writer.u32(CRC32C.checksum(data))
        writer.u32(CRC32C.checksum(writer.bytes))
        writer.append(data)
        return writer.bytes
    }
}
