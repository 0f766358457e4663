import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
import MMMMetricsLegacy
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing


@Suite("mmm-analyze: log commands")
struct AnalyzerLogCommandTests {
    static let contractLines = """
        {"ts":"2026-11-28T10:00:00.123456789Z","session":"s1","type":"counter","name":"command.executed","value":1,"tags":{"command":"build"}}
        {"ts":"2026-11-28T10:00:01Z","session":"s1","type":"gauge","name":"quality.test_coverage","value":83.5,"tags":{"iteration":"1"}}
        {"ts":"2026-11-28T10:00:02.5Z","session":"s1","type":"timer","name":"command.duration","duration_ns":1250000000,"tags":{"iteration":"1","command":"test"}}
        {"ts":"2026-11-28T10:00:03Z","session":"s1","type":"custom","name":"error","data":{"message":"lint failed","kind":"lint"},"tags":{"iteration":"1"}}

        """

    @Test("ingest then export: the contract's lines come back with nine fractional digits")
    func ingestExport() async throws {
        let directory = TemporaryDirectory()
        let log = directory.root.path
        let ingest = try await runAnalyzer(["ingest", "--log", log], stdin: Data(Self.contractLines.utf8))
        #expect(ingest.status == 0, "\(ingest.err)")
        #expect(ingest.err.contains("ingested 4 events into session s1"))
        let export = try await runAnalyzer(["export", "--log", log])
        #expect(export.status == 0)
        let lines = export.out.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[1] == #"{"ts":"2026-11-28T10:00:01.000000000Z","session":"s1","type":"gauge","name":"quality.test_coverage","value":83.5,"tags":{"iteration":"1"}}"#)
        #expect(lines[2].contains(#""ts":"2026-11-28T10:00:02.500000000Z""#))
        let filtered = try await runAnalyzer(["export", "--log", log, "--session", "s1", "--name", "command.*", "--since", "2026-11-28T10:00:01Z", "--until", "2026-11-28T10:00:03Z"])
        #expect(filtered.out.split(separator: "\n").count == 1)
        #expect(filtered.out.contains("command.duration"))
        let badTime = try await runAnalyzer(["export", "--log", log, "--since", "last tuesday"])
        #expect(badTime.status != 0)
        #expect(badTime.err.contains("--since"))
    }

    @Test("export → ingest into an empty root → export reproduces every event exactly")
    func exportIngestRoundTrip() async throws {
        let directory = TemporaryDirectory()
        let original = directory.path + "/original"
        try writeSession(LogRoot(path: original), "random-1", EventGenerator.events(count: 1500, seed: 31), options: LogWriterOptions(blockMaxEvents: 200))
        try writeSession(LogRoot(path: original), "cook 2", EventGenerator.cookSession(iterations: 20, seed: 32))
        let first = try await runAnalyzer(["export", "--log", original])
        #expect(first.status == 0)
        let copy = directory.path + "/copy"
        let ingest = try await runAnalyzer(["ingest", "--log", copy, "-"], stdin: Data(first.out.utf8))
        #expect(ingest.status == 0, "\(ingest.err)")
        let second = try await runAnalyzer(["export", "--log", copy])
        #expect(second.out == first.out)
        #expect(first.out.split(separator: "\n").count == 1500 + EventGenerator.cookSession(iterations: 20, seed: 32).count)
        // Event by event, too (the exported text could hide a lossy step that both sides share).
        #expect(sameEvents(try readSession(LogRoot(path: copy), "random-1"), EventGenerator.events(count: 1500, seed: 31)))
    }

