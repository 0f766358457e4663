import MMMMetricsCore
import MMMMetricsLog

extension SessionReport {
    /// Markdown for a pull request or an issue.
    public func markdown() -> String {
        func cell(_ text: String) -> String { text.replacingPipes }
        var lines: [String] = []
        let commandsRun = session.iterations.reduce(0) { $0 + $1.commandsExecuted }
        lines.append("### Cook session `\(cell(session.sessionId))`: \(status)")
        lines.append("")
        lines.append("Started \(session.startTime.map(RFC3339.format) ?? "-"), ran **\(ReportFormatting.duration(session.totalDurationSeconds))**: "
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
                lines.append("| \(iteration.iterationNumber) | \(ReportFormatting.duration(iteration.durationSeconds)) | \(iteration.commandsExecuted) | "
                    + "\(iteration.filesChanged) | +\(iteration.linesAdded) | −\(iteration.linesRemoved) | \(iteration.errors.count) |")
            }
        }
        let quality = qualityRows.filter { $0.start != nil || $0.end != nil }
        if !quality.isEmpty {
            lines.append("")
            lines.append("| quality | start | end | change |")
            lines.append("|---|---:|---:|---:|")
            for row in quality {
                lines.append("| \(row.label) | \(ReportFormatting.value(row.start, unit: row.unit)) | \(ReportFormatting.value(row.end, unit: row.unit)) | \(ReportFormatting.change(row.start, row.end)) |")
            }
        }
        if !commands.isEmpty {
            lines.append("")
            lines.append("| command | runs | p50 | p95 | max | failed |")
            lines.append("|---|---:|---:|---:|---:|---:|")
            for command in commands.prefix(10) {
                lines.append("| \(cell(command.command)) | \(command.runs) | \(ReportFormatting.duration(command.p50Seconds)) | \(ReportFormatting.duration(command.p95Seconds)) | "
                    + "\(ReportFormatting.duration(command.maxSeconds)) | \(command.failures) |")
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
