import MMMMetricsCore
public import MMMMetricsLogFormat

/// A log root directory: one stream per session under `sessions/`.
///
/// Layout: `<root>/sessions/<escaped session id>/` holds `<first sequence, 20 digits>.seg` segment
/// files, one `.idx` index per segment and the writer's `LOCK` file. The session id inside each
/// segment header is authoritative; the directory name only locates it.
public struct LogRoot: Sendable, Hashable, CustomStringConvertible {
    /// The root directory.
    public let path: String

    /// Where MMM kept its metrics, relative to the project directory.
    public static let defaultPath = ".mmm/metrics"

    /// A root at `path`.
    public init(path: String) {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    /// The root named by `explicit` (`--log`), else `MMM_METRICS_DIR`, else `.mmm/metrics`.
    public static func resolve(_ explicit: String?, environment: [String: String]) -> LogRoot {
        if let explicit, !explicit.isEmpty { return LogRoot(path: explicit) }
        if let fromEnvironment = environment["MMM_METRICS_DIR"], !fromEnvironment.isEmpty { return LogRoot(path: fromEnvironment) }
        return LogRoot(path: defaultPath)
    }

    public var description: String { path }

    /// Whether `path` (resolved through symbolic links) lies inside this root's session data, where
    /// a command's output file would overwrite stored events. Commands refuse such outputs.
    public func holdsSessionData(at path: String) -> Bool {
        guard let sessions = FileSystem.resolvedPath(sessionsPath), let target = FileSystem.resolvedPath(path) else { return false }
        return target == sessions || target.hasPrefix(sessions + "/")
    }

    /// The directory holding one directory per session.
    package var sessionsPath: String { path + "/sessions" }

    /// The directory of a session's stream.
    package func sessionPath(_ session: String) -> String { sessionsPath + "/" + Self.directoryName(for: session) }

    /// Checks that a session id can be stored: 1 to 1024 bytes of UTF-8 without NUL or newline.
    public static func validate(sessionID: String) throws(LogError) {
        let count = sessionID.utf8.count
        guard count > 0, count <= Format.maximumSessionIDBytes else {
            throw .invalidInput("session id must be 1 to \(Format.maximumSessionIDBytes) bytes, got \(count)")
        }
        guard !sessionID.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else {
            throw .invalidInput("session id must not contain NUL or line breaks: \(sessionID.debugDescription)")
        }
    }

    /// The longest directory name written as the escaped id itself; longer ones are shortened and
    /// hashed (file systems allow 255 bytes per name; this leaves room for temporary suffixes).
    static let maximumPlainDirectoryName = 200

    /// A file-system-safe directory name for a session id: ASCII letters, digits, `-`, `_` and
    /// (not first) `.` stay; every other byte becomes `%XX`. When that is longer than 200 bytes,
    /// the name is its first 120 bytes, `~` and 16 hex digits of a 64-bit FNV-1a hash of the id (`~`
    /// never appears in an escaped id); the id itself is then known only from the segment headers.
    package static func directoryName(for session: String) -> String {
        let escaped = escapedName(for: session)
        guard escaped.utf8.count > maximumPlainDirectoryName else { return escaped }
        var prefix = Substring(escaped.prefix(120))
        // Do not cut a %XX escape in half.
        if let percent = prefix.suffix(2).firstIndex(of: "%") { prefix = prefix[..<percent] }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in session.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let hex = String(hash, radix: 16, uppercase: false)
        return prefix + "~" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Whether a directory name is a hashed one (see ``directoryName(for:)``).
    static func isHashedDirectoryName(_ name: String) -> Bool { name.contains("~") }

    private static func escapedName(for session: String) -> String {
        var name = ""
        for (index, byte) in session.utf8.enumerated() {
            let keep = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || (byte == 0x2E && index > 0)
            if keep {
                name.append(Character(Unicode.Scalar(byte)))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                name += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return name
    }

    /// The session id a directory name stands for, or `nil` when it is not one this code makes.
    package static func sessionID(fromDirectoryName name: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(name.utf8).makeIterator()
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            default: nil
            }
        }
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let id = String(validating: bytes, as: UTF8.self), !id.isEmpty, directoryName(for: id) == name else { return nil }
        return id
    }

    /// Entries under `sessions/` that are no session's directory (a name that is no escaped id, a
    /// hashed name no segment header confirms, a file, a symbolic link): readers never see what they hold.
    package func strayEntries() throws(LogError) -> [String] {
        guard FileSystem.isDirectory(sessionsPath) else { return [] }
        return try FileSystem.listDirectory(sessionsPath).filter { name in
            guard !name.hasPrefix(".") else { return false }  // an import in progress, a desktop's files
            let directory = sessionsPath + "/" + name
            guard FileSystem.isDirectory(directory), !FileSystem.isSymbolicLink(directory) else { return true }
            guard Self.isHashedDirectoryName(name) else { return Self.sessionID(fromDirectoryName: name) == nil }
            // A hashed directory before its first segment is a session about to be written.
            let hasSegments = ((try? FileSystem.listDirectory(directory)) ?? []).contains { $0.hasSuffix(".seg") }
            return hasSegments && (try? Self.sessionIDFromSegments(in: directory, directoryName: name)) ?? nil == nil
        }.sorted()
    }

    /// The session ids present, sorted. A hashed directory's id is read from its first segment's header.
    public func sessionIDs() throws(LogError) -> [String] {
        guard FileSystem.isDirectory(sessionsPath) else { return [] }
        var ids: [String] = []
        for name in try FileSystem.listDirectory(sessionsPath) {
            let directory = sessionsPath + "/" + name
            // This log never makes links: one under sessions/ is a stray entry, never read or changed.
            guard FileSystem.isDirectory(directory), !FileSystem.isSymbolicLink(directory) else { continue }
            let id = Self.isHashedDirectoryName(name)
                ? try Self.sessionIDFromSegments(in: directory, directoryName: name) : Self.sessionID(fromDirectoryName: name)
            if let id { ids.append(id) }
        }
        return ids.sorted()
    }

    /// The session id in the header of the first readable segment of a hashed directory, when it
    /// belongs there.
    static func sessionIDFromSegments(in directory: String, directoryName: String) throws(LogError) -> String? {
        for file in try FileSystem.listDirectory(directory) where file.hasSuffix(".seg") {
            guard let bytes = try? FileSystem.readFile(directory + "/" + file),
                let header = bytes.withUnsafeBytes({ try? SegmentHeader.decode($0, path: file) })
            else { continue }
            return Self.directoryName(for: header.sessionID) == directoryName ? header.sessionID : nil
        }
        return nil
    }

    /// Whether the session has a stream here.
    public func contains(session: String) -> Bool { FileSystem.isDirectory(sessionPath(session)) }

    /// The session's segment files, in sequence order.
    @_spi(Benchmarks) public func segmentPaths(session: String) throws(LogError) -> [String] {
        let directory = sessionPath(session)
        guard FileSystem.isDirectory(directory) else { return [] }
        return try FileSystem.listDirectory(directory).filter { $0.hasSuffix(".seg") }.map { directory + "/" + $0 }
    }

    /// A segment's file name for its first sequence number.
    package static func segmentFileName(firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    /// The index path of a segment path.
    package static func indexPath(forSegment path: String) -> String { String(path.dropLast(4)) + ".idx" }
}
