public import MMMMetricsCore
public import MMMMetricsLog

/// The `/metrics` of `mmm-analyze serve`: the aggregates of the sessions under a log root that
/// were active recently, each sample labelled with its `session`, recomputed as writers append.
///
/// Guarantees:
/// - only sessions whose files changed within `activeWithin` are exposed (a log of thousands of
///   old sessions costs nothing per scrape; their series simply end, as Prometheus expects of
///   finished jobs); at most `maximumSessions` of them, the most recently active first, and the
///   rest are counted in `mmm_serve_sessions_left_out`;
/// - a session's events are read again only when one of its files changed (size or modification
///   time), so a scrape of unchanged sessions reads nothing but directory listings;
/// - a session being written is read leniently: a torn tail a writer is still writing is left
///   for the next scrape; damaged blocks are skipped and counted in `mmm_serve_skipped_events`;
/// - writers come and go: a session that appears is picked up at the next scrape, one removed
///   (prune) disappears.
public final class LogExposition: Sendable {
    /// The log root.
    public let root: LogRoot
    /// How recent a session's last change must be.
    public let activeWithin: Duration
    /// The most sessions exposed at once.
    public let maximumSessions: Int

    struct Cached: Sendable {
        var fingerprint: [Int64]
        var exposition: PrometheusExposition
        var skipped: Int
    }

    private let cache = LockedState<[String: Cached]>([:])

    /// An exposition of `root`.
    public init(root: LogRoot, activeWithin: Duration = .seconds(86_400), maximumSessions: Int = 1_000) {
        self.root = root
        self.activeWithin = activeWithin
        self.maximumSessions = max(1, maximumSessions)
    }

    /// The exposition text now.
    public func render(now: MetricTimestamp = .now()) -> String {
        let cutoff = now.nanosecondsSinceEpoch.subtractingReportingOverflow(activeWithin.nanosecondsClamped)
        let oldest = cutoff.overflow ? Int64.min : cutoff.partialValue
        var active: [(session: String, changed: Int64, fingerprint: [Int64])] = []
        for session in (try? root.sessionIDs()) ?? [] {
            let fingerprint = Self.fingerprint(root.sessionPath(session))
            let changed = stride(from: 1, to: fingerprint.count, by: 2).map { fingerprint[$0] }.max() ?? .min
            if changed >= oldest, !fingerprint.isEmpty { active.append((session, changed, fingerprint)) }
        }
        active.sort { ($0.changed, $1.session) > ($1.changed, $0.session) }
        let leftOut = max(0, active.count - maximumSessions)
        let exposed = active.prefix(maximumSessions)
        var total = PrometheusExposition(reservedNames: Self.reserved)
        var skipped = 0
        var fresh: [String: Cached] = [:]
        let previous = cache.withLock { $0 }
        for (session, _, fingerprint) in exposed {
            if let cached = previous[session], cached.fingerprint == fingerprint {
                fresh[session] = cached
            } else {
                fresh[session] = read(session, fingerprint: fingerprint)
            }
            total.merge(fresh[session]!.exposition)
            skipped += fresh[session]!.skipped
        }
        cache.withLock { $0 = fresh }
        var text = total.render()
        text += "# HELP mmm_serve_sessions Sessions exposed (active within the window).\n# TYPE mmm_serve_sessions gauge\n"
        text += "mmm_serve_sessions \(exposed.count)\n"
        text += "# HELP mmm_serve_sessions_left_out Active sessions beyond the limit, not exposed.\n# TYPE mmm_serve_sessions_left_out gauge\n"
        text += "mmm_serve_sessions_left_out \(leftOut)\n"
        text += "# HELP mmm_serve_skipped_events Events in damaged blocks, not counted.\n# TYPE mmm_serve_skipped_events gauge\n"
        text += "mmm_serve_skipped_events \(skipped)\n"
        text += "# HELP mmm_serve_dropped_labels Tags left out: their key sanitises to a label the event already has.\n"
        text += "# TYPE mmm_serve_dropped_labels gauge\nmmm_serve_dropped_labels \(total.droppedLabels)\n"
        text += "# HELP mmm_serve_conflicting_events Events whose name maps onto a family another metric holds.\n"
        text += "# TYPE mmm_serve_conflicting_events gauge\nmmm_serve_conflicting_events \(total.conflictingEvents)\n"
        return text
    }

    private func read(_ session: String, fingerprint: [Int64]) -> Cached {
        var exposition = PrometheusExposition(reservedNames: Self.reserved)
        var skipped = 0
        let events = (try? LogReader(root: root).events(session: session, mode: .lenient) { warning in
            skipped += warning.skippedEvents ?? 0
        }) ?? []
        for (_, event) in events { exposition.add(event, extraLabels: [("session", session)]) }
        return Cached(fingerprint: fingerprint, exposition: exposition, skipped: skipped)
    }

    /// The prefix of serve's own metrics, which no event may take.
    static let reserved: Set<String> = ["mmm_serve_"]

    /// Size and modification time of every segment of a session, in name order.
    static func fingerprint(_ directory: String) -> [Int64] {
        var result: [Int64] = []
        for name in (try? FileSystem.listDirectory(directory)) ?? [] where name.hasSuffix(".seg") {
            let path = directory + "/" + name
            result.append(FileSystem.size(path) ?? -1)
            result.append(FileSystem.modificationTime(path) ?? .min)
        }
        return result
    }
}
