public import MMMMetricsCore
import MMMMetricsLog

extension SessionReport {
    /// The JSON report: `session_id`, `start_time` (RFC 3339), `total_duration_seconds`, `final_status`,
    /// `iterations`, `quality`, and more: `quality_start`, `commands`, `errors_outside_iterations`
    /// (errors with no integer `iteration` tag), `overflowed_iterations` (whose changed files or
    /// lines did not fit `Int64` and show its limit), `events`.
    public func json() -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
        func quality(_ metrics: QualityMetrics) -> JSONValue {
            ["test_coverage": number(metrics.testCoverage), "lint_warnings": number(metrics.lintWarnings),
             "complexity_score": number(metrics.complexityScore), "documentation_coverage": number(metrics.documentationCoverage)]
        }
        let iterations: [JSONValue] = session.iterations.map { iteration in
            .object([
                "iteration_number": .integer(Int64(iteration.iterationNumber)),
                "duration_seconds": .double(iteration.durationSeconds),
                "commands_executed": .integer(Int64(iteration.commandsExecuted)),
                "files_changed": .integer(iteration.filesChanged),
                "lines_added": .integer(iteration.linesAdded),
                "lines_removed": .integer(iteration.linesRemoved),
                "errors": .array(iteration.errors.map { ["message": .string($0.message), "kind": .string($0.kind)] }),
            ])
        }
        let commands: [JSONValue] = self.commands.map { command in
            ["command": .string(command.command), "runs": .integer(Int64(command.runs)), "failures": .integer(Int64(command.failures)),
             "p50_seconds": .double(command.p50Seconds), "p95_seconds": .double(command.p95Seconds),
             "max_seconds": .double(command.maxSeconds), "total_seconds": .double(command.totalSeconds)]
        }
        return .object([
            "session_id": .string(session.sessionId),
            "start_time": session.startTime.map { .string(RFC3339.format($0)) } ?? .null,
            "total_duration_seconds": .double(session.totalDurationSeconds),
            "final_status": .string(status),
            "iterations": .array(iterations),
            "quality": quality(session.quality),
            "quality_start": quality(qualityStart),
            "commands": .array(commands),
            "errors_outside_iterations": .array(errorsOutsideIterations.map { ["message": .string($0.message), "kind": .string($0.kind)] }),
            "overflowed_iterations": .array(overflowedIterations.map { .integer(Int64($0)) }),
            "events": .integer(Int64(events)),
            "skipped_events": .integer(Int64(skipped.events)),
            "skipped_places": .integer(Int64(skipped.places)),
        ])
    }
}
