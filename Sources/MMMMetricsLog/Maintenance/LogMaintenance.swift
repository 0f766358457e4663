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

    var root: LogRoot {
        get throws(LogError) {
            guard let root = source as? LogRoot else { throw .invalidInput("\(source.location) is read-only: recover works on a log root") }
            return root
        }
    }

    func sessionList(_ only: String?) throws(LogError) -> [String] {
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
                    if block.header.encoding == .sections { statistics.sectionedBlocks += 1 }
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
        var expectedSequence: UInt64? = 0
        for (position, handle) in handles.enumerated() {
            func report(_ offset: Int, _ message: String, _ lost: Int?, fatal: Bool = true) throws(LogError) {
                if mode == .strict, fatal { throw .corrupt(path: handle.name, offset: offset, reason: message) }
                let issue = ReadWarning(session: session, segment: handle.name, offset: offset, message: message, skippedEvents: lost)
                skipped.add(issue)
                warning(issue)
            }
            var opened = try StoredSegment.open(handle)
            if case .salvaged(let segment, let error) = opened {
                let reason = if case .corrupt(_, _, let reason) = error { reason } else { "\(error)" }
                try report(0, "segment header damaged (\(reason)); its \(segment.blocks.count) intact blocks are counted", 0)
                opened = .loaded(segment)
            }
            if case .loaded(let segment) = opened, let expected = expectedSequence, segment.header.firstSequence > expected {
                let first = segment.header.firstSequence
                try report(0, "sequence numbers \(expected)..<\(first) are missing (no segment holds them)", Int(clamping: first - expected))
            }
            switch opened {
            case .salvaged: break
            case .loaded(var segment):
                expectedSequence = segment.nextSequence
                for damage in segment.damage {
                    switch damage {
                    case .badRegion(let offset, _, let lost, _): try report(offset, "\(damage)", lost.map { Int(clamping: $0) })
                    case .tornTail(let offset, _, let lost):
                        try report(offset, "\(damage)", lost, fatal: position < handles.count - 1 || segment.sealed)
                    }
                }
                if let wrong = segment.sealContradiction {
                    try report(wrong.offset, wrong.reason + " (the blocks are believed)", 0)
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
                expectedSequence = nil
            }
        }
    }

}
