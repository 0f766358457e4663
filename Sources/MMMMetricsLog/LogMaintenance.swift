public import MMMMetrics
#if canImport(Glibc)
import Glibc
#endif

/// One session's shape on disk, as `mmm-analyze sessions` lists it.
///
/// JSON: `{"session", "first_ts", "last_ts" (RFC 3339 or null), "events", "segments", "bytes", "sealed"}`.
public struct SessionSummary: Sendable, Hashable, Codable {
    /// The session id.
    public var session: String
    /// The earliest event timestamp (ns), or `nil` without events.
    public var firstTimestamp: Int64?
    /// The latest event timestamp (ns).
    public var lastTimestamp: Int64?
    /// Events in valid blocks.
    public var events: Int
    /// Segment files.
    public var segments: Int
    /// Bytes on disk (segments and indexes).
    public var bytes: Int
    /// Whether the last segment ends with a seal (its writer closed it).
    public var lastSegmentSealed: Bool

    enum CodingKeys: String, CodingKey {
        case session, events, segments, bytes
        case firstTimestamp = "first_ts"
        case lastTimestamp = "last_ts"
        case lastSegmentSealed = "sealed"
    }

    /// A summary.
    public init(session: String, firstTimestamp: Int64? = nil, lastTimestamp: Int64? = nil, events: Int, segments: Int, bytes: Int,
                lastSegmentSealed: Bool) {
        self.session = session
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.events = events
        self.segments = segments
        self.bytes = bytes
        self.lastSegmentSealed = lastSegmentSealed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session, forKey: .session)
        try container.encode(firstTimestamp.map { RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: $0)) }, forKey: .firstTimestamp)
        try container.encode(lastTimestamp.map { RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: $0)) }, forKey: .lastTimestamp)
        try container.encode(events, forKey: .events)
        try container.encode(segments, forKey: .segments)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(lastSegmentSealed, forKey: .lastSegmentSealed)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> Int64? {
            guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let time = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an RFC 3339 timestamp: \(text)")
            }
            return time.nanosecondsSinceEpoch
        }
        self.init(
            session: try container.decode(String.self, forKey: .session), firstTimestamp: try time(.firstTimestamp),
            lastTimestamp: try time(.lastTimestamp), events: try container.decode(Int.self, forKey: .events),
            segments: try container.decode(Int.self, forKey: .segments), bytes: try container.decode(Int.self, forKey: .bytes),
            lastSegmentSealed: try container.decode(Bool.self, forKey: .lastSegmentSealed))
    }
}

/// The sessions of a source, as `mmm-analyze sessions` prints them; JSON `{"sessions": [...],
/// "skipped_events": N, "skipped_places": N}`.
public struct SessionList: TabularOutput, Sendable, Hashable {
    /// One summary per session, by id.
    public var sessions: [SessionSummary]
    /// Damaged places the listing could not count.
    public var skipped: SkippedData

    public var columns: [String] { ["session", "first_ts", "last_ts", "events", "segments", "bytes", "sealed"] }

    public var rows: [[String]] {
        func time(_ value: Int64?) -> String { value.map { RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: $0)) } ?? "-" }
        return sessions.map {
            [$0.session, time($0.firstTimestamp), time($0.lastTimestamp), "\($0.events)", "\($0.segments)", "\($0.bytes)",
             $0.lastSegmentSealed ? "yes" : "no"]
        }
    }

    public var textTable: String {
        TextTable.render(["SESSION", "FIRST", "LAST", "EVENTS", "SEGMENTS", "BYTES", "SEALED"], rows)
    }

    enum CodingKeys: String, CodingKey {
        case sessions
        case skippedEvents = "skipped_events"
        case skippedPlaces = "skipped_places"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessions, forKey: .sessions)
        try container.encode(skipped.events, forKey: .skippedEvents)
        try container.encode(skipped.places, forKey: .skippedPlaces)
    }
}

