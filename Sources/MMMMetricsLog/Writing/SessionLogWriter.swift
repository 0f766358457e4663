public import MMMMetricsCore
public import MMMMetricsLogFormat

/// Appends events to one session's stream. One writer per session, enforced by an OS file lock
/// (`flock` on `LOCK`). Not thread-safe: one owner (the file collector wraps it in a task).
///
/// Guarantees: events get consecutive sequence numbers; `flush()` returns once its events are
/// written (and fsynced under `.onFlush`/`.everyBlock`); a failed write is cut back so the
/// segment never holds a partial block followed by later data, and the events stay buffered for
/// the next attempt; opening cuts a torn tail of the last segment and never deletes anything else.
public final class SessionLogWriter {
    /// The log root.
    public let root: LogRoot
    /// The session written.
    public let session: String
    /// The settings.
    public let options: LogWriterOptions
    /// What opening found and repaired, if anything.
    public internal(set) var recovery: RecoveryReport?
    /// The sequence number the next written event gets: events get their numbers when their
    /// block is written, so discarding buffered events never leaves a gap.
    public internal(set) var writtenSequence: UInt64

    /// The sequence number the next appended event will get (if nothing buffered is discarded).
    public var nextSequence: UInt64 { writtenSequence + UInt64(pending.count) }

    let directory: String
    /// Whether opening this writer made the session's directory (undone by a rollback).
    let createdDirectory: Bool
    let lock: OpenFile
    /// Made at the first block and dropped by ``releaseMemory()``: a zstd context holds megabytes.
    private var compressorStorage: ZstdCompressor?
    var compressor: ZstdCompressor {
        if let compressorStorage { return compressorStorage }
        let made = ZstdCompressor(level: options.compressionLevel)
        compressorStorage = made
        return made
    }
    var pending = PendingEvents()
    /// Where blocks are compressed, when not on the writer's own thread (``BlockCompressionLane``:
    /// `ingest`'s writers); set before the first append.
    package var compressionLane: BlockCompressionLane?
    /// This writer's block on the lane: encoded, numbered, not yet in its segment.
    var inFlight: (encoded: BlockPayload.Encoded, firstSequence: UInt64)?
    var segment: OpenSegment?
    /// Segments whose seal is written but whose fsync or index write failed: finished by the next
    /// flush or close.
    var sealedUnfinished: [OpenSegment] = []
    var closed = false

    /// The segment being appended to, with what its index needs.
    final class OpenSegment {
        let file: OpenFile
        let header: SegmentHeader
        let createdAt: ContinuousClock.Instant
        var size: Int
        package var blocks: [BlockLocation]
        var blockNames: [[String]]
        /// Each block's summary for the index (`nil` where unknown: blocks of a segment reopened without one).
        var blockSummaries: [BlockSummary?]
        /// What the kept summaries cost; past ``BlockSummary/maximumCostPerIndex`` none is kept (the
        /// index would keep none), so a segment of many tiny or many-metric blocks stays small in memory.
        private var summaryCost = 0
        var needsRepair = false

        func keepSummary(_ summary: BlockSummary?) {
            summaryCost += summary?.cost ?? 0
            if summaryCost > BlockSummary.maximumCostPerIndex {
                if blockSummaries.contains(where: { $0 != nil }) { blockSummaries = blockSummaries.map { _ in nil } }
                blockSummaries.append(nil)
            } else {
                blockSummaries.append(summary)
            }
        }

        init(file: OpenFile, header: SegmentHeader, size: Int, blocks: [BlockLocation], blockNames: [[String]], blockSummaries: [BlockSummary?]) {
            self.file = file
            self.header = header
            self.size = size
            self.blocks = blocks
            self.blockNames = blockNames
            self.blockSummaries = blockSummaries
            summaryCost = blockSummaries.reduce(0) { $0 + ($1?.cost ?? 0) }
            // A segment continued after a crash whose index kept no summary (past the bound, or of
            // version 1) keeps none for its new blocks either; `recover` rebuilds them all.
            if !blockSummaries.isEmpty, blockSummaries.allSatisfy({ $0 == nil }) { summaryCost = BlockSummary.maximumCostPerIndex + 1 }
            createdAt = .now
        }
    }