    @Test("an invalid line is an error naming the line number; nothing from that input is written")
    func invalidInput() async throws {
        let directory = TemporaryDirectory()
        let log = directory.root.path
        var text = Self.contractLines
        text += #"{"ts":"2026-11-28T10:00:04Z","session":"s1","type":"counter","name":"x","value":"many"}"# + "\n"
        let file = directory.path + "/bad.ndjson"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await runAnalyzer(["ingest", "--log", log, file])
        #expect(result.status != 0)
        #expect(result.err.contains("\(file):5: counter \"value\" must be an integer"), "\(result.err)")
        #expect(try LogRoot(path: log).sessionIDs().isEmpty)
        let missingSession = try await runAnalyzer(["ingest", "--log", log], stdin: Data(#"{"ts":"2026-11-28T10:00:04Z","type":"counter","name":"x","value":1}"#.utf8))
        #expect(missingSession.status != 0)
        #expect(missingSession.err.contains("stdin:1: no \"session\""))
        let withDefault = try await runAnalyzer(["ingest", "--log", log, "--session", "given"], stdin: Data(#"{"ts":"2026-11-28T10:00:04Z","type":"counter","name":"x","value":1}"#.utf8))
        #expect(withDefault.status == 0)
        #expect(try readSession(LogRoot(path: log), "given").count == 1)
        let unreadable = try await runAnalyzer(["ingest", "--log", log, directory.path + "/nope.ndjson"])
        #expect(unreadable.status != 0)
        #expect(unreadable.err.contains("nope.ndjson"))
    }

    @Test("sessions lists id, times, events, segments, bytes and sealed, as a table and as JSON")
    func sessions() async throws {
        let directory = TemporaryDirectory()
        let log = directory.root.path
        // An empty log directory has no sessions (one that does not exist is an error: DocsReviewTests.missingRoot).
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)
        #expect(try await runAnalyzer(["sessions", "--log", log]).out.contains("no sessions"))
        try await runAnalyzer(["ingest", "--log", log], stdin: Data(Self.contractLines.utf8))
        let table = try await runAnalyzer(["sessions", "--log", log])
        #expect(table.out.contains("SESSION"))
        #expect(table.out.contains("s1"))
        #expect(table.out.contains("2026-11-28T10:00:00.123456789Z"))
        let json = try await runAnalyzer(["sessions", "--log", log, "--format", "json"])
        let parsed = try JSONText.parse(json.out.trimmingCharacters(in: .whitespacesAndNewlines))
        guard case .array(let rows)? = parsed["sessions"], let row = rows.first else { Issue.record("no rows"); return }
        #expect(row["session"] == "s1")
        #expect(row["events"] == 4)
        #expect(row["segments"] == 1)
        #expect(row["sealed"] == true)
        #expect(row["first_ts"] == "2026-11-28T10:00:00.123456789Z")
        #expect(row["last_ts"] == "2026-11-28T10:00:03.000000000Z")
        #expect((row["bytes"]?.integerValue ?? 0) > 0)
        #expect(try await runAnalyzer(["sessions", "--log", log, "--format", "xml"]).status != 0)
        // MMM_METRICS_DIR names the root when --log is absent.
        var environment = ProcessInfo.processInfo.environment
        environment["MMM_METRICS_DIR"] = log
        #expect(try await runAnalyzer(["sessions"], environment: environment).out.contains("s1"))
    }

    @Test("verify: exit 0 when all is well, else one line per problem; recover repairs and says what it did; stats prints figures")
    func verifyRecoverStats() async throws {
        let directory = TemporaryDirectory()
        let log = directory.root.path
        try await runAnalyzer(["ingest", "--log", log], stdin: Data(Self.contractLines.utf8))
        let good = try await runAnalyzer(["verify", "--log", log])
        #expect(good.status == 0)
        #expect(good.out.contains("ok"))
        let path = try #require(try directory.root.segmentPaths(session: "s1").first)
        let bytes = Corrupter.bytes(path)
        Corrupter.write(path, bytes + [1, 2, 3, 4, 5])
        FileSystem.remove(LogRoot.indexPath(forSegment: path))
        let bad = try await runAnalyzer(["verify", "--log", log, "--session", "s1"])
        #expect(bad.status == 1)
        let problems = bad.out.split(separator: "\n")
        #expect(problems.count == 2)
        #expect(problems.contains { $0.hasPrefix("s1 00000000000000000000.seg offset \(bytes.count): torn tail") })
        #expect(problems.contains { $0.contains("index missing") })
        let recover = try await runAnalyzer(["recover", "--log", log])
        #expect(recover.status == 0)
        #expect(recover.out.contains("truncated a torn tail of 5 bytes"))
        #expect(recover.out.contains("rebuilt the index"))
        #expect(try await runAnalyzer(["verify", "--log", log]).status == 0)
        let stats = try await runAnalyzer(["stats", "--log", log])
        #expect(stats.out.contains("bytes per event"))
        #expect(stats.out.contains("compression ratio"))
        #expect(stats.out.contains("sessions"))
        let json = try await runAnalyzer(["stats", "--log", log, "--format", "json"])
        #expect(try JSONText.parse(json.out.trimmingCharacters(in: .whitespacesAndNewlines))["events"] == 4)
        let nowhere = try await runAnalyzer(["verify", "--log", log + "-typo"])
        #expect(nowhere.status == 1)
        #expect(nowhere.err.contains("no such log directory or archive"))
        let missing = try await runAnalyzer(["verify", "--log", log, "--session", "nope"])
        #expect(missing.status == 1)
        #expect(missing.err.contains("no session nope"))
    }

    @Test("ingest --follow appends a stream as it arrives, flushing on the interval", .timeLimit(.minutes(1)))
    func follow() async throws {
        let directory = TemporaryDirectory()
        let log = directory.root.path
        let (process, input, errors) = try Self.startFollow(log: log, flushInterval: "50ms")
        let line = #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c","value":1}"# + "\n"
        writeToChild(input.fileHandleForWriting, Data((line + line).utf8))
        writeToChild(input.fileHandleForWriting, Data(#"{"ts":"2026-11-28T10:00:00Z","type":"bad""#.utf8 + [0x0A]))
        writeToChild(input.fileHandleForWriting, Data(line.prefix(20).utf8))  // half a line: held until the rest arrives
        var seen = 0
        for _ in 0..<400 where seen < 2 {
            try await Task.sleep(for: .milliseconds(10))
            seen = (try? readSession(directory.root, "live", mode: .lenient).count) ?? 0
        }
        #expect(seen == 2)  // visible while the stream is still open
        writeToChild(input.fileHandleForWriting, Data(line.dropFirst(20).utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)  // one line was skipped
        #expect(stderr.contains("stdin:3:"))
        #expect(try readSession(directory.root, "live").count == 3)
        #expect(try LogMaintenance(root: directory.root).summaries().sessions.first?.lastSegmentSealed == true)
    }
}

extension AnalyzerLogCommandTests {
    /// `ingest --follow` into session `live` of `log`, reading the returned pipe.
    static func startFollow(log: String, flushInterval: String) throws -> (Process, input: Pipe, errors: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyzerPath())
        process.arguments = ["ingest", "--log", log, "--session", "live", "--follow", "--flush-interval", flushInterval]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        try process.run()
        return (process, input, errors)
    }

    @Test("ingest --follow stopped by SIGTERM stores every whole line it read, says so, and exits 143", .timeLimit(.minutes(1)))
    func followStoppedBySignal() async throws {
        let directory = TemporaryDirectory()
        // A flush interval far away: before, the lines since the last flush died with the process.
        let (process, input, errors) = try Self.startFollow(log: directory.root.path, flushInterval: "60s")
        let line = #"{"ts":"2026-11-28T10:00:00Z","type":"counter","name":"c","value":1}"# + "\n"
        writeToChild(input.fileHandleForWriting, Data((String(repeating: line, count: 500) + line.prefix(20)).utf8))
        // The session's directory appears when the first line is stored (signals are caught by then).
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: directory.root.path + "/sessions/live") {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(300))
        process.terminate()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + SIGTERM, "\(stderr)")
        #expect(stderr.contains("ingested 500 events into session live"), "\(stderr)")
        #expect(stderr.contains("stopped by signal 15: every whole line read was stored; a last line cut short (20 bytes) was not"), "\(stderr)")
        #expect(try readSession(directory.root, "live").count == 500)
        #expect(try LogMaintenance(root: directory.root).summaries().sessions.first?.lastSegmentSealed == true)
        try input.fileHandleForWriting.close()
    }

    @Test("ingest says when opening a session for writing repaired it (a torn tail cut), instead of doing it in silence")
    func ingestReportsRepairs() async throws {
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", [.counter(name: "c", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
        let last = try #require(try temporary.root.segmentPaths(session: "s").last)
        Corrupter.write(last, Corrupter.bytes(last) + [1, 2, 3, 4, 5])
        let line = #"{"ts":"2026-11-28T10:00:00Z","session":"s","type":"counter","name":"c","value":2}"# + "\n"
        let result = try await runAnalyzer(["ingest", "--log", temporary.root.path], stdin: Data(line.utf8))
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("session s was repaired when opened for writing: truncated a torn tail of 5 bytes"), "\(result.err)")
        #expect(result.err.contains("appended 1 events to session s, which now holds 2"), "\(result.err)")
    }
}
