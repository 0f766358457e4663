public import MMMMetricsCore
import MMMMetricsLogFormat

/// One metric name as `mmm-analyze names` lists it.
///
/// JSON: `{"name", "type", "events", "tags", "sessions"}`.
public struct NameSummary: Sendable, Hashable, Encodable {
    /// The metric name.
    public var name: String
    /// Its kind: `counter`, `gauge`, `timer` or `custom`; a name recorded with several kinds lists
    /// each, in that order, joined by `|` (`counter|gauge`).
    public var type: String
    /// Readable events with this name.
    public var events: Int
    /// Every tag key any of its events carries, in ascending order.
    public var tags: [String]
    /// Sessions holding at least one of its events.
    public var sessions: Int

    /// A summary.
    public init(name: String, type: String, events: Int, tags: [String], sessions: Int) {
        self.name = name
        self.type = type
        self.events = events
        self.tags = tags
        self.sessions = sessions
    }
}

/// The metric names of a source, as `mmm-analyze names` prints them, by name (byte order); JSON
/// `{"names": [...], "skipped_events": N, "skipped_places": N}`.
public struct MetricNames: TabularOutput, Sendable, Hashable {
    /// One summary per name.
    public var names: [NameSummary]
    /// Damaged places whose events are not counted.
    public var skipped: SkippedData

    /// A listing.
    public init(names: [NameSummary], skipped: SkippedData = SkippedData()) {
        self.names = names
        self.skipped = skipped
    }

    public var columns: [String] { ["name", "type", "events", "tags", "sessions"] }

    public var rows: [[String]] {
        // The keys as one CSV record, so that a key holding a comma reads as one key.
        names.map { [$0.name, $0.type, "\($0.events)", $0.tags.map(CSV.field).joined(separator: ","), "\($0.sessions)"] }
    }

    public var textTable: String {
        TextTable.render(["NAME", "TYPE", "EVENTS", "TAGS", "SESSIONS"], rows.map { row in row.enumerated().map { $0 == 3 && $1.isEmpty ? "-" : $1 } },
                         rightAligned: [2, 4])
    }

    enum CodingKeys: String, CodingKey {
        case names
        case skippedEvents = "skipped_events"
        case skippedPlaces = "skipped_places"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(names, forKey: .names)
        try container.encode(skipped.events, forKey: .skippedEvents)
        try container.encode(skipped.places, forKey: .skippedPlaces)
    }
}

extension LogMaintenance {
    /// Every metric name in the source (or in one session) with its kind, event count, tag keys
    /// and number of sessions, by replaying every readable block. Damage is handled as by
    /// ``LogReader``: in `.strict` mode it fails the listing, in `.lenient` mode each damaged place is
    /// reported through `warning`, left out of the counts and tallied in the result's `skipped`.
    /// An unknown `session` is `LogError.noSuchSession`.
    public func names(
        session only: String? = nil, mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in }
    ) throws -> MetricNames {
        struct Tally {
            var kinds: Set<UInt8> = []
            var events = 0
            // By bytes too: with `Set<String>` two spellings of one key were one, whichever a
            // set's (per-process) order met first, so the output changed from run to run.
            var tags: Set<ExactText> = []
            var sessions = 0
        }
        // By the bytes of the name: "é" and "e\u{301}" are two names, as on disk.
        var tallies: [ExactText: Tally] = [:]
        var skipped = SkippedData()
        let reader = LogReader(source: source)
        for session in try sessionList(only) {
            var seen: Set<ExactText> = []
            try reader.replay(session: session, mode: mode, warning: { issue in
                skipped.add(issue)
                warning(issue)
            }) { block in
                var counts = [Int](repeating: 0, count: block.metrics.count)
                for metric in block.metricOfEvent { counts[Int(metric)] += 1 }
                var keys = [Set<Int>](repeating: [], count: block.metrics.count)
                for (key, column) in block.tagColumns.enumerated() {
                    for (event, reference) in column.enumerated() where reference != 0 { keys[Int(block.metricOfEvent[event])].insert(key) }
                }
                for (index, metric) in block.metrics.enumerated() where counts[index] > 0 {
                    let name = ExactText(metric.name)
                    var tally = tallies[name] ?? Tally()
                    tally.kinds.insert(metric.kind.rawValue)
                    tally.events += counts[index]
                    for key in keys[index] { tally.tags.insert(ExactText(block.tagKeys[key])) }
                    if seen.insert(name).inserted { tally.sessions += 1 }
                    tallies[name] = tally
                }
            }
        }
        let names = tallies.map { name, tally in
            NameSummary(
                name: name.string, type: tally.kinds.sorted().compactMap { StoredKind(rawValue: $0).map(Self.word) }.joined(separator: "|"),
                events: tally.events, tags: tally.tags.map(\.string).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }, sessions: tally.sessions)
        }.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        return MetricNames(names: names, skipped: skipped)
    }

    private static func word(_ kind: StoredKind) -> String {
        switch kind {
        case .counter: "counter"
        case .gauge: "gauge"
        case .timer: "timer"
        case .custom: "custom"
        }
    }
}