    /// Opens (creating when needed) a session's stream for appending. Throws ``LogError/locked(session:path:holderPID:)``
    /// when another writer holds it.
    public init(root: LogRoot, session: String, options: LogWriterOptions = LogWriterOptions()) throws(LogError) {
        try LogRoot.validate(sessionID: session)
        try options.validate()
        self.root = root
        self.session = session
        self.options = options
        let directory = root.sessionPath(session)
        let created = !FileSystem.isDirectory(directory)
        self.directory = directory
        createdDirectory = created
        // Failing to open leaves nothing behind: a directory made here is removed again.
        func undoDirectory() {
            guard created else { return }
            FileSystem.remove(directory + "/LOCK")
            FileSystem.removeDirectory(directory)
        }
        let lockPath = directory + "/LOCK"
        do throws(LogError) {
            var acquired: OpenFile?
            // A prune may remove the session's directory while this writer waits for its lock: the
            // lock won is then on a file no longer in the log, and this writer starts again.
            for _ in 0..<3 where acquired == nil {
                try FileSystem.makeDirectories(directory)
                let candidate = try OpenFile(path: lockPath, mode: .readWriteCreate)
                guard try candidate.tryLock() else {
                    // The pid the last writer wrote, only while it runs: a lock taken by another tool
                    // (an outside `flock`) was blamed on a writer long gone.
                    let holder = (try? FileSystem.readFile(lockPath)).flatMap { Int32(String(String(decoding: $0, as: UTF8.self).trimmingWhitespace)) }
                        .flatMap { FileSystem.processExists($0) ? $0 : nil }
                    throw LogError.locked(session: session, path: lockPath, holderPID: holder)
                }
                if candidate.isStill(at: lockPath) { acquired = candidate } else { candidate.close() }
            }
            guard let acquired else { throw LogError.invalidInput("\(directory) was removed three times while opening it (a prune running in a loop?)") }
            lock = acquired
            try lock.truncate(to: 0)
            try lock.seek(to: 0)
            try lock.write(Array("\(FileSystem.processID)\n".utf8))
        } catch {
            // When another writer holds the lock, the directory (and its LOCK) are that writer's.
            if case .locked = error {} else { undoDirectory() }
            throw error
        }
        writtenSequence = 0
        _ = LeftoverFiles.removeTemporaries(in: directory)
        do {
            try openLastSegment()
        } catch {
            closed = true
            lock.close()
            undoDirectory()
            throw error
        }
    }

    /// Dropping a writer without `close()` writes what is buffered (best effort) and releases the
    /// lock, but does not seal: the next writer appends to the same segment.
    deinit {
        if !closed {
            try? writeBlocks(all: true)
            try? settleInFlight()
            if let segment { try? writeIndex(segment, sealed: false) }
            try? finishSealedSegments()
        }
    }

    /// Events buffered and not yet written.
    public var pendingCount: Int { pending.count }

    /// The room the pending buffer holds, in events (at least ``pendingCount``).
    package var pendingCapacity: Int { pending.capacity }

    /// Buffers an event; writes a block when a block's worth (events or bytes) is buffered. When that
    /// write fails the event stays buffered. An event over ``EventLimits`` is refused and not buffered.
    public func append(_ event: MetricEvent) throws(LogError) {
        guard !closed else { throw .invalidInput("the writer for session \(session) is closed") }
        let size = try Self.measure(event)
        pending.append(event, size: size)
        if blockIsDue { try writeBlocks(all: false) }
    }

    /// Checks every event against ``EventLimits`` (refusing the whole batch, with nothing buffered,
    /// when one fails), buffers them in order, then writes every full block. When a write fails,
    /// every event stays buffered.
    public func append(contentsOf events: some Sequence<MetricEvent>) throws(LogError) {
        guard !closed else { throw .invalidInput("the writer for session \(session) is closed") }
        // An array is taken as is (no copy); any other sequence is gathered first.
        let batch = Array(events)
        var sizes: [Int] = []
        sizes.reserveCapacity(batch.count)
        for event in batch { sizes.append(try Self.measure(event)) }
        try append(measured: batch, sizes: sizes)
    }

