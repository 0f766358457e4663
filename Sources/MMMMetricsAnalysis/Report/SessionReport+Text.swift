import MMMMetricsCore
import MMMMetricsLog

extension SessionReport {
    /// A summary a person reads in ten seconds. Control characters from the data (a line break, an
    /// escape sequence in a name) are shown as escapes (`\u{1B}`), as in the tables.
    public func text() -> String {
        var lines: [String] = []
        let visible = TextTable.visible
        lines.append("Session \(visible(session.sessionId)): \(visible(status))")
        lines.append("Started \(session.startTime.map(RFC3339.format) ?? "-"), ran \(ReportFormatting.duration(session.totalDurationSeconds)); "
            + "\(EnglishText.count(session.iterations.count, "iteration")), \(EnglishText.count(commandsRun, "command")), "
            + "\(EnglishText.count(errors.count, "error")), \(EnglishText.count(events, "event"))")
        if let note = skippedNote { lines.append(note) }
        if let note = overflowNote { lines.append(note) }
        if !session.iterations.isEmpty {
            lines.append("")
            lines.append("Iterations")
            lines.append(ReportFormatting.table(
                ["#", "duration", "commands", "files", "+lines", "-lines", "errors"],
                session.iterations.map {
                    ["\($0.iterationNumber)", ReportFormatting.duration($0.durationSeconds), "\($0.commandsExecuted)", "\($0.filesChanged)",
                     Self.signed($0.linesAdded, removed: false), Self.signed($0.linesRemoved, removed: true), "\($0.errors.count)"]
                }, rightAligned: [0, 1, 2, 3, 4, 5, 6]))
        }
        let quality = qualityRows.filter { $0.start != nil || $0.end != nil }
        if !quality.isEmpty {
            lines.append("")
            lines.append("Quality")
            lines.append(ReportFormatting.table(
                ["", "start", "end", "change"],
                quality.map { [$0.label, ReportFormatting.value($0.start, unit: $0.unit), ReportFormatting.value($0.end, unit: $0.unit), ReportFormatting.change($0.start, $0.end)] },
                rightAligned: [1, 2, 3]))
        }
        if !commands.isEmpty {
            lines.append("")
            lines.append("Slowest commands (by p95)")
            lines.append(ReportFormatting.table(
                ["command", "runs", "p50", "p95", "max", "failed"],
                commands.prefix(Self.commandsShown).map {
                    [$0.command.isEmpty ? "(none)" : $0.command, "\($0.runs)", ReportFormatting.duration($0.p50Seconds), ReportFormatting.duration($0.p95Seconds),
                     ReportFormatting.duration($0.maxSeconds), "\($0.failures)"]
                }, rightAligned: [1, 2, 3, 4, 5]))
            if let more = moreCommandsNote { lines.append("  " + more) }
        }
        if !errors.isEmpty {
            lines.append("")
            lines.append("Errors")
            for (iteration, error) in errors.prefix(20) {
                lines.append("  \(Self.place(iteration))  \(error.kind.isEmpty ? "error" : visible(error.kind)): \(visible(error.message))")
            }
            if errors.count > 20 { lines.append("  … and \(errors.count - 20) more") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// How many commands the text and Markdown reports list (HTML and JSON list them all).
    static let commandsShown = 10

    /// What the text and Markdown reports leave out of their command table, or `nil`.
    var moreCommandsNote: String? {
        guard commands.count > Self.commandsShown else { return nil }
        return "… and \(commands.count - Self.commandsShown) more commands (all of them: --format json or html)"
    }
}
