import MMMMetricsCore
import MMMMetricsLog

extension SessionReport {
    /// A summary a person reads in ten seconds.
    public func text() -> String {
        var lines: [String] = []
        let commandsRun = session.iterations.reduce(0) { $0 + $1.commandsExecuted }
        let errorCount = errors.count
        lines.append("Session \(session.sessionId): \(status)")
        lines.append("Started \(session.startTime.map(RFC3339.format) ?? "-"), ran \(ReportFormatting.duration(session.totalDurationSeconds)); "
            + "\(session.iterations.count) iteration\(session.iterations.count == 1 ? "" : "s"), \(commandsRun) command\(commandsRun == 1 ? "" : "s"), "
            + "\(errorCount) error\(errorCount == 1 ? "" : "s"), \(events) events")
        if let note = skippedNote { lines.append(note) }
        if !session.iterations.isEmpty {
            lines.append("")
            lines.append("Iterations")
            lines.append(ReportFormatting.table(
                ["#", "duration", "commands", "files", "+lines", "-lines", "errors"],
                session.iterations.map {
                    ["\($0.iterationNumber)", ReportFormatting.duration($0.durationSeconds), "\($0.commandsExecuted)", "\($0.filesChanged)",
                     "+\($0.linesAdded)", "-\($0.linesRemoved)", "\($0.errors.count)"]
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
            lines.append("Slowest commands")
            lines.append(ReportFormatting.table(
                ["command", "runs", "p50", "p95", "max", "failed"],
                commands.prefix(10).map {
                    [$0.command.isEmpty ? "(none)" : $0.command, "\($0.runs)", ReportFormatting.duration($0.p50Seconds), ReportFormatting.duration($0.p95Seconds),
                     ReportFormatting.duration($0.maxSeconds), "\($0.failures)"]
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
}
