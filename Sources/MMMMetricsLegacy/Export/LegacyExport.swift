public import MMMMetricsCore
package import MMMMetricsAnalysis
public import MMMMetricsLog

/// The latest value of every metric of a session: what MMM's `current.json` holds.
package struct LatestValuesReducer: MetricsReducer {
    var gauges: [String: Stamped<Double>] = [:]
    var timers: [String: Stamped<Double>] = [:]
    var commands: [String: Stamped<Double>] = [:]
    var customs: [String: Stamped<JSONValue>] = [:]
    var latest: Stamped<Void>?
    var iteration: Stamped<String>?

    package init() {}

    package mutating func apply(_ event: ReplayedEvent) {
        func stamped<Value>(_ value: Value) -> Stamped<Value> { Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: value) }
        if stamped(()).isAfter(latest) { latest = stamped(()) }
        if let tag = event.event.tags["iteration"], stamped(tag).isAfter(iteration) { iteration = stamped(tag) }
        let name = event.event.name
        switch event.event.value {
        case .gauge(let value):
            if stamped(value).isAfter(gauges[name]) { gauges[name] = stamped(value) }
        case .timer(let duration):
            let seconds = stamped(duration.secondsAsDouble)
            if name == "command.duration", let command = event.event.tags["command"] {
                if seconds.isAfter(commands[command]) { commands[command] = seconds }
            } else if seconds.isAfter(timers[name]) {
                timers[name] = seconds
            }
        case .custom(let data):
            if stamped(data).isAfter(customs[name]) { customs[name] = stamped(data) }
        case .counter:
            break
        }
    }

    package mutating func merge(_ other: LatestValuesReducer) {
        for (name, value) in other.gauges where value.isAfter(gauges[name]) { gauges[name] = value }
        for (name, value) in other.timers where value.isAfter(timers[name]) { timers[name] = value }
        for (name, value) in other.commands where value.isAfter(commands[name]) { commands[name] = value }
        for (name, value) in other.customs where value.isAfter(customs[name]) { customs[name] = value }
        if let theirs = other.latest, theirs.isAfter(latest) { latest = theirs }
        if let theirs = other.iteration, theirs.isAfter(iteration) { iteration = theirs }
    }

    /// MMM's `ProjectMetrics` (the last `current.json` shape): every key present, `null` where unknown.
    package func result() -> JSONValue {
        func number(_ name: String) -> JSONValue { gauges[name].map { .double($0.value) } ?? .null }
        // MMM's integer fields; a gauge that is no Int64 (2.5, NaN, 1e20) stays a number rather than
        // trapping, for `LegacyExport.checkedForMMM` to find.
        func integer(_ value: Double) -> JSONValue { Int64(exactly: value).map { .integer($0) } ?? .double(value) }
        func integer(_ name: String) -> JSONValue { gauges[name].map { integer($0.value) } ?? .null }
        let iterationID: JSONValue = iteration.map { .string(Int($0.value) != nil ? "iteration-\($0.value)" : $0.value) } ?? .null
        var timings: [String: JSONValue] = [:]
        for (command, value) in commands { timings[command] = .double(value.value) }
        return .object([
            "test_coverage": number("quality.test_coverage"),
            "type_coverage": number("legacy.type_coverage"),
            "lint_warnings": gauges["quality.lint_warnings"].map { integer($0.value) } ?? .integer(0),
            "code_duplication": number("legacy.code_duplication"),
            "doc_coverage": number("quality.documentation_coverage"),
            "benchmark_results": customs["legacy.benchmark_results"]?.value ?? .null,
            "compile_time": timers["legacy.compile_time"].map { .double($0.value) } ?? .null,
            "binary_size": integer("legacy.binary_size_bytes"),
            "cyclomatic_complexity": .null,
            "max_nesting_depth": integer("legacy.max_nesting_depth"),
            "total_lines": integer("legacy.total_lines"),
            "tech_debt_score": number("legacy.tech_debt_score"),
            "improvement_velocity": number("legacy.improvement_velocity"),
            "timestamp": latest.map { .string(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: $0.nanoseconds))) } ?? .null,
            "iteration_id": iterationID,
            "iteration_duration": timers["iteration.duration"].map { .double($0.value) } ?? .null,
            "command_timings": timings.isEmpty ? .null : .object(timings),
            "workflow_timing": customs["legacy.workflow_timing"]?.value ?? .null,
        ])
    }
}

