public import MMMMetricsCore
public import MMMMetricsLogFormat

/// A block as ``LogReader`` hands it over: decoded, or only its summary from the index.
package enum ReplayedBlock {
    /// A decoded block; `summaryDeclined` when the index had a summary that the caller declined.
    case decoded(DecodedBlock, summaryDeclined: Bool)
    /// The block's summary and header; the block's CRC checked, its payload not decoded.
    case summarized(BlockSummary, BlockHeader)
}

/// Replays stored sessions in sequence order, checking every block's CRC as it reads it.
///
/// Readers take no lock: a session may be read while its writer appends (a block the writer has not
/// finished is not read yet).
public struct LogReader: Sendable {
    /// Where sessions are read from.
    public let source: any LogSource

    /// A reader of a log root.
    public init(root: LogRoot) { source = root }

    /// A reader of any source (a log root, an archive).
    public init(source: any LogSource) { self.source = source }

    /// Session ids, sorted.
    public func sessions() throws(LogError) -> [String] { try source.sessionIDs() }

    /// Replays one session's blocks that may hold events matching `filter`, in sequence order.
    /// `body` still has to test each event against the filter (blocks are skipped, not trimmed).
    ///
    /// Damage is never passed over in silence: in `.strict` mode any damaged block, unreadable segment
    /// or gap in the sequence numbers throws ``LogError/corrupt(path:offset:reason:)``; in `.lenient`
    /// mode each is skipped and reported through `warning`, with the events it left out when known.
    /// (A torn tail of the last, unsealed segment, which a live writer may be writing, is reported in
    /// both modes and fails neither.)
    package func replay(
        session: String, filter: ReadFilter = ReadFilter(), mode: ReadMode = .lenient,
        warning: (ReadWarning) -> Void = { _ in },
        _ body: (DecodedBlock) throws -> Void
    ) throws {
        try replay(session: session, filter: filter, mode: mode, warning: warning, acceptsSummary: nil) { block in
            if case .decoded(let decoded, _) = block { try body(decoded) }
        }
    }

    /// As ``replay(session:filter:mode:warning:_:)``, except that a block whose index summary
    /// `acceptsSummary` accepts is handed over as that summary, undecoded (its CRC is still checked,
    /// so damage is reported as for a decoded block). Blocks come in sequence order either way.
    /// Decoded blocks hold `parts` (``DecodedParts``) and the tag columns of `tagKeys` (nil: all),
    /// and their values and every tag column when `acceptsSummary` is given and the index has no
    /// summary for them (the caller may total them as a summary). `valueMetrics` names the metrics
    /// whose values the caller reads (nil: all); other metrics' values may read as 0.
    package func replay(
        session: String, filter: ReadFilter = ReadFilter(), mode: ReadMode = .lenient,
        warning: (ReadWarning) -> Void = { _ in }, parts: DecodedParts = .all, tagKeys: Set<String>? = nil,
        valueMetrics: Set<String>? = nil,
        acceptsSummary: ((BlockSummary, BlockHeader) -> Bool)?,
        _ body: (ReplayedBlock) throws -> Void
    ) throws {
        let handles = try source.segments(session: session)
        guard !handles.isEmpty else {
            // A session whose writer has not written a block yet exists and holds no events.
            if try source.sessionIDs().contains(session) { return }
            throw LogError.noSuchSession(session, root: source.location)
        }
        let compiled = CompiledReadFilter(filter)
        // Every session starts at sequence 0: a first segment that starts later lost events.
        var expectedSequence: UInt64? = 0
        func report(_ path: String, _ offset: Int, _ message: String, skipped: Int?, fatal: Bool) throws(LogError) {
            if mode == .strict, fatal { throw LogError.corrupt(path: path, offset: offset, reason: message) }
            warning(ReadWarning(session: session, segment: path, offset: offset, message: message, skippedEvents: skipped))
        }
        for (position, handle) in handles.enumerated() {
            let isLast = position == handles.count - 1
            var opened = try StoredSegment.open(handle)
            if case .salvaged(let segment, let error) = opened {
                // The blocks carry their own sequence numbers and CRCs: a damaged header costs no event.
                let reason = if case .corrupt(_, _, let reason) = error { reason } else { "\(error)" }
                try report(handle.name, 0, "segment header damaged (\(reason)); its \(segment.blocks.count) intact blocks are read", skipped: 0, fatal: true)
                opened = .loaded(segment)
            }
            switch opened {
            case .salvaged: break
            case .loaded(let segment):
                try Self.checkContinuity(segment, expected: expectedSequence, report: report)
                expectedSequence = segment.nextSequence
                try Self.reportDamage(segment, isLast: isLast, report: report)
                if let wrong = segment.sealContradiction {
                    try report(segment.path, wrong.offset, wrong.reason + " (the blocks are believed)", skipped: 0, fatal: true)
                }
                try Self.replayBlocks(
                    of: segment, filter: compiled, request: (parts, tagKeys, valueMetrics), acceptsSummary: acceptsSummary, report: report, body)
            case .headerless(let path, let size):
                // Holds no events, unless its index proves it held some: then it was cut short (in the
                // last segment, as a torn tail is: a power cut under durability none can leave that).
                if let lost = StoredSegment.eventsMissing(handle, header: nil, scan: nil, size: size) {
                    try report(path, 0, "segment cut to \(size) bytes; its index lists \(lost) events, lost", skipped: Int(clamping: lost), fatal: !isLast)
                }
                continue
            case .unreadable(let error):
                // The next segment's name says where this one's events end, when there is a next one.
                let next = isLast ? nil : StoredSegment.sequence(fromName: handles[position + 1].name)
                try Self.reportUnreadable(handle.name, error, next: next, report: report)
                expectedSequence = next
            }
        }
    }

