import MMMMetricsCore
public import MMMMetricsLogFormat

/// Listing, checking and repairing stored sessions.
public struct LogMaintenance: Sendable {
    /// Where sessions are read from.
    public let source: any LogSource

    /// Maintenance of a log root.
    public init(root: LogRoot) { source = root }

    /// Listing, statistics and verification of any source (recovery needs a log root).
    public init(source: any LogSource) { self.source = source }

    private var root: LogRoot {
        get throws(LogError) {
            guard let root = source as? LogRoot else { throw .invalidInput("\(source.location) is read-only: recover works on a log root") }
            return root
        }
    }

    private func sessionList(_ only: String?) throws(LogError) -> [String] {
        if let only {
            guard try !source.segments(session: only).isEmpty else { throw .noSuchSession(only, root: source.location) }
            return [only]
        }
        return try source.sessionIDs()
    }

    /// A summary of each session (or of one). Damaged segments and blocks are not counted: in
    /// `.strict` mode they fail the listing, in `.lenient` mode each is reported through `warning`
    /// and counted in the list's `skipped`.
    public func summaries(
        session only: String? = nil, mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in }
    ) throws(LogError) -> SessionList {
        var list = SessionList(sessions: [], skipped: SkippedData())
        for session in try sessionList(only) {
            var summary = SessionSummary(session: session, events: 0, segments: 0, bytes: 0, lastSegmentSealed: false)
            try forEachSegment(session, mode: mode, skipped: &list.skipped, warning: warning) { handle, segment in
                summary.segments += 1
                summary.bytes += (segment?.bytes.count ?? 0) + (handle.indexBytes()?.count ?? 0)
                guard let segment else { return }
                for block in segment.blocks {
                    summary.events += block.header.eventCount
                    summary.firstTimestamp = min(summary.firstTimestamp ?? .max, block.header.minTimestamp)
                    summary.lastTimestamp = max(summary.lastTimestamp ?? .min, block.header.maxTimestamp)
                }
                summary.lastSegmentSealed = segment.sealed
            }
            list.sessions.append(summary)
        }
        return list
    }

    /// Size figures over every session (or one); damage is handled as in ``summaries(session:mode:warning:)``.
    public func statistics(
        session only: String? = nil, mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in }
    ) throws(LogError) -> LogStatistics {
        var statistics = LogStatistics()
        for session in try sessionList(only) {
            statistics.sessions += 1
            try forEachSegment(session, mode: mode, skipped: &statistics.skipped, warning: warning) { handle, segment in
                statistics.segments += 1
                statistics.indexBytes += handle.indexBytes()?.count ?? 0
                guard let segment else { return }
                statistics.segmentBytes += segment.bytes.count
                for block in segment.blocks {
                    statistics.blocks += 1
                    statistics.events += block.header.eventCount
                    statistics.storedPayloadBytes += block.header.storedLength
                    statistics.decodedPayloadBytes += block.header.decodedLength
                    if block.header.encoding == .raw { statistics.rawBlocks += 1 }
                }
            }
        }
        return statistics
    }

    /// Calls `body` for each segment of a session (`nil` for a headerless one, which holds no
    /// events), reporting damage and unreadable segments per `mode`.
    private func forEachSegment(
        _ session: String, mode: ReadMode, skipped: inout SkippedData, warning: (ReadWarning) -> Void,
        _ body: (SegmentHandle, StoredSegment?) -> Void
    ) throws(LogError) {
        let handles = try source.segments(session: session)
        for (position, handle) in handles.enumerated() {
            func report(_ offset: Int, _ message: String, _ lost: Int?, fatal: Bool = true) throws(LogError) {
                if mode == .strict, fatal { throw .corrupt(path: handle.name, offset: offset, reason: message) }
                let issue = ReadWarning(session: session, segment: handle.name, offset: offset, message: message, skippedEvents: lost)
                skipped.add(issue)
                warning(issue)
            }
            switch try StoredSegment.open(handle) {
            case .loaded(var segment):
                for damage in segment.damage {
                    switch damage {
                    case .badRegion(let offset, _, let lost, _): try report(offset, "\(damage)", lost.map { Int(clamping: $0) })
                    case .tornTail(let offset, _, let lost):
                        try report(offset, "\(damage)", lost, fatal: position < handles.count - 1 || segment.sealed)
                    }
                }
                // An index lists blocks without checking them: every block's CRC is checked here, so a
                // listing never counts events that cannot be read.
                let damaged = segment.bytes.withUnsafeBytes { raw in
                    segment.blocks.filter { BlockHeader.validate(raw, at: $0.offset) == nil }
                }
                for block in damaged {
                    try report(block.offset, "CRC mismatch: \(block.header.eventCount) events not counted", block.header.eventCount)
                }
                segment.blocks.removeAll { block in damaged.contains { $0.offset == block.offset } }
                body(handle, segment)
            case .headerless:
                body(handle, nil)
            case .unreadable(let error):
                let (offset, reason) = if case .corrupt(_, let offset, let reason) = error { (offset, reason) } else { (0, "\(error)") }
                try report(offset, "unreadable segment not counted (\(reason))", nil)
            }
        }
    }

    /// Checks every segment header, block CRC, block payload, seal, sequence continuity and index.
    /// Returns one problem per finding; empty means all is well.
    public func verify(session only: String? = nil) throws(LogError) -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        for session in try sessionList(only) {
            let handles = try source.segments(session: session)
            var expectedSequence: UInt64?
            for (position, handle) in handles.enumerated() {
                let path = handle.name
                let file = String(path.split(separator: "/").last ?? "")
                func problem(_ offset: Int?, _ message: String) {
                    problems.append(VerifyProblem(session: session, file: file, offset: offset, message: message))
                }
                let segment: StoredSegment
                switch try StoredSegment.open(handle, fullScan: true) {
                case .loaded(let loaded):
                    segment = loaded
                case .headerless(_, let size):
                    problem(0, "an empty segment (\(size) bytes, no complete header: a writer stopped before writing it); it holds no events and recover removes it")
                    continue
                case .unreadable(let error):
                    if case .corrupt(_, let offset, let reason) = error { problem(offset, reason) } else { problem(nil, "\(error)") }
                    expectedSequence = nil
                    continue
                }
                if segment.header.sessionID != session {
                    problem(34, "segment header names session \(segment.header.sessionID.debugDescription)")
                }
                if let expected = expectedSequence, segment.header.firstSequence != expected {
                    problem(0, "starts at sequence \(segment.header.firstSequence), the previous segment ended at \(expected)")
                }
                for damage in segment.damage {
                    switch damage {
                    case .badRegion(let offset, _, _, _): problem(offset, "\(damage)")
                    case .tornTail(let offset, _, _): problem(offset, "\(damage)")
                    }
                }
                var sequence = segment.header.firstSequence
                for block in segment.blocks {
                    if block.header.firstSequence != sequence, segment.damage.isEmpty {
                        problem(block.offset, "block starts at sequence \(block.header.firstSequence), expected \(sequence)")
                    }
                    sequence = block.header.firstSequence + UInt64(block.header.eventCount)
                    do {
                        let decoded = try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
                            try BlockDecoding.decode(raw, block, path: path)
                        }
                        do { _ = try decoded.allCustomData() } catch {
                            problem(block.offset, "custom event data is not valid JSON: \(error)")
                        }
                        if let low = decoded.timestamps.min(), let high = decoded.timestamps.max(),
                            low != block.header.minTimestamp || high != block.header.maxTimestamp
                        {
                            problem(block.offset, "block header time range disagrees with its events")
                        }
                    } catch {
                        if case .corrupt(_, _, let reason) = error { problem(block.offset, reason) } else { problem(block.offset, "\(error)") }
                    }
                }
                if position < handles.count - 1, !segment.sealed {
                    problem(nil, "not sealed, but later segments exist")
                }
                // With a bad block in the segment, the index is expected to disagree: the damage line says why.
                let hasBadRegion = segment.damage.contains { if case .badRegion = $0 { true } else { false } }
                if case .valid = segment.indexState {} else if !hasBadRegion {
                    problem(nil, "index \(segment.indexState)")
                }
                expectedSequence = segment.nextSequence
            }
        }
        return problems
    }

    /// Truncates a torn tail of each session's last segment and rebuilds missing, stale or corrupt
    /// indexes. Never deletes anything before damage; sessions whose writer holds the lock are left alone.
    public func recover(session only: String? = nil, durability: LogDurability = .onFlush) throws(LogError) -> [RecoveryAction] {
        var results: [RecoveryAction] = []
        let root = try self.root
        for session in try sessionList(only) {
            var action = RecoveryAction(session: session, actions: [])
            let lockPath = root.sessionPath(session) + "/LOCK"
            let lock = try OpenFile(path: lockPath, mode: .readWriteCreate)
            guard try lock.tryLock() else {
                action.actions.append("skipped: a writer holds \(lockPath)")
                results.append(action)
                continue
            }
            defer { lock.close() }
            let handles = try root.segments(session: session)
            for (position, handle) in handles.enumerated() {
                let path = handle.name
                let file = String(path.split(separator: "/").last ?? "")
                var segment: StoredSegment
                switch try StoredSegment.open(handle, fullScan: true) {
                case .loaded(let loaded):
                    segment = loaded
                case .headerless(_, let size):
                    // It holds no events (no header, no valid block): removing it loses nothing and lets the
                    // writer create the segment again.
                    try FileSystem.removeFile(path)
                    FileSystem.remove(LogRoot.indexPath(forSegment: path))
                    if durability != .none { FileSystem.syncDirectory(FileSystem.parent(of: path)) }
                    action.actions.append("\(file): removed an empty segment (\(size) bytes, no complete header, no events)")
                    continue
                case .unreadable(let error):
                    action.actions.append("\(file): left as is (its events cannot be placed): \(error)")
                    continue
                }
                for damage in segment.damage {
                    switch damage {
                    case .tornTail(let offset, let bytes, let events) where position == handles.count - 1 || segment.sealed:
                        let handle = try OpenFile(path: path, mode: .write)
                        try handle.truncate(to: offset)
                        if durability != .none { try handle.sync() }
                        action.actions.append("\(file): truncated a torn tail of \(bytes) bytes at offset \(offset)"
                            + (events.map { " (\($0) events)" } ?? ""))
                        segment = try StoredSegment.load(path, fullScan: true)
                    default:
                        action.actions.append("\(file): kept damage (nothing after it is deleted): \(damage)")
                    }
                }
                if case .valid = segment.indexState { continue }
                let index = try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
                    BlockDecoding.buildIndex(raw, try SegmentScan.scan(raw, path: path), path: path)
                }
                try FileSystem.writeAtomically(LogRoot.indexPath(forSegment: path), index.encoded(), sync: durability != .none)
                action.actions.append("\(file): rebuilt the index (was \(segment.indexState))")
            }
            results.append(action)
        }
        return results
    }
}
