import MMMMetricsCore
import MMMMetricsLog

/// One snapshot object of a legacy file (a `current.json`, or one entry of a history) turned into
/// catalog events, all stamped with the snapshot's `timestamp` and tagged with its iteration. The
/// mapping is in docs/LEGACY.md: plain numbers through ``gauges`` and ``timers``, whole JSON values
/// through ``customs``, the structured keys by a function each.
struct LegacySnapshot {
    /// Number keys and the gauge each becomes.
    static let gauges: [(key: String, metric: String)] = [
        ("test_coverage", "quality.test_coverage"), ("doc_coverage", "quality.documentation_coverage"),
        ("lint_warnings", "quality.lint_warnings"), ("type_coverage", "legacy.type_coverage"),
        ("code_duplication", "legacy.code_duplication"), ("binary_size", "legacy.binary_size_bytes"),
        ("max_nesting_depth", "legacy.max_nesting_depth"), ("total_lines", "legacy.total_lines"),
        ("bugs_fixed", "legacy.bugs_fixed"), ("features_added", "legacy.features_added"),
        ("tech_debt_score", "legacy.tech_debt_score"), ("improvement_velocity", "legacy.improvement_velocity"),
    ]
    /// Duration keys and the timer each becomes.
    static let timers: [(key: String, metric: String)] = [("compile_time", "legacy.compile_time"), ("iteration_duration", "iteration.duration")]
    /// Keys kept whole as custom events `legacy.<key>` (when not empty).
    static let customs = ["complexity_hotspots", "benchmark_results", "workflow_timing"]

    private let object: [String: JSONValue]
    private let prefix: String
    private let path: String
    private let timestamp: MetricTimestamp
    private var tags: Tags
    private var output: [MetricEvent] = []

    /// Reads the snapshot's timestamp and iteration; throws naming the key when they are invalid.
    init(_ object: [String: JSONValue], key prefix: String, path: String, iteration: String?, extraTags: Tags) throws(LegacyError) {
        self.object = object
        self.prefix = prefix
        self.path = path
        func fail(_ key: String, _ expected: String) -> LegacyError {
            LegacyError(path: path, message: "\(prefix.isEmpty ? key : "\(prefix).\(key)") must be \(expected)")
        }
        guard case .string(let timeText)? = object["timestamp"] else { throw fail("timestamp", "an RFC 3339 string") }
        switch RFC3339.parseChecked(timeText) {
        case .success(let parsed): timestamp = parsed
        // As NDJSON's "ts" says: a valid RFC 3339 time with ten fractional digits is refused for those.
        case .failure(.syntax): throw fail("timestamp", "an RFC 3339 timestamp with at most nine fractional digits, not \(timeText.prefix(80).debugDescription)")
        case .failure(.outOfRange): throw fail("timestamp", "a time in \(RFC3339.supportedRange), not \(timeText.prefix(80).debugDescription)")
        }
        tags = extraTags
        if let iteration { tags["iteration"] = iteration }
        switch object["iteration_id"] {
        case .string(let id)?:
            tags["iteration_id"] = id
            if tags["iteration"] == nil { tags["iteration"] = LegacyImport.iterationTag(id) }
        case .null?, nil: break
        default: throw fail("iteration_id", "a string or null")
        }
    }

    /// The snapshot's events, in mapping order.
    mutating func events() throws(LegacyError) -> [MetricEvent] {
        for (key, metric) in Self.gauges {
            if let value = try number(key) { gauge(metric, value) }
        }
        for (key, metric) in Self.timers {
            if let value = object[key], let duration = try duration(value, key) {
                output.append(.timer(name: metric, duration: duration, tags: tags, timestamp: timestamp))
            }
        }
        try commandTimings()
        try memoryUsage()
        try healthScore()
        try complexity()
        for key in Self.customs {
            switch object[key] {
            case nil, .null?: continue
            case .object(let members)? where members.isEmpty: continue
            case .array(let items)? where items.isEmpty: continue
            case .object?, .array?: output.append(.custom(name: "legacy.\(key)", data: object[key]!, tags: tags, timestamp: timestamp))
            // MMM writes a list or a map there: a string or a number is no such report.
            default: throw fail(key, "an array, an object or null")
            }
        }
        return output
    }

    private func fail(_ key: String, _ expected: String) -> LegacyError {
        LegacyError(path: path, message: "\(prefix.isEmpty ? key : "\(prefix).\(key)") must be \(expected)")
    }

    private mutating func gauge(_ metric: String, _ value: Double, extra: Tags = [:]) {
        output.append(.gauge(name: metric, value: value, tags: extra.isEmpty ? tags : tags.merging(extra), timestamp: timestamp))
    }

    /// `value` as a number, nil when absent or null; anything else is an error naming `key`.
    private func numberValue(_ value: JSONValue?, _ key: String) throws(LegacyError) -> Double? {
        switch value {
        case nil, .null?: return nil
        case let value?:
            guard let number = value.doubleValue else { throw fail(key, "a number or null") }
            return number
        }
    }

    /// A number or null at `key`.
    private func number(_ key: String) throws(LegacyError) -> Double? {
        switch object[key] {
        case nil, .null?: return nil
        case let value?:
            guard let number = value.doubleValue else { throw fail(key, "a number or null") }
            return number
        }
    }

