public import MMMMetricsCore
public import MMMMetricsLog

/// Per-command timings of a session: every `command.duration`, by its `command` tag.
public struct CommandReducer: MetricsReducer {
    var durations: [String: [Double]] = [:]
    var failures: [String: Int] = [:]

    public init() {}

    public mutating func apply(_ event: ReplayedEvent) {
        guard event.event.name == "command.duration", case .timer(let duration) = event.event.value else { return }
        let command = event.event.tags["command"] ?? ""
        durations[command, default: []].append(duration.secondsAsDouble)
        if event.event.tags["status"] == "error" { failures[command, default: 0] += 1 }
    }

    public mutating func merge(_ other: CommandReducer) {
        for (command, values) in other.durations { durations[command, default: []] += values }
        for (command, count) in other.failures { failures[command, default: 0] += count }
    }

    /// Statistics per command, slowest (by p95) first.
    public func result() -> [CommandStatistics] {
        durations.map { command, values in
            let sorted = values.sorted()
            return CommandStatistics(
                command: command, runs: values.count, failures: failures[command] ?? 0,
                p50Seconds: Percentile.of(sorted: sorted, q: 50) ?? 0, p95Seconds: Percentile.of(sorted: sorted, q: 95) ?? 0,
                maxSeconds: sorted.last ?? 0, totalSeconds: values.reduce(0, +), durations: values)
        }.sorted { ($1.p95Seconds, $0.command) < ($0.p95Seconds, $1.command) }
    }
}

/// How one command performed in a session.
public struct CommandStatistics: Sendable, Hashable {
    /// The `command` tag.
    public var command: String
    /// `command.duration` events.
    public var runs: Int
    /// Those tagged `status` = `error`.
    public var failures: Int
    /// Median duration.
    public var p50Seconds: Double
    /// 95th percentile.
    public var p95Seconds: Double
    /// Longest.
    public var maxSeconds: Double
    /// Sum.
    public var totalSeconds: Double
    /// Every duration, in recording order.
    public var durations: [Double]
}

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
            qualityByIteration: reducer.quality.byIteration, commands: commands.result(), events: events, skipped: skipped)
    }

    /// The final status as shown: `session.end`'s word, else `incomplete`.
    public var status: String { rawFinalStatus ?? session.finalStatus.rawValue }

    /// All errors with their iteration numbers, in iteration order.
    public var errors: [(iteration: Int, error: ErrorMetric)] {
        session.iterations.flatMap { iteration in iteration.errors.map { (iteration.iterationNumber, $0) } }
    }

    /// The quality gauges in display order: label, start, end, unit.
    var qualityRows: [(label: String, key: String, start: Double?, end: Double?, unit: String)] {
        [("test coverage", "test_coverage", qualityStart.testCoverage, session.quality.testCoverage, "%"),
         ("documentation coverage", "documentation_coverage", qualityStart.documentationCoverage, session.quality.documentationCoverage, "%"),
         ("lint warnings", "lint_warnings", qualityStart.lintWarnings, session.quality.lintWarnings, ""),
         ("complexity score", "complexity_score", qualityStart.complexityScore, session.quality.complexityScore, "")]
    }

    // MARK: JSON

    /// The JSON report: `session_id`, `start_time` (RFC 3339), `total_duration_seconds`, `final_status`,
    /// `iterations`, `quality`, and more: `quality_start`, `commands`, `errors`, `events`.
    public func json() -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
        func quality(_ metrics: QualityMetrics) -> JSONValue {
            ["test_coverage": number(metrics.testCoverage), "lint_warnings": number(metrics.lintWarnings),
             "complexity_score": number(metrics.complexityScore), "documentation_coverage": number(metrics.documentationCoverage)]
        }
        let iterations: [JSONValue] = session.iterations.map { iteration in
            .object([
                "iteration_number": .integer(Int64(iteration.iterationNumber)),
                "duration_seconds": .double(iteration.durationSeconds),
                "commands_executed": .integer(Int64(iteration.commandsExecuted)),
                "files_changed": .integer(iteration.filesChanged),
                "lines_added": .integer(iteration.linesAdded),
                "lines_removed": .integer(iteration.linesRemoved),
                "errors": .array(iteration.errors.map { ["message": .string($0.message), "kind": .string($0.kind)] }),
            ])
        }
        let commands: [JSONValue] = self.commands.map { command in
            ["command": .string(command.command), "runs": .integer(Int64(command.runs)), "failures": .integer(Int64(command.failures)),
             "p50_seconds": .double(command.p50Seconds), "p95_seconds": .double(command.p95Seconds),
             "max_seconds": .double(command.maxSeconds), "total_seconds": .double(command.totalSeconds)]
        }
        return .object([
            "session_id": .string(session.sessionId),
            "start_time": session.startTime.map { .string(RFC3339.format($0)) } ?? .null,
            "total_duration_seconds": .double(session.totalDurationSeconds),
            "final_status": .string(status),
            "iterations": .array(iterations),
            "quality": quality(session.quality),
            "quality_start": quality(qualityStart),
            "commands": .array(commands),
            "events": .integer(Int64(events)),
            "skipped_events": .integer(Int64(skipped.events)),
            "skipped_places": .integer(Int64(skipped.places)),
        ])
    }
}

