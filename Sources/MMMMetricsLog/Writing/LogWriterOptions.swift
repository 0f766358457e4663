import MMMMetricsCore
public import MMMMetricsLogFormat

/// How the writer uses fsync, and what each setting guarantees after a crash of the machine
/// (a crash of the process alone loses nothing that `write` returned for).
public enum LogDurability: String, Sendable, Hashable, CaseIterable {
    /// Never fsync: fastest; after a power loss, recently written blocks may be lost (never
    /// corrupted silently: every block is CRC-checked and a torn tail is cut on the next open).
    case none
    /// fsync when `flush()` returns (and on seal and close): every flushed event survives a power loss.
    case onFlush = "flush"
    /// fsync after every block as well: at most the unwritten buffer is lost.
    case everyBlock = "block"
}

/// Writer settings.
public struct LogWriterOptions: Sendable, Hashable {
    /// Start a new segment when the current one would grow past this many bytes.
    public var segmentMaxBytes: Int
    /// Start a new segment when the current one is older than this.
    public var segmentMaxAge: Duration
    /// Write a block when this many events are buffered (1 to ``LogWriterOptions/maximumBlockEvents``).
    public var blockMaxEvents: Int
    /// Cut a block before its encoded payload would pass this many bytes (1 to
    /// ``LogWriterOptions/maximumBlockBytes``); a single larger event still gets a block of its own.
    public var blockMaxBytes: Int
    /// zstd level for blocks (1–19; higher is smaller and slower to write, not slower to read).
    public var compressionLevel: Int32
    /// fsync policy.
    public var durability: LogDurability
    /// Payloads of at least this many bytes are stored in sections (docs/FORMAT.md, "Sections");
    /// tests lower or raise it to write both forms of the same blocks.
    package var sectionMinimumBytes = PayloadSections.minimumPayloadBytes

    /// The most events a block may hold (the format's limit, 2^24).
    public static let maximumBlockEvents = BlockPayload.maximumEvents
    /// The largest `blockMaxBytes`: with one event of at most ``EventLimits/maximumEventBytes`` on top,
    /// a block stays under the 64 MiB a reader accepts.
    public static let maximumBlockBytes = 32 << 20

    /// Defaults: 64 MiB or one hour per segment, 32,768 events or 8 MiB per block, zstd level 6, fsync on flush.
    public init(
        segmentMaxBytes: Int = 64 << 20, segmentMaxAge: Duration = .seconds(3600), blockMaxEvents: Int = 32_768,
        blockMaxBytes: Int = 8 << 20, compressionLevel: Int32 = 6, durability: LogDurability = .onFlush
    ) {
        self.segmentMaxBytes = segmentMaxBytes
        self.segmentMaxAge = segmentMaxAge
        self.blockMaxEvents = blockMaxEvents
        self.blockMaxBytes = blockMaxBytes
        self.compressionLevel = compressionLevel
        self.durability = durability
    }

    /// Throws ``LogError/invalidInput(_:)`` naming the first setting out of its range.
    public func validate() throws(LogError) {
        guard segmentMaxBytes > 0 else { throw .invalidInput("segment size limit must be positive, got \(segmentMaxBytes)") }
        guard segmentMaxAge >= .zero else { throw .invalidInput("segment age limit must not be negative, got \(segmentMaxAge)") }
        guard (1...Self.maximumBlockEvents).contains(blockMaxEvents) else {
            throw .invalidInput("events per block must be 1 to \(Self.maximumBlockEvents), got \(blockMaxEvents)")
        }
        guard (1...Self.maximumBlockBytes).contains(blockMaxBytes) else {
            throw .invalidInput("bytes per block must be 1 to \(Self.maximumBlockBytes), got \(blockMaxBytes)")
        }
        guard (1...19).contains(compressionLevel) else { throw .invalidInput("zstd level must be 1 to 19, got \(compressionLevel)") }
    }
}
