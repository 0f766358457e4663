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
        let file = try OpenFile(path: path, mode: .read)
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
        let file = try OpenFile(path: path, mode: .read)
        let bytes = try file.read(at: entry.offset, count: entry.length)
        guard CRC32C.checksum(bytes) == entry.crc else {
            throw .corrupt(path: path, offset: entry.offset, reason: "CRC mismatch in entry \(entry.name)")
        }
        return bytes
    }
}
