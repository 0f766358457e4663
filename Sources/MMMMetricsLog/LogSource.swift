/// One stored segment, wherever it lives: a file in a log root, or an entry of an archive.
public struct SegmentHandle: Sendable {
    /// The segment's name for messages: a file path, or `archive.mmmar:session/000….seg`.
    public let name: String
    private let readBytes: @Sendable () throws(LogError) -> [UInt8]
    private let readIndex: @Sendable () -> [UInt8]?

    /// A handle that reads the segment's bytes and (optionally) its index's bytes when asked.
    public init(name: String, bytes: @escaping @Sendable () throws(LogError) -> [UInt8], index: @escaping @Sendable () -> [UInt8]?) {
        self.name = name
        readBytes = bytes
        readIndex = index
    }

    /// The segment's bytes.
    public func bytes() throws(LogError) -> [UInt8] { try readBytes() }

    /// The index's bytes, when there is an index.
    public func indexBytes() -> [UInt8]? { readIndex() }
}

/// Where stored sessions are read from: a log root directory or an archive file. Readers, queries
/// and reports take any source, so an archive is read in place, without unpacking.
public protocol LogSource: Sendable {
    /// The source's location, for messages.
    var location: String { get }
    /// The session ids present, sorted.
    func sessionIDs() throws(LogError) -> [String]
    /// A session's segments in sequence order; empty when the session is not there.
    func segments(session: String) throws(LogError) -> [SegmentHandle]
}

extension LogRoot: LogSource {
    public var location: String { path }

    public func segments(session: String) throws(LogError) -> [SegmentHandle] {
        try segmentPaths(session: session).map { path in
            SegmentHandle(
                name: path,
                bytes: { () throws(LogError) -> [UInt8] in try Posix.readFile(path) },
                index: { try? Posix.readFile(LogRoot.indexPath(forSegment: path)) })
        }
    }
}

extension LogRoot {
    /// What reading commands read at `path`: a session archive when it is a file, else the log root
    /// there. A path that does not exist is an error (a mistyped path must not read as an empty,
    /// healthy log) unless `allowMissing`.
    public static func openSource(_ path: String, allowMissing: Bool = false) throws(LogError) -> any LogSource {
        switch Posix.kind(of: path) {
        case .file: return try ArchiveSource(path: path)
        case .directory: return LogRoot(path: path)
        case .missing:
            guard allowMissing else {
                throw .invalidInput("\(path): no such log directory or archive (the log root is --log, else $MMM_METRICS_DIR, else .mmm/metrics)")
            }
            return LogRoot(path: path)
        }
    }

    /// The log root at `path` for writing; an archive (a file) is refused: archives are read-only.
    public static func openWritable(_ path: String) throws(LogError) -> LogRoot {
        if case .file = Posix.kind(of: path) {
            throw .invalidInput("\(path) is a file (an archive is read-only); this command needs a log directory")
        }
        return LogRoot(path: path)
    }

    /// MMM's old metrics files in the root directory (`current.json`, `history.json`), which
    /// `import-legacy` turns into events.
    public var legacyMetricsFiles: [String] {
        ["current.json", "history.json"].filter { Posix.kind(of: path + "/" + $0) == .file }
    }
}

extension LogSource {
    /// The error for a session that is not here, listing the sessions that are (and, for a root that
    /// holds only MMM's old metrics files, the command that imports them).
    public func missingSessionError(_ session: String) -> LogError {
        let known = (try? sessionIDs()) ?? []
        if known.isEmpty, let root = self as? LogRoot, !root.legacyMetricsFiles.isEmpty {
            return .invalidInput("""
                \(root.path) holds only MMM's old metrics files (\(root.legacyMetricsFiles.joined(separator: ", "))), no event log yet. Import them with:
                  mmm-analyze import-legacy --log \(root.path) --session \(session) \(root.path)
                """)
        }
        let listed = known.isEmpty ? "" : "; sessions there: " + known.prefix(10).joined(separator: ", ") + (known.count > 10 ? ", …" : "")
        return .invalidInput("no session \(session) in \(location)\(listed)")
    }
}
