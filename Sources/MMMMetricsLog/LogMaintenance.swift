#if canImport(Glibc)
import Glibc
#endif

/// One session's shape on disk, as `mmm-analyze sessions` lists it.
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
        case firstTimestamp = "first_ts_ns"
        case lastTimestamp = "last_ts_ns"
        case lastSegmentSealed = "sealed"
    }
}

/// Size figures of stored sessions, as `mmm-analyze stats` prints them.
public struct LogStatistics: Sendable, Hashable, Codable {
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

    /// Segment bytes per event.
    public var bytesPerEvent: Double { events == 0 ? 0 : Double(segmentBytes) / Double(events) }
    /// Decoded payload bytes over stored payload bytes.
    public var compressionRatio: Double { storedPayloadBytes == 0 ? 0 : Double(decodedPayloadBytes) / Double(storedPayloadBytes) }
}

/// A problem `verify` found, one line each.
public struct VerifyProblem: Sendable, Hashable, CustomStringConvertible {
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

    /// A summary of each session (or of one).
    public func summaries(session only: String? = nil) throws(LogError) -> [SessionSummary] {
        try sessionList(only).map { (session: String) throws(LogError) -> SessionSummary in
            var summary = SessionSummary(session: session, events: 0, segments: 0, bytes: 0, lastSegmentSealed: false)
            for handle in try source.segments(session: session) {
                let segment = try LoadedSegment.load(handle)
                summary.segments += 1
                summary.bytes += segment.bytes.count + (handle.indexBytes()?.count ?? 0)
                for block in segment.blocks {
                    summary.events += block.header.eventCount
                    summary.firstTimestamp = min(summary.firstTimestamp ?? .max, block.header.minTimestamp)
                    summary.lastTimestamp = max(summary.lastTimestamp ?? .min, block.header.maxTimestamp)
                }
                summary.lastSegmentSealed = segment.sealed
            }
            return summary
        }
    }

    /// Size figures over every session (or one).
    public func statistics(session only: String? = nil) throws(LogError) -> LogStatistics {
        var statistics = LogStatistics()
        for session in try sessionList(only) {
            statistics.sessions += 1
            for handle in try source.segments(session: session) {
                let segment = try LoadedSegment.load(handle)
                statistics.segments += 1
                statistics.segmentBytes += segment.bytes.count
                statistics.indexBytes += handle.indexBytes()?.count ?? 0
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
                do { segment = try LoadedSegment.load(handle, fullScan: true) } catch {
                    if case .corrupt(_, let offset, let reason) = error { problem(offset, reason) } else { problem(nil, "\(error)") }
                    continue
                }
                if segment.header.sessionID != session {
                    problem(0, "segment header names session \(segment.header.sessionID.debugDescription)")
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
            let paths = try root.segmentPaths(session: session)
            for (position, path) in paths.enumerated() {
                let file = String(path.split(separator: "/").last ?? "")
                var segment: LoadedSegment
                do { segment = try LoadedSegment.load(path, fullScan: true) } catch {
                    action.actions.append("\(file): left as is: \(error)")
                    continue
                }
                for damage in segment.damage {
                    switch damage {
                    case .tornTail(let offset, let bytes, let events) where position == paths.count - 1 || segment.sealed:
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
                    try BlockDecoding.buildIndex(raw, try SegmentScan.scan(raw, path: path), path: path)
                }
                try Posix.writeAtomically(LogRoot.indexPath(forSegment: path), index.encoded(), sync: durability != .none)
                action.actions.append("\(file): rebuilt the index (was \(segment.indexState))")
            }
            results.append(action)
        }
        return results
    }
}