extension SessionReport {
    /// One line saying what damaged data left out of the report, or `nil` when nothing was.
    var skippedNote: String? {
        guard !skipped.isEmpty else { return nil }
        let places = "\(skipped.places) damaged place\(skipped.places == 1 ? "" : "s")"
        let unknown = skipped.placesOfUnknownSize > 0 ? " (at least: \(skipped.placesOfUnknownSize) of unknown size)" : ""
        return "INCOMPLETE: \(skipped.events) events\(unknown) in \(places) were skipped; run `mmm-analyze verify` for details"
    }
}

/// Number formatting shared by the text, Markdown and HTML reports.
enum Format {
    /// `950ms`, `12.5s`, `3m 02s`, `1h 04m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return fixed(seconds, 1) + "s" }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60)m " + pad(total % 60) + "s" }
        return "\(total / 3600)h " + pad(total / 60 % 60) + "m"
    }

    static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// A fixed number of decimals without Foundation.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return sign + "\(whole)" }
        var digits = String(fraction)
        while digits.count < decimals { digits = "0" + digits }
        return sign + "\(whole).\(digits)"
    }

    /// A gauge value: up to two decimals, trailing zeros dropped.
    static func value(_ value: Double?, unit: String = "") -> String {
        guard let value else { return "-" }
        var text = fixed(value, 2)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text + unit
    }

    /// A signed change, or `-`.
    static func change(_ start: Double?, _ end: Double?) -> String {
        guard let start, let end else { return "-" }
        let delta = end - start
        return (delta > 0 ? "+" : "") + value(delta)
    }

    /// The report's tables: indented by two spaces.
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        TextTable.render(header, rows, rightAligned: rightAligned, indent: "  ")
    }
}

extension SessionReport {
    // MARK: Text

