#if canImport(Glibc)
import Glibc
#endif

// Session archives (docs/FORMAT.md, "Archive file"): one file holding a session's segments and
// indexes as they are stored, each entry framed with its length and a CRC32C.

enum ArchiveFormat {
    static let magic: [UInt8] = Array("MMMARCH\n".utf8)
    static let entryMagic: UInt32 = 0x544E_454D  // "MENT"
    static let trailerMagic: UInt32 = 0x4341_544D  // "MTAC"
    static let version: UInt16 = 1
    static let entryHeaderSize = 4 + 1 + 2 + 8 + 4 + 4  // plus the name
    static let trailerSize = 4 + 4 + 4
    /// No entry may claim more than this (a segment is 64 MiB by default; allow generous room).
    static let maximumEntryBytes: UInt64 = 1 << 32

    enum Kind: UInt8 {
        case segment = 1
        case index = 2
    }

    /// Entry names are segment or index file names and nothing else: 20 digits and `.seg` or `.idx`.
    static func isValidName(_ name: String, kind: Kind) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 24 else { return false }
        guard bytes[0..<20].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        return String(decoding: bytes[20...], as: UTF8.self) == (kind == .segment ? ".seg" : ".idx")
    }
}

/// One entry of an archive.
public struct ArchiveEntry: Sendable, Hashable {
    /// The file name (`00000000000000000000.seg` or `.idx`).
    public let name: String
    /// Whether it is a segment (else an index).
    public let isSegment: Bool
    /// Offset of the data in the archive file.
    public let offset: Int
    /// Data length.
    public let length: Int
    /// CRC32C of the data.
    public let crc: UInt32
}

/// A session archive read in place: a ``LogSource`` with one session.
///
/// Opening checks the structure (magic, version, every entry header and its CRC, names, sizes, no
/// duplicates, the trailer); entry data is read, and its CRC checked, when a reader asks for it.
public struct ArchiveSource: LogSource {
    /// The archive file.
    public let path: String
    /// The session it holds.
    public let session: String
    /// Its entries, in file order.
    public let entries: [ArchiveEntry]

    public var location: String { path }

    /// Opens an archive; throws ``LogError/corrupt(path:offset:reason:)`` naming the offset of the first problem.
    public init(path: String) throws(LogError) {
        self.path = path
        let file = try OpenFile(path: path, flags: O_RDONLY)
        let size = try file.fileSize()
        func corrupt(_ offset: Int, _ reason: String) -> LogError { .corrupt(path: path, offset: offset, reason: reason) }
        func read(_ offset: Int, _ count: Int) throws(LogError) -> [UInt8] {
            guard count >= 0, offset >= 0, offset + count <= size else { throw corrupt(offset, "archive cut short: needs \(count) bytes at offset \(offset), the file has \(size)") }
            return try file.read(at: offset, count: count)
        }
        let head = try read(0, 14)
        guard Array(head[0..<8]) == ArchiveFormat.magic else { throw corrupt(0, "not a session archive (bad magic)") }
        let version = UInt16(head[8]) | UInt16(head[9]) << 8
        guard version == ArchiveFormat.version else { throw corrupt(8, "unsupported archive version \(version)") }
        let idLength = Int(UInt16(head[12]) | UInt16(head[13]) << 8)
        guard idLength > 0, idLength <= Format.maximumSessionIDBytes else { throw corrupt(12, "impossible session id length \(idLength)") }
        let idBytes = try read(14, idLength)
        let idCRC = try read(14 + idLength, 4)
        let headerCRC = UInt32(idCRC[0]) | UInt32(idCRC[1]) << 8 | UInt32(idCRC[2]) << 16 | UInt32(idCRC[3]) << 24
        guard headerCRC == CRC32C.checksum(head + idBytes) else { throw corrupt(14 + idLength, "archive header CRC mismatch") }
        guard let id = String(validating: idBytes, as: UTF8.self) else { throw corrupt(14, "session id is not UTF-8") }
        do { try LogRoot.validate(sessionID: id) } catch { throw corrupt(14, "\(error)") }
        session = id
        var offset = 18 + idLength
        var entries: [ArchiveEntry] = []
        var names = Set<String>()
        while true {
            guard offset + 4 <= size else { throw corrupt(offset, "archive cut short: no trailer") }
            let word = try read(offset, 4)
            let magic = UInt32(word[0]) | UInt32(word[1]) << 8 | UInt32(word[2]) << 16 | UInt32(word[3]) << 24
            if magic == ArchiveFormat.trailerMagic {
                let trailer = try read(offset, ArchiveFormat.trailerSize)
                let count = Int(UInt32(trailer[4]) | UInt32(trailer[5]) << 8 | UInt32(trailer[6]) << 16 | UInt32(trailer[7]) << 24)
                let stored = UInt32(trailer[8]) | UInt32(trailer[9]) << 8 | UInt32(trailer[10]) << 16 | UInt32(trailer[11]) << 24
                guard stored == CRC32C.checksum(Array(trailer[0..<8])), count == entries.count else {
                    throw corrupt(offset, "archive trailer does not match its \(entries.count) entries")
                }
                guard offset + ArchiveFormat.trailerSize == size else {
                    throw corrupt(offset + ArchiveFormat.trailerSize, "\(size - offset - ArchiveFormat.trailerSize) bytes after the trailer")
                }
                break
            }
            guard magic == ArchiveFormat.entryMagic else { throw corrupt(offset, "expected an entry or the trailer") }
            let fixed = try read(offset, 7)
            guard let kind = ArchiveFormat.Kind(rawValue: fixed[4]) else {
                throw corrupt(offset + 4, "unsupported entry kind \(fixed[4]) (only segments and indexes; no links or directories)")
            }
            let nameLength = Int(UInt16(fixed[5]) | UInt16(fixed[6]) << 8)
            guard nameLength <= 255 else { throw corrupt(offset + 5, "entry name of \(nameLength) bytes") }
            let header = try read(offset, ArchiveFormat.entryHeaderSize + nameLength)
            let nameBytes = Array(header[7..<(7 + nameLength)])
            var position = 7 + nameLength
            func u64() -> UInt64 {
                defer { position += 8 }
                return (0..<8).reduce(UInt64(0)) { $0 | UInt64(header[position + $1]) << (8 * UInt64($1)) }
            }
            func u32() -> UInt32 {
                defer { position += 4 }
                return (0..<4).reduce(UInt32(0)) { $0 | UInt32(header[position + $1]) << (8 * UInt32($1)) }
            }
            let length = u64()
            let dataCRC = u32()
            let entryCRC = u32()
            guard entryCRC == CRC32C.checksum(Array(header[0..<(header.count - 4)])) else { throw corrupt(offset, "entry header CRC mismatch") }
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard ArchiveFormat.isValidName(name, kind: kind) else {
                throw corrupt(offset + 7, "entry name \(name.debugDescription) is not a segment or index file name (paths are not allowed)")
            }
            guard names.insert(name).inserted else { throw corrupt(offset, "duplicate entry \(name)") }
            guard length <= ArchiveFormat.maximumEntryBytes, offset + header.count + Int(length) <= size else {
                throw corrupt(offset, "entry \(name) declares \(length) bytes, more than the archive holds")
            }
            entries.append(ArchiveEntry(name: name, isSegment: kind == .segment, offset: offset + header.count, length: Int(length), crc: dataCRC))
            offset += header.count + Int(length)
        }
        self.entries = entries
    }

