import Foundation
import MMMMetricsAnalysis
import MMMMetrics
import MMMMetricsCore
import MMMMetricsLegacy
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// One test per defect that hostile testing of the released tool found (issue "No silent loss, no
/// silent wrong answer, no crash"); each failed on the code before its fix.
@Suite("Hardening: the command line")
struct HardeningCommandTests {
    static func line(_ fields: String) -> String { #"{"ts":"2026-11-28T10:00:00Z","session":"s","# + fields + "}\n" }

    @Test("an event over 16 MiB is refused before anything is written; one just under it is stored")
    func eventSizeLimit() async throws {
        try await Self.eventSizeLimitBody()
    }

    static func eventSizeLimitBody() async throws {
        let directory = TemporaryDirectory()
        let huge = MetricEvent.custom(name: "blob", data: .string(String(repeating: "y", count: 17 << 20)), timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))
        let writer = try SessionLogWriter(root: directory.root, session: "s")
        #expect(throws: LogError.self) { try writer.append(contentsOf: [.counter(name: "ok", value: 1), huge]) }
        #expect(writer.pendingCount == 0)
        let large = MetricEvent.custom(name: "blob", data: .string(String(repeating: "y", count: 15 << 20)), timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2))
        try writer.append(large)
        try writer.close()
        #expect(try readSession(directory.root, "s") == [large])
        // Through ingest: the error names the line, and nothing is written.
        let input = line(#""type":"counter","name":"a","value":1"#) + line(#""type":"custom","name":"blob","data":""# + String(repeating: "z", count: 17 << 20) + "\"")
        let result = try await runAnalyzer(["ingest", "--log", directory.path + "/other"], stdin: Data(input.utf8))
        #expect(result.status == 1)
        #expect(result.err.contains("stdin:2: event too large to store"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/other/sessions"))
    }

    // MARK: 2. Damage is never silent

    @Test("query over a damaged log warns on stderr, counts what it skipped in JSON, and fails with --strict")
    func queryReportsDamage() async throws {
        let temporary = TemporaryDirectory()
        let good = try FixtureLogs.copy("good", into: temporary)
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        let complete = try await runAnalyzer(["query", "--log", good.path, "--format", "json", "count(*)"])
        #expect(complete.out.contains(#""value":37"#))
        #expect(complete.err.isEmpty)
        let lenient = try await runAnalyzer(["query", "--log", damaged.path, "--format", "json", "count(*)"])
        #expect(lenient.status == 0)
        #expect(lenient.out == #"{"rows":[{"count":31,"group":{},"value":31}],"skipped_events":6,"skipped_places":1,"unit":null}"# + "\n")
        #expect(lenient.err.contains("offset 376"), "\(lenient.err)")
        #expect(lenient.err.contains("leaves out 6 events"))
        let strict = try await runAnalyzer(["query", "--log", damaged.path, "--strict", "count(*)"])
        #expect(strict.status == 1)
        #expect(strict.out.isEmpty)
        #expect(strict.err.contains("offset 376"))
        // Every reading command: lenient warns, strict fails.
        for command in [["report", "--session", "fixture-cook"], ["export"], ["sessions"], ["stats"],
                        ["export", "--session", "fixture-cook", "--format", "legacy-current", "-o", temporary.path + "/current.json"]] {
            let warned = try await runAnalyzer(command + ["--log", damaged.path])
            #expect(warned.status == 0, "\(command)")
            #expect(warned.err.contains("warning"), "\(command): \(warned.err)")
            let failed = try await runAnalyzer(command + ["--log", damaged.path, "--strict"])
            #expect(failed.status == 1, "\(command)")
        }
        let report = try await runAnalyzer(["report", "--log", damaged.path, "--session", "fixture-cook", "--format", "json"])
        #expect(report.out.contains(#""skipped_events":6"#))
        let text = try await runAnalyzer(["report", "--log", damaged.path, "--session", "fixture-cook"])
        #expect(text.out.contains("INCOMPLETE: 6 events"))
        // The library says the same without the CLI.
        let result = try QueryEngine(source: damaged).run("count(*)")
        #expect(result.value == 31)
        #expect(result.skipped == SkippedData(events: 6, places: 1))
        #expect(throws: LogError.self) { try QueryEngine(source: damaged).run("count(*)", mode: .strict) }
    }

    // MARK: 6–9. Ranges: timestamps, durations, numbers