    private typealias Report = (_ path: String, _ offset: Int, _ message: String, _ skipped: Int?, _ fatal: Bool) throws(LogError) -> Void

    private static func reportUnreadable(_ path: String, _ error: LogError, next: UInt64?, report: Report) throws(LogError) {
        let first = StoredSegment.sequence(fromName: path)
        let lost = first.flatMap { first in next.flatMap { $0 >= first ? Int(clamping: $0 - first) : nil } }
        let (offset, reason) = if case .corrupt(_, let offset, let reason) = error { (offset, reason) } else { (0, "\(error)") }
        try report(path, offset, "unreadable segment skipped (\(reason)); " + (lost.map { "\($0) events lost" } ?? "events lost unknown"), lost, true)
    }

    /// A segment must start where the previous one ended: a gap lost events, an overlap repeats them.
    private static func checkContinuity(_ segment: StoredSegment, expected: UInt64?, report: Report) throws(LogError) {
        guard let expected, segment.header.firstSequence != expected else { return }
        let first = segment.header.firstSequence
        if first > expected {
            try report(segment.path, 0, "sequence numbers \(expected)..<\(first) are missing (no segment holds them): \(first - expected) events lost",
                       Int(clamping: first - expected), true)
        } else {
            try report(segment.path, 0, "starts at sequence \(first), before the previous segment's end \(expected): the log holds overlapping segments",
                       0, true)
        }
    }

    private static func reportDamage(_ segment: StoredSegment, isLast: Bool, report: Report) throws(LogError) {
        for damage in segment.damage {
            switch damage {
            case .badRegion(let at, _, let lost, _):
                try report(segment.path, at, "\(damage)", lost.map { Int(clamping: $0) }, true)
            case .tornTail(let at, _, let lost):
                // The last segment's tail is what a crash leaves (also a power cut under durability none
                // after the seal and index were written): reported, not fatal, as the power-loss campaign
                // requires of states a power cut leaves in order.
                let live = isLast && !segment.sealed
                let note = segment.cutAfterSeal
                    ? " (its index says it was sealed: cut short by a power cut or a copy; run recover)"
                    : " (a writer may still be writing it; if none is, run recover)"
                try report(segment.path, at, "\(damage)" + (live ? note : ""), lost, !live)
            }
        }
    }

    /// Decodes each block the filter admits (checking its CRC again: the file may have changed since it was scanned).
    private static func replayBlocks(
        of segment: StoredSegment, filter: CompiledReadFilter, request: BlockPrefetch.Request,
        acceptsSummary: ((BlockSummary, BlockHeader) -> Bool)?,
        report: Report,
        _ body: (ReplayedBlock) throws -> Void
    ) throws {
        let path = segment.path
        let trusted = segment.usesIndexContents
        let admitted = segment.blocks.indices.filter { filter.admits(segment.blocks[$0].header, names: trusted ? segment.blockNames[$0] : nil) }
        // The blocks answered by their summary, and those to decode.
        let blockSummaries = trusted ? segment.blockSummaries : []
        let summaries: [BlockSummary?] = admitted.map { position in
            guard let acceptsSummary, position < blockSummaries.count, let summary = blockSummaries[position],
                acceptsSummary(summary, segment.blocks[position].header)
            else { return nil }
            return summary
        }
        let hasSummary = { (position: Int) in position < blockSummaries.count && blockSummaries[position] != nil }
        let decodedPositions = zip(admitted, summaries).compactMap { position, summary in summary == nil ? position : nil }
        let decoded = decodedPositions.map { segment.blocks[$0] }
        let decodedParts = decodedPositions.map { position -> BlockPrefetch.Request in
            acceptsSummary != nil && !hasSummary(position) ? (request.parts.union(.values), nil, nil) : request
        }
        try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws in
            // With more than one block, a second thread decodes ahead (same blocks, same order).
            let prefetch = decoded.count > 1 ? BlockPrefetch(raw: raw, blocks: decoded, parts: decodedParts, path: path) : nil
            defer { prefetch?.finish() }
            var decodedIndex = 0
            for (position, summary) in zip(admitted, summaries) {
                let block = segment.blocks[position]
                let lost = block.header.eventCount
                if let summary {
                    guard BlockHeader.validate(raw, at: block.offset) != nil else {
                        try report(path, block.offset, "CRC mismatch: \(lost) events skipped", lost, true)
                        continue
                    }
                    try body(.summarized(summary, block.header))
                    continue
                }
                defer { decodedIndex += 1 }
                switch prefetch?.take(decodedIndex) ?? BlockPrefetch.decode(raw, block, parts: decodedParts[decodedIndex], path: path) {
                case .decoded(let decoded):
                    try body(.decoded(decoded, summaryDeclined: acceptsSummary != nil && hasSummary(position)))
                case .badChecksum:
                    try report(path, block.offset, "CRC mismatch: \(lost) events skipped", lost, true)
                case .failed(let error):
                    let reason = if case .corrupt(_, _, let reason) = error { reason } else { "\(error)" }
                    try report(path, block.offset, "\(reason): \(lost) events skipped", lost, true)
                }
            }
        }
    }

    /// Every event of a session matching `filter`, in sequence order, with its sequence number.
    public func events(
        session: String, filter: ReadFilter = ReadFilter(), mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in }
    ) throws -> [(sequence: UInt64, event: MetricEvent)] {
        var result: [(UInt64, MetricEvent)] = []
        let compiled = CompiledReadFilter(filter)
        try replay(session: session, filter: filter, mode: mode, warning: warning) { block in
            for index in 0..<block.count where compiled.selects(block, index) {
                result.append((block.firstSequence + UInt64(index), block.event(at: index)))
            }
        }
        return result
    }
}
