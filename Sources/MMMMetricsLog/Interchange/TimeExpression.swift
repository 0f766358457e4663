public import MMMMetricsCore
import MMMMetricsLogFormat

/// Points in time as users type them: RFC 3339 (`2026-11-28T10:00:00Z`), `now`, or relative to now
/// (`-2h`, `-30m`, `-7d`; units `ns`, `us`, `ms`, `s`, `m`, `h`, `d`, `w`).
public enum TimeExpression {
    /// The instant `text` names, or `nil` when it is not one of the accepted forms.
    public static func parse(_ text: String, now: MetricTimestamp = .now()) -> MetricTimestamp? {
        if let absolute = RFC3339.parse(text) { return absolute }
        if text == "now" { return now }
        guard text.hasPrefix("-") else { return nil }
        let body = text.dropFirst()
        for (suffix, scale) in Duration.unitSeconds where body.hasSuffix(suffix) {
            guard let amount = Double(body.dropLast(suffix.count)), amount >= 0 else { continue }
            guard let duration = Duration.seconds(checked: amount * scale) else { return nil }
            let (instant, overflow) = now.nanosecondsSinceEpoch.subtractingReportingOverflow(duration.totalNanoseconds)
            return overflow ? nil : MetricTimestamp(nanosecondsSinceEpoch: instant)
        }
        return nil
    }
}