    @Test("timestamps outside Int64 nanoseconds are refused with the supported range, never a crash")
    func timestampRange() async throws {
        let directory = TemporaryDirectory()
        let log = directory.root.path
        for ts in ["292277026596-12-04T23:00:00Z", "-292277022657-01-28T00:00:00+23:59", "2262-04-12T00:00:00Z", "1677-09-21T00:00:00Z"] {
            let ingest = try await runAnalyzer(["ingest", "--log", log], stdin: Data(#"{"ts":"\#(ts)","session":"s","type":"counter","name":"a","value":1}"#.utf8))
            #expect(ingest.status == 1, "\(ts)")
            #expect(ingest.err.contains("stdin:1: \"ts\""), "\(ingest.err)")
            #expect(ingest.err.contains("outside the supported range"), "\(ingest.err)")
        }
        #expect(RFC3339.parse("2262-04-11T23:47:16.854775807Z")?.nanosecondsSinceEpoch == .max)
        #expect(RFC3339.parse("1677-09-21T00:12:43.145224192Z")?.nanosecondsSinceEpoch == .min)
        #expect(RFC3339.parseChecked("2262-04-11T23:47:16.854775808Z") == .failure(.outOfRange))
        try writeSession(directory.root, "s", [.counter(name: "a", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
        let export = try await runAnalyzer(["export", "--log", log, "--since", "292277026596-12-04T23:00:00Z"])
        #expect(export.status != 0)
        #expect(export.err.contains("--since"))
        let query = try await runAnalyzer(["query", "--log", log, "count(*) since 292277026596-12-04T23:00:00Z"])
        #expect(query.status == 2)
        #expect(TimeExpression.parse("-1e300h") == nil)
        #expect(TimeExpression.parse("-9e18s") == nil)
        let legacy = directory.path + "/current.json"
        try #"{"test_coverage": 50, "timestamp": "292277026596-12-04T23:00:00Z"}"#.write(toFile: legacy, atomically: true, encoding: .utf8)
        let imported = try await runAnalyzer(["import-legacy", "--log", log, "--session", "old", legacy])
        #expect(imported.status == 1)
        #expect(imported.err.contains("timestamp"))
    }

    @Test("duration options beyond 292 years are errors, not arithmetic traps")
    func durationOptions() async throws {
        let log = TemporaryDirectory().root.path
        for arguments in [["--segment-age", "99999999999h"], ["--segment-age", "1e300h"], ["--follow", "--flush-interval", "1e10"],
                          ["--follow", "--flush-interval", "nan"], ["--block-events", "99999999"], ["--block-events", "0"]] {
            let result = try await runAnalyzer(["ingest", "--log", log] + arguments, stdin: Data())
            #expect(result.status == 64, "\(arguments): \(result.err)")
            #expect(result.err.contains("Error:"), "\(arguments): \(result.err)")
        }
        #expect(MetricsConfig.parseDuration("99999999999h") == nil)
        #expect(MetricsConfig.parseDuration("1e10") == nil)
        #expect(MetricsConfig.parseDuration("9e9") == .seconds(9_000_000_000))
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(toml: "[metrics]\nflush_interval = 1e300\n") }
        #expect(throws: LogError.self) { try SessionLogWriter(root: LogRoot(path: log), session: "s", options: LogWriterOptions(blockMaxEvents: 1 << 25)) }
    }

    @Test("JSON numbers beyond the Double range are refused with the line and column, not stored as infinity")
    func numbersOutOfRange() async throws {
        let directory = TemporaryDirectory()
        let result = try await runAnalyzer(["ingest", "--log", directory.root.path], stdin: Data(Self.line(#""type":"gauge","name":"g","value":1e400"#).utf8))
        #expect(result.status == 1)
        #expect(result.err.contains("stdin:1: invalid JSON: number 1e400 is out of the range of a 64-bit float at column 78"), "\(result.err)")
        #expect(throws: JSONSyntaxError.self) { try JSONText.parse("[-1e309]") }
        #expect(try JSONText.parse("1e308") == .double(1e308))
    }

    // MARK: 10. Every session id the API accepts works; a failed ingest leaves nothing behind

    @Test("long session ids are stored under a hashed directory name; listing, reading and appending work")
    func longSessionIDs() async throws {
        let directory = TemporaryDirectory()
        let ids = [String(repeating: "é", count: 200), String(repeating: "a", count: 1024), String(repeating: "🚀", count: 256)]
        for id in ids {
            let name = LogRoot.directoryName(for: id)
            #expect(name.utf8.count <= 200)
            try writeSession(directory.root, id, [.counter(name: "a", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
            try writeSession(directory.root, id, [.counter(name: "b", value: 2, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2))])
            #expect(try readSession(directory.root, id).map(\.name) == ["a", "b"])
        }
        #expect(try directory.root.sessionIDs() == ids.sorted())
        let input = ids.map { #"{"ts":"2026-11-28T10:00:00Z","session":"\#($0)","type":"counter","name":"c","value":3}"# }.joined(separator: "\n")
        let ingest = try await runAnalyzer(["ingest", "--log", directory.root.path], stdin: Data(input.utf8))
        #expect(ingest.status == 0, "\(ingest.err)")
        let follow = try await runAnalyzer(["ingest", "--follow", "--log", directory.root.path], stdin: Data(input.utf8))
        #expect(follow.status == 0, "\(follow.err)")
        #expect(try readSession(directory.root, ids[0]).count == 4)
        let archive = directory.path + "/long.mmmar"
        try SessionArchive.write(session: ids[1], from: directory.root, to: archive)
        let copy = LogRoot(path: directory.path + "/copy")
        _ = try SessionArchive.importArchive(at: archive, into: copy)
        #expect(try copy.sessionIDs() == [ids[1]])
    }

    @Test("a failed ingest leaves nothing behind: new sessions removed, appended ones cut back to where they were")
    func failedIngestLeavesNothing() async throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "existing", [.counter(name: "kept", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))],
                         options: LogWriterOptions(durability: .none))
        // An unsealed last segment too: a writer that was dropped without close.
        do {
            let open = try SessionLogWriter(root: directory.root, session: "open")
            try open.append(.counter(name: "kept", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)))
            try open.flush()
        }
        let before = try snapshot(directory.path)
        let busy = try SessionLogWriter(root: directory.root, session: "busy")
        let input = ["new-1", "existing", "open", "busy"].map { #"{"ts":"2026-11-28T10:00:00Z","session":"\#($0)","type":"counter","name":"x","value":1}"# }
        let result = try await runAnalyzer(["ingest", "--log", directory.root.path, "--block-events", "1"], stdin: Data(input.joined(separator: "\n").utf8))
        #expect(result.status == 1)
        #expect(result.err.contains("busy"))
        try busy.close()
        // Byte for byte as before (LOCK files name the last writer's pid, and busy's writer made its own).
        func relevant(_ files: [String: Data]) -> [String: Data] {
            files.filter { !$0.key.hasSuffix("/LOCK") && !$0.key.hasPrefix("log/sessions/busy/") }
        }
        #expect(relevant(try snapshot(directory.path)) == relevant(before))
        // A failure part-way through writing (the disk fills) is undone the same way.
        FaultInjection.failWrites(under: directory.root.sessionPath("open") + "/", with: ENOSPC)
        defer { FaultInjection.failWrites(under: directory.root.sessionPath("open") + "/", with: nil) }
        let events = (0..<50).map { MetricEvent.counter(name: "x", value: Int64($0), timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64($0))) }
        var text = ""
        for session in ["new-2", "existing", "open"] { for event in events { text += NDJSONEvent.format(event, session: session) + "\n" } }
        do {
            _ = try NDJSONIngest.ingest(Array(text.utf8), source: "t", into: directory.root, defaultSession: nil, options: LogWriterOptions(blockMaxEvents: 10))
            Issue.record("an ingest into a full disk succeeded")
        } catch {
            #expect("\(error)".contains("No space left on device"), "\(error)")
        }
        #expect(try directory.root.sessionIDs() == ["busy", "existing", "open"])
        #expect(try readSession(directory.root, "existing").count == 1)
        #expect(try readSession(directory.root, "open").count == 1)
    }

    /// Every file under `path` with its bytes.
    func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = FileManager.default.contents(atPath: path + "/" + relative)
            }
        }
        return files
    }

    // MARK: 11. Output that cannot be written is an error

    @Test("export, query, sessions and report to a full device exit non-zero")
    func outputWriteErrors() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        for arguments in [["export"], ["query", "count(*)"], ["sessions"], ["stats"], ["verify"], ["report", "--session", "fixture-cook"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: analyzerPath())
            process.arguments = arguments + ["--log", root.path]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(arguments)")
            #expect(stderr.contains("cannot write to standard output: No space left on device"), "\(arguments): \(stderr)")
        }
    }

    @Test("no silent change: big integers a double would alter and underflowing numbers are refused; -o never replaces a device; recover needs a root")
    func noSilentChange() async throws {
        #expect(throws: JSONSyntaxError.self) { try JSONText.parse("123456789012345678901234567890") }
        #expect(throws: JSONSyntaxError.self) { try JSONText.parse("[1e-400]") }
        #expect(try JSONText.parse("9223372036854775808") == .double(9.223372036854775808e18))
        #expect(try JSONText.parse("0.0e-400") == .double(0))
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let full = try await runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "-o", "/dev/full"])
        #expect(full.status == 1)
        #expect(full.err.contains("No space left on device"), "\(full.err)")
        var info = stat()
        #expect(stat("/dev/full", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        let missing = try await runAnalyzer(["recover", "--log", temporary.path + "/typo"])
        #expect(missing.status == 1)
        #expect(missing.err.contains("no such log directory"))
        let legacy = temporary.path + "/current.json"
        try #"{"test_coverage": 50, "timestamp": "2026-11-28T10:00:00Z", "compile_time": -5}"#.write(toFile: legacy, atomically: true, encoding: .utf8)
        let negative = try await runAnalyzer(["import-legacy", "--log", temporary.path + "/log", "--session", "s", legacy])
        #expect(negative.status == 1)
        #expect(negative.err.contains("compile_time"))
    }
}