    /// A summary a person reads in ten seconds.
    public func text() -> String {
        var lines: [String] = []
        let commandsRun = session.iterations.reduce(0) { $0 + $1.commandsExecuted }
        let errorCount = errors.count
        lines.append("Session \(session.sessionId): \(status)")
        lines.append("Started \(session.startTime.map(RFC3339.format) ?? "-"), ran \(Format.duration(session.totalDurationSeconds)); "
            + "\(session.iterations.count) iteration\(session.iterations.count == 1 ? "" : "s"), \(commandsRun) command\(commandsRun == 1 ? "" : "s"), "
            + "\(errorCount) error\(errorCount == 1 ? "" : "s"), \(events) events")
        if let note = skippedNote { lines.append(note) }
        if !session.iterations.isEmpty {
            lines.append("")
            lines.append("Iterations")
            lines.append(Format.table(
                ["#", "duration", "commands", "files", "+lines", "-lines", "errors"],
                session.iterations.map {
                    ["\($0.iterationNumber)", Format.duration($0.durationSeconds), "\($0.commandsExecuted)", "\($0.filesChanged)",
                     "+\($0.linesAdded)", "-\($0.linesRemoved)", "\($0.errors.count)"]
                }, rightAligned: [0, 1, 2, 3, 4, 5, 6]))
        }
        let quality = qualityRows.filter { $0.start != nil || $0.end != nil }
        if !quality.isEmpty {
            lines.append("")
            lines.append("Quality")
            lines.append(Format.table(
                ["", "start", "end", "change"],
                quality.map { [$0.label, Format.value($0.start, unit: $0.unit), Format.value($0.end, unit: $0.unit), Format.change($0.start, $0.end)] },
                rightAligned: [1, 2, 3]))
        }
        if !commands.isEmpty {
            lines.append("")
            lines.append("Slowest commands")
            lines.append(Format.table(
                ["command", "runs", "p50", "p95", "max", "failed"],
                commands.prefix(10).map {
                    [$0.command.isEmpty ? "(none)" : $0.command, "\($0.runs)", Format.duration($0.p50Seconds), Format.duration($0.p95Seconds),
                     Format.duration($0.maxSeconds), "\($0.failures)"]
                }, rightAligned: [1, 2, 3, 4, 5]))
        }
        if !errors.isEmpty {
            lines.append("")
            lines.append("Errors")
            for (iteration, error) in errors.prefix(20) {
                lines.append("  iteration \(iteration)  \(error.kind.isEmpty ? "error" : error.kind): \(error.message)")
            }
            if errors.count > 20 { lines.append("  … and \(errors.count - 20) more") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Markdown

    /// Markdown for a pull request or an issue.
    public func markdown() -> String {
        func cell(_ text: String) -> String { text.replacingPipes }
        var lines: [String] = []
        let commandsRun = session.iterations.reduce(0) { $0 + $1.commandsExecuted }
        lines.append("### Cook session `\(cell(session.sessionId))`: \(status)")
        lines.append("")
        lines.append("Started \(session.startTime.map(RFC3339.format) ?? "-"), ran **\(Format.duration(session.totalDurationSeconds))**: "
            + "\(session.iterations.count) iterations, \(commandsRun) commands, \(errors.count) errors.")
        if let note = skippedNote {
            lines.append("")
            lines.append("> **\(note)**")
        }
        if !session.iterations.isEmpty {
            lines.append("")
            lines.append("| iteration | duration | commands | files | +lines | −lines | errors |")
            lines.append("|---:|---:|---:|---:|---:|---:|---:|")
            for iteration in session.iterations {
                lines.append("| \(iteration.iterationNumber) | \(Format.duration(iteration.durationSeconds)) | \(iteration.commandsExecuted) | "
                    + "\(iteration.filesChanged) | +\(iteration.linesAdded) | −\(iteration.linesRemoved) | \(iteration.errors.count) |")
            }
        }
        let quality = qualityRows.filter { $0.start != nil || $0.end != nil }
        if !quality.isEmpty {
            lines.append("")
            lines.append("| quality | start | end | change |")
            lines.append("|---|---:|---:|---:|")
            for row in quality {
                lines.append("| \(row.label) | \(Format.value(row.start, unit: row.unit)) | \(Format.value(row.end, unit: row.unit)) | \(Format.change(row.start, row.end)) |")
            }
        }
        if !commands.isEmpty {
            lines.append("")
            lines.append("| command | runs | p50 | p95 | max | failed |")
            lines.append("|---|---:|---:|---:|---:|---:|")
            for command in commands.prefix(10) {
                lines.append("| \(cell(command.command)) | \(command.runs) | \(Format.duration(command.p50Seconds)) | \(Format.duration(command.p95Seconds)) | "
                    + "\(Format.duration(command.maxSeconds)) | \(command.failures) |")
            }
        }
        if !errors.isEmpty {
            lines.append("")
            lines.append("<details><summary>\(errors.count) errors</summary>")
            lines.append("")
            for (iteration, error) in errors { lines.append("- iteration \(iteration), `\(cell(error.kind))`: \(cell(error.message))") }
            lines.append("")
            lines.append("</details>")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Pipes and line breaks escaped for a Markdown table cell.
    var replacingPipes: String {
        var result = ""
        for character in self {
            switch character {
            case "|": result += "\\|"
            case "\n", "\r": result += " "
            default: result.append(character)
            }
        }
        return result
    }
}
