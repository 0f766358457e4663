public import MMMMetricsCore

/// InfluxDB line protocol, as VictoriaMetrics (`/write`, `/api/v2/write`) and InfluxDB 1.x
/// (`/write`) take it: one line per event,
/// `measurement,tag=value,… field=value timestamp` with nanosecond timestamps.
///
/// Guarantees: counters are integer fields (`42i`); gauges and timers (in seconds) are float
/// fields in the shortest form that reads back as the same `Double`; tags are sorted by key, with
/// `,`, `=`, spaces and backslashes escaped and line breaks and other control characters turned into spaces
/// (the protocol has no escape for them); empty tag values are left out (the protocol forbids
/// them), as are reserved `__` tags. The session is the tag `session`; an event's own `session` tag
/// becomes `exported_session`.
/// An event with custom data, or a non-finite gauge (the protocol has no NaN), is not encoded:
/// ``encode(_:session:into:)`` returns `false` and the caller counts it.
public enum InfluxLineProtocol {
    /// Appends one line for `event`, or returns `false` when it cannot be expressed.
    @discardableResult
    public static func encode(_ event: MetricEvent, session: String?, into output: inout [UInt8]) -> Bool {
        var dropped = 0
        return encode(event, session: session, into: &output, droppedLabels: &dropped)
    }

    /// ``encode(_:session:into:)``, adding to `droppedLabels` the tags left out because their key
    /// sanitises to one another tag of the event already has (`a.b` and `a_b`: the first stays).
    @discardableResult
    public static func encode(_ event: MetricEvent, session: String?, into output: inout [UInt8], droppedLabels: inout Int) -> Bool {
        guard let (kind, number) = NumericKind.of(event.value), number.isFinite else { return false }
        let (measurement, field) = MetricNaming.influxMeasurementAndField(event.name, kind: kind)
        output.append(contentsOf: measurement.utf8)
        var tags: [(String, String)] = []
        let hasSession = session.map { !$0.isEmpty } ?? false
        for tag in event.tags where !tag.value.isEmpty {
            guard var name = MetricNaming.labelName(tag.key) else { continue }
            // The session is the stream's, never an event's claim: a `session` tag is kept under another name.
            if hasSession, name == "session" { name = "exported_session" }
            tags.append((name, tag.value))
        }
        if let session, hasSession { tags.append(("session", session)) }
        // Sanitising can make two keys equal (`a.b` and `a_b`): the first one stays.
        var seen = Set<String>()
        for (key, value) in tags.sorted(by: { $0.0 < $1.0 }) {
            guard seen.insert(key).inserted else {
                droppedLabels += 1
                continue
            }
            output.append(UInt8(ascii: ","))
            output.append(contentsOf: key.utf8)
            output.append(UInt8(ascii: "="))
            appendEscaped(value, to: &output)
        }
        output.append(UInt8(ascii: " "))
        output.append(contentsOf: field.utf8)
        output.append(UInt8(ascii: "="))
        if case .counter(let count) = event.value {
            output.append(contentsOf: String(count).utf8)
            output.append(UInt8(ascii: "i"))
        } else {
            output.append(contentsOf: number.description.utf8)
        }
        if let timestamp = event.timestamp {
            output.append(UInt8(ascii: " "))
            output.append(contentsOf: String(timestamp.nanosecondsSinceEpoch).utf8)
        }
        output.append(UInt8(ascii: "\n"))
        return true
    }

    /// A tag value with `,`, `=`, space and `\` escaped (two backslashes read as one, so a value
    /// ending in one cannot escape the separator after it) and control characters as escaped spaces.
    static func appendEscaped(_ text: String, to output: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: " "), UInt8(ascii: "\\"):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case 0..<0x20, 0x7F:
                output.append(UInt8(ascii: "\\"))
                output.append(UInt8(ascii: " "))
            default:
                output.append(byte)
            }
        }
    }
}

/// Counters as running totals per series, the way Prometheus-style engines expect a `_total` to
/// look: each event's increment (times 1/rate when it was sampled) is added to its series' total
/// and the total is sent, so `increase()` over a window and the last value agree with the log.
/// A series is the metric name and all its tags; totals saturate at the `Int64` limits.
public struct RunningTotals: Sendable {
    private var totals: [SeriesKey: Int64] = [:]

    struct SeriesKey: Hashable, Sendable {
        var name: String
        var tags: Tags
    }

    /// No totals yet.
    public init() {}

    /// Series seen.
    public var seriesCount: Int { totals.count }

    /// The event with a counter's value replaced by its series' new total; other events unchanged.
    public mutating func cumulative(_ event: MetricEvent) -> MetricEvent {
        guard case .counter(let increment) = event.value else { return event }
        let weight = MetricNaming.weight(event)
        let scaled = weight == 1 ? increment : Int64(clamping: Double(increment) * weight)
        let key = SeriesKey(name: event.name, tags: event.tags.removing([SampleRate.tag]))
        let (sum, overflow) = (totals[key] ?? 0).addingReportingOverflow(scaled)
        let total = overflow ? (scaled > 0 ? Int64.max : Int64.min) : sum
        totals[key] = total
        var result = event
        result.value = .counter(total)
        return result
    }
}

extension Int64 {
    /// A double rounded to the nearest integer and clamped to the `Int64` range (NaN is 0).
    init(clamping value: Double) {
        if value.isNaN { self = 0 } else if value >= 9.2233720368547748e18 { self = .max } else if value <= -9.2233720368547758e18 { self = .min } else {
            self = Int64(value.rounded())
        }
    }
}

/// Which metric took each name a line-protocol server shows (VictoriaMetrics joins measurement and
/// field: `a.b` and `a_b` both show as `a_b_total`). A second metric there would write into the
/// first one's series (its running totals overwriting them), so only the first is admitted.
public struct InfluxNameClaims: Sendable {
    private struct Metric: Hashable {
        var name: ExactText
        var kind: NumericKind
    }

    private var owners: [String: ExactText] = [:]
    /// Each metric's answer, decided on its first event: an owner never changes, so neither does it.
    private var decided: [Metric: Bool] = [:]

    public init() {}

    /// Whether `event` may be sent: its shown name is free (and now its metric's) or already its
    /// metric's. Events with no number are admitted (the encoder leaves them out).
    public mutating func admits(_ event: MetricEvent) -> Bool {
        guard let (kind, _) = NumericKind.of(event.value) else { return true }
        let metric = Metric(name: ExactText(event.name), kind: kind)
        if let answer = decided[metric] { return answer }
        let (measurement, field) = MetricNaming.influxMeasurementAndField(event.name, kind: kind)
        let shown = measurement + "_" + field
        let owner = owners[shown] ?? metric.name
        owners[shown] = owner
        decided[metric] = owner == metric.name
        return owner == metric.name
    }
}
