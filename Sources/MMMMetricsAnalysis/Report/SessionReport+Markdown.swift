import MMMMetricsCore
import MMMMetricsLog

extension SessionReport {
    /// Markdown for a pull request or an issue. Text from the data cannot add markup: HTML's `<`,
    /// `>` and `&` become entities, Markdown's punctuation is escaped, code spans are fenced with
    /// more backticks than they hold, and control characters (a line break too) show as escapes.
    public func markdown() -> String {
        typealias Markdown = MarkdownText
        var lines: [String] = []
        lines.append("### Cook session \(Markdown.code(session.sessionId)): \(Markdown.inline(status))")
        lines.append("")
        lines.append("Started \(session.startTime.map(RFC3339.format) ?? "-"), ran **\(ReportFormatting.duration(session.totalDurationSeconds))**: "
            + "\(EnglishText.count(session.iterations.count, "iteration")), \(EnglishText.count(commandsRun, "command")), \(EnglishText.count(errors.count, "error")).")
        for note in [skippedNote, overflowNote].compactMap({ $0 }) {
            lines.append("")
            lines.append("> **\(Markdown.inline(note))**")
        }
        if !session.iterations.isEmpty {
            lines.append("")
            lines.append("| iteration | duration | commands | files | +lines | −lines | errors |")
            lines.append("|---:|---:|---:|---:|---:|---:|---:|")
            for iteration in session.iterations {
                lines.append("| \(iteration.iterationNumber) | \(ReportFormatting.duration(iteration.durationSeconds)) | \(iteration.commandsExecuted) | "
                    + "\(iteration.filesChanged) | \(Self.signed(iteration.linesAdded, removed: false, minus: "−")) | "
                    + "\(Self.signed(iteration.linesRemoved, removed: true, minus: "−")) | \(iteration.errors.count) |")
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
            for command in commands.prefix(Self.commandsShown) {
                let name = command.command.isEmpty ? "(none)" : Markdown.inline(command.command, inTable: true)
                lines.append("| \(name) | \(command.runs) | \(ReportFormatting.duration(command.p50Seconds)) | \(ReportFormatting.duration(command.p95Seconds)) | "
                    + "\(ReportFormatting.duration(command.maxSeconds)) | \(command.failures) |")
            }
            if let more = moreCommandsNote {
                lines.append("")
                lines.append(Markdown.inline(more))
            }
        }
        if !errors.isEmpty {
            lines.append("")
            lines.append("<details><summary>\(EnglishText.count(errors.count, "error"))</summary>")
            lines.append("")
            for (iteration, error) in errors {
                lines.append("- \(Self.place(iteration)), \(Markdown.code(error.kind.isEmpty ? "error" : error.kind)): \(Markdown.inline(error.message))")
            }
            lines.append("")
            lines.append("</details>")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Text from the data made safe for Markdown (CommonMark and GitHub's tables).
enum MarkdownText {
    /// Plain text: control characters as escapes, `&`, `<`, `>` as entities, Markdown punctuation
    /// backslash-escaped; in a table cell `|` too.
    static func inline(_ text: String, inTable: Bool = false) -> String {
        var result = ""
        for character in TextTable.visible(text) {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\\", "`", "*", "_", "[", "]", "#", "!", "~", "|": result += "\\" + String(character)
            default: result.append(character)
            }
        }
        return result
    }

    /// A code span of `text`, fenced with one backtick more than its longest run of them (and
    /// padded with a space where it starts or ends with one), control characters as escapes. In a
    /// table cell `|` is escaped (GitHub reads `\|` there as a pipe, in code too).
    static func code(_ text: String, inTable: Bool = false) -> String {
        var content = TextTable.visible(text)
        if inTable { content = content.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
        var longest = 0, run = 0
        for character in content {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = content.first == "`" || content.last == "`" || (content.first == " " && content.last == " ") ? " " : ""
        return fence + pad + content + pad + fence
    }
}
