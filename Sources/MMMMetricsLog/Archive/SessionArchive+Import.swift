import MMMMetricsCore
import MMMMetricsLogFormat

extension SessionArchive {
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
        let (files, events) = try verifiedFiles(of: archive, as: target)
        try install(files, at: destination, in: root)
        return ImportResult(session: target, segments: files.count / 2, events: events)
    }

    /// Every file the import writes, checked in memory first: every entry's CRC (indexes too, though
    /// they are rebuilt), the entry names against the segments, then every segment and block.
    private static func verifiedFiles(of archive: ArchiveSource, as target: String) throws(LogError) -> (files: [(name: String, bytes: [UInt8])], events: Int) {
        for entry in archive.entries { _ = try ArchiveSource.data(of: entry, in: archive.path) }
        let segmentHandles = try archive.segments(session: archive.session)
        guard !segmentHandles.isEmpty else {
            throw LogError.corrupt(path: archive.path, offset: 0, reason: "the archive holds no segment: nothing to import")
        }
        // Every index entry must belong to a segment entry (names are the only link between them).
        let segmentNames = Set(archive.entries.filter(\.isSegment).map { $0.name.dropLast(4) })
        if let stray = archive.entries.first(where: { !$0.isSegment && !segmentNames.contains($0.name.dropLast(4)) }) {
            throw LogError.corrupt(path: archive.path, offset: stray.offset, reason: "index entry \(stray.name) has no segment entry")
        }
        var files: [(name: String, bytes: [UInt8])] = []
        var expectedSequence: UInt64 = 0
        var events = 0
        for (position, handle) in segmentHandles.enumerated() {
            let (scan, original) = try verifiedSegment(handle, of: archive.session, startingAt: expectedSequence)
            if position < segmentHandles.count - 1, !scan.isSealed {
                throw LogError.corrupt(path: handle.name, offset: scan.validEnd, reason: "not sealed, but later segments exist")
            }
            expectedSequence = scan.nextSequence
            events += scan.eventCount
            var bytes = original
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
        return (files, events)
    }

    /// One segment entry checked whole: no damage, this session, its name matching its first
    /// sequence number, contiguous with the previous one, every block decoding, a seal (if any)
    /// agreeing with the blocks.
    private static func verifiedSegment(_ handle: SegmentHandle, of session: String, startingAt expectedSequence: UInt64) throws(LogError) -> (SegmentScan, [UInt8]) {
        let original = try handle.bytes()
        return try original.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) -> (SegmentScan, [UInt8]) in
            let scan = try SegmentScan.scan(raw, path: handle.name)
            if let damage = scan.damage.first {
                throw LogError.corrupt(path: handle.name, offset: scan.validEnd, reason: "\(damage)")
            }
            guard scan.header.sessionID == session else {
                throw LogError.corrupt(path: handle.name, offset: 0, reason: "segment belongs to session \(scan.header.sessionID.debugDescription), not \(session.debugDescription)")
            }
            // The entry's name becomes the file name, which orders segments: it must say what the header says.
            guard StoredSegment.sequence(fromName: handle.name) == scan.header.firstSequence else {
                throw LogError.corrupt(path: handle.name, offset: 16, reason: "the entry's name does not match the segment's first sequence number \(scan.header.firstSequence)")
            }
            guard scan.header.firstSequence == expectedSequence else {
                throw LogError.corrupt(path: handle.name, offset: 0, reason: "segment starts at sequence \(scan.header.firstSequence), expected \(expectedSequence)")
            }
            // Decoding checks the payload, the header's count and time range, and the custom JSON; the
            // events must also be ones the writer would store, so that what is imported exports and
            // ingests again.
            var sequence = scan.header.firstSequence
            for block in scan.blocks {
                // Blocks carry their own sequence numbers: each must start where the previous ended.
                guard block.header.firstSequence == sequence else {
                    throw LogError.corrupt(path: handle.name, offset: block.offset, reason: "block starts at sequence \(block.header.firstSequence), expected \(sequence)")
                }
                sequence = block.header.firstSequence + UInt64(block.header.eventCount)
                let decoded = try BlockDecoding.decode(raw, block, path: handle.name)
                for index in 0..<decoded.count {
                    if let violation = EventLimits.violation(decoded.event(at: index)) {
                        throw LogError.corrupt(path: handle.name, offset: block.offset, reason: "event \(block.header.firstSequence + UInt64(index)) is over the limits: \(violation)")
                    }
                }
            }
            if let seal = scan.seal, let wrong = seal.contradiction(blocks: scan.blocks, firstSequence: scan.header.firstSequence) {
                throw LogError.corrupt(path: handle.name, offset: raw.count - Format.sealSize, reason: wrong)
            }
            return (scan, original)
        }
    }

    /// Writes the files into a hidden directory under `sessions/` and moves it into place in one rename.
    private static func install(_ files: [(name: String, bytes: [UInt8])], at destination: String, in root: LogRoot) throws(LogError) {
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
    }
}