/// Size figures of stored sessions, as `mmm-analyze stats` prints them. JSON keys: `sessions`,
/// `segments`, `blocks`, `raw_blocks`, `events`, `segment_bytes`, `index_bytes`,
/// `stored_payload_bytes`, `decoded_payload_bytes`, `bytes_per_event`, `compression_ratio`,
/// `skipped_events`, `skipped_places`.
public struct LogStatistics: TabularOutput, Sendable, Hashable {
    /// Sessions counted.
    public var sessions = 0
    /// Segment files.
    public var segments = 0
    /// Valid blocks.
    public var blocks = 0
    /// Events in valid blocks.
    public var events = 0
    /// Segment bytes on disk.
    public var segmentBytes = 0
    /// Index bytes on disk.
    public var indexBytes = 0
    /// Block payload bytes as stored (compressed).
    public var storedPayloadBytes = 0
    /// Block payload bytes once decompressed (the binary encoding).
    public var decodedPayloadBytes = 0
    /// Blocks stored raw because compression did not pay.
    public var rawBlocks = 0
    /// Damaged places whose blocks are not counted.
    public var skipped = SkippedData()

    /// No sessions counted yet.
    public init() {}

    /// Segment bytes per event.
    public var bytesPerEvent: Double { events == 0 ? 0 : Double(segmentBytes) / Double(events) }
    /// Decoded payload bytes over stored payload bytes.
    public var compressionRatio: Double { storedPayloadBytes == 0 ? 0 : Double(decodedPayloadBytes) / Double(storedPayloadBytes) }

    enum CodingKeys: String, CodingKey {
        case sessions, segments, blocks, events
        case rawBlocks = "raw_blocks"
        case segmentBytes = "segment_bytes"
        case indexBytes = "index_bytes"
        case storedPayloadBytes = "stored_payload_bytes"
        case decodedPayloadBytes = "decoded_payload_bytes"
        case bytesPerEvent = "bytes_per_event"
        case compressionRatio = "compression_ratio"
        case skippedEvents = "skipped_events"
        case skippedPlaces = "skipped_places"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessions, forKey: .sessions)
        try container.encode(segments, forKey: .segments)
        try container.encode(blocks, forKey: .blocks)
        try container.encode(rawBlocks, forKey: .rawBlocks)
        try container.encode(events, forKey: .events)
        try container.encode(segmentBytes, forKey: .segmentBytes)
        try container.encode(indexBytes, forKey: .indexBytes)
        try container.encode(storedPayloadBytes, forKey: .storedPayloadBytes)
        try container.encode(decodedPayloadBytes, forKey: .decodedPayloadBytes)
        try container.encode(bytesPerEvent, forKey: .bytesPerEvent)
        try container.encode(compressionRatio, forKey: .compressionRatio)
        try container.encode(skipped.events, forKey: .skippedEvents)
        try container.encode(skipped.places, forKey: .skippedPlaces)
    }

    public var columns: [String] { ["figure", "value"] }

    public var rows: [[String]] {
        [["sessions", "\(sessions)"], ["segments", "\(segments)"], ["blocks", "\(blocks)"], ["raw_blocks", "\(rawBlocks)"],
         ["events", "\(events)"], ["segment_bytes", "\(segmentBytes)"], ["index_bytes", "\(indexBytes)"],
         ["stored_payload_bytes", "\(storedPayloadBytes)"], ["decoded_payload_bytes", "\(decodedPayloadBytes)"],
         ["bytes_per_event", "\(bytesPerEvent)"], ["compression_ratio", "\(compressionRatio)"],
         ["skipped_events", "\(skipped.events)"], ["skipped_places", "\(skipped.places)"]]
    }

    /// The figures as a person reads them.
    public var textTable: String {
        func decimals(_ value: Double) -> String {
            let scaled = (value * 100).rounded()
            let whole = Int(scaled / 100)
            let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: 100))
            return "\(whole)." + (fraction < 10 ? "0" : "") + "\(fraction)"
        }
        var lines = [
            ["sessions", "\(sessions)"], ["segments", "\(segments)"], ["blocks", "\(blocks) (\(rawBlocks) stored raw)"], ["events", "\(events)"],
            ["bytes on disk", "\(segmentBytes) in segments, \(indexBytes) in indexes"],
            ["bytes per event", decimals(bytesPerEvent)],
            ["compression ratio", "\(decimals(compressionRatio)) (binary payload \(decodedPayloadBytes) bytes, stored \(storedPayloadBytes))"],
        ]
        if !skipped.isEmpty { lines.append(["skipped", "\(skipped.places) damaged places (\(skipped.events) events known) not counted"]) }
        return TextTable.render(["", ""], lines).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
    }
}

