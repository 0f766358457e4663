public import MMMMetricsCore
public import MMMMetricsLog

/// Everything a session report shows, derived by one replay.
public struct SessionReport: Sendable {
    /// The session structure of the metrics catalog's reduction rules.
    public var session: SessionMetrics
    /// `session.end`'s status as written, when present.
    public var rawFinalStatus: String?
    /// The first value of each quality gauge.
    public var qualityStart: QualityMetrics
    /// The last value of each quality gauge per iteration.
    public var qualityByIteration: [Int: QualityMetrics]
    /// Per-command timings, slowest first.
    public var commands: [CommandStatistics]
    /// Errors recorded outside any iteration (no `iteration` tag, or not an integer), in recording order.
    public var errorsOutsideIterations: [ErrorMetric] = []
    /// Iterations whose changed files or lines did not fit `Int64` (shown at its limit).
    public var overflowedIterations: [Int] = []
    /// Events replayed.
    public var events: Int
    /// What the replay left out because stored data was damaged (each place also went to `warning`).
    public var skipped = SkippedData()

    /// Replays one session of `source` and builds its report. Throws `LogError.noSuchSession` for an
    /// unknown id; damage fails the build in `.strict` mode and is skipped, reported and counted in
    /// ``skipped`` in `.lenient` mode.
    public static func build(
        session: String, source: any LogSource, mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in }
    ) throws -> SessionReport {
        var reducer = SessionReducer()
        var commands = CommandReducer()
        var events = 0
        var skipped = SkippedData()
        try LogReader(source: source).replay(session: session, mode: mode, warning: { issue in
            skipped.add(issue)
            warning(issue)
        }) { block in
            for index in 0..<block.count {
                let event = ReplayedEvent(session: session, sequence: block.firstSequence + UInt64(index), event: block.event(at: index))
                reducer.apply(event)
                commands.apply(event)
            }
            events += block.count
        }
        var metrics = reducer.result()
        metrics.sessionId = session
        return SessionReport(
            session: metrics, rawFinalStatus: reducer.rawFinalStatus, qualityStart: reducer.quality.start,
            qualityByIteration: reducer.quality.byIteration, commands: commands.result(), errorsOutsideIterations: reducer.iterations.errorsOutsideIterations,
            overflowedIterations: reducer.iterations.overflowedIterations, events: events, skipped: skipped)
    }

    /// The final status as shown: `session.end`'s word, else `incomplete`.
    public var status: String { rawFinalStatus ?? session.finalStatus.rawValue }

    /// Commands run in the session, inside iterations or not: the runs of the command table.
    public var commandsRun: Int { commands.reduce(0) { $0 + $1.runs } }

    /// All errors with their iteration numbers, in iteration order, then those outside any iteration
    /// (`nil`).
    public var errors: [(iteration: Int?, error: ErrorMetric)] {
        session.iterations.flatMap { iteration in iteration.errors.map { (Optional(iteration.iterationNumber), $0) } }
            + errorsOutsideIterations.map { (nil, $0) }
    }

    /// The quality gauges in display order: label, start, end, unit.
    var qualityRows: [(label: String, key: String, start: Double?, end: Double?, unit: String)] {
        [("test coverage", "test_coverage", qualityStart.testCoverage, session.quality.testCoverage, "%"),
         ("documentation coverage", "documentation_coverage", qualityStart.documentationCoverage, session.quality.documentationCoverage, "%"),
         ("lint warnings", "lint_warnings", qualityStart.lintWarnings, session.quality.lintWarnings, ""),
         ("complexity score", "complexity_score", qualityStart.complexityScore, session.quality.complexityScore, "")]
    }
}

extension SessionReport {
    /// One line saying what damaged data left out of the report, or `nil` when nothing was.
    var skippedNote: String? {
        guard !skipped.isEmpty else { return nil }
        let places = "\(EnglishText.count(skipped.places, "damaged place"))"
        let unknown = skipped.placesOfUnknownSize > 0 ? " (at least: \(skipped.placesOfUnknownSize) of unknown size)" : ""
        return "INCOMPLETE: \(skipped.events) events\(unknown) in \(places) were skipped; run `mmm-analyze verify` for details"
    }

    /// One line naming the iterations whose changed files or lines did not fit `Int64`, or `nil`.
    var overflowNote: String? {
        guard !overflowedIterations.isEmpty else { return nil }
        let list = overflowedIterations.prefix(10).map(String.init).joined(separator: ", ") + (overflowedIterations.count > 10 ? ", …" : "")
        return "Changed files or lines past 2^63 in iteration\(overflowedIterations.count == 1 ? "" : "s") \(list): shown at the limit"
    }

    /// Where an error was recorded, for the error lists.
    static func place(_ iteration: Int?) -> String { iteration.map { "iteration \($0)" } ?? "outside any iteration" }

    /// "1 error", "2 errors".

    /// A signed count as the iteration tables show changes: `+12` added, `-3` removed, with `minus`
    /// as the minus sign (a negative count, which only odd input holds, turns the sign: `-4` added,
    /// `+4` removed; it printed `+-4`).
    static func signed(_ count: Int64, removed: Bool, minus: String = "-") -> String {
        let digits = count < 0 ? String(String(count).dropFirst()) : String(count)
        return ((count < 0) == removed ? "+" : minus) + digits
    }
}
