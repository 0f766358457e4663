public import MMMMetricsCore
public import MMMMetricsLogFormat

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
        let handles = try source.segments(session: session)
        guard !handles.isEmpty else { throw LogError.noSuchSession(session, root: source.location) }
        let names = NameGlobList(filter.names)
        var expectedSequence: UInt64?
        func report(_ path: String, _ offset: Int, _ message: String, skipped: Int?, fatal: Bool = true) throws {
            if mode == .strict, fatal { throw LogError.corrupt(path: path, offset: offset, reason: message) }
            warning(ReadWarning(session: session, segment: path, offset: offset, message: message, skippedEvents: skipped))
        }
        for (position, handle) in handles.enumerated() {
            let path = handle.name
            let isLast = position == handles.count - 1
            let segment: StoredSegment
            switch try StoredSegment.open(handle) {
            case .loaded(let loaded):
                segment = loaded
            case .headerless:
                continue  // holds no events
            case .unreadable(let error):
                // The next segment's name says where this one's events end, when there is a next one.
                let first = StoredSegment.sequence(fromName: path)
                let next = isLast ? nil : StoredSegment.sequence(fromName: handles[position + 1].name)
                let lost = first.flatMap { first in next.flatMap { $0 >= first ? Int(clamping: $0 - first) : nil } }
                let (offset, reason) = if case .corrupt(_, let offset, let reason) = error { (offset, reason) } else { (0, "\(error)") }
                try report(path, offset, "unreadable segment skipped (\(reason)); " + (lost.map { "\($0) events lost" } ?? "events lost unknown"),
                           skipped: lost)
                expectedSequence = next
                continue
            }
            if let expected = expectedSequence, segment.header.firstSequence != expected {
                let first = segment.header.firstSequence
                if first > expected {
                    try report(path, 0, "sequence numbers \(expected)..<\(first) are missing (no segment holds them): \(first - expected) events lost",
                               skipped: Int(clamping: first - expected))
                } else {
                    try report(path, 0, "starts at sequence \(first), before the previous segment's end \(expected): the log holds overlapping segments",
                               skipped: 0)
                }
            }
            expectedSequence = segment.nextSequence
            for damage in segment.damage {
                switch damage {
                case .badRegion(let at, _, let lost, _):
                    try report(path, at, "\(damage)", skipped: lost.map { Int(clamping: $0) })
                case .tornTail(let at, _, let lost):
                    let live = isLast && !segment.sealed
                    try report(path, at, "\(damage)" + (live ? " (a writer may still be writing it; if none is, run recover)" : ""),
                               skipped: lost, fatal: !live)
                }
            }
            try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws in
                for (index, block) in segment.blocks.enumerated() {
                    if let range = filter.timeRange,
                        !range.overlaps(low: MetricTimestamp(nanosecondsSinceEpoch: block.header.minTimestamp),
                                        high: MetricTimestamp(nanosecondsSinceEpoch: block.header.maxTimestamp))
                    {
                        continue
                    }
                    if !names.isEmpty, let blockNames = segment.blockNames[index], !blockNames.contains(where: names.matches) {
                        continue
                    }
                    let lost = block.header.eventCount
                    guard BlockHeader.validate(raw, at: block.offset) != nil else {
                        try report(path, block.offset, "CRC mismatch: \(lost) events skipped", skipped: lost)
                        continue
                    }
                    let decoded: DecodedBlock
                    do {
                        decoded = try BlockDecoding.decode(raw, block, path: path)
                    } catch let error as LogError {
                        let reason = if case .corrupt(_, _, let reason) = error { reason } else { "\(error)" }
                        try report(path, block.offset, "\(reason): \(lost) events skipped", skipped: lost)
                        continue
                    }
                    try body(decoded)
                }
            }
        }
    }

    /// Every event of a session matching `filter`, in sequence order, with its sequence number.
    public func events(
        session: String, filter: ReadFilter = ReadFilter(), mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in }
    ) throws -> [(sequence: UInt64, event: MetricEvent)] {
        var result: [(UInt64, MetricEvent)] = []
        let names = NameGlobList(filter.names)
        try replay(session: session, filter: filter, mode: mode, warning: warning) { block in
            for index in 0..<block.count {
                if !names.isEmpty, !names.matches(block.name(at: index)) { continue }
                if let range = filter.timeRange, !range.contains(MetricTimestamp(nanosecondsSinceEpoch: block.timestamps[index])) { continue }
                result.append((block.firstSequence + UInt64(index), block.event(at: index)))
            }
        }
        return result
    }
}