/// A problem `verify` found, one line each. JSON: `{"session", "file", "offset" (or null), "message"}`.
public struct VerifyProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The session.
    public var session: String
    /// The file (segment or index).
    public var file: String
    /// The byte offset, when it applies.
    public var offset: Int?
    /// What is wrong.
    public var message: String

    public var description: String {
        "\(session) \(file)" + (offset.map { " offset \($0)" } ?? "") + ": \(message)"
    }

    enum CodingKeys: String, CodingKey { case session, file, offset, message }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session, forKey: .session)
        try container.encode(file, forKey: .file)
        try container.encode(offset, forKey: .offset)
        try container.encode(message, forKey: .message)
    }
}

/// What `recover` did to one session.
public struct RecoveryAction: Sendable, Hashable, CustomStringConvertible {
    /// The session.
    public var session: String
    /// What was done or found, one entry per action.
    public var actions: [String]

    public var description: String {
        actions.isEmpty ? "\(session): nothing to do" : actions.map { "\(session): \($0)" }.joined(separator: "\n")
    }
}

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
        _ body: (SegmentHandle, LoadedSegment?) -> Void
    ) throws(LogError) {
        let handles = try source.segments(session: session)
        for (position, handle) in handles.enumerated() {
            func report(_ offset: Int, _ message: String, _ lost: Int?, fatal: Bool = true) throws(LogError) {
                if mode == .strict, fatal { throw .corrupt(path: handle.name, offset: offset, reason: message) }
                let issue = ReadWarning(session: session, segment: handle.name, offset: offset, message: message, skippedEvents: lost)
                skipped.add(issue)
                warning(issue)
            }
            switch try LoadedSegment.open(handle) {
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
                let segment: LoadedSegment
                switch try LoadedSegment.open(handle, fullScan: true) {
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
            let lock = try OpenFile(path: lockPath, flags: O_RDWR | O_CREAT)
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
                var segment: LoadedSegment
                switch try LoadedSegment.open(handle, fullScan: true) {
                case .loaded(let loaded):
                    segment = loaded
                case .headerless(_, let size):
                    // It holds no events (no header, no valid block): removing it loses nothing and lets the
                    // writer create the segment again.
                    try Posix.removeFile(path)
                    Posix.remove(LogRoot.indexPath(forSegment: path))
                    if durability != .none { Posix.syncDirectory(Posix.parent(of: path)) }
                    action.actions.append("\(file): removed an empty segment (\(size) bytes, no complete header, no events)")
                    continue
                case .unreadable(let error):
                    action.actions.append("\(file): left as is (its events cannot be placed): \(error)")
                    continue
                }
                for damage in segment.damage {
                    switch damage {
                    case .tornTail(let offset, let bytes, let events) where position == handles.count - 1 || segment.sealed:
                        let handle = try OpenFile(path: path, flags: O_WRONLY)
                        try handle.truncate(to: offset)
                        if durability != .none { try handle.sync() }
                        action.actions.append("\(file): truncated a torn tail of \(bytes) bytes at offset \(offset)"
                            + (events.map { " (\($0) events)" } ?? ""))
                        segment = try LoadedSegment.load(path, fullScan: true)
                    default:
                        action.actions.append("\(file): kept damage (nothing after it is deleted): \(damage)")
                    }
                }
                if case .valid = segment.indexState { continue }
                let index = try segment.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in
                    BlockDecoding.buildIndex(raw, try SegmentScan.scan(raw, path: path), path: path)
                }
                try Posix.writeAtomically(LogRoot.indexPath(forSegment: path), index.encoded(), sync: durability != .none)
                action.actions.append("\(file): rebuilt the index (was \(segment.indexState))")
            }
            results.append(action)
        }
        return results
    }
}