    public func sessionIDs() throws(LogError) -> [String] { [session] }

    public func segments(session: String) throws(LogError) -> [SegmentHandle] {
        guard session == self.session else { return [] }
        let indexes = Dictionary(entries.filter { !$0.isSegment }.map { (String($0.name.dropLast(4)), $0) }, uniquingKeysWith: { first, _ in first })
        let path = self.path
        return entries.filter(\.isSegment).sorted { $0.name < $1.name }.map { entry in
            let index = indexes[String(entry.name.dropLast(4))]
            return SegmentHandle(
                name: "\(path):\(entry.name)",
                bytes: { () throws(LogError) -> [UInt8] in try ArchiveSource.data(of: entry, in: path) },
                index: { index.flatMap { try? ArchiveSource.data(of: $0, in: path) } })
        }
    }

    /// An entry's data, with its CRC checked.
    static func data(of entry: ArchiveEntry, in path: String) throws(LogError) -> [UInt8] {
        let file = try OpenFile(path: path, flags: O_RDONLY)
        let bytes = try file.read(at: entry.offset, count: entry.length)
        guard CRC32C.checksum(bytes) == entry.crc else {
            throw .corrupt(path: path, offset: entry.offset, reason: "CRC mismatch in entry \(entry.name)")
        }
        return bytes
    }
}

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
            switch try LoadedSegment.open(handle) {
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
        try Posix.writeAtomically(path, output, sync: true)
        return handles.count
    }

    static func entry(name: String, kind: ArchiveFormat.Kind, data: [UInt8]) -> [UInt8] {
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
        var status = stat()
        if lstat(destination, &status) == 0 {
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
                guard LoadedSegment.sequence(fromName: handle.name) == scan.header.firstSequence else {
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
        try Posix.makeDirectories(root.sessionsPath)
        let staging = root.sessionsPath + "/.import-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do throws(LogError) {
            try Posix.makeDirectories(staging)
            for file in files { try Posix.writeAtomically(staging + "/" + file.name, file.bytes, sync: true) }
            guard rename(staging, destination) == 0 else { throw Posix.failure(destination, "rename") }
            Posix.syncDirectory(root.sessionsPath)
        } catch {
            for file in files { Posix.remove(staging + "/" + file.name) }
            rmdir(staging)
            throw error
        }
        return ImportResult(session: target, segments: files.count / 2, events: events)
    }
}
