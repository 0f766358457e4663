public import MMMMetricsCore
import MMMMetricsLogFormat

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

    /// A listing.
    public init(sessions: [SessionSummary], skipped: SkippedData = SkippedData()) {
        self.sessions = sessions
        self.skipped = skipped
    }

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

extension SessionList {
    /// The session whose last event is newest (`--latest`); between sessions whose last events
    /// share a timestamp, the greatest id (byte order). `nil` when no session holds a readable event.
    public var latest: SessionSummary? {
        sessions.filter { $0.lastTimestamp != nil }.max { left, right in
            if left.lastTimestamp! != right.lastTimestamp! { return left.lastTimestamp! < right.lastTimestamp! }
            return Array(left.session.utf8).lexicographicallyPrecedes(Array(right.session.utf8))
        }
    }
}

extension LogMaintenance {
    /// The id of the session whose last event is newest (see ``SessionList/latest``). Damaged data
    /// does not fail the choice: it is judged by the readable blocks, and the command that then reads
    /// the session reports the damage. Throws `LogError.invalidInput` naming the source when no
    /// session holds a readable event.
    public func latestSession() throws(LogError) -> String {
        let list = try summaries(mode: .lenient)
        guard let latest = list.latest else {
            // A root with only MMM's old files says how to import them, as --session does.
            if list.sessions.isEmpty, let root = source as? LogRoot, !root.legacyMetricsFiles.isEmpty { throw source.missingSessionError("legacy") }
            throw .invalidInput("--latest: no session with events in \(source.location)")
        }
        return latest.session
    }
}