    /// A Rust `Duration` (`{"secs": N, "nanos": N}`) or a number of seconds; not negative, at most 292 years.
    private func duration(_ value: JSONValue, _ key: String) throws(LegacyError) -> Duration? {
        let expected = "a duration ({\"secs\": N, \"nanos\": N}) or a number of seconds"
        let seconds: Double
        switch value {
        case .null: return nil
        case .object(let parts):
            guard let secs = parts["secs"]?.integerValue, let nanos = parts["nanos"]?.integerValue else { throw fail(key, expected) }
            // A Rust Duration's nanos are 0 to 999,999,999 (-1 was read as 999,999,999 less a second).
            guard (0..<1_000_000_000).contains(nanos) else { throw fail(key + ".nanos", "0 to 999999999, not \(nanos)") }
            seconds = (Duration.seconds(secs) + .nanoseconds(nanos)).secondsAsDouble
        default:
            guard let number = value.doubleValue else { throw fail(key, expected) }
            seconds = number
        }
        guard seconds >= 0, let duration = Duration.seconds(checked: seconds) else {
            throw fail(key, "a duration of 0 to 292 years (Int64 nanoseconds), not \(seconds) s")
        }
        return duration
    }

    /// `command_timings`: `{command: duration}` → `command.duration` tagged `command`.
    private mutating func commandTimings() throws(LegacyError) {
        switch object["command_timings"] {
        case .object(let timings)?:
            for command in timings.keys.sorted() {
                if let elapsed = try duration(timings[command]!, "command_timings.\(command)") {
                    output.append(.timer(name: "command.duration", duration: elapsed, tags: tags.merging(["command": command]), timestamp: timestamp))
                }
            }
        case nil, .null?: break
        default: throw fail("command_timings", "an object of durations or null")
        }
    }

    /// `memory_usage`: `{key: bytes}` → `legacy.memory.<key>_bytes`.
    private mutating func memoryUsage() throws(LegacyError) {
        switch object["memory_usage"] {
        case .object(let usage)?:
            for key in usage.keys.sorted() {
                guard let value = usage[key]!.doubleValue else { throw fail("memory_usage.\(key)", "a number") }
                gauge("legacy.memory.\(key)_bytes", value)
            }
        case nil, .null?: break
        default: throw fail("memory_usage", "an object or null")
        }
    }

    /// `health_score`: `overall` → `legacy.health_score`, each component → `legacy.health.<name>`.
    private mutating func healthScore() throws(LegacyError) {
        switch object["health_score"] {
        case .object(let health)?:
            if let overall = try numberValue(health["overall"], "health_score.overall") { gauge("legacy.health_score", overall) }
            switch health["components"] {
            case .object(let components)?:
                for key in components.keys.sorted() {
                    if let value = try numberValue(components[key], "health_score.components.\(key)") { gauge("legacy.health.\(key)", value) }
                }
            case nil, .null?: break
            default: throw fail("health_score.components", "an object or null")
            }
        case nil, .null?: break
        default: throw fail("health_score", "an object or null")
        }
    }

    /// Complexity: per-function maps (older files) or a per-file summary (newer ones), as mean and max.
    private mutating func complexity() throws(LegacyError) {
        let cyclomatic = try perFunction("cyclomatic_complexity")
        let cognitive = try perFunction("cognitive_complexity")
        let summary = try complexitySummary()
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        if let meanCyclomatic = summary?.cyclomatic ?? mean(cyclomatic) {
            gauge("quality.complexity_score", meanCyclomatic)
            gauge("legacy.cyclomatic_complexity.max", summary?.maxCyclomatic ?? cyclomatic.max() ?? 0)
        }
        if let meanCognitive = summary?.cognitive ?? mean(cognitive) {
            gauge("legacy.cognitive_complexity.mean", meanCognitive)
            gauge("legacy.cognitive_complexity.max", summary?.maxCognitive ?? cognitive.max() ?? 0)
        }
        if let functions = summary?.functions ?? (cyclomatic.isEmpty ? nil : Double(cyclomatic.count)) {
            gauge("legacy.functions", functions)
        }
    }

    /// The values of a `{"<path>::<function>": number}` map, by function name.
    private func perFunction(_ key: String) throws(LegacyError) -> [Double] {
        switch object[key] {
        case .object(let functions)?:
            var values: [Double] = []
            for function in functions.keys.sorted() {
                guard let value = functions[function]!.doubleValue else { throw fail("\(key).\(function)", "a number") }
                values.append(value)
            }
            return values
        case nil, .null?: return []
        default: throw fail(key, "an object of numbers or null")
        }
    }

    /// `complexity_summary.by_file`, weighted by each file's function count.
    private func complexitySummary() throws(LegacyError) -> (cyclomatic: Double, cognitive: Double, functions: Double, maxCyclomatic: Double, maxCognitive: Double)? {
        switch object["complexity_summary"] {
        case .object(let summary)?:
            guard case .object(let files)? = summary["by_file"] else { return nil }
            var totals = (cyclomatic: 0.0, cognitive: 0.0, functions: 0.0, maxCyclomatic: 0.0, maxCognitive: 0.0)
            for file in files.keys.sorted() {
                guard case .object(let stats) = files[file]! else { throw fail("complexity_summary.by_file.\(file)", "an object") }
                // A value of the wrong type is an error naming it (it read as 0, and the gauges went).
                func stat(_ name: String) throws(LegacyError) -> Double {
                    try numberValue(stats[name], "complexity_summary.by_file.\(file).\(name)") ?? 0
                }
                let count = try stat("functions_count")
                totals.cyclomatic += try stat("avg_cyclomatic") * count
                totals.cognitive += try stat("avg_cognitive") * count
                totals.functions += count
                totals.maxCyclomatic = max(totals.maxCyclomatic, try stat("max_cyclomatic"))
                totals.maxCognitive = max(totals.maxCognitive, try stat("max_cognitive"))
            }
            guard totals.functions > 0 else { return nil }
            return (totals.cyclomatic / totals.functions, totals.cognitive / totals.functions, totals.functions, totals.maxCyclomatic, totals.maxCognitive)
        case nil, .null?: return nil
        default: throw fail("complexity_summary", "an object or null")
        }
    }
}
