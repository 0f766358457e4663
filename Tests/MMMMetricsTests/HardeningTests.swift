import Foundation
import MMMMetrics
@testable import MMMMetricsAnalysis
@testable import MMMMetricsLegacy
@testable import MMMMetricsLog
import Testing

/// One test per defect that hostile testing of the released tool found (issue "No silent loss, no
/// silent wrong answer, no crash"); each failed on the code before its fix.
@Suite("Hardening: what hostile testing found")
struct HardeningTests {
    static func line(_ fields: String) -> String { #"{"ts":"2026-11-28T10:00:00Z","session":"s","# + fields + "}\n" }

    // MARK: 1. Blocks within every limit a reader enforces

    @Test("33,000 custom events of 2,100 bytes: every block the writer makes is read back, verify passes")
    func blocksCutByBytes() async throws {
        try await offThePool { try Self.blocksCutByBytesBody() }
    }

    static func blocksCutByBytesBody() throws {
        let directory = TemporaryDirectory()
        let data = JSONValue.string(String(repeating: "x", count: 2_100))
        let events = (0..<33_000).map { index in
            MetricEvent.custom(name: "trace", data: data, tags: ["i": "\(index % 7)"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64(index)))
        }
        try writeSession(directory.root, "big", events)
        let read = try readSession(directory.root, "big")
        #expect(read.count == 33_000)
        #expect(read.last?.value == .custom(data))
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
        let segment = try StoredSegment.load(try #require(try directory.root.segmentPaths(session: "big").first))
        #expect(segment.blocks.count > 1)
        #expect(segment.blocks.allSatisfy { $0.header.decodedLength <= LogWriterOptions().blockMaxBytes })
    }

    @Test("an event over 16 MiB is refused before anything is written; one just under it is stored")
    func eventSizeLimit() async throws {
        try await offThePool { try Self.eventSizeLimitBody() }
    }

    static func eventSizeLimitBody() throws {
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
        let result = try runAnalyzer(["ingest", "--log", directory.path + "/other"], stdin: Data(input.utf8))
        #expect(result.status == 1)
        #expect(result.err.contains("stdin:2: event too large to store"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/other/sessions"))
    }

    // MARK: 2. Damage is never silent

    @Test("query over a damaged log warns on stderr, counts what it skipped in JSON, and fails with --strict")
    func queryReportsDamage() throws {
        let temporary = TemporaryDirectory()
        let good = try FixtureLogs.copy("good", into: temporary)
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        let complete = try runAnalyzer(["query", "--log", good.path, "--format", "json", "count(*)"])
        #expect(complete.out.contains(#""value":37"#))
        #expect(complete.err.isEmpty)
        let lenient = try runAnalyzer(["query", "--log", damaged.path, "--format", "json", "count(*)"])
        #expect(lenient.status == 0)
        #expect(lenient.out == #"{"rows":[{"count":31,"group":{},"value":31}],"skipped_events":6,"skipped_places":1}"# + "\n")
        #expect(lenient.err.contains("offset 376"), "\(lenient.err)")
        #expect(lenient.err.contains("leaves out 6 events"))
        let strict = try runAnalyzer(["query", "--log", damaged.path, "--strict", "count(*)"])
        #expect(strict.status == 1)
        #expect(strict.out.isEmpty)
        #expect(strict.err.contains("offset 376"))
        // Every reading command: lenient warns, strict fails.
        for command in [["report", "--session", "fixture-cook"], ["export"], ["sessions"], ["stats"],
                        ["export", "--session", "fixture-cook", "--format", "legacy-current", "-o", temporary.path + "/current.json"]] {
            let warned = try runAnalyzer(command + ["--log", damaged.path])
            #expect(warned.status == 0, "\(command)")
            #expect(warned.err.contains("warning"), "\(command): \(warned.err)")
            let failed = try runAnalyzer(command + ["--log", damaged.path, "--strict"])
            #expect(failed.status == 1, "\(command)")
        }
        let report = try runAnalyzer(["report", "--log", damaged.path, "--session", "fixture-cook", "--format", "json"])
        #expect(report.out.contains(#""skipped_events":6"#))
        let text = try runAnalyzer(["report", "--log", damaged.path, "--session", "fixture-cook"])
        #expect(text.out.contains("INCOMPLETE: 6 events"))
        // The library says the same without the CLI.
        let result = try QueryEngine(source: damaged).run("count(*)")
        #expect(result.value == 31)
        #expect(result.skipped == SkippedData(events: 6, places: 1))
        #expect(throws: LogError.self) { try QueryEngine(source: damaged).run("count(*)", mode: .strict) }
    }

    @Test("a missing segment in the middle of a session is a gap that readers report, not a silent hole")
    func missingSegmentGap() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let paths = try root.segmentPaths(session: "fixture-cook")
        try FileManager.default.removeItem(atPath: paths[1])
        var warnings: [ReadWarning] = []
        let events = try LogReader(root: root).events(session: "fixture-cook", warning: { warnings.append($0) })
        #expect(events.count == 25)
        #expect(warnings.count == 1)
        #expect(warnings.first?.skippedEvents == 12)
        #expect(warnings.first?.message.contains("missing") == true)
        #expect(throws: LogError.self) { try readSession(root, "fixture-cook") }
    }

    // MARK: 3. Limits at the door; no segment content crashes a tool

    @Test("a metric name, tag key or value over its limit is refused at the door; the session stays usable")
    func limitsAtTheDoor() async throws {
        let directory = TemporaryDirectory()
        let writer = try SessionLogWriter(root: directory.root, session: "s")
        try writer.append(.counter(name: "before", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)))
        let tooLong = String(repeating: "n", count: 70_000)
        for event in [MetricEvent.counter(name: tooLong, value: 1), .counter(name: "", value: 1),
                      .counter(name: "t", value: 1, tags: [tooLong: "v"]), .counter(name: "t", value: 1, tags: ["k": tooLong + tooLong]),
                      .timer(name: "t", duration: .seconds(10_000_000_000))] {
            #expect(throws: LogError.self) { try writer.append(event) }
        }
        try writer.close()
        #expect(try readSession(directory.root, "s").count == 1)
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
        _ = try LogMaintenance(root: directory.root).recover()
        try SessionArchive.write(session: "s", from: directory.root, to: directory.path + "/s.mmmar")
        // Through the collector: refused one by one and counted, the rest written.
        let collector = try FileMetricsCollector(root: directory.root, session: "c")
        try await collector.record(contentsOf: [.counter(name: tooLong, value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)),
                                                 .counter(name: "fine", value: 2, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2))])
        try await collector.close()
        #expect(collector.statistics.rejected == 1)
        #expect(try readSession(directory.root, "c").map(\.name) == ["fine"])
        let ingest = try runAnalyzer(["ingest", "--log", directory.path + "/cli"], stdin: Data(Self.line(#""type":"counter","name":""# + tooLong + #"","value":1"#).utf8))
        #expect(ingest.status == 1)
        #expect(ingest.err.contains("stdin:1: event too large to store: the metric name has 70000 bytes"))
    }

    @Test("a segment holding a 70,000-byte metric name (written by someone else) crashes nothing: read, verify, recover, archive")
    func hostileNameInSegment() throws {
        let directory = TemporaryDirectory()
        let name = String(repeating: "m", count: 70_000)
        let events = [MetricEvent.counter(name: name, value: 7, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 5))]
        // Written below the writer's door, as a foreign or hostile tool could.
        let sessionDirectory = directory.root.sessionPath("h")
        try FileManager.default.createDirectory(atPath: sessionDirectory, withIntermediateDirectories: true)
        let header = SegmentHeader(sessionID: "h", firstSequence: 0, createdNanoseconds: 0)
        let payload = BlockPayload.encode(events)
        let block = BlockHeader(encoding: .raw, storedLength: payload.count, decodedLength: payload.count, eventCount: 1,
                                firstSequence: 0, minTimestamp: 5, maxTimestamp: 5).frame(payload: payload)
        Corrupter.write(sessionDirectory + "/" + LogRoot.segmentFileName(firstSequence: 0), header.encoded() + block)
        #expect(try readSession(directory.root, "h").first?.name == name)
        #expect(try readSession(directory.root, "h", mode: .strict).count == 1)
        #expect(try LogMaintenance(root: directory.root).verify().allSatisfy { $0.message.contains("index") })
        _ = try LogMaintenance(root: directory.root).recover()
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
        try SessionArchive.write(session: "h", from: directory.root, to: directory.path + "/h.mmmar")
        let named = try LogReader(root: directory.root).events(session: "h", filter: ReadFilter(names: [name]))
        #expect(named.count == 1)
        // A writer appends after it.
        let writer = try SessionLogWriter(root: directory.root, session: "h")
        try writer.append(.counter(name: "next", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 6)))
        try writer.close()
        #expect(try readSession(directory.root, "h").count == 2)
    }

    // MARK: 4. Archive names must match their content

    @Test("an archive whose entry name does not match its segment, or that holds no segment, is refused with nothing written")
    func archiveNamesMatchContent() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "s", EventGenerator.cookSession(iterations: 3, seed: 4), options: LogWriterOptions(segmentMaxBytes: 400, blockMaxEvents: 5))
        let segments = try directory.root.segmentPaths(session: "s")
        #expect(segments.count > 2)
        func archive(_ entries: [(String, ArchiveFormat.Kind, [UInt8])]) -> [UInt8] {
            var header = ByteWriter()
            header.append(ArchiveFormat.magic)
            header.u16(ArchiveFormat.version)
            header.u16(0)
            header.u16(1)
            header.append(Array("s".utf8))
            var output = header.bytes
            var crc = ByteWriter()
            crc.u32(CRC32C.checksum(output))
            output += crc.bytes
            for (name, kind, data) in entries { output += SessionArchive.entry(name: name, kind: kind, data: data) }
            var trailer = ByteWriter()
            trailer.u32(ArchiveFormat.trailerMagic)
            trailer.u32(UInt32(entries.count))
            trailer.u32(CRC32C.checksum(trailer.bytes))
            return output + trailer.bytes
        }
        let target = LogRoot(path: directory.path + "/target")
        let first = Corrupter.bytes(segments[0])
        let second = Corrupter.bytes(segments[1])
        let cases: [(String, [(String, ArchiveFormat.Kind, [UInt8])], String)] = [
            ("misnamed", [(LogRoot.segmentFileName(firstSequence: 0), .segment, first), (LogRoot.segmentFileName(firstSequence: 7777), .segment, second)],
             "does not match the segment's first sequence number"),
            ("empty", [], "holds no segment"),
            ("stray index", [(LogRoot.segmentFileName(firstSequence: 0), .segment, first), ("00000000000000000099.idx", .index, [1, 2, 3])],
             "has no segment entry"),
        ]
        for (label, entries, message) in cases {
            let path = directory.path + "/\(label.replacingOccurrences(of: " ", with: "-")).mmmar"
            Corrupter.write(path, archive(entries))
            do {
                _ = try SessionArchive.importArchive(at: path, into: target)
                Issue.record("\(label) was imported")
            } catch {
                #expect("\(error)".contains(message), "\(label): \(error)")
            }
            #expect(try target.sessionIDs().isEmpty, "\(label)")
        }
    }

    // MARK: 5. A segment whose header never reached the disk

    @Test("an empty or header-torn last segment: reading skips it, a writer and recover remove it and carry on")
    func headerlessLastSegment() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 2, seed: 5)
        try writeSession(directory.root, "s", events)
        let next = directory.root.sessionPath("s") + "/" + LogRoot.segmentFileName(firstSequence: UInt64(events.count))
        for torn in [[], Array(Format.segmentMagic.prefix(5)), [UInt8](repeating: 0, count: 38)] {
            Corrupter.write(next, torn)
            #expect(try readSession(directory.root, "s").count == events.count)
            #expect(try LogMaintenance(root: directory.root).summaries().sessions.first?.events == events.count)
        }
        let writer = try SessionLogWriter(root: directory.root, session: "s")
        #expect(writer.recovery?.removedEmptySegments == [next])
        try writer.append(.counter(name: "after", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)))
        try writer.close()
        #expect(try readSession(directory.root, "s").count == events.count + 1)
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
        // recover says what it removed.
        let later = directory.root.sessionPath("s") + "/" + LogRoot.segmentFileName(firstSequence: UInt64(events.count + 1))
        Corrupter.write(later, [])
        let actions = try LogMaintenance(root: directory.root).recover()
        #expect(actions.first?.description.contains("removed an empty segment") == true)
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
    }

    // MARK: 6–9. Ranges: timestamps, durations, numbers

    @Test("timestamps outside Int64 nanoseconds are refused with the supported range, never a crash")
    func timestampRange() throws {
        let directory = TemporaryDirectory()
        let log = directory.root.path
        for ts in ["292277026596-12-04T23:00:00Z", "-292277022657-01-28T00:00:00+23:59", "2262-04-12T00:00:00Z", "1677-09-21T00:00:00Z"] {
            let ingest = try runAnalyzer(["ingest", "--log", log], stdin: Data(#"{"ts":"\#(ts)","session":"s","type":"counter","name":"a","value":1}"#.utf8))
            #expect(ingest.status == 1, "\(ts)")
            #expect(ingest.err.contains("stdin:1: \"ts\""), "\(ingest.err)")
            #expect(ingest.err.contains("outside the supported range"), "\(ingest.err)")
        }
        #expect(RFC3339.parse("2262-04-11T23:47:16.854775807Z")?.nanosecondsSinceEpoch == .max)
        #expect(RFC3339.parse("1677-09-21T00:12:43.145224192Z")?.nanosecondsSinceEpoch == .min)
        #expect(RFC3339.parseChecked("2262-04-11T23:47:16.854775808Z") == .failure(.outOfRange))
        try writeSession(directory.root, "s", [.counter(name: "a", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
        let export = try runAnalyzer(["export", "--log", log, "--since", "292277026596-12-04T23:00:00Z"])
        #expect(export.status != 0)
        #expect(export.err.contains("--since"))
        let query = try runAnalyzer(["query", "--log", log, "count(*) since 292277026596-12-04T23:00:00Z"])
        #expect(query.status == 2)
        #expect(TimeExpression.parse("-1e300h") == nil)
        #expect(TimeExpression.parse("-9e18s") == nil)
        let legacy = directory.path + "/current.json"
        try #"{"test_coverage": 50, "timestamp": "292277026596-12-04T23:00:00Z"}"#.write(toFile: legacy, atomically: true, encoding: .utf8)
        let imported = try runAnalyzer(["import-legacy", "--log", log, "--session", "old", legacy])
        #expect(imported.status == 1)
        #expect(imported.err.contains("timestamp"))
    }

    @Test("duration options beyond 292 years are errors, not arithmetic traps")
    func durationOptions() throws {
        let log = TemporaryDirectory().root.path
        for arguments in [["--segment-age", "99999999999h"], ["--segment-age", "1e300h"], ["--follow", "--flush-interval", "1e10"],
                          ["--follow", "--flush-interval", "nan"], ["--block-events", "99999999"], ["--block-events", "0"]] {
            let result = try runAnalyzer(["ingest", "--log", log] + arguments, stdin: Data())
            #expect(result.status == 64, "\(arguments): \(result.err)")
            #expect(result.err.contains("Error:"), "\(arguments): \(result.err)")
        }
        #expect(MetricsConfig.parseDuration("99999999999h") == nil)
        #expect(MetricsConfig.parseDuration("1e10") == nil)
        #expect(MetricsConfig.parseDuration("9e9") == .seconds(9_000_000_000))
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(toml: "[metrics]\nflush_interval = 1e300\n") }
        #expect(throws: LogError.self) { try SessionLogWriter(root: LogRoot(path: log), session: "s", options: LogWriterOptions(blockMaxEvents: 1 << 25)) }
    }

    @Test("legacy durations too large for nanoseconds are errors naming the key")
    func legacyDurations() throws {
        for (json, key) in [(#""compile_time": 1e10"#, "compile_time"), (#""compile_time": 1e300"#, "compile_time"),
                            (#""command_timings": {"build": 1e19}"#, "command_timings.build"),
                            (#""iteration_duration": {"secs": 9223372036854775807, "nanos": 0}"#, "iteration_duration")] {
            let text = #"{"test_coverage": 50, "timestamp": "2026-11-28T10:00:00Z", "# + json + "}"
            #expect(throws: LegacyError.self) { try LegacyImport.events(fromFile: "current.json", bytes: Array(text.utf8)) }
            do {
                _ = try LegacyImport.events(fromFile: "current.json", bytes: Array(text.utf8))
            } catch {
                #expect(error.message.contains(key), "\(error)")
            }
        }
    }

    @Test("JSON numbers beyond the Double range are refused with the line and column, not stored as infinity")
    func numbersOutOfRange() throws {
        let directory = TemporaryDirectory()
        let result = try runAnalyzer(["ingest", "--log", directory.root.path], stdin: Data(Self.line(#""type":"gauge","name":"g","value":1e400"#).utf8))
        #expect(result.status == 1)
        #expect(result.err.contains("stdin:1: invalid JSON: number 1e400 is out of the range of a 64-bit float at column 78"), "\(result.err)")
        #expect(throws: JSONSyntaxError.self) { try JSONText.parse("[-1e309]") }
        #expect(try JSONText.parse("1e308") == .double(1e308))
    }

    // MARK: 10. Every session id the API accepts works; a failed ingest leaves nothing behind

    @Test("long session ids are stored under a hashed directory name; listing, reading and appending work")
    func longSessionIDs() throws {
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
        let ingest = try runAnalyzer(["ingest", "--log", directory.root.path], stdin: Data(input.utf8))
        #expect(ingest.status == 0, "\(ingest.err)")
        let follow = try runAnalyzer(["ingest", "--follow", "--log", directory.root.path], stdin: Data(input.utf8))
        #expect(follow.status == 0, "\(follow.err)")
        #expect(try readSession(directory.root, ids[0]).count == 4)
        let archive = directory.path + "/long.mmmar"
        try SessionArchive.write(session: ids[1], from: directory.root, to: archive)
        let copy = LogRoot(path: directory.path + "/copy")
        _ = try SessionArchive.importArchive(at: archive, into: copy)
        #expect(try copy.sessionIDs() == [ids[1]])
    }

    @Test("a failed ingest leaves nothing behind: new sessions removed, appended ones cut back to where they were")
    func failedIngestLeavesNothing() throws {
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
        let result = try runAnalyzer(["ingest", "--log", directory.root.path, "--block-events", "1"], stdin: Data(input.joined(separator: "\n").utf8))
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
        #expect(throws: LogError.self) {
            try NDJSONTransfer.ingest(Array(text.utf8), source: "t", into: directory.root, defaultSession: nil, options: LogWriterOptions(blockMaxEvents: 10))
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

    // MARK: 12. Smaller ones

    @Test("error positions: legacy files give line and column, NDJSON columns count characters")
    func errorPositions() throws {
        let text = "{\n  \"test_coverage\": 50,\n  \"timestamp\": tru\n}"
        do {
            _ = try LegacyImport.events(fromFile: "current.json", bytes: Array(text.utf8))
            Issue.record("parsed")
        } catch {
            #expect(error.description.contains("at line 3, column 19"), "\(error)")
        }
        let ndjson = #"{"ts":"2026-11-28T10:00:00Z","name":"ééé","x":}"#
        do {
            _ = try NDJSONEvent.parse(ndjson)
        } catch {
            // The '}' is the 47th character (its byte offset is 49: the three é take two bytes each).
            #expect(error.message.hasSuffix("at column 47"), "\(error)")
        }
    }

    // MARK: 13–14. Configuration

    @Test("disabled metrics build no collector: the file collector's directory is never created")
    func disabledBuildsNothing() throws {
        let directory = TemporaryDirectory()
        let factories = CollectorFactories()
        FileMetricsCollector.install(into: factories, session: "s")
        let config = MetricsConfig(enabled: false, collectors: [.file(path: directory.path + "/log")])
        let registry = try MetricsRegistry.configured(config, factories: factories) { _ in }
        #expect(registry.statistics().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/log"))
    }

    @Test("every environment variable the package reads is accepted by MetricsConfig.load")
    func environmentVariables() throws {
        let directory = TemporaryDirectory()
        let config = try MetricsConfig.load(projectDirectory: directory.path, environment: [
            "MMM_METRICS_SESSION": "cook-1", "MMM_METRICS_DIR": directory.path, "MMM_METRICS": "on",
        ])
        #expect(config.enabled)
        #expect(throws: MetricsConfigError.self) { try MetricsConfig.load(projectDirectory: directory.path, environment: ["MMM_METRICS_SESION": "x"]) }
    }
}
