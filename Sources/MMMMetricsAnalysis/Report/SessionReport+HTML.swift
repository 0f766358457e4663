import MMMMetricsCore
import MMMMetricsLog

extension SessionReport {
    /// One self-contained HTML page (no scripts, no network) with charts drawn as inline SVG:
    /// iteration durations, quality over iterations and the command-duration distribution.
    public func html() -> String {
        var body: [String] = []
        body.append("<h1>Cook session <code>\(escape(session.sessionId))</code> <span class=\"status \(escape(status))\">\(escape(status))</span></h1>")
        body.append("<p class=\"summary\">Started \(escape(session.startTime.map(RFC3339.format) ?? "-")), ran <b>\(ReportFormatting.duration(session.totalDurationSeconds))</b>: "
            + "\(EnglishText.count(session.iterations.count, "iteration")), \(EnglishText.count(commandsRun, "command")), \(EnglishText.count(errors.count, "error")), "
            + "\(EnglishText.count(events, "event")).</p>")
        for note in [skippedNote, overflowNote].compactMap({ $0 }) { body.append("<p class=\"incomplete\"><b>\(escape(note))</b></p>") }
        if !session.iterations.isEmpty {
            body.append("<h2>Iteration durations</h2>")
            body.append(barChart(session.iterations.map { ("\($0.iterationNumber)", $0.durationSeconds, $0.errors.count) }))
            body.append(table(
                ["iteration", "duration", "commands", "files", "+lines", "−lines", "errors"],
                session.iterations.map { ["\($0.iterationNumber)", ReportFormatting.duration($0.durationSeconds), "\($0.commandsExecuted)", "\($0.filesChanged)",
                                          Self.signed($0.linesAdded, removed: false, minus: "−"), Self.signed($0.linesRemoved, removed: true, minus: "−"), "\($0.errors.count)"] }))
        }
        let quality = qualityRows.filter { $0.start != nil || $0.end != nil }
        // Charted over iteration numbers: none when no quality value has one (MMM's own iteration ids,
        // `cook-…`, are no numbers); the values are in the other formats.
        if !quality.isEmpty, !qualityByIteration.isEmpty {
            body.append("<h2>Quality over iterations</h2><div class=\"charts\">")
            let iterations = qualityByIteration.keys.sorted()
            let failing = Set(session.iterations.filter { !$0.errors.isEmpty }.map(\.iterationNumber))
            for row in quality {
                let points: [(Int, Double)] = iterations.compactMap { number in
                    let metrics = qualityByIteration[number]!
                    let value: Double? = switch row.key {
                    case "test_coverage": metrics.testCoverage
                    case "documentation_coverage": metrics.documentationCoverage
                    case "lint_warnings": metrics.lintWarnings
                    default: metrics.complexityScore
                    }
                    return value.map { (number, $0) }
                }
                body.append(lineChart(title: "\(row.label): \(ReportFormatting.value(row.start, unit: row.unit)) → \(ReportFormatting.value(row.end, unit: row.unit)) (\(ReportFormatting.change(row.start, row.end)))", points: points, failing: failing))
            }
            body.append("</div>")
        }
        if !commands.isEmpty {
            body.append("<h2>Command durations</h2>")
            body.append(boxPlot(commands))
            body.append(table(
                ["command", "runs", "p50", "p95", "max", "failed"],
                commands.map { [$0.command.isEmpty ? "(none)" : $0.command, "\($0.runs)", ReportFormatting.duration($0.p50Seconds), ReportFormatting.duration($0.p95Seconds),
                                ReportFormatting.duration($0.maxSeconds), "\($0.failures)"] }))
        }
        if !errors.isEmpty {
            body.append("<h2>Errors</h2><ul class=\"errors\">")
            for (iteration, error) in errors {
                body.append("<li>\(Self.place(iteration)) <code>\(escape(error.kind.isEmpty ? "error" : error.kind))</code> \(escape(error.message))</li>")
            }
            body.append("</ul>")
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Cook session \(escape(session.sessionId))</title>
            <style>
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 980px; color: #1d2330; padding: 0 1em; }
            h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #dde; padding-bottom: .2em; }
            .status { font-size: .7em; padding: .15em .6em; border-radius: 1em; background: #e4e7ee; vertical-align: middle; }
            .status.completed { background: #d5f2dc; } .status.failed { background: #f8d7d7; } .status.interrupted { background: #fbecc7; }
            table { border-collapse: collapse; margin: .8em 0; } th, td { padding: .25em .8em; text-align: right; border-bottom: 1px solid #eef; }
            th:first-child, td:first-child { text-align: left; } th { font-weight: 600; color: #556; }
            .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
            svg text { font: 11px system-ui, sans-serif; fill: #445; } svg .title { font-size: 12px; font-weight: 600; fill: #1d2330; }
            svg .error-mark { fill: #eb3b5a; font-weight: 600; }
            .errors li { margin: .2em 0; } code { background: #f1f2f6; padding: 0 .3em; border-radius: 3px; }
            </style></head><body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }

    /// Text from the data for HTML: markup characters as entities, control characters (invalid in
    /// the inline SVG's XML) as visible escapes.
    private func escape(_ text: String) -> String {
        var result = ""
        for character in TextTable.visible(text) {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    private func table(_ header: [String], _ rows: [[String]]) -> String {
        "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
            + rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
    }

    /// An axis from 0: ticks every `step` (1, 2 or 5 × 10^k, at most five steps), up to `top`, the
    /// first tick at or above `maximum`.
    package static func niceAxis(_ maximum: Double) -> (top: Double, step: Double) {
        guard maximum > 1e-300, maximum.isFinite else { return (1, 0.2) }
        let rough = maximum / 5
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        while magnitude > rough { magnitude /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        var ticks = (maximum / step).rounded(.up)
        // Rounding error in the division must not add an empty step, nor leave the maximum above the top.
        if (ticks - 1) * step >= maximum { ticks -= 1 }
        if ticks * step < maximum { ticks += 1 }
        // Near the largest Double the top would overflow: five equal steps up to the maximum instead.
        guard (ticks * step).isFinite, ticks <= 10 else { return (maximum, maximum / 5) }
        return (ticks * step, step)
    }

    /// Every how many positions an axis label fits, when each position is `slot` wide and a label
    /// needs `room`.
    package static func labelEvery(slot: Double, room: Double) -> Int {
        guard slot > 0, slot.isFinite else { return 1 }
        let every = (room / slot).rounded(.up)
        return every.isFinite && every > 1 ? Int(min(every, 1_000_000)) : 1
    }

    private func number(_ value: Double) -> String { ReportFormatting.fixed(value, 1) }

    /// Bars from 0, every iteration labelled (every k-th when labels would overlap), iterations
    /// with errors in red with their error count above the bar.
    private func barChart(_ bars: [(label: String, seconds: Double, errors: Int)]) -> String {
        let width = 940.0, height = 240.0, left = 60.0, bottom = 44.0, top = 18.0
        let (maximum, step) = Self.niceAxis(bars.map(\.seconds).max() ?? 0)
        let slot = (width - left - 10) / Double(max(bars.count, 1))
        var parts: [String] = []
        let ticks = Int((maximum / step).rounded())
        for tick in 0...ticks {
            let value = step * Double(tick)
            let y = top + (height - top - bottom) * (1 - value / maximum)
            parts.append("<line x1=\"\(number(left))\" y1=\"\(number(y))\" x2=\"\(number(width - 10))\" y2=\"\(number(y))\" stroke=\"#e3e6ee\"/>")
            parts.append("<text x=\"\(number(left - 6))\" y=\"\(number(y + 4))\" text-anchor=\"end\">\(escape(ReportFormatting.duration(value)))</text>")
        }
        let labelEvery = Self.labelEvery(slot: slot, room: 9 + 7 * Double(bars.map(\.label.count).max() ?? 1))
        for (index, bar) in bars.enumerated() {
            let barHeight = (height - top - bottom) * min(max(bar.seconds, 0) / maximum, 1)
            let x = left + Double(index) * slot + slot * 0.15
            let colour = bar.errors > 0 ? "#eb3b5a" : "#4b7bec"
            let errors = bar.errors > 0 ? ", \(EnglishText.count(bar.errors, "error"))" : ""
            parts.append("<rect x=\"\(number(x))\" y=\"\(number(height - bottom - barHeight))\" width=\"\(number(slot * 0.7))\" height=\"\(number(barHeight))\" fill=\"\(colour)\"><title>iteration \(escape(bar.label)): \(escape(ReportFormatting.duration(bar.seconds)))\(errors)</title></rect>")
            if bar.errors > 0 {
                parts.append("<text class=\"error-mark\" x=\"\(number(x + slot * 0.35))\" y=\"\(number(height - bottom - barHeight - 4))\" text-anchor=\"middle\">✕\(bar.errors > 1 ? "\(bar.errors)" : "")</text>")
            }
            if index % labelEvery == 0 {
                parts.append("<text x=\"\(number(x + slot * 0.35))\" y=\"\(number(height - bottom + 16))\" text-anchor=\"middle\">\(escape(bar.label))</text>")
            }
        }
        parts.append("<text x=\"\(number(left))\" y=\"\(number(height - 6))\">iteration\(labelEvery > 1 ? " (one label every \(labelEvery))" : "") · red with ✕: iteration with errors</text>")
        return "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-label=\"iteration durations\">\(parts.joined())</svg>"
    }

    /// A line from 0 (or the lowest value, when negative) to a nice top, every iteration labelled on
    /// the x axis (every k-th when labels would overlap), iterations with errors drawn in red.
    private func lineChart(title: String, points: [(iteration: Int, value: Double)], failing: Set<Int>) -> String {
        let width = 460.0, height = 180.0, left = 46.0, bottom = 36.0, top = 26.0, right = 12.0
        var parts = ["<text class=\"title\" x=\"4\" y=\"14\">\(escape(title))</text>"]
        guard let first = points.first, let last = points.last else {
            return "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\">\(parts.joined())</svg>"
        }
        let values = points.map(\.value).filter(\.isFinite)
        let low = min(values.min() ?? 0, 0)
        let (top0, step) = Self.niceAxis((values.max() ?? 0) - low)
        let high = low + top0
        let xMin = Double(first.iteration), xMax = Double(max(last.iteration, first.iteration + 1))
        func x(_ iteration: Int) -> Double { left + (width - left - right) * (Double(iteration) - xMin) / (xMax - xMin) }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - (value - low) / (high - low)) }
        let ticks = Int((top0 / step).rounded())
        for tick in 0...ticks {
            let value = low + step * Double(tick)
            parts.append("<line x1=\"\(number(left))\" y1=\"\(number(y(value)))\" x2=\"\(number(width - right))\" y2=\"\(number(y(value)))\" stroke=\"#e3e6ee\"/>")
            parts.append("<text x=\"\(number(left - 5))\" y=\"\(number(y(value) + 4))\" text-anchor=\"end\">\(escape(ReportFormatting.value(value)))</text>")
        }
        let span = max(last.iteration - first.iteration, 1)
        let every = Self.labelEvery(slot: (width - left - right) / Double(span), room: 9 + 7 * Double("\(last.iteration)".count))
        for iteration in stride(from: first.iteration, through: last.iteration, by: every) {
            parts.append("<text x=\"\(number(x(iteration)))\" y=\"\(number(height - bottom + 15))\" text-anchor=\"middle\"\(failing.contains(iteration) ? " class=\"error-mark\"" : "")>\(iteration)</text>")
        }
        parts.append("<text x=\"\(number(left))\" y=\"\(number(height - 4))\">iteration · red: with errors</text>")
        let path = points.filter { $0.value.isFinite }.map { "\(number(x($0.iteration))),\(number(y($0.value)))" }.joined(separator: " ")
        parts.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"#20bf6b\" stroke-width=\"2\"/>")
        for point in points where point.value.isFinite && (points.count <= 60 || failing.contains(point.iteration)) {
            let colour = failing.contains(point.iteration) ? "#eb3b5a" : "#20bf6b"
            let errors = failing.contains(point.iteration) ? " (errors)" : ""
            parts.append("<circle cx=\"\(number(x(point.iteration)))\" cy=\"\(number(y(point.value)))\" r=\"3.5\" fill=\"\(colour)\"><title>iteration \(point.iteration): \(escape(ReportFormatting.value(point.value)))\(errors)</title></circle>")
        }
        return "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\">\(parts.joined())</svg>"
    }

    /// One row per command: whiskers from min to max, a box from p25 to p75, the median, and p95.
    private func boxPlot(_ commands: [CommandStatistics]) -> String {
        let rowHeight = 26.0, left = 110.0, width = 940.0, right = 20.0, top = 10.0
        let height = top + rowHeight * Double(commands.count) + 46
        let (maximum, step) = Self.niceAxis(commands.map(\.maxSeconds).max() ?? 0)
        func x(_ seconds: Double) -> Double { left + (width - left - right) * min(seconds / maximum, 1) }
        var parts: [String] = []
        for tick in 0...Int((maximum / step).rounded()) {
            let value = step * Double(tick)
            parts.append("<line x1=\"\(number(x(value)))\" y1=\"\(number(top))\" x2=\"\(number(x(value)))\" y2=\"\(number(height - 40))\" stroke=\"#e3e6ee\"/>")
            parts.append("<text x=\"\(number(x(value)))\" y=\"\(number(height - 24))\" text-anchor=\"middle\">\(escape(ReportFormatting.duration(value)))</text>")
        }
        for (row, command) in commands.enumerated() {
            let sorted = command.durations.sorted()
            let q1 = Percentile.of(sorted: sorted, q: 25) ?? 0, q3 = Percentile.of(sorted: sorted, q: 75) ?? 0
            let y = top + rowHeight * Double(row) + rowHeight / 2
            let label = command.command.isEmpty ? "(none)" : command.command
            parts.append("<text x=\"\(number(left - 8))\" y=\"\(number(y + 4))\" text-anchor=\"end\">\(escape(label))</text>")
            parts.append("<line x1=\"\(number(x(sorted.first ?? 0)))\" y1=\"\(number(y))\" x2=\"\(number(x(command.maxSeconds)))\" y2=\"\(number(y))\" stroke=\"#8a94a8\"/>")
            parts.append("<rect x=\"\(number(x(q1)))\" y=\"\(number(y - 8))\" width=\"\(number(max(x(q3) - x(q1), 1)))\" height=\"16\" fill=\"#a5b8f3\" stroke=\"#4b7bec\"><title>\(escape(label)): p25 \(escape(ReportFormatting.duration(q1))), p75 \(escape(ReportFormatting.duration(q3)))</title></rect>")
            parts.append("<line x1=\"\(number(x(command.p50Seconds)))\" y1=\"\(number(y - 8))\" x2=\"\(number(x(command.p50Seconds)))\" y2=\"\(number(y + 8))\" stroke=\"#1d2330\" stroke-width=\"2\"/>")
            parts.append("<circle cx=\"\(number(x(command.p95Seconds)))\" cy=\"\(number(y))\" r=\"3.5\" fill=\"#eb3b5a\"><title>\(escape(label)) p95 \(escape(ReportFormatting.duration(command.p95Seconds)))</title></circle>")
        }
        parts.append("<text x=\"\(number(left))\" y=\"\(number(height - 4))\">box: p25–p75 · bar: median · red dot: p95 · line: min–max</text>")
        return "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-label=\"command durations\">\(parts.joined())</svg>"
    }
}
