import MMMMetricsCore
public import MMMMetricsLogFormat

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
    package let entries: [ArchiveEntry]

    public var location: String { path }

    /// Opens an archive; throws ``LogError/corrupt(path:offset:reason:)`` naming the offset of the first problem.
    public init(path: String) throws(LogError) {
        self.path = path
        var directory = try ArchiveDirectoryReader(path: path)
        session = try directory.readHeader()
        entries = try directory.readEntries()
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
                index: { index.flatMap { try? ArchiveSource.data(of: $0, in: path) } },
                // Made elsewhere: a lying index (CRC valid) must not hide events or total them wrongly.
                usesIndexContents: false)
        }
    }

    /// An entry's data, with its CRC checked.
    static func data(of entry: ArchiveEntry, in path: String) throws(LogError) -> [UInt8] {
        let file = try OpenFile(path: path, mode: .read)
        let bytes = try file.read(at: entry.offset, count: entry.length)
        guard CRC32C.checksum(bytes) == entry.crc else {
            throw .corrupt(path: path, offset: entry.offset, reason: "CRC mismatch in entry \(entry.name)")
        }
        return bytes
    }
}

/// Reads an archive's structure (header, entry headers, trailer) without its data, checking every
/// field, CRC and name; integers through ``ByteReader``.
private struct ArchiveDirectoryReader {
    let path: String
    let file: OpenFile
    let size: Int
    var offset = 0

    init(path: String) throws(LogError) {
        self.path = path
        file = try OpenFile(path: path, mode: .read)
        size = try file.fileSize()
    }

    func corrupt(_ offset: Int, _ reason: String) -> LogError { .corrupt(path: path, offset: offset, reason: reason) }

    func read(_ offset: Int, _ count: Int) throws(LogError) -> [UInt8] {
        guard count >= 0, offset >= 0, count <= size - offset else {
            throw corrupt(offset, "archive cut short: needs \(count) bytes at offset \(offset), the file has \(size)")
        }
        return try file.read(at: offset, count: count)
    }

    /// Little-endian fields of `bytes`, read by `body`; `bytes` came whole from the file, so running past
    /// them cannot happen (it would be reported at the end of the file).
    func fields<T>(_ bytes: [UInt8], at offset: Int, _ body: (inout ByteReader) throws(DecodeFailure) -> T) throws(LogError) -> T {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(DecodeFailure) -> T in
                var reader = ByteReader(raw)
                return try body(&reader)
            }
        }
        do { return try result.get() } catch { throw corrupt(offset + error.offset, error.reason) }
    }

    /// Magic, version, session id and the header CRC; returns the session id.
    mutating func readHeader() throws(LogError) -> String {
        let head = try read(0, 14)
        guard Array(head[0..<8]) == ArchiveFormat.magic else { throw corrupt(0, "not a session archive (bad magic)") }
        let (version, idLength) = try fields(head, at: 0) { reader throws(DecodeFailure) in
            reader.offset = 8
            let version = try reader.u16()
            _ = try reader.u16()
            return (version, Int(try reader.u16()))
        }
        guard version == ArchiveFormat.version else { throw corrupt(8, "unsupported archive version \(version)") }
        guard idLength > 0, idLength <= Format.maximumSessionIDBytes else { throw corrupt(12, "impossible session id length \(idLength)") }
        let idBytes = try read(14, idLength)
        let headerCRC = try fields(try read(14 + idLength, 4), at: 14 + idLength) { reader throws(DecodeFailure) in try reader.u32() }
        guard headerCRC == CRC32C.checksum(head + idBytes) else { throw corrupt(14 + idLength, "archive header CRC mismatch") }
        guard let id = String(validating: idBytes, as: UTF8.self) else { throw corrupt(14, "session id is not UTF-8") }
        do { try LogRoot.validate(sessionID: id) } catch { throw corrupt(14, "\(error)") }
        offset = 18 + idLength
        return id
    }

    /// Every entry header up to the trailer, which must count them and end the file.
    mutating func readEntries() throws(LogError) -> [ArchiveEntry] {
        var entries: [ArchiveEntry] = []
        var names = Set<String>()
        while true {
            guard size - offset >= 4 else { throw corrupt(offset, "archive cut short: no trailer") }
            let magic = try fields(try read(offset, 4), at: offset) { reader throws(DecodeFailure) in try reader.u32() }
            if magic == ArchiveFormat.trailerMagic {
                try readTrailer(entries: entries.count)
                return entries
            }
            guard magic == ArchiveFormat.entryMagic else { throw corrupt(offset, "expected an entry or the trailer") }
            let entry = try readEntry()
            guard names.insert(entry.name).inserted else { throw corrupt(offset, "duplicate entry \(entry.name)") }
            entries.append(entry)
            offset = entry.offset + entry.length
        }
    }

    private func readTrailer(entries: Int) throws(LogError) {
        let trailer = try read(offset, ArchiveFormat.trailerSize)
        let (count, stored) = try fields(trailer, at: offset) { reader throws(DecodeFailure) in
            reader.offset = 4
            return (Int(try reader.u32()), try reader.u32())
        }
        guard stored == CRC32C.checksum(Array(trailer[0..<8])), count == entries else {
            throw corrupt(offset, "archive trailer does not match its \(entries) entries")
        }
        guard offset + ArchiveFormat.trailerSize == size else {
            throw corrupt(offset + ArchiveFormat.trailerSize, "\(size - offset - ArchiveFormat.trailerSize) bytes after the trailer")
        }
    }

    /// One entry header: kind, name, length, data CRC, header CRC.
    private func readEntry() throws(LogError) -> ArchiveEntry {
        let fixed = try read(offset, 7)
        guard let kind = ArchiveFormat.Kind(rawValue: fixed[4]) else {
            throw corrupt(offset + 4, "unsupported entry kind \(fixed[4]) (only segments and indexes; no links or directories)")
        }
        let nameLength = Int(UInt16(fixed[5]) | UInt16(fixed[6]) << 8)
        guard nameLength <= 255 else { throw corrupt(offset + 5, "entry name of \(nameLength) bytes") }
        let header = try read(offset, ArchiveFormat.entryHeaderSize + nameLength)
        let (length, dataCRC, entryCRC) = try fields(header, at: offset) { reader throws(DecodeFailure) in
            reader.offset = 7 + nameLength
            return (try reader.u64(), try reader.u32(), try reader.u32())
        }
        guard entryCRC == CRC32C.checksum(Array(header[0..<(header.count - 4)])) else { throw corrupt(offset, "entry header CRC mismatch") }
        let name = String(decoding: header[7..<(7 + nameLength)], as: UTF8.self)
        guard ArchiveFormat.isValidName(name, kind: kind) else {
            throw corrupt(offset + 7, "entry name \(name.debugDescription) is not a segment or index file name (paths are not allowed)")
        }
        guard length <= ArchiveFormat.maximumEntryBytes, Int(length) <= size - offset - header.count else {
            throw corrupt(offset, "entry \(name) declares \(length) bytes, more than the archive holds")
        }
        return ArchiveEntry(name: name, isSegment: kind == .segment, offset: offset + header.count, length: Int(length), crc: dataCRC)
    }
}
