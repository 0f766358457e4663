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
            switch try StoredSegment.open(handle) {
            case .headerless: continue  // holds no events
            case .unreadable(let error): throw error
            case .loaded: break
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
        try FileSystem.writeAtomically(path, output, sync: true)
        return handles.count
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

    /// What an import added.
    public struct ImportResult: Sendable, Hashable {
        /// The session id in the log root.
        public var session: String
        /// Segments added.
        public var segments: Int
        /// Events added.
        public var events: Int
    }

    /// Verifies every CRC and every block of an archive, then adds its session to `root` (as
    /// `newSessionID` when given). An existing session is never overwritten. Untrusted input: on any
    /// problem nothing is written.
    public static func importArchive(at path: String, into root: LogRoot, as newSessionID: String? = nil) throws(LogError) -> ImportResult {
        let archive = try ArchiveSource(path: path)
        let target = newSessionID ?? archive.session
        try LogRoot.validate(sessionID: target)
        let destination = root.sessionPath(target)
        if FileSystem.exists(destination) {
            throw .invalidInput("session \(target) already exists in \(root.path); import it under another id with --as NEW_ID")
        }
        // Verify everything in memory first: every entry's CRC (indexes too, though they are rebuilt), then every segment.
        for entry in archive.entries { _ = try ArchiveSource.data(of: entry, in: archive.path) }
        var files: [(name: String, bytes: [UInt8])] = []
        var expectedSequence: UInt64 = 0
        var events = 0
        let segmentHandles = try archive.segments(session: archive.session)
        guard !segmentHandles.isEmpty else {
            throw LogError.corrupt(path: path, offset: 0, reason: "the archive holds no segment: nothing to import")
        }
        // Every index entry must belong to a segment entry (names are the only link between them).
        let segmentNames = Set(archive.entries.filter(\.isSegment).map { $0.name.dropLast(4) })
        if let stray = archive.entries.first(where: { !$0.isSegment && !segmentNames.contains($0.name.dropLast(4)) }) {
            throw LogError.corrupt(path: path, offset: stray.offset, reason: "index entry \(stray.name) has no segment entry")
        }
        for handle in segmentHandles {
            let original = try handle.bytes()
            let checked = try original.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) -> (SegmentScan, [UInt8]) in
                let scan = try SegmentScan.scan(raw, path: handle.name)
                if let damage = scan.damage.first {
                    throw LogError.corrupt(path: handle.name, offset: scan.validEnd, reason: "\(damage)")
                }
                guard scan.header.sessionID == archive.session else {
                    throw LogError.corrupt(path: handle.name, offset: 0, reason: "segment belongs to session \(scan.header.sessionID.debugDescription), not \(archive.session.debugDescription)")
                }
                // The entry's name becomes the file name, which orders segments: it must say what the header says.
                guard StoredSegment.sequence(fromName: handle.name) == scan.header.firstSequence else {
                    throw LogError.corrupt(path: handle.name, offset: 16, reason: "the entry's name does not match the segment's first sequence number \(scan.header.firstSequence)")
                }
                guard scan.header.firstSequence == expectedSequence else {
                    throw LogError.corrupt(path: handle.name, offset: 0, reason: "segment starts at sequence \(scan.header.firstSequence), expected \(expectedSequence)")
                }
                for block in scan.blocks {
                    let decoded = try BlockDecoding.decode(raw, block, path: handle.name)
                    do { _ = try decoded.allCustomData() } catch {
                        throw LogError.corrupt(path: handle.name, offset: block.offset, reason: "custom event data is not valid JSON")
                    }
                }
                return (scan, Array(raw))
            }
            let scan = checked.0
            expectedSequence = scan.isSealed ? max(scan.seal!.nextSequence, scan.nextSequence) : scan.nextSequence
            events += scan.eventCount
            var bytes = checked.1
            if target != archive.session {
                // The session id lives in each segment header: rewrite the header, keep the blocks as they are.
                var header = scan.header
                header.sessionID = target
                bytes = header.encoded() + Array(bytes[scan.header.size...])
            }
            let name = String(handle.name.split(separator: ":").last ?? "")
            let index = try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
                BlockDecoding.buildIndex(raw, try SegmentScan.scan(raw, path: name), path: name).encoded()
            }
            files.append((name, bytes))
            files.append((String(name.dropLast(4)) + ".idx", index))
        }
        // Then write into a hidden directory and move it into place in one rename.
        try FileSystem.makeDirectories(root.sessionsPath)
        let staging = root.sessionsPath + "/.import-\(FileSystem.processID)-\(UInt32.random(in: 0...UInt32.max))"
        do throws(LogError) {
            try FileSystem.makeDirectories(staging)
            for file in files { try FileSystem.writeAtomically(staging + "/" + file.name, file.bytes, sync: true) }
            try FileSystem.rename(staging, to: destination)
            FileSystem.syncDirectory(root.sessionsPath)
        } catch {
            for file in files { FileSystem.remove(staging + "/" + file.name) }
            FileSystem.removeDirectory(staging)
            throw error
        }
        return ImportResult(session: target, segments: files.count / 2, events: events)
    }
}
