import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
import MMMMetricsLegacy
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("mmm-analyze: report and query")
struct AnalyzerAnalysisCommandTests {
    @Test("report prints each format; the JSON has the contract's keys")
    func report() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let text = try await runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook"])
        #expect(text.status == 0)
        #expect(text.out.hasPrefix("Session fixture-cook: completed"))
        let json = try await runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "--format", "json"])
        let value = try JSONText.parse(json.out.trimmingCharacters(in: .whitespacesAndNewlines))
        for key in ["session_id", "start_time", "total_duration_seconds", "final_status", "iterations", "quality"] {
            #expect(value[key] != nil, "missing \(key)")
        }
        #expect(value["start_time"] == "2026-11-28T10:00:00.000000000Z")
        guard case .array(let iterations)? = value["iterations"], let first = iterations.first else { Issue.record("no iterations"); return }
        for key in ["iteration_number", "duration_seconds", "commands_executed", "files_changed", "lines_added", "lines_removed", "errors"] {
            #expect(first[key] != nil, "missing iterations[].\(key)")
        }
        for key in ["test_coverage", "lint_warnings", "complexity_score", "documentation_coverage"] {
            #expect(value["quality"]?[key] != nil, "missing quality.\(key)")
        }
        let markdown = try await runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "--format", "markdown"])
        #expect(markdown.out.contains("| iteration | duration |"))
        let file = temporary.path + "/report.html"
        let html = try await runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "--format", "html", "-o", file])
        #expect(html.status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("<svg"))
        let missing = try await runAnalyzer(["report", "--log", root.path, "--session", "nope"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("no session nope"))
    }

    @Test("query prints a table, JSON rows or CSV; a parse error prints the caret on stderr and nothing on stdout")
    func query() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let table = try await runAnalyzer(["query", "--log", root.path, "max(command.duration) by (command)"])
        #expect(table.out == "COMMAND  VALUE  UNIT\nbuild    12.5   s\nlint     3.1    s\ntest     31     s\n")
        let json = try await runAnalyzer(["query", "--log", root.path, "--format", "json", "count(error) by (iteration)"])
        #expect(json.out == #"{"rows":[{"count":1,"group":{"iteration":"1"},"value":1},{"count":1,"group":{"iteration":"2"},"value":1}],"skipped_events":0,"skipped_places":0,"unit":null}"# + "\n")
        let ungrouped = try await runAnalyzer(["query", "--log", root.path, "--session", "fixture-cook", "--format", "json", "sum(git.lines_added)"])
        #expect(ungrouped.out == #"{"rows":[{"count":3,"group":{},"value":196}],"skipped_events":0,"skipped_places":0,"unit":null}"# + "\n")
        let csv = try await runAnalyzer(["query", "--log", root.path, "--format", "csv", "p50(command.duration) by (command, status)"])
        #expect(csv.out.hasPrefix("command,status,value\nbuild,ok,11.000000123\n"))
        let bad = try await runAnalyzer(["query", "--log", root.path, "p95(command.duration) by (command"])
        #expect(bad.status != 0)
        #expect(bad.out.isEmpty)
        #expect(bad.err.contains("p95(command.duration) by (command\n"))
        #expect(bad.err.contains("^"))
        let notNumeric = try await runAnalyzer(["query", "--log", root.path, "avg(error)"])
        #expect(notNumeric.status != 0)
        #expect(notNumeric.err.contains("only count applies to custom events"))
        #expect(try await runAnalyzer(["query", "--log", root.path, "count(nothing)"]).out == "no rows\n")
    }

    @Test("query takes --since/--until (also -2h) as its since/until, refuses both at once, and prints the notes about the query on stderr")
    func queryTimeOptionsAndNotes() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let later = try await runAnalyzer(["query", "--log", root.path, "--since", "2026-11-28T10:01", "count(*)"])
        let clause = try await runAnalyzer(["query", "--log", root.path, "count(*) since 2026-11-28T10:01:00Z"])
        #expect(later.status == 0)
        #expect(later.out == clause.out)
        let recent = try await runAnalyzer(["query", "--log", root.path, "--since", "-2h", "count(*)"])
        #expect(recent.status == 0)
        #expect(recent.out == "no rows\n")
        #expect(recent.err.contains("no stored event matches the name '*' in the time range"))
        let both = try await runAnalyzer(["query", "--log", root.path, "--until", "now", "count(*) until now"])
        #expect(both.status == 64)
        #expect(both.err.contains("give one"))
        let negative = try await runAnalyzer(["query", "--log", root.path, "--", "-1 * count(error)"])
        #expect(negative.out == "VALUE\n-2\n")
        let hint = try await runAnalyzer(["query", "--log", root.path, "count(error) by (kind)"])
        #expect(hint.err.contains("did you mean data.kind?"))
    }
}
