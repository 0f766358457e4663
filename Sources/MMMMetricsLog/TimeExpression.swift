public import MMMMetrics

/// Points in time as users type them: RFC 3339 (`2026-11-28T10:00:00Z`), `now`, or relative to now
/// (`-2h`, `-30m`, `-7d`; units `ns`, `us`, `ms`, `s`, `m`, `h`, `d`, `w`).
public enum TimeExpression {
    /// The instant `text` names, or `nil` when it is not one of the accepted forms.
    public static func parse(_ text: String, now: MetricTimestamp = .now()) -> MetricTimestamp? {
        if let absolute = RFC3339.parse(text) { return absolute }
        if text == "now" { return now }
        guard text.hasPrefix("-") else { return nil }
        let body = text.dropFirst()
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86400e9), ("w", 604800e9)]
        for (suffix, scale) in units where body.hasSuffix(suffix) {
            guard let amount = Double(body.dropLast(suffix.count)), amount.isFinite, amount >= 0 else { continue }
            let nanoseconds = amount * scale
            guard nanoseconds < 9e18 else { return nil }
            return MetricTimestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch &- Int64(nanoseconds.rounded()))
        }
        return nil
    }
}
