import Foundation
import MMMMetricsCore
import MMMMetricsAnalysis
import MMMMetricsLegacy
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("Legacy .mmm/metrics adapter")
struct LegacyTests {
    @Test("every legacy fixture imports; each value lands on the documented event, checked against the file")
    func everyFixture() throws {
        let files = LegacyFixtures.files
        #expect(files.count == 54)
        for file in files {
            let path = LegacyFixtures.directory + "/" + file
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            let events = try LegacyImport.events(fromFile: path, bytes: Array(data))
            func gauge(_ name: String) -> Double? {
                events.last { $0.name == name }.flatMap { if case .gauge(let value) = $0.value { value } else { nil } }
            }
            #expect(gauge("quality.test_coverage") == (json["test_coverage"] as? NSNumber)?.doubleValue, "\(file)")
            #expect(gauge("quality.documentation_coverage") == (json["doc_coverage"] as? NSNumber)?.doubleValue, "\(file)")
            #expect(gauge("quality.lint_warnings") == (json["lint_warnings"] as? NSNumber)?.doubleValue, "\(file)")
            #expect(gauge("legacy.binary_size_bytes") == (json["binary_size"] as? NSNumber)?.doubleValue, "\(file)")
            #expect(gauge("legacy.total_lines") == (json["total_lines"] as? NSNumber)?.doubleValue, "\(file)")
            #expect(gauge("legacy.type_coverage") == (json["type_coverage"] as? NSNumber)?.doubleValue, "\(file)")
            let timestamp = RFC3339.parse(json["timestamp"] as! String)
            #expect(events.allSatisfy { $0.timestamp == timestamp }, "\(file)")
            if let id = json["iteration_id"] as? String {
                #expect(events.allSatisfy { $0.tags["iteration_id"] == id }, "\(file)")
            }
            if let compile = json["compile_time"] as? [String: Any] {
                let expected = Duration.seconds((compile["secs"] as! NSNumber).int64Value) + .nanoseconds((compile["nanos"] as! NSNumber).int64Value)
                #expect(events.contains { $0.name == "legacy.compile_time" && $0.value == .timer(expected) }, "\(file)")
            } else if let seconds = json["compile_time"] as? NSNumber {
                #expect(events.contains { $0.name == "legacy.compile_time" && $0.value == .timer(.nanoseconds(Int64((seconds.doubleValue * 1e9).rounded()))) }, "\(file)")
            }
            if let map = json["cyclomatic_complexity"] as? [String: NSNumber], !map.isEmpty {
                let mean = map.values.map(\.doubleValue).reduce(0, +) / Double(map.count)
                #expect(abs((gauge("quality.complexity_score") ?? -1) - mean) < 1e-9, "\(file)")
            }
            if let health = json["health_score"] as? [String: Any] {
                // Foundation's parser rounds the 17-digit value in the last place; ours is exact.
                #expect(abs((gauge("legacy.health_score") ?? 0) - ((health["overall"] as? NSNumber)?.doubleValue ?? 1)) < 1e-12, "\(file)")
            }
        }
        // All of them into one session, then the report and query work on old data.
        let temporary = TemporaryDirectory()
        var total = 0
        for file in files {
            total += try LegacyImport.importFiles(at: LegacyFixtures.directory + "/" + file, into: temporary.root, session: "legacy").events
        }
        let report = try SessionReport.build(session: "legacy", source: temporary.root)
        #expect(report.events == total)
        let last = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: LegacyFixtures.directory + "/" + files.last!))) as! [String: Any]
        #expect(report.session.quality.testCoverage == (last["test_coverage"] as? NSNumber)?.doubleValue)
        #expect(try QueryEngine(source: temporary.root).run("count(quality.test_coverage)").value == 54)
    }

    @Test("history.json in both of MMM's shapes: snapshots with iteration numbers, or a plain array")
    func history() throws {
        let temporary = TemporaryDirectory()
        let first = try String(contentsOfFile: LegacyFixtures.directory + "/" + LegacyFixtures.files[0], encoding: .utf8)
        let second = try String(contentsOfFile: LegacyFixtures.directory + "/" + LegacyFixtures.files[20], encoding: .utf8)
        let snapshots = #"{"snapshots": [{"metrics": \#(first), "iteration": 1, "commit_sha": "abc"}, {"metrics": \#(second), "iteration": 2, "commit_sha": "def"}], "trends": {}, "baselines": {}}"#
        let path = temporary.path + "/history.json"
        try snapshots.write(toFile: path, atomically: true, encoding: .utf8)
        let events = try LegacyImport.events(fromFile: path, bytes: Array(snapshots.utf8))
        #expect(Set(events.compactMap { $0.tags["iteration"] }) == ["1", "2"])
        #expect(events.contains { $0.tags["commit"] == "def" })
        let array = "[\(first), \(second)]"
        let arrayEvents = try LegacyImport.events(fromFile: "history.json", bytes: Array(array.utf8))
        #expect(arrayEvents.filter { $0.name == "quality.test_coverage" }.count == 2)
        // A directory: history first, then current.
        try LegacyFixtures.currentJSON(in: temporary.path)
        let result = try LegacyImport.importFiles(at: temporary.path, into: temporary.root, session: "dir")
        #expect(result.files.map { $0.split(separator: "/").last! } == ["history.json", "current.json"])
        #expect(LegacyImport.iterationTag("iteration-3") == "3")
        #expect(LegacyImport.iterationTag("cook-17") == "cook-17")
    }

    @Test("broken JSON, unknown shapes and wrong types are errors naming the file and the problem; nothing is written")
    func rejected() throws {
        let temporary = TemporaryDirectory()
        let cases: [(String, String)] = [
            (#"{"test_coverage": 5, "timestamp": "#, "not valid JSON"),
            (#"{"hello": "world"}"#, "not one of MMM's metrics shapes"),
            (#"{"test_coverage": "high", "timestamp": "2025-07-30T10:00:15Z"}"#, "test_coverage must be a number or null"),
            (#"{"test_coverage": 5, "timestamp": "yesterday"}"#, "timestamp must be an RFC 3339 timestamp"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15.1234567891Z"}"#, "an RFC 3339 timestamp with at most nine fractional digits"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "compile_time": "slow"}"#, "compile_time must be a duration"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "iteration_id": 4}"#, "iteration_id must be a string or null"),
            (#"{"snapshots": 3}"#, "\"snapshots\" must be an array"),
            (#"{"snapshots": [{"iteration": 1}]}"#, "snapshots[0] must be an object with \"metrics\""),
            (#"[{"nope": 1}]"#, "history entry [0] is not a metrics snapshot"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "memory_usage": {"heap": "big"}}"#, "memory_usage.heap must be a number"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "cyclomatic_complexity": [1]}"#, "cyclomatic_complexity must be an object"),
            // Found by a hostile review: these were dropped (the gauges went), taken as reports, or read wrong.
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "complexity_summary": {"by_file": {"a.rs": {"avg_cyclomatic": "x"}}}}"#,
             "complexity_summary.by_file.a.rs.avg_cyclomatic must be a number or null"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "health_score": {"overall": 5, "components": {"x": "y"}}}"#,
             "health_score.components.x must be a number or null"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "health_score": {"components": 3}}"#, "health_score.components must be an object or null"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "complexity_hotspots": "oops"}"#, "complexity_hotspots must be an array, an object or null"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "compile_time": {"secs": 5, "nanos": -1}}"#, "compile_time.nanos must be 0 to 999999999, not -1"),
        ]
        for (index, (text, problem)) in cases.enumerated() {
            let path = temporary.path + "/bad\(index).json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try LegacyImport.importFiles(at: path, into: temporary.root, session: "s")
                Issue.record("accepted \(text)")
            } catch let error as LegacyError {
                #expect(error.path == path)
                #expect(error.description.contains(problem), "\(error)")
            }
        }
        #expect(try temporary.root.sessionIDs().isEmpty)
        #expect(throws: LegacyError.self) { try LegacyImport.importFiles(at: temporary.path + "/missing.json", into: temporary.root, session: "s") }
        try FileManager.default.createDirectory(atPath: temporary.path + "/empty", withIntermediateDirectories: true)
        #expect(throws: LegacyError.self) { try LegacyImport.importFiles(at: temporary.path + "/empty", into: temporary.root, session: "s") }
        // A history with no snapshot writes nothing: no empty session is left behind.
        try "[]".write(toFile: temporary.path + "/none.json", atomically: true, encoding: .utf8)
        #expect(try LegacyImport.importFiles(at: temporary.path + "/none.json", into: temporary.root, session: "s").events == 0)
        #expect(try temporary.root.sessionIDs().isEmpty)
    }

    @Test("ProjectMetrics timings become catalog timers; malformed durations are errors naming the key")
    func projectTimings() throws {
        let text = #"{"test_coverage": 41.5, "timestamp": "2025-08-03T08:22:15.73828Z", "iteration_id": "iteration-4", "lint_warnings": 3, "#
            + #""iteration_duration": 12.5, "command_timings": {"build": {"secs": 2, "nanos": 500}, "test": 7.25, "skipped": null}, "workflow_timing": {"total": 20}}"#
        let events = try LegacyImport.events(fromFile: "current.json", bytes: Array(text.utf8))
        #expect(events.contains { $0.name == "iteration.duration" && $0.value == .timer(.milliseconds(12_500)) && $0.tags["iteration"] == "4" })
        #expect(events.contains { $0.name == "command.duration" && $0.tags["command"] == "build" && $0.value == .timer(.seconds(2) + .nanoseconds(500)) })
        #expect(events.contains { $0.name == "command.duration" && $0.tags["command"] == "test" && $0.value == .timer(.milliseconds(7_250)) })
        #expect(!events.contains { $0.tags["command"] == "skipped" })
        #expect(events.contains { $0.name == "legacy.workflow_timing" && $0.value == .custom(["total": 20]) })
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", events)
        let session = try Replay.run(SessionReducer.self, source: temporary.root)
        #expect(session.iterations.first?.commandsExecuted == 2)
        #expect(session.iterations.first?.durationSeconds == 12.5)
        for bad in [#""iteration_duration": {"secs": 1}"#, #""command_timings": {"x": "slow"}"#, #""command_timings": 5"#] {
            let broken = #"{"test_coverage": 1, "timestamp": "2025-08-03T08:22:15Z", "# + bad + "}"
            #expect(throws: LegacyError.self) { try LegacyImport.events(fromFile: "c.json", bytes: Array(broken.utf8)) }
        }
        // Writing over a directory fails with an error naming the path, and leaves no temporary file.
        try FileManager.default.createDirectory(atPath: temporary.path + "/out/current.json/inside", withIntermediateDirectories: true)
        #expect(throws: LegacyError.self) { try LegacyExport.writeCurrent(session: "s", source: temporary.root, to: temporary.path + "/out/current.json") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path + "/out") == ["current.json"])
    }

    @Test("current.json leaves out, and says, what MMM's reader would refuse: fractions, negatives and infinities in its integer fields, infinite ratios, negative durations")
    func legacyWriterRefusals() throws {
        let temporary = TemporaryDirectory()
        let at = MetricTimestamp(nanosecondsSinceEpoch: 1_790_000_000_000_000_000)
        try writeSession(temporary.root, "s", [
            .gauge(name: "quality.lint_warnings", value: 2.5, timestamp: at), .gauge(name: "legacy.total_lines", value: -7.6, timestamp: at),
            .gauge(name: "legacy.binary_size_bytes", value: 1e300, timestamp: at), .gauge(name: "legacy.max_nesting_depth", value: 4, timestamp: at),
            .gauge(name: "quality.test_coverage", value: .infinity, timestamp: at),
            .timer(name: "command.duration", duration: .nanoseconds(-5), tags: ["command": "odd"], timestamp: at),
            .timer(name: "command.duration", duration: .seconds(2), tags: ["command": "build"], timestamp: at),
        ])
        var said: [String] = []
        let json = try LegacyExport.currentJSON(session: "s", source: temporary.root, leftOut: { said.append($0) })
        guard case .object(let fields) = json else {
            Issue.record("not an object: \(json)")
            return
        }
        // It wrote 3 (rounded), -8, 1e+300, null for inf lint warnings, and a timing of -5e-09.
        #expect(fields["lint_warnings"] == .integer(0) && fields["total_lines"] == .null && fields["binary_size"] == .null)
        #expect(fields["max_nesting_depth"] == .integer(4) && fields["test_coverage"] == .null)
        #expect(fields["command_timings"] == .object(["build": .double(2)]))
        #expect(said.count == 5, "\(said)")
        #expect(said.contains("lint_warnings 2.5 is no whole number from 0 that MMM reads there: written as 0"), "\(said)")
        #expect(said.contains("command_timings.odd -5e-09 is a negative duration: left out"), "\(said)")
    }

    @Test("the legacy writer's current.json is read back by a strict decoder of the ProjectMetrics shape, with the latest values")
    func writer() throws {
        let temporary = TemporaryDirectory()
        for file in LegacyFixtures.files.prefix(3) {
            _ = try LegacyImport.importFiles(at: LegacyFixtures.directory + "/" + file, into: temporary.root, session: "legacy")
        }
        try writeSession(temporary.root, "cook", EventGenerator.cookSession(iterations: 3, seed: 2) + [
            .timer(name: "command.duration", duration: .seconds(2), tags: ["command": "test", "iteration": "3"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1_795_900_100_000_000_000)),
        ])
        for session in ["legacy", "cook"] {
            let path = temporary.path + "/\(session)/current.json"
            try LegacyExport.writeCurrent(session: session, source: temporary.root, to: path)
            let decoded = try StrictProjectMetrics.decodeStrictly(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(RFC3339.parse(decoded.timestamp) != nil)
            if session == "cook" {
                #expect(decoded.test_coverage == 63)
                #expect(decoded.iteration_id == "iteration-3")
                #expect(decoded.command_timings?["test"] == 2)
                #expect(decoded.iteration_duration == 5)
                #expect(decoded.lint_warnings == 0)
            } else {
                let source = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: LegacyFixtures.directory + "/" + LegacyFixtures.files[2]))) as! [String: Any]
                #expect(decoded.test_coverage == (source["test_coverage"] as? NSNumber)?.doubleValue)
                #expect(decoded.binary_size == (source["binary_size"] as? NSNumber)?.uint64Value)
                #expect(decoded.lint_warnings == (source["lint_warnings"] as? NSNumber)?.intValue)
            }
        }
        // Atomic: an existing file is replaced whole, and no temporary file is left behind; the first
        // file replaced is kept as current.json.orig (MMM's own may hold fields the export does not write).
        let path = temporary.path + "/cook/current.json"
        let before = FileManager.default.contents(atPath: path)
        #expect(try LegacyExport.writeCurrent(session: "legacy", source: temporary.root, to: path) == path + ".orig")
        #expect(FileManager.default.contents(atPath: path + ".orig") == before)
        #expect(try LegacyExport.writeCurrent(session: "cook", source: temporary.root, to: path) == nil)
        #expect(FileManager.default.contents(atPath: path + ".orig") == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path + "/cook").sorted() == ["current.json", "current.json.orig"])
    }
}
