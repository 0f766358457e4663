public import MMMMetricsCore

/// How metric names and tags become the names of other systems (docs/REMOTE.md#names).
///
/// Prometheus names match `[a-zA-Z_:][a-zA-Z0-9_:]*` and label names `[a-zA-Z_][a-zA-Z0-9_]*`:
/// every other character (the `.` of `git.lines_added`, a `-`, an `é`) becomes `_`, a name that
/// would start with a digit gets a leading `_`, and a leading `__` (reserved) becomes `_`. Counters end in `_total`, timers are in
/// seconds and end in `_seconds`: `git.lines_added` → `git_lines_added_total`,
/// `command.duration` → `command_duration_seconds`, `quality.test_coverage` →
/// `quality_test_coverage`. Tags starting with `__` (reserved by Prometheus; the sampling tag is
/// one) are not labels.
public enum MetricNaming {
    /// The Prometheus name of a metric of this kind: sanitised, with its unit and type suffix.
    public static func prometheusName(_ name: String, kind: NumericKind) -> String {
        let base = sanitized(name, allowColon: true)
        switch kind {
        case .counter: return base.hasSuffix("_total") ? base : base + "_total"
        case .timer: return base.hasSuffix("_seconds") ? base : base + "_seconds"
        case .gauge: return base
        }
    }

    /// A label name for a tag key, or `nil` for keys Prometheus reserves (`__…`, such as the
    /// sampling tag).
    public static func labelName(_ key: String) -> String? {
        key.hasPrefix("__") ? nil : sanitized(key, allowColon: false)
    }

    /// `text` with every character outside `[a-zA-Z0-9_]` (and `:` when allowed) replaced by one
    /// `_`, a `_` in front when it would start with a digit or be empty, and a leading run of `_`
    /// cut to one (names starting with `__` are Prometheus' own).
    static func sanitized(_ text: String, allowColon: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let keep = (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A)
                || value == 0x5F || (allowColon && value == 0x3A)
            bytes.append(keep ? UInt8(value) : 0x5F)
        }
        if bytes.first.map({ $0 >= 0x30 && $0 <= 0x39 }) ?? true { bytes.insert(0x5F, at: 0) }
        while bytes.count > 1, bytes[0] == 0x5F, bytes[1] == 0x5F { bytes.removeFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The InfluxDB measurement and field of a metric: the name split at its last `.`, each part
    /// sanitised as a Prometheus name, the field suffixed as ``prometheusName(_:kind:)`` suffixes,
    /// so that VictoriaMetrics (which names a series `measurement_field`) gets the Prometheus name:
    /// `git.lines_added` → `git` / `lines_added_total`. A name without a dot is the measurement, and
    /// the field is `total`, `seconds` or `value`.
    public static func influxMeasurementAndField(_ name: String, kind: NumericKind) -> (measurement: String, field: String) {
        let suffix = switch kind {
        case .counter: "total"
        case .timer: "seconds"
        case .gauge: "value"
        }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex, name.index(after: dot) != name.endIndex else {
            return (sanitized(name, allowColon: false), suffix)
        }
        let measurement = sanitized(String(name[..<dot]), allowColon: false)
        let field = sanitized(String(name[name.index(after: dot)...]), allowColon: false)
        if suffix == "value" || field.hasSuffix("_" + suffix) { return (measurement, field) }
        return (measurement, field + "_" + suffix)
    }

    /// The weight of an event: 1/rate when it was kept by sampling (``SampleRate``), else 1.
    static func weight(_ event: MetricEvent) -> Double {
        event.tags[SampleRate.tag].flatMap(SampleRate.weight) ?? 1
    }
}

/// The kinds of value other systems take: every ``MetricValue`` but custom data.
public enum NumericKind: String, Sendable, Hashable {
    /// A count to add.
    case counter
    /// A level.
    case gauge
    /// A duration, sent in seconds.
    case timer

    /// The kind and number of an event's value (a timer in seconds), or `nil` for custom data.
    public static func of(_ value: MetricValue) -> (kind: NumericKind, number: Double)? {
        switch value {
        case .counter(let count): (.counter, Double(count))
        case .gauge(let level): (.gauge, level)
        case .timer(let duration): (.timer, Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
        case .custom: nil
        }
    }
}