/// Writes the `current.json` that MMM's old readers (its review and coverage commands) expect.
public enum LegacyExport {
    /// The `ProjectMetrics` object for a session's latest state.
    /// A value MMM's reader could not take (it reads whole non-negative numbers into its integer
    /// fields, finite ones into its others, and no negative duration) is left out (`null`; 0 for
    /// `lint_warnings`, which MMM requires) and said through `leftOut`.
    public static func currentJSON(
        session: String, source: any LogSource, mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in },
        leftOut: (String) -> Void = { _ in }
    ) throws -> JSONValue {
        checkedForMMM(try Replay.run(LatestValuesReducer.self, source: source, sessions: [session], mode: mode, warning: warning), leftOut: leftOut)
    }

    /// `json` with what MMM's `ProjectMetrics` reader refuses left out, each said through `leftOut`.
    static func checkedForMMM(_ json: JSONValue, leftOut: (String) -> Void) -> JSONValue {
        guard case .object(var fields) = json else { return json }
        // A double as Swift spells it (JSON would say null for inf).
        func shown(_ value: JSONValue) -> String { if case .double(let number) = value { "\(number)" } else { JSONText.encode(value) } }
        func drop(_ key: String, _ value: JSONValue, _ why: String, as replacement: JSONValue = .null) {
            leftOut("\(key) \(shown(value)) \(why): written as \(JSONText.encode(replacement))")
            fields[key] = replacement
        }
        for key in ["lint_warnings", "binary_size", "max_nesting_depth", "total_lines"] {
            guard let value = fields[key], value != .null else { continue }
            if case .integer(let count) = value, count >= 0 { continue }
            drop(key, value, "is no whole number from 0 that MMM reads there", as: key == "lint_warnings" ? .integer(0) : .null)
        }
        for key in ["test_coverage", "type_coverage", "code_duplication", "doc_coverage", "tech_debt_score", "improvement_velocity"] {
            if case .double(let number)? = fields[key], !number.isFinite { drop(key, fields[key]!, "is not finite") }
        }
        for key in ["compile_time", "iteration_duration"] {
            if case .double(let seconds)? = fields[key], !(seconds >= 0) { drop(key, fields[key]!, "is a negative duration") }
        }
        if case .object(var timings)? = fields["command_timings"] {
            for (command, value) in timings {
                guard case .double(let seconds) = value, !(seconds >= 0) else { continue }
                leftOut("command_timings.\(command) \(shown(value)) is a negative duration: left out")
                timings[command] = nil
            }
            fields["command_timings"] = timings.isEmpty ? .null : .object(timings)
        }
        return .object(fields)
    }

    /// Writes it atomically: into a temporary file beside `path`, then renamed over it. Damage is
    /// handled as in ``currentJSON(session:source:mode:warning:)``. MMM's own file may hold fields
    /// the export does not write: the first file replaced at `path` is kept as `path.orig` (when
    /// that does not exist yet), and its path returned; nothing is written when it cannot be kept.
    @discardableResult
    public static func writeCurrent(
        session: String, source: any LogSource, to path: String, mode: ReadMode = .lenient, warning: (ReadWarning) -> Void = { _ in },
        leftOut: (String) -> Void = { _ in }
    ) throws -> String? {
        let json = try currentJSON(session: session, source: source, mode: mode, warning: warning, leftOut: leftOut)
        let kept = path + ".orig"
        var keeps = false
        if FileSystem.kind(of: path) == .file, FileSystem.kind(of: kept) == .missing {
            do { try AtomicFile.write(try FileSystem.readFile(path), to: kept) } catch {
                throw LegacyError(path: path, message: "exists and could not be kept as \(kept) before replacing it: \(error)")
            }
            keeps = true
        }
        do {
            try FileSystem.makeDirectories(FileSystem.parent(of: path))
            try AtomicFile.write(Array((JSONText.encode(json) + "\n").utf8), to: path)
        } catch {
            throw LegacyError(path: path, message: "cannot be written: \(error)")
        }
        return keeps ? kept : nil
    }
}
