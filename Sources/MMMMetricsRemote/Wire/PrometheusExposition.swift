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
/// - two metrics whose names map to one family (or to sample names of one: a gauge `x_seconds_count`
///   beside a timer `x`), or onto a reserved name, cannot both be exposed: the first keeps the family
///   and the other's events are counted in ``conflictingEvents``, so the text never holds a family
///   twice;
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
    /// Sample names in use (a summary uses `_sum` and `_count` too), so that no two families
    /// render the same sample name.
    private var sampleNames: Set<String> = []
    /// Names (and name prefixes ending in `_`) that events may not take: the exposer's own metrics.
    public let reservedNames: Set<String>
    /// Events not exposed because their name maps onto a family another metric (of another type, or
    /// another name that sanitises the same: `a.b` and `a_b`) already holds, or onto a reserved
    /// name: the first metric keeps the family.
    public private(set) var conflictingEvents = 0
    /// Tags left out because their key sanitises to a label another tag of the event already has
    /// (`a.b` and `a_b`: the first in key order stays).
    public private(set) var droppedLabels = 0
    /// Events with custom data (no number to expose).
    public private(set) var skippedEvents = 0
    /// Series held.
    public private(set) var seriesCount = 0

    /// Empty aggregates; `reservedNames` are names (or, ending in `_`, prefixes) kept for the
    /// exposer's own metrics (`serve` reserves `mmm_serve_`).
    public init(reservedNames: Set<String> = []) { self.reservedNames = reservedNames }

    /// The sample names a family of this kind renders.
    static func samples(_ name: String, _ kind: NumericKind) -> [String] {
        kind == .timer ? [name, name + "_sum", name + "_count"] : [name]
    }

    /// Whether a new family `name` of `kind` may be added: none of its sample names is taken or reserved.
    private func canClaim(_ name: String, _ kind: NumericKind) -> Bool {
        Self.samples(name, kind).allSatisfy { sample in
            !sampleNames.contains(sample) && !reservedNames.contains(sample)
                && !reservedNames.contains { $0.hasSuffix("_") && sample.hasPrefix($0) }
        }
    }

    private mutating func claim(_ name: String, _ kind: NumericKind) {
        for sample in Self.samples(name, kind) { sampleNames.insert(sample) }
    }

    /// Adds an event. `extraLabels` (such as `session`) always win: an event tag of the same label
    /// name, or one of `reservedLabels` (a Pushgateway's `job` and `instance`), is exposed as
    /// `exported_<name>`, as Prometheus renames a scraped label that clashes with a target label.
    public mutating func add(_ event: MetricEvent, extraLabels: [(String, String)] = [], reservedLabels: Set<String> = []) {
        guard let (kind, number) = NumericKind.of(event.value) else {
            skippedEvents += 1
            return
        }
        let name = MetricNaming.prometheusName(event.name, kind: kind)
        if let existing = families[name] {
            guard existing.kind == kind, existing.help == event.name else {
                conflictingEvents += 1
                return
            }
        } else {
            guard canClaim(name, kind) else {
                conflictingEvents += 1
                return
            }
        }
        var labels: [Label] = []
        let taken = reservedLabels.union(extraLabels.map(\.0))
        for tag in event.tags {
            guard var label = MetricNaming.labelName(tag.key) else { continue }
            if taken.contains(label) { label = "exported_" + label }
            guard !labels.contains(where: { $0.name == label }) else {
                droppedLabels += 1
                continue
            }
            labels.append(Label(name: label, value: tag.value))
        }
        for (key, value) in extraLabels { labels.append(Label(name: key, value: value)) }
        labels.sort()
        let weight = MetricNaming.weight(event)
        let time = event.timestamp?.nanosecondsSinceEpoch ?? .min
        if families[name] == nil { claim(name, kind) }
        var family = families[name] ?? Family(kind: kind, help: event.name)
        var series: Series
        if let existing = family.series[labels] {
            series = existing
        } else {
            series = Series()
            seriesCount += 1
        }
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
        for name in other.families.keys.sorted() {
            let family = other.families[name]!
            guard var mine = families[name] else {
                guard canClaim(name, family.kind) else {
                    conflictingEvents += family.series.values.reduce(0) { $0 + Int($1.count.rounded()) }
                    continue
                }
                claim(name, family.kind)
                families[name] = family
                seriesCount += family.series.count
                continue
            }
            guard mine.kind == family.kind, mine.help == family.help else {
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
        droppedLabels += other.droppedLabels
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
