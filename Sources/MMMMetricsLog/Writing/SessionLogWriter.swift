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
    public private(set) var recovery: RecoveryReport?
    /// The sequence number the next written event gets: events get their numbers when their
    /// block is written, so discarding buffered events never leaves a gap.
    public private(set) var writtenSequence: UInt64

    /// The sequence number the next appended event will get (if nothing buffered is discarded).
    public var nextSequence: UInt64 { writtenSequence + UInt64(pending.count) }

    private let directory: String
    /// Whether opening this writer made the session's directory (undone by a rollback).
    private let createdDirectory: Bool
    private let lock: OpenFile
    private let compressor: ZstdCompressor
    private var pending: [MetricEvent] = []
    /// Each pending event's size as ``EventLimits`` measured it, and their sum: a block is due when
    /// either the count or the bytes reach the block's limit.
    private var pendingSizes: [Int] = []
    private var pendingBytes = 0
    private var segment: OpenSegment?
    private var closed = false

    /// The segment being appended to, with what its index needs.
    private final class OpenSegment {
        let file: OpenFile
        let header: SegmentHeader
        let createdAt: ContinuousClock.Instant
        var size: Int
        package var blocks: [BlockLocation]
        var blockNames: [[String]]
        var needsRepair = false

        init(file: OpenFile, header: SegmentHeader, size: Int, blocks: [BlockLocation], blockNames: [[String]]) {
            self.file = file
            self.header = header
            self.size = size
            self.blocks = blocks
            self.blockNames = blockNames
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
        try FileSystem.makeDirectories(directory)
        let lockPath = directory + "/LOCK"
        do throws(LogError) {
            lock = try OpenFile(path: lockPath, mode: .readWriteCreate)
            guard try lock.tryLock() else {
                let holder = (try? FileSystem.readFile(lockPath)).flatMap { Int32(String(decoding: $0, as: UTF8.self).trimmingCharacters()) }
                throw LogError.locked(session: session, path: lockPath, holderPID: holder)
            }
            try lock.truncate(to: 0)
            try lock.seek(to: 0)
            try lock.write(Array("\(FileSystem.processID)\n".utf8))
        } catch {
            // When another writer holds the lock, the directory (and its LOCK) are that writer's.
            if case .locked = error {} else { undoDirectory() }
            throw error
        }
        compressor = ZstdCompressor(level: options.compressionLevel)
        writtenSequence = 0
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
            if let segment { try? writeIndex(segment, sealed: false) }
        }
    }

    /// Examines the last segment: removes it when it holds no header (a crash right after creating
    /// it), cuts a torn tail, keeps appending to it when unsealed.
    private func openLastSegment() throws(LogError) {
        var paths = try root.segmentPaths(session: session)
        var removed: [String] = []
        var found: (path: String, bytes: [UInt8])?
        while let last = paths.last {
            let bytes = try FileSystem.readFile(last)
            let headerless = bytes.withUnsafeBytes { SegmentScan.isHeaderless($0) }
            guard headerless else {
                found = (last, bytes)
                break
            }
            // No header and no block: it holds no events, and the file name is needed again.
            try FileSystem.removeFile(last)
            FileSystem.remove(LogRoot.indexPath(forSegment: last))
            if options.durability != .none { FileSystem.syncDirectory(directory) }
            removed.append(last)
            paths.removeLast()
        }
        guard let (last, bytes) = found else {
            if let path = removed.first {
                recovery = RecoveryReport(segmentPath: path, truncatedBytes: 0, droppedEvents: nil, damageKept: [], removedEmptySegments: removed)
            }
            return
        }
        let scanned: (SegmentScan, SegmentIndex?) = try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
            let scan = try SegmentScan.scan(raw, path: last)
            guard scan.header.sessionID == session else {
                throw LogError.corrupt(path: last, offset: 34, reason: "the segment belongs to session \(scan.header.sessionID.debugDescription), not \(session.debugDescription)")
            }
            if let named = StoredSegment.sequence(fromName: last), named != scan.header.firstSequence {
                throw LogError.corrupt(path: last, offset: 16, reason: "the file name says the segment starts at sequence \(named), its header says \(scan.header.firstSequence)")
            }
            guard !scan.isSealed else { return (scan, nil) }
            return (scan, BlockDecoding.buildIndex(raw, scan, path: last))
        }
        let scan = scanned.0
        var report = RecoveryReport(segmentPath: last, truncatedBytes: 0, droppedEvents: nil, damageKept: [], removedEmptySegments: removed)
        for damage in scan.damage {
            if case .tornTail(_, let count, let events) = damage {
                report.truncatedBytes = count
                report.droppedEvents = events
            } else {
                report.damageKept.append(damage)
            }
        }
        if let seal = scan.seal {
            writtenSequence = max(seal.nextSequence, scan.nextSequence)
            if report.truncatedBytes > 0 {
                // Bytes after a seal: cut them so the segment ends with its seal.
                let file = try OpenFile(path: last, mode: .write)
                try file.truncate(to: scan.validEnd)
                if options.durability != .none { try file.sync() }
            }
        } else {
            let file = try OpenFile(path: last, mode: .append)
            if report.truncatedBytes > 0 {
                try file.truncate(to: scan.validEnd)
                if options.durability != .none { try file.sync() }
            }
            let index = scanned.1!
            segment = OpenSegment(
                file: file, header: scan.header, size: scan.validEnd, blocks: scan.blocks,
                blockNames: index.entries.map { $0.names.map { index.names[$0] } })
            writtenSequence = scan.nextSequence
        }
        if report.truncatedBytes > 0 || !report.damageKept.isEmpty || !removed.isEmpty { recovery = report }
    }

    /// Events buffered and not yet written.
    public var pendingCount: Int { pending.count }

    /// Buffers an event; writes a block when a block's worth (events or bytes) is buffered. When that
    /// write fails the event stays buffered. An event over ``EventLimits`` is refused and not buffered.
    public func append(_ event: MetricEvent) throws(LogError) {
        guard !closed else { throw .invalidInput("the writer for session \(session) is closed") }
        let size = try Self.measure(event)
        pending.append(event)
        pendingSizes.append(size)
        pendingBytes += size
        if blockIsDue { try writeBlocks(all: false) }
    }

    /// Checks every event against ``EventLimits`` (refusing the whole batch, with nothing buffered,
    /// when one fails), buffers them in order, then writes every full block. When a write fails,
    /// every event stays buffered.
    public func append(contentsOf events: some Sequence<MetricEvent>) throws(LogError) {
        guard !closed else { throw .invalidInput("the writer for session \(session) is closed") }
        var batch: [MetricEvent] = []
        var sizes: [Int] = []
        for event in events {
            sizes.append(try Self.measure(event))
            batch.append(event)
        }
        pending.append(contentsOf: batch)
        pendingSizes.append(contentsOf: sizes)
        pendingBytes += sizes.reduce(0, +)
        try writeBlocks(all: false)
    }

    /// An upper bound of the bytes an event adds to a block payload; throws when it is over the limits.
    private static func measure(_ event: MetricEvent) throws(LogError) -> Int {
        try EventLimits.check(event)
        var size = event.name.utf8.count + BlockPayload.columnBytesPerEvent + 5
        for tag in event.tags { size += tag.key.utf8.count + tag.value.utf8.count + 10 + BlockPayload.tagColumnBytesPerEvent }
        if case .custom(let data) = event.value { size += JSONText.encodedLength(data) + 10 }
        return size
    }

    private var blockIsDue: Bool { pending.count >= options.blockMaxEvents || pendingBytes >= options.blockMaxBytes }

    /// Drops up to `count` of the oldest buffered events (after writes failed and the caller gave up
    /// on them); returns how many were dropped. Sequence numbers stay contiguous.
    @discardableResult
    public func discardOldest(_ count: Int) -> Int {
        let dropped = min(count, pending.count)
        removePending(dropped)
        return dropped
    }

    private func removePending(_ count: Int) {
        pendingBytes -= pendingSizes[0..<count].reduce(0, +)
        pending.removeFirst(count)
        pendingSizes.removeFirst(count)
    }

    /// Writes buffered events as a block, fsyncs under `.onFlush`/`.everyBlock`, and rewrites the
    /// segment's index. Returns once everything appended so far is written.
    public func flush() throws(LogError) {
        try writeBlocks(all: true)
        guard let segment else { return }
        if options.durability != .none { try segment.file.sync() }
        try writeIndex(segment, sealed: false)
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
    }

    /// The state of the session's files, to return to when a batch of appends must be undone.
    struct Checkpoint {
        let segmentFiles: Set<String>
        let openSegment: (path: String, size: Int, index: [UInt8]?)?
    }

    /// Where the session's files stand now (everything appended so far written).
    func checkpoint() throws(LogError) -> Checkpoint {
        let files = Set(try root.segmentPaths(session: session))
        let open = segment.map { ($0.file.path, $0.size, try? FileSystem.readFile(LogRoot.indexPath(forSegment: $0.file.path))) }
        return Checkpoint(segmentFiles: files, openSegment: open)
    }

    /// Undoes everything written since `checkpoint` (new segments removed, the segment that was open
    /// cut back and its index restored; a directory this writer made removed), then releases the
    /// lock. The writer is closed afterwards. Best effort: a file that cannot be restored is left
    /// for `recover`, which never loses a readable event.
    func rollBack(to checkpoint: Checkpoint) {
        closed = true
        removePending(pending.count)
        segment?.file.close()
        segment = nil
        let current = (try? root.segmentPaths(session: session)) ?? []
        for path in current where !checkpoint.segmentFiles.contains(path) {
            FileSystem.remove(path)
            FileSystem.remove(LogRoot.indexPath(forSegment: path))
        }
        if let open = checkpoint.openSegment, let file = try? OpenFile(path: open.path, mode: .write) {
            try? file.truncate(to: open.size)
            if options.durability != .none { try? file.sync() }
            let indexPath = LogRoot.indexPath(forSegment: open.path)
            if let index = open.index { try? FileSystem.writeAtomically(indexPath, index, sync: options.durability != .none) } else { FileSystem.remove(indexPath) }
        }
        if createdDirectory, ((try? root.segmentPaths(session: session)) ?? []).isEmpty {
            for name in (try? FileSystem.listDirectory(directory)) ?? [] { FileSystem.remove(directory + "/" + name) }
            FileSystem.removeDirectory(directory)
        }
        lock.close()
    }

    /// Closes files and the lock without writing anything more.
    func abandon() {
        closed = true
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

    private func sealCurrentSegment() throws(LogError) {
        guard let current = segment else { return }
        try repairIfNeeded(current)
        let events = current.blocks.reduce(UInt64(0)) { $0 + UInt64($1.header.eventCount) }
        let seal = SealRecord(
            blockCount: current.blocks.count, eventCount: events, nextSequence: writtenSequence,
            minTimestamp: current.blocks.map(\.header.minTimestamp).min() ?? 0,
            maxTimestamp: current.blocks.map(\.header.maxTimestamp).max() ?? 0)
        let bytes = seal.encoded()
        do {
            try current.file.write(bytes)
        } catch {
            current.needsRepair = true
            throw error
        }
        current.size += bytes.count
        if options.durability != .none { try current.file.sync() }
        try writeIndex(current, sealed: true)
        current.file.close()
        segment = nil
    }

    private func writeIndex(_ current: OpenSegment, sealed: Bool) throws(LogError) {
        var scan = SegmentScan(header: current.header, blocks: current.blocks, seal: nil, damage: [], validEnd: current.size, fileSize: current.size)
        if sealed { scan.seal = SealRecord(blockCount: 0, eventCount: 0, nextSequence: 0, minTimestamp: 0, maxTimestamp: 0) }
        let index = SegmentIndex(scan: scan, blockNames: current.blockNames)
        try FileSystem.writeAtomically(LogRoot.indexPath(forSegment: current.file.path), index.encoded(), sync: options.durability != .none)
    }

    /// Cuts a segment back to its last good size after a failed write.
    private func repairIfNeeded(_ current: OpenSegment) throws(LogError) {
        guard current.needsRepair else { return }
        try current.file.truncate(to: current.size)
        current.needsRepair = false
    }

    private func startSegment(firstSequence: UInt64) throws(LogError) -> OpenSegment {
        let path = directory + "/" + LogRoot.segmentFileName(firstSequence: firstSequence)
        let header = SegmentHeader(sessionID: session, firstSequence: firstSequence, createdNanoseconds: MetricTimestamp.now().nanosecondsSinceEpoch)
        let bytes = header.encoded()
        let file = try OpenFile(path: path, mode: .createNew)
        do {
            try file.write(bytes)
            if options.durability != .none {
                try file.sync()
                FileSystem.syncDirectory(directory)
            }
        } catch {
            file.close()
            FileSystem.remove(path)
            throw error
        }
        var stored = header
        stored.crc = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).littleEndian }
        stored.size = bytes.count
        return OpenSegment(file: file, header: stored, size: bytes.count, blocks: [], blockNames: [])
    }

    /// Writes buffered events in blocks of at most `blockMaxEvents` events and `blockMaxBytes` bytes:
    /// only full blocks unless `all`.
    private func writeBlocks(all: Bool) throws(LogError) {
        while blockIsDue || (all && !pending.isEmpty) {
            let count = try writeBlock(pending[0..<min(pending.count, options.blockMaxEvents)])
            removePending(count)
            writtenSequence += UInt64(count)
        }
    }

    /// Writes a block of a prefix of `candidates` (as many as fit the byte limit); returns how many.
    private func writeBlock(_ candidates: ArraySlice<MetricEvent>) throws(LogError) -> Int {
        let encoded = BlockPayload.encodeBlock(candidates, byteBudget: options.blockMaxBytes)
        let events = candidates.prefix(encoded.count)
        let payload = encoded.bytes
        let compressed: [UInt8]
        do {
            compressed = try payload.withBytes { (raw: UnsafeRawBufferPointer) throws(ZstdFailure) in try compressor.compress(raw) }
        } catch {
            throw .invalidInput("\(error)")
        }
        let useRaw = compressed.count >= payload.count
        let minimum = encoded.minTimestamp
        let maximum = encoded.maxTimestamp
        let names = encoded.metricNames
        let header = BlockHeader(
            encoding: useRaw ? .raw : .zstd, storedLength: useRaw ? payload.count : compressed.count, decodedLength: payload.count,
            eventCount: events.count, firstSequence: writtenSequence, minTimestamp: minimum, maxTimestamp: maximum)
        let framed = header.frame(payload: useRaw ? payload : compressed)

        if let current = segment {
            let tooBig = current.size + framed.count > options.segmentMaxBytes && !current.blocks.isEmpty
            let tooOld = ContinuousClock.now - current.createdAt > options.segmentMaxAge && !current.blocks.isEmpty
            if tooBig || tooOld { try sealCurrentSegment() }
        }
        let current: OpenSegment
        if let existing = segment { current = existing } else { current = try startSegment(firstSequence: writtenSequence) }
        segment = current
        try repairIfNeeded(current)
        do {
            try current.file.write(framed)
        } catch {
            // Cut back whatever part of the block reached the file, now if possible, else before the next write.
            current.needsRepair = true
            try? repairIfNeeded(current)
            throw error
        }
        current.blocks.append(BlockLocation(offset: current.size, header: header))
        current.blockNames.append(names)
        current.size += framed.count
        if options.durability == .everyBlock { try current.file.sync() }
        return events.count
    }
}

extension String {
    func trimmingCharacters() -> String {
        String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
