public import MMMMetricsCore

/// The catalog events (docs/METRICS.md) that `mmm-record` writes, built the way the Swift API
/// records them, so reducers and reports read both alike.
public enum RecordedEvents {
    /// `session.start`, its data the given metadata (strings).
    public static func sessionStart(metadata: [(String, String)]) -> MetricEvent {
        var data: [String: JSONValue] = ["recorded_by": .string("mmm-record")]
        for (key, value) in metadata { data[key] = .string(value) }
        return .custom(name: "session.start", data: .object(data))
    }

    /// `session.end` with its status (`completed`, `failed`, `interrupted`).
    public static func sessionEnd(status: String) -> MetricEvent {
        .custom(name: "session.end", data: ["status": .string(status)])
    }

    /// `iteration.begin`: what `iteration end` needs later, kept in the log itself (not a side
    /// file): the commit that was `HEAD` when the iteration began, if in a git work tree.
    public static func iterationBegin(_ iteration: Int, head: String?) -> MetricEvent {
        .custom(name: "iteration.begin", data: ["head": head.map(JSONValue.string) ?? .null], tags: ["iteration": String(iteration)])
    }

    /// `iteration.duration`, and the git counts when known.
    public static func iterationEnd(_ iteration: Int, duration: Duration, changes: GitChanges?) -> [MetricEvent] {
        let tags: Tags = ["iteration": String(iteration)]
        var events: [MetricEvent] = [.timer(name: "iteration.duration", duration: duration, tags: tags)]
        if let changes {
            events.append(.counter(name: "git.files_changed", value: Int64(changes.files), tags: tags))
            events.append(.counter(name: "git.lines_added", value: Int64(changes.linesAdded), tags: tags))
            events.append(.counter(name: "git.lines_removed", value: Int64(changes.linesRemoved), tags: tags))
        }
        return events
    }

    /// `command.duration` of a run, and an `error` event when it failed.
    public static func command(_ name: String, iteration: Int?, outcome: CommandRunner.Outcome) -> [MetricEvent] {
        var tags: Tags = ["command": name, "status": outcome.status == 0 ? "ok" : "error"]
        if let iteration { tags["iteration"] = String(iteration) }
        var events: [MetricEvent] = [.timer(name: "command.duration", duration: outcome.duration, tags: tags)]
        if outcome.status != 0 {
            var errorTags: Tags = [:]
            if let iteration { errorTags["iteration"] = String(iteration) }
            let message = outcome.startFailure
                ?? outcome.signal.map { "\(name) was killed by signal \($0) (status \(outcome.status))" }
                ?? "\(name) exited with status \(outcome.status)"
            var data: [String: JSONValue] = [
                "kind": .string(name),
                "message": .string(message),
                "exit_status": .integer(Int64(outcome.status)),
                "stderr_tail": .string(outcome.stderrTail),
            ]
            // A death by signal N reads as status 128 + N, as a shell says; the signal tells them apart.
            if let signal = outcome.signal { data["signal"] = .integer(Int64(signal)) }
            events.append(.custom(name: "error", data: .object(data), tags: errorTags))
        }
        return events
    }

    /// The quality gauges given, tagged with the iteration.
    public static func quality(iteration: Int, _ values: [(name: String, value: Double)]) -> [MetricEvent] {
        values.map { .gauge(name: $0.name, value: $0.value, tags: ["iteration": String(iteration)]) }
    }
}
