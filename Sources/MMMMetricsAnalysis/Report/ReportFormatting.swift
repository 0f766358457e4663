import MMMMetricsLog

/// Number formatting shared by the text, Markdown and HTML reports.
enum ReportFormatting {
    /// `0.25ms`, `950ms`, `12.5s`, `3m 02s`, `1h 04m`; a negative duration (odd input) with a `-`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        // Beyond what an Int holds exactly (no real run lasts 30 million years): Swift's own form.
        guard abs(seconds) < 1e15 else { return "\(seconds)s" }
        if seconds < 0 { return "-" + duration(-seconds) }
        let milliseconds = seconds * 1000
        // Under 10 ms with up to three significant decimals (an axis step of 0.5 ms read "1ms").
        if milliseconds < 10 {
            var text = fixed(milliseconds, milliseconds >= 1 ? 1 : milliseconds >= 0.1 ? 2 : 3)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text + "ms"
        }
        // Rounding must not give 1000ms or 60.0s: those are 1.0s and 1m 00s.
        if milliseconds.rounded() < 1000 { return "\(Int(milliseconds.rounded()))ms" }
        if seconds < 60, fixed(seconds, 1) != "60.0" { return fixed(seconds, 1) + "s" }
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
        // Digits an Int cannot hold exactly (a gauge of 1e20 is valid input): Swift's own form, as `1e+20`.
        guard scaled < 1e15 else { return "\(value)" }
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
