public import MMMMetricsCore

/// Current aggregates of events in the Prometheus text exposition format 0.0.4, for a `/metrics`
/// endpoint, `serve` and a Pushgateway.
///
/// Guarantees:
/// - counters are summed (`<name>_total`, type `counter`); gauges keep their latest value (type
///   `gauge`); timers become summaries in seconds without quantiles (`<name>_seconds_sum` and
///   `_count`, type `summary`): sums and counts add up across scrapes, servers and machines,
///   where quantiles would not;
/// - events kept by sampling count 1/rate times (docs/QUERY.md#sampling), as the query engine counts them;
/// - names and labels are mapped by ``MetricNaming``; label values are escaped (`\\`, `"`, `\n`);
///   every family has `# HELP` (the original name) and `# TYPE`, families and series are sorted,
///   so equal aggregates render equal bytes;
/// - two metrics whose names map to one family with different types cannot both be exposed: the
///   first type seen keeps the family and the other's events are counted in ``conflictingEvents``;
/// - custom data is not a number and is counted in ``skippedEvents``;
/// - no timestamps are written (a Pushgateway refuses them; Prometheus stamps the scrape).
public struct PrometheusExposition: Sendable {
    /// One series' state.
    struct Series: Sendable {
        var sum: Double = 0
        var count: Double = 0
        var last: Double = 0
        var lastTimestamp: Int64 = .min
    }

    struct Family: Sendable {
        var kind: NumericKind
        var help: String
        var series: [[Label]: Series] = [:]
    }

    struct Label: Sendable, Hashable, Comparable {
        var name: String
        var value: String
        static func < (lhs: Label, rhs: Label) -> Bool { (lhs.name, lhs.value) < (rhs.name, rhs.value) }
    }

    private var families: [String: Family] = [:]
    /// Events whose name mapped onto a family of another type.
    public private(set) var conflictingEvents = 0
    /// Events with custom data (no number to expose).
    public private(set) var skippedEvents = 0
    /// Series held.
    public private(set) var seriesCount = 0

    /// Empty aggregates.
    public init() {}

    /// Adds an event; `extraLabels` (such as `session`) are added unless the event has a tag of that name.
    public mutating func add(_ event: MetricEvent, extraLabels: [(String, String)] = []) {
        guard let (kind, number) = NumericKind.of(event.value) else {
            skippedEvents += 1
            return
        }
        let name = MetricNaming.prometheusName(event.name, kind: kind)
        if let existing = families[name]?.kind, existing != kind {
            conflictingEvents += 1
            return
        }
        var labels: [Label] = []
        for tag in event.tags {
            guard let label = MetricNaming.labelName(tag.key), !labels.contains(where: { $0.name == label }) else { continue }
            labels.append(Label(name: label, value: tag.value))
        }
        for (key, value) in extraLabels where !labels.contains(where: { $0.name == key }) {
            labels.append(Label(name: key, value: value))
        }
        labels.sort()
        let weight = MetricNaming.weight(event)
        let time = event.timestamp?.nanosecondsSinceEpoch ?? .min
        var family = families[name] ?? Family(kind: kind, help: event.name)
        var series = family.series[labels] ?? {
            seriesCount += 1
            return Series()
        }()
        series.sum += kind == .gauge ? 0 : number * weight
        series.count += weight
        if time >= series.lastTimestamp {
            series.last = number
            series.lastTimestamp = time
        }
        family.series[labels] = series
        families[name] = family
    }

    /// Adds every family of `other` (with its labels as they are).
    public mutating func merge(_ other: PrometheusExposition) {
        for (name, family) in other.families {
            guard var mine = families[name] else {
                families[name] = family
                seriesCount += family.series.count
                continue
            }
            guard mine.kind == family.kind else {
                conflictingEvents += family.series.values.reduce(0) { $0 + Int($1.count.rounded()) }
                continue
            }
            for (labels, series) in family.series {
                guard var existing = mine.series[labels] else {
                    mine.series[labels] = series
                    seriesCount += 1
                    continue
                }
                existing.sum += series.sum
                existing.count += series.count
                if series.lastTimestamp >= existing.lastTimestamp {
                    existing.last = series.last
                    existing.lastTimestamp = series.lastTimestamp
                }
                mine.series[labels] = existing
            }
            families[name] = mine
        }
        conflictingEvents += other.conflictingEvents
        skippedEvents += other.skippedEvents
    }

    /// Whether nothing has been added.
    public var isEmpty: Bool { families.isEmpty }

    /// The exposition text (`text/plain; version=0.0.4`).
    public func render() -> String {
        var output = ""
        for name in families.keys.sorted() {
            let family = families[name]!
            output += "# HELP \(name) \(Self.escapedHelp(family.help))\n"
            output += "# TYPE \(name) \(family.kind == .timer ? "summary" : family.kind.rawValue)\n"
            for labels in family.series.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                let series = family.series[labels]!
                let text = Self.labelText(labels)
                switch family.kind {
                case .counter:
                    output += "\(name)\(text) \(Self.number(series.sum))\n"
                case .gauge:
                    output += "\(name)\(text) \(Self.number(series.last))\n"
                case .timer:
                    output += "\(name)_sum\(text) \(Self.number(series.sum))\n"
                    output += "\(name)_count\(text) \(Self.number(series.count))\n"
                }
            }
        }
        return output
    }

    static func labelText(_ labels: [Label]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.name)=\"\(escapedValue($0.value))\"" }.joined(separator: ",") + "}"
    }

    static func escapedValue(_ text: String) -> String {
        var output = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": output += "\\\\"
            case "\"": output += "\\\""
            case "\n": output += "\\n"
            default: output.unicodeScalars.append(character)
            }
        }
        return output
    }

    static func escapedHelp(_ text: String) -> String {
        text.replacingEvery("\\", with: "\\\\").replacingEvery("\n", with: "\\n")
    }

    /// A sample value as Prometheus parses it: shortest round-trip decimal, `NaN`, `+Inf`, `-Inf`.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }
}

extension String {
    func replacingEvery(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
