public import MMMMetricsCore
public import MMMMetricsLog

/// A legacy file that cannot be imported: which file and why.
public struct LegacyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong, naming the key where it applies.
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// MMM's old `.mmm/metrics/current.json` and `history.json` as catalog events (docs/LEGACY.md).
///
/// Recognised shapes: a snapshot object (`ImprovementMetrics`, with or without `health_score`, or
/// `ProjectMetrics`) — anything with `test_coverage` and `timestamp`; a history object
/// `{"snapshots": [{"metrics": snapshot, "iteration": N, "commit_sha": "…"}], …}`; a history array of
/// snapshots. Keys this adapter does not know are ignored (MMM added keys over time); a known key with
/// a value of the wrong type is an error naming it.
public enum LegacyImport {
    /// The events a legacy file stands for, in timestamp order. Throws for invalid JSON or an unknown shape.
    public static func events(fromFile path: String, bytes: [UInt8]) throws(LegacyError) -> [MetricEvent] {
        let json: JSONValue
        do {
            json = try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue in try JSONText.parse(raw) }
        } catch {
            throw LegacyError(path: path, message: "not valid JSON: \(error)")
        }
        var events: [MetricEvent] = []
        switch json {
        case .object(let object) where object["snapshots"] != nil:
            guard case .array(let snapshots) = object["snapshots"]! else {
                throw LegacyError(path: path, message: "\"snapshots\" must be an array")
            }
            for (index, entry) in snapshots.enumerated() {
                guard case .object(let item) = entry, case .object(let metrics)? = item["metrics"] else {
                    throw LegacyError(path: path, message: "snapshots[\(index)] must be an object with \"metrics\"")
                }
                var iteration: String?
                if let number = item["iteration"] {
                    guard let value = number.integerValue else { throw LegacyError(path: path, message: "snapshots[\(index)].iteration must be an integer") }
                    iteration = String(value)
                }
                var extra = Tags()
                if case .string(let sha)? = item["commit_sha"] { extra["commit"] = sha }
                events += try snapshot(metrics, key: "snapshots[\(index)].metrics", path: path, iteration: iteration, extraTags: extra)
            }
        case .object(let object) where object["test_coverage"] != nil && object["timestamp"] != nil:
            events = try snapshot(object, key: "", path: path, iteration: nil, extraTags: [:])
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item, object["timestamp"] != nil else {
                    throw LegacyError(path: path, message: "history entry [\(index)] is not a metrics snapshot (no \"timestamp\")")
                }
                events += try snapshot(object, key: "[\(index)]", path: path, iteration: nil, extraTags: [:])
            }
        default:
            throw LegacyError(path: path, message: "not one of MMM's metrics shapes: expected a current.json snapshot (with \"test_coverage\" and \"timestamp\"), a history object with \"snapshots\", or a history array")
        }
        // Stable: snapshots with equal times keep their file order.
        return events.enumerated().sorted { ($0.element.timestamp!, $0.offset) < ($1.element.timestamp!, $1.offset) }.map(\.element)
    }

    /// The iteration tag for an `iteration_id`: the number of `iteration-N`, else the id as it is.
    package static func iterationTag(_ id: String) -> String {
        if id.hasPrefix("iteration-"), let number = Int(id.dropFirst("iteration-".count)) { return String(number) }
        return id
    }

    static func snapshot(
        _ object: [String: JSONValue], key prefix: String, path: String, iteration: String?, extraTags: Tags
    ) throws(LegacyError) -> [MetricEvent] {
        func name(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
        func fail(_ key: String, _ expected: String) -> LegacyError {
            LegacyError(path: path, message: "\(name(key)) must be \(expected)")
        }
        guard case .string(let timeText)? = object["timestamp"] else { throw fail("timestamp", "an RFC 3339 string") }
        guard let timestamp = RFC3339.parse(timeText) else { throw fail("timestamp", "an RFC 3339 timestamp, not \(timeText.debugDescription)") }
        var tags = extraTags
        if let iteration { tags["iteration"] = iteration }
        switch object["iteration_id"] {
        case .string(let id)?:
            tags["iteration_id"] = id
            if tags["iteration"] == nil { tags["iteration"] = iterationTag(id) }
        case .null?, nil: break
        default: throw fail("iteration_id", "a string or null")
        }
        var events: [MetricEvent] = []
        func number(_ key: String) throws(LegacyError) -> Double? {
            switch object[key] {
            case nil, .null?: return nil
            case let value?:
                guard let number = value.doubleValue else { throw fail(key, "a number or null") }
                return number
            }
        }
        func gauge(_ key: String, as metric: String) throws(LegacyError) {
            if let value = try number(key) { events.append(.gauge(name: metric, value: value, tags: tags, timestamp: timestamp)) }
        }
        /// A Rust `Duration` (`{"secs": N, "nanos": N}`) or a number of seconds.
        func duration(_ value: JSONValue, _ key: String) throws(LegacyError) -> Duration? {
            switch value {
            case .null: return nil
            case .object(let parts):
                guard let secs = parts["secs"]?.integerValue, let nanos = parts["nanos"]?.integerValue else {
                    throw fail(key, "a duration ({\"secs\": N, \"nanos\": N}) or a number of seconds")
                }
                let duration = Duration.seconds(secs) + .nanoseconds(nanos)
                guard Duration.seconds(checked: duration.secondsAsDouble) != nil else {
                    throw fail(key, "a duration of at most 292 years (Int64 nanoseconds), not \(secs) s")
                }
                return duration
            default:
                guard let seconds = value.doubleValue else {
                    throw fail(key, "a duration ({\"secs\": N, \"nanos\": N}) or a number of seconds")
                }
                guard let duration = Duration.seconds(checked: seconds) else {
                    throw fail(key, "a duration of at most 292 years (Int64 nanoseconds), not \(seconds) s")
                }
                return duration
            }
        }
        try gauge("test_coverage", as: "quality.test_coverage")
        try gauge("doc_coverage", as: "quality.documentation_coverage")
        try gauge("lint_warnings", as: "quality.lint_warnings")
        try gauge("type_coverage", as: "legacy.type_coverage")
        try gauge("code_duplication", as: "legacy.code_duplication")
        try gauge("binary_size", as: "legacy.binary_size_bytes")
        try gauge("max_nesting_depth", as: "legacy.max_nesting_depth")
        try gauge("total_lines", as: "legacy.total_lines")
        try gauge("bugs_fixed", as: "legacy.bugs_fixed")
        try gauge("features_added", as: "legacy.features_added")
        try gauge("tech_debt_score", as: "legacy.tech_debt_score")
        try gauge("improvement_velocity", as: "legacy.improvement_velocity")
        if let value = object["compile_time"], let compile = try duration(value, "compile_time") {
            events.append(.timer(name: "legacy.compile_time", duration: compile, tags: tags, timestamp: timestamp))
        }
        if let value = object["iteration_duration"], let elapsed = try duration(value, "iteration_duration") {
            events.append(.timer(name: "iteration.duration", duration: elapsed, tags: tags, timestamp: timestamp))
        }
        switch object["command_timings"] {
        case .object(let timings)?:
            for command in timings.keys.sorted() {
                if let elapsed = try duration(timings[command]!, "command_timings.\(command)") {
                    events.append(.timer(name: "command.duration", duration: elapsed, tags: tags.merging(["command": command]), timestamp: timestamp))
                }
            }
        case nil, .null?: break
        default: throw fail("command_timings", "an object of durations or null")
        }
        switch object["memory_usage"] {
        case .object(let usage)?:
            for key in usage.keys.sorted() {
                guard let value = usage[key]!.doubleValue else { throw fail("memory_usage.\(key)", "a number") }
                events.append(.gauge(name: "legacy.memory.\(key)_bytes", value: value, tags: tags, timestamp: timestamp))
            }
        case nil, .null?: break
        default: throw fail("memory_usage", "an object or null")
        }
        switch object["health_score"] {
        case .object(let health)?:
            if let overall = health["overall"]?.doubleValue { events.append(.gauge(name: "legacy.health_score", value: overall, tags: tags, timestamp: timestamp)) }
            if case .object(let components)? = health["components"] {
                for key in components.keys.sorted() {
                    if let value = components[key]!.doubleValue {
                        events.append(.gauge(name: "legacy.health.\(key)", value: value, tags: tags, timestamp: timestamp))
                    }
                }
            }
        case nil, .null?: break
        default: throw fail("health_score", "an object or null")
        }
        // Complexity: per-function maps (older) or a per-file summary (newer), as mean and max.
        var cyclomatic: [Double] = []
        var cognitive: [Double] = []
        for (key, target) in [("cyclomatic_complexity", 0), ("cognitive_complexity", 1)] {
            switch object[key] {
            case .object(let functions)?:
                for function in functions.keys.sorted() {
                    guard let value = functions[function]!.doubleValue else { throw fail("\(key).\(function)", "a number") }
                    if target == 0 { cyclomatic.append(value) } else { cognitive.append(value) }
                }
            case nil, .null?: break
            default: throw fail(key, "an object of numbers or null")
            }
        }
        var summaryMeans: (cyclomatic: Double, cognitive: Double, functions: Double, maxCyclomatic: Double, maxCognitive: Double)?
        switch object["complexity_summary"] {
        case .object(let summary)?:
            if case .object(let files)? = summary["by_file"] {
                var totals = (0.0, 0.0, 0.0, 0.0, 0.0)
                for file in files.keys.sorted() {
                    guard case .object(let stats) = files[file]! else { throw fail("complexity_summary.by_file.\(file)", "an object") }
                    let count = stats["functions_count"]?.doubleValue ?? 0
                    totals.0 += (stats["avg_cyclomatic"]?.doubleValue ?? 0) * count
                    totals.1 += (stats["avg_cognitive"]?.doubleValue ?? 0) * count
                    totals.2 += count
                    totals.3 = max(totals.3, stats["max_cyclomatic"]?.doubleValue ?? 0)
                    totals.4 = max(totals.4, stats["max_cognitive"]?.doubleValue ?? 0)
                }
                if totals.2 > 0 { summaryMeans = (totals.0 / totals.2, totals.1 / totals.2, totals.2, totals.3, totals.4) }
            }
        case nil, .null?: break
        default: throw fail("complexity_summary", "an object or null")
        }
        let meanCyclomatic = summaryMeans?.cyclomatic ?? (cyclomatic.isEmpty ? nil : cyclomatic.reduce(0, +) / Double(cyclomatic.count))
        if let meanCyclomatic {
            events.append(.gauge(name: "quality.complexity_score", value: meanCyclomatic, tags: tags, timestamp: timestamp))
            events.append(.gauge(name: "legacy.cyclomatic_complexity.max", value: summaryMeans?.maxCyclomatic ?? cyclomatic.max() ?? 0, tags: tags, timestamp: timestamp))
        }
        if let meanCognitive = summaryMeans?.cognitive ?? (cognitive.isEmpty ? nil : cognitive.reduce(0, +) / Double(cognitive.count)) {
            events.append(.gauge(name: "legacy.cognitive_complexity.mean", value: meanCognitive, tags: tags, timestamp: timestamp))
            events.append(.gauge(name: "legacy.cognitive_complexity.max", value: summaryMeans?.maxCognitive ?? cognitive.max() ?? 0, tags: tags, timestamp: timestamp))
        }
        if let functions = summaryMeans?.functions ?? (cyclomatic.isEmpty ? nil : Double(cyclomatic.count)) {
            events.append(.gauge(name: "legacy.functions", value: functions, tags: tags, timestamp: timestamp))
        }
        for key in ["complexity_hotspots", "benchmark_results", "workflow_timing"] {
            switch object[key] {
            case nil, .null?: continue
            case .object(let members)? where members.isEmpty: continue
            case .array(let items)? where items.isEmpty: continue
            case let value?: events.append(.custom(name: "legacy.\(key)", data: value, tags: tags, timestamp: timestamp))
            }
        }
        return events
    }

    /// What an import appended.
    public struct Result: Sendable, Hashable {
        /// Events appended.
        public var events: Int
        /// Files read.
        public var files: [String]
    }

    /// Imports `path` (a `current.json` or `history.json`, or a directory holding them: history first)
    /// into `session` of `root`. Every file is read and converted before anything is written.
    public static func importFiles(at path: String, into root: LogRoot, session: String) throws -> Result {
        var files: [String] = []
        var isDirectory = false
        if let entries = try? FileSystem.listDirectory(path) {
            isDirectory = true
            for name in ["history.json", "current.json"] where entries.contains(name) { files.append(path + "/" + name) }
            guard !files.isEmpty else { throw LegacyError(path: path, message: "holds neither current.json nor history.json") }
        }
        if !isDirectory { files = [path] }
        var events: [MetricEvent] = []
        for file in files {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(file) } catch { throw LegacyError(path: file, message: "cannot be read: \(error)") }
            let converted = try Self.events(fromFile: file, bytes: bytes)
            for event in converted {
                if let violation = EventLimits.violation(event) { throw LegacyError(path: file, message: "cannot be stored: \(violation)") }
            }
            events += converted
        }
        let writer = try SessionLogWriter(root: root, session: session)
        try writer.append(contentsOf: events)
        try writer.close()
        return Result(events: events.count, files: files)
    }
}