    /// Buffers events already measured by ``EventLimits/measure(_:)`` (`sizes[i]` for `events[i]`,
    /// every one within the limits), then writes every full block: for a caller that refused the
    /// events over the limits itself and should not pay for measuring twice.
    package func append(measured events: [MetricEvent], sizes: [Int]) throws(LogError) {
        guard !closed else { throw .invalidInput("the writer for session \(session) is closed") }
        precondition(events.count == sizes.count, "one size per event")
        // The blocks are those of buffering the whole batch and then writing every due block (the
        // buffer followed by the batch, cut by the rule of `blockIsDue`), but events are copied into
        // the buffer only to complete a block the buffer starts; blocks that lie inside the batch
        // are written from it. Copying every event into the buffer first cost a collector's
        // writing thread a third of its time.
        var next = 0
        var batchBytes = sizes.reduce(0, +)
        do throws(LogError) {
            while true {
                guard PendingEvents.fillBlock(count: pending.count + events.count - next, bytes: pending.bytes + batchBytes,
                                              maximumEvents: options.blockMaxEvents, maximumBytes: options.blockMaxBytes) else { break }
                if pending.isEmpty {
                    let end = next + min(events.count - next, options.blockMaxEvents)
                    let written = try writeBlock(events[next..<end], sizes: sizes[next..<end])
                    batchBytes -= sizes[next..<next + written].reduce(0, +)
                    next += written
                    writtenSequence += UInt64(written)
                } else {
                    while pending.count < options.blockMaxEvents, next < events.count {
                        pending.append(events[next], size: sizes[next])
                        batchBytes -= sizes[next]
                        next += 1
                    }
                    let candidates = pending.prefix(min(pending.count, options.blockMaxEvents))
                    let written = try writeBlock(candidates.events, sizes: candidates.sizes)
                    removePending(written)
                    writtenSequence += UInt64(written)
                }
            }
        } catch {
            pending.append(contentsOf: events[next...], sizes: sizes[next...])
            throw error
        }
        pending.append(contentsOf: events[next...], sizes: sizes[next...])
    }

    /// The bytes of an event's strings and data (``EventLimits/measure(_:)``); throws when it is over the limits.
    static func measure(_ event: MetricEvent) throws(LogError) -> Int {
        switch EventLimits.measure(event) {
        case .success(let bytes):
            return bytes
        case .failure(let violation):
            throw .invalidInput("event too large to store: \(violation.message)")
        }
    }

    /// A block is due when the buffered events reach the block's count, or (by their strings, data and
    /// column bytes) its byte budget.
    var blockIsDue: Bool { pending.fillsBlock(maximumEvents: options.blockMaxEvents, maximumBytes: options.blockMaxBytes) }

    /// Drops up to `count` of the oldest buffered events (after writes failed and the caller gave up
    /// on them); returns how many were dropped. Sequence numbers stay contiguous.
    @discardableResult
    public func discardOldest(_ count: Int) -> Int {
        let dropped = min(count, pending.count)
        removePending(dropped)
        return dropped
    }

    func removePending(_ count: Int) {
        pending.removeFirst(count)
    }

    /// Gives back the memory an idle writer holds (the compression context, the room of its pending
    /// buffer beyond the events it holds); the next block makes them again. For a process that keeps many writers open
    /// and writes to one at a time (`ingest` of many sessions).
    package func releaseMemory() {
        compressorStorage = nil
        if pending.isEmpty { pending = PendingEvents() } else { pending.shrinkToFit() }
    }

    /// Writes buffered events as a block, fsyncs under `.onFlush`/`.everyBlock`, and rewrites the
    /// segment's index. Returns once everything appended so far is written.
    public func flush() throws(LogError) {
        try writeBlocks(all: true)
        try settleInFlight()
        try finishSealedSegments()
        guard let segment else { return }
        if options.durability != .none { try segment.file.sync() }
        try writeIndex(segment, sealed: false)
    }

    /// Writes the buffered events as blocks now, without a flush's fsync and index rewrite: for a
    /// caller that keeps many writers and flushes or closes each later (`ingest`, whose memory
    /// budget writes idle sessions out).
    package func writePending() throws(LogError) {
        try writeBlocks(all: true)
    }

    /// Flushes, seals the current segment and releases the lock. Further appends fail.
    public func close() throws(LogError) {
        guard !closed else { return }
        defer {
            closed = true
            lock.close()
        }
        try writeBlocks(all: true)
        try sealCurrentSegment()
        try finishSealedSegments()
    }

    /// Flushes (fsync per the durability setting, index written) and releases the lock without
    /// sealing, so the next writer of the session continues the same segment: for short-lived
    /// writers such as `mmm-record`, one per command, that would otherwise leave a segment each.
    /// Further appends fail.
    public func release() throws(LogError) {
        guard !closed else { return }
        defer { abandon() }
        try flush()
    }

    /// Closes files and the lock without writing anything more.
    func abandon() {
        closed = true
        discardInFlight()
        removePending(pending.count)
        segment?.file.close()
        segment = nil
        lock.close()
    }

    /// Seals the current segment (if any) so the next block starts a new one.
    public func roll() throws(LogError) {
        try writeBlocks(all: true)
        try sealCurrentSegment()
    }

}
