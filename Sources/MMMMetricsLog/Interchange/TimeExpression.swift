public import MMMMetricsCore
import MMMMetricsLogFormat

/// Points in time as users type them: RFC 3339 (`2026-11-28T10:00:00Z`), a date (`2026-11-29`,
/// midnight UTC), a date and time without seconds or offset (`2026-11-29T10:00`,
/// `2026-11-29 10:00`, `2026-11-29T10:00:30`: UTC unless an offset such as `+02:00` or `Z` is
/// given), `now`, or relative to now (`-2h`, `-30m`, `-7d`; units `ns`, `us`, `ms`, `s`, `m`, `h`,
/// `d`, `w`).
public enum TimeExpression {
    /// What the accepted forms are, for error messages.
    public static let accepted = "an RFC 3339 timestamp, a date (2026-11-29, midnight UTC), a date and time (2026-11-29T10:00 or \"2026-11-29 10:00\", UTC unless an offset is given), \"now\" or a relative time like -2h"

    /// The instant `text` names, or `nil` when it is not one of the accepted forms or is outside
    /// ``RFC3339/supportedRange``.
    public static func parse(_ text: String, now: MetricTimestamp = .now()) -> MetricTimestamp? {
        if let absolute = RFC3339.parse(text) { return absolute }
        if let completed = completedTimestamp(text), let absolute = RFC3339.parse(completed) { return absolute }
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

    /// The shortened forms written out as RFC 3339: a date gets `T00:00:00Z`, a time without
    /// seconds gets `:00`, a time without an offset gets `Z`. `nil` when `text` does not start with
    /// `YYYY-MM-DD`; the result is only a candidate, which RFC 3339 parsing still checks.
    static func completedTimestamp(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        func isDigit(_ index: Int) -> Bool { index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 }
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        guard bytes.count >= 10, (0..<4).allSatisfy(isDigit), bytes[4] == dash, isDigit(5), isDigit(6), bytes[7] == dash, isDigit(8), isDigit(9)
        else { return nil }
        if bytes.count == 10 { return text + "T00:00:00Z" }
        guard bytes.count >= 16, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
            isDigit(11), isDigit(12), bytes[13] == colon, isDigit(14), isDigit(15)
        else { return nil }
        var completed = Array(bytes[0..<16])
        var rest = bytes[16...]
        if rest.first == colon {
            // Seconds and an optional fraction as written.
            var end = rest.startIndex + 1
            while end < bytes.count, isDigit(end) || bytes[end] == UInt8(ascii: ".") { end += 1 }
            completed += bytes[16..<end]
            rest = bytes[end...]
        } else {
            completed += Array(":00".utf8)
        }
        completed += rest.isEmpty ? [UInt8(ascii: "Z")] : Array(rest)
        return String(decoding: completed, as: UTF8.self)
    }
}
