import MMMMetricsCore
public import MMMMetricsLogFormat

/// One stored segment, wherever it lives: a file in a log root, or an entry of an archive.
public struct SegmentHandle: Sendable {
    /// The segment's name for messages: a file path, or `archive.mmmar:session/000….seg`.
    public let name: String
    private let readBytes: @Sendable () throws(LogError) -> [UInt8]
    private let readIndex: @Sendable () -> [UInt8]?
    /// Whether readers take the index's metric names and block summaries as given, to skip blocks
    /// by name and total them without decoding. An index whose CRC checks can still lie in ways
    /// only decoding every block finds (`verify` does): a log's own indexes are taken (its writer
    /// and `recover` made them), those of an archive from elsewhere are not, and every block that
    /// may hold a query's events is decoded.
    public let usesIndexContents: Bool

    /// A handle that reads the segment's bytes and (optionally) its index's bytes when asked.
    public init(
        name: String, bytes: @escaping @Sendable () throws(LogError) -> [UInt8], index: @escaping @Sendable () -> [UInt8]?,
        usesIndexContents: Bool = true
    ) {
        self.name = name
        readBytes = bytes
        readIndex = index
        self.usesIndexContents = usesIndexContents
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
                bytes: { () throws(LogError) -> [UInt8] in try FileSystem.readFile(path) },
                index: { try? FileSystem.readFile(LogRoot.indexPath(forSegment: path)) })
        }
    }
}
