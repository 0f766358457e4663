public import MMMMetrics

/// Which events a replay wants: pushed down to skip blocks through the index.
public struct ReadFilter: Sendable, Hashable {
    /// Only events in this range.
    public var timeRange: TimeRange?
    /// Only these names (globs); empty for all.
    public var names: [String]

    /// A filter; the default selects everything.
    public init(timeRange: TimeRange? = nil, names: [String] = []) {
        self.timeRange = timeRange
        self.names = names
    }
}

/// How a replay treats damage.
public enum ReadMode: Sendable, Hashable {
    /// Any damaged block (other than a torn tail of the last, unsealed segment, which a live writer may
    /// be writing) is an error.
    case strict
    /// Damaged blocks are skipped with a warning naming the segment, the offset and the events lost.
    case lenient
}

/// Something a lenient replay skipped, or noticed.
public struct ReadWarning: Sendable, Hashable, CustomStringConvertible {
    /// The session.
    public var session: String
    /// The segment file.
    public var segment: String
    /// Byte offset in the segment.
    public var offset: Int
    /// What happened.
    public var message: String

    public var description: String { "warning: session \(session): \(segment): offset \(offset): \(message)" }
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
    public func replay(
        session: String, filter: ReadFilter = ReadFilter(), mode: ReadMode = .lenient,
        warning: (ReadWarning) -> Void = { _ in },
        _ body: (DecodedBlock) throws -> Void
    ) throws {
        let handles = try source.segments(session: session)
        guard !handles.isEmpty else { throw LogError.noSuchSession(session, root: source.location) }
        let names = NameGlobList(filter.names)
        for (position, handle) in handles.enumerated() {
            let path = handle.name
            let segment = try LoadedSegment.load(handle)
            let isLast = position == handles.count - 1
            for damage in segment.damage {
                let (offset, liveTail): (Int, Bool)
                switch damage {
                case .badRegion(let at, _, _, _): (offset, liveTail) = (at, false)
                case .tornTail(let at, _, _): (offset, liveTail) = (at, isLast && !segment.sealed)
                }
                if mode == .strict, !liveTail { throw LogError.corrupt(path: path, offset: offset, reason: "\(damage)") }
                warning(ReadWarning(session: session, segment: path, offset: offset, message: "\(damage)"))
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
                    guard BlockHeader.validate(raw, at: block.offset) != nil else {
                        let lost = block.header.eventCount
                        if mode == .strict { throw LogError.corrupt(path: path, offset: block.offset, reason: "CRC mismatch (\(lost) events)") }
                        warning(ReadWarning(session: session, segment: path, offset: block.offset, message: "CRC mismatch: \(lost) events skipped"))
                        continue
                    }
                    let decoded: DecodedBlock
                    do {
                        decoded = try BlockDecoding.decode(raw, block, path: path)
                    } catch {
                        if mode == .strict { throw error }
                        warning(ReadWarning(session: session, segment: path, offset: block.offset, message: "\(error): \(block.header.eventCount) events skipped"))
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
