import Foundation
import MMMMetrics
import MMMMetricsAnalysis
@testable import MMMMetricsLegacy
@testable import MMMMetricsLog
import Testing

@Suite("Archives")
struct ArchiveTests {
    @Test("round trip: the report from the archive in place, from the imported copy and from the original are identical")
    func roundTrip() throws {
        let temporary = TemporaryDirectory()
        let original = temporary.root
        try writeSession(original, "cook-7", EventGenerator.cookSession(iterations: 15, seed: 8), options: LogWriterOptions(segmentMaxBytes: 1200, blockMaxEvents: 10))
        let archive = temporary.path + "/cook-7.mmmar"
        #expect(try SessionArchive.write(session: "cook-7", from: original, to: archive) > 1)
        let inPlace = try ArchiveSource(path: archive)
        #expect(inPlace.session == "cook-7")
        #expect(try LogMaintenance(source: inPlace).verify().isEmpty)
        let copy = LogRoot(path: temporary.path + "/copy")
        let result = try SessionArchive.importArchive(at: archive, into: copy)
        #expect(result.session == "cook-7")
        #expect(result.events == EventGenerator.cookSession(iterations: 15, seed: 8).count)
        let fromOriginal = try SessionReport.build(session: "cook-7", source: original)
        let fromArchive = try SessionReport.build(session: "cook-7", source: inPlace)
        let fromCopy = try SessionReport.build(session: "cook-7", source: copy)
        #expect(fromArchive.text() == fromOriginal.text())
        #expect(fromCopy.text() == fromOriginal.text())
        #expect(JSONText.encode(fromCopy.json()) == JSONText.encode(fromOriginal.json()))
        #expect(try LogMaintenance(root: copy).verify().isEmpty)
        // Queries read archives in place too.
        #expect(try QueryEngine(source: inPlace).run("count(*)").value == Double(result.events))
        // Never overwrite; --as imports under another id, rewriting the segment headers.
        #expect(throws: LogError.self) { try SessionArchive.importArchive(at: archive, into: copy) }
        let renamed = try SessionArchive.importArchive(at: archive, into: copy, as: "cook-7-copy")
        #expect(renamed.session == "cook-7-copy")
        #expect(try LogMaintenance(root: copy).verify().isEmpty)
        #expect(sameEvents(try readSession(copy, "cook-7-copy"), try readSession(original, "cook-7")))
        #expect(try SessionReport.build(session: "cook-7-copy", source: copy).session.iterations == fromOriginal.session.iterations)
        #expect(throws: LogError.self) { try SessionArchive.write(session: "nope", from: original, to: temporary.path + "/x.mmmar") }
    }

    @Test("a live session is archived up to its last complete block; a damaged one is refused")
    func liveAndDamaged() throws {
        let temporary = TemporaryDirectory()
        let writer = try SessionLogWriter(root: temporary.root, session: "live")
        try writer.append(contentsOf: EventGenerator.cookSession(iterations: 2, seed: 1))
        try writer.flush()
        let path = try #require(try temporary.root.segmentPaths(session: "live").first)
        Corrupter.write(path, Corrupter.bytes(path) + [1, 2, 3])
        try SessionArchive.write(session: "live", from: temporary.root, to: temporary.path + "/live.mmmar")
        let imported = try SessionArchive.importArchive(at: temporary.path + "/live.mmmar", into: LogRoot(path: temporary.path + "/copy"))
        #expect(imported.events == EventGenerator.cookSession(iterations: 2, seed: 1).count)
        writer.simulateCrash()
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        #expect(throws: LogError.self) { try SessionArchive.write(session: "fixture-cook", from: damaged, to: temporary.path + "/bad.mmmar") }
    }

    /// A handmade archive: the given entries after a valid header, then a trailer.
    static func craft(session: String = "s", entries: [(name: String, kind: UInt8, data: [UInt8])], count: Int? = nil) -> [UInt8] {
        var header = ByteWriter()
        header.append(ArchiveFormat.magic)
        header.u16(1)
        header.u16(0)
        header.u16(UInt16(session.utf8.count))
        header.append(Array(session.utf8))
        var output = header.bytes
        var crc = ByteWriter()
        crc.u32(CRC32C.checksum(output))
        output += crc.bytes
        for entry in entries {
            var writer = ByteWriter()
            writer.u32(ArchiveFormat.entryMagic)
            writer.u8(entry.kind)
            writer.u16(UInt16(entry.name.utf8.count))
            writer.append(Array(entry.name.utf8))
            writer.u64(UInt64(entry.data.count))
            writer.u32(CRC32C.checksum(entry.data))
            writer.u32(CRC32C.checksum(writer.bytes))
            output += writer.bytes + entry.data
        }
        var trailer = ByteWriter()
        trailer.u32(ArchiveFormat.trailerMagic)
        trailer.u32(UInt32(count ?? entries.count))
        trailer.u32(CRC32C.checksum(trailer.bytes))
        return output + trailer.bytes
    }

    /// A segment of session `s` holding one block built from a payload and a stored form.
    static func segment(storedPayload: [UInt8], decodedLength: Int, encoding: BlockEncoding) -> [UInt8] {
        var header = SegmentHeader(sessionID: "s", firstSequence: 0, createdNanoseconds: 0).encoded()
        let block = BlockHeader(encoding: encoding, storedLength: storedPayload.count, decodedLength: decodedLength, eventCount: 1,
                                firstSequence: 0, minTimestamp: 0, maxTimestamp: 0)
        header += block.frame(payload: storedPayload)
        return header
    }

    func expectRejected(_ bytes: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let temporary = TemporaryDirectory()
        let path = temporary.path + "/hostile.mmmar"
        Corrupter.write(path, bytes)
        let root = LogRoot(path: temporary.path + "/root")
        do {
            _ = try SessionArchive.importArchive(at: path, into: root)
            Issue.record("accepted an archive with \(what)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(path) || "\(error)".contains("hostile.mmmar"), "\(what): \(error)", sourceLocation: sourceLocation)
        }
        // Nothing written: no session, no staging directory, nothing outside the root.
        let written = (try? FileManager.default.contentsOfDirectory(atPath: root.sessionsPath)) ?? []
        #expect(written.isEmpty, "\(what) left \(written)", sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == ["hostile.mmmar"] || !FileManager.default.fileExists(atPath: root.path) || written.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("hostile archives are rejected with a clear error and nothing is written")
    func hostile() throws {
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", EventGenerator.cookSession(iterations: 2, seed: 3))
        let good = temporary.path + "/good.mmmar"
        try SessionArchive.write(session: "s", from: temporary.root, to: good)
        let goodBytes = Corrupter.bytes(good)
        let segmentBytes = try Corrupter.bytes(#require(try temporary.root.segmentPaths(session: "s").first))
        let name = "00000000000000000000.seg"

        try expectRejected(Self.craft(entries: [("../../etc/passwd", 1, segmentBytes)]), "path traversal")
        try expectRejected(Self.craft(entries: [("/etc/00000000000000000000.seg", 1, segmentBytes)]), "an absolute path")
        try expectRejected(Self.craft(entries: [("sessions/s/" + name, 1, segmentBytes)]), "a directory in the name")
        try expectRejected(Self.craft(entries: [(name, 3, Array("/etc/passwd".utf8))]), "a symlink entry")
        try expectRejected(Self.craft(entries: [(name, 1, segmentBytes), (name, 1, segmentBytes)]), "duplicate entries")
        try expectRejected(Self.craft(entries: [(name, 1, segmentBytes)], count: 5), "a trailer that miscounts")
        // An absurd declared size: patch the length field of the first entry.
        var absurd = Self.craft(entries: [(name, 1, segmentBytes)])
        let lengthOffset = 8 + 6 + 1 + 4 + 4 + 1 + 2 + name.utf8.count
        for index in 0..<8 { absurd[lengthOffset + index] = index == 7 ? 0x10 : 0 }
        try expectRejected(absurd, "an absurd size")
        // A zstd frame that would decompress to 80 MiB, in a block that says 1 KiB.
        let compressor = ZstdCompressor(level: 1)
        let bomb = try [UInt8](repeating: 0, count: 80 << 20).withUnsafeBytes { try compressor.compress($0) }
        try expectRejected(Self.craft(entries: [(name, 1, Self.segment(storedPayload: bomb, decodedLength: 1024, encoding: .zstd))]), "a zstd bomb")
        // The same frame in a block that claims the 80 MiB: beyond the 64 MiB limit.
        try expectRejected(Self.craft(entries: [(name, 1, Self.segment(storedPayload: bomb, decodedLength: 80 << 20, encoding: .zstd))]), "an oversized block")
        // A segment of another session.
        try expectRejected(Self.craft(session: "t", entries: [(name, 1, segmentBytes)]), "a session mismatch")
        // Truncation at many points, and a flipped bit anywhere.
        for cut in stride(from: 0, to: goodBytes.count - 1, by: max(1, goodBytes.count / 60)) {
            try expectRejected(Array(goodBytes.prefix(cut)), "truncation at \(cut)")
        }
        var random = SeededRandom(seed: 4)
        for _ in 0..<60 {
            var flipped = goodBytes
            let bit = Int(random.next() % UInt64(flipped.count * 8))
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            try expectRejected(flipped, "a bit flipped at \(bit)")
        }
        // And the untouched archive still imports.
        #expect(try SessionArchive.importArchive(at: good, into: LogRoot(path: temporary.path + "/ok")).events > 0)
    }

    @Test("the CLI archives, reads in place with --log FILE and imports")
    func cli() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let archive = temporary.path + "/cook.mmmar"
        #expect(try runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", archive]).status == 0)
        let report = try runAnalyzer(["report", "--log", archive, "--session", "fixture-cook"])
        #expect(report.out == (try runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook"])).out)
        #expect(try runAnalyzer(["verify", "--log", archive]).status == 0)
        #expect(try runAnalyzer(["sessions", "--log", archive]).out.contains("fixture-cook"))
        #expect(try runAnalyzer(["export", "--log", archive]).out.split(separator: "\n").count == 37)
        let target = temporary.path + "/target"
        let first = try runAnalyzer(["import", "--log", target, archive])
        #expect(first.status == 0)
        #expect(first.err.contains("imported session fixture-cook: 37 events"))
        let again = try runAnalyzer(["import", "--log", target, archive])
        #expect(again.status != 0)
        #expect(again.err.contains("already exists"))
        #expect(try runAnalyzer(["import", "--log", target, "--as", "second", archive]).status == 0)
        let refused = try runAnalyzer(["recover", "--log", archive])
        #expect(refused.status != 0)
        #expect(refused.err.contains("read-only"))
    }
}

/// MMM's `ProjectMetrics` as its readers decode it: every key present (values may be null), no others.
struct StrictProjectMetrics: Decodable {
    let test_coverage: Double?
    let type_coverage: Double?
    let lint_warnings: Int
    let code_duplication: Double?
    let doc_coverage: Double?
    let benchmark_results: JSONValue?
    let compile_time: Double?
    let binary_size: UInt64?
    let cyclomatic_complexity: [String: Int]?
    let max_nesting_depth: Int?
    let total_lines: Int?
    let tech_debt_score: Double?
    let improvement_velocity: Double?
    let timestamp: String
    let iteration_id: String?
    let iteration_duration: Double?
    let command_timings: [String: Double]?
    let workflow_timing: JSONValue?

    static let keys: Set<String> = [
        "test_coverage", "type_coverage", "lint_warnings", "code_duplication", "doc_coverage", "benchmark_results", "compile_time",
        "binary_size", "cyclomatic_complexity", "max_nesting_depth", "total_lines", "tech_debt_score", "improvement_velocity",
        "timestamp", "iteration_id", "iteration_duration", "command_timings", "workflow_timing",
    ]

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes, failing on a missing or an unknown key.
    static func decodeStrictly(_ data: Data) throws -> StrictProjectMetrics {
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        guard Set(object.keys) == keys else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "keys differ: \(Set(object.keys).symmetricDifference(keys))"))
        }
        return try JSONDecoder().decode(StrictProjectMetrics.self, from: data)
    }
}

@Suite("Legacy .mmm/metrics adapter")
struct LegacyTests {
    static let directory = "/work/shared/fixtures/legacy-mmm-metrics"
    static var fixtureDirectory: String {
        // CI lays shared/ beside the clone; locally it is /work/shared.
        let beside = FixtureLogs.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/legacy-mmm-metrics").path
        return FileManager.default.fileExists(atPath: beside) ? beside : directory
    }

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtureDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test("every legacy fixture imports; each value lands on the documented event, checked against the file")
    func everyFixture() throws {
        let files = Self.files
        #expect(files.count == 54)
        for file in files {
            let path = Self.fixtureDirectory + "/" + file
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
            total += try LegacyImport.importFiles(at: Self.fixtureDirectory + "/" + file, into: temporary.root, session: "legacy").events
        }
        let report = try SessionReport.build(session: "legacy", source: temporary.root)
        #expect(report.events == total)
        let last = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixtureDirectory + "/" + files.last!))) as! [String: Any]
        #expect(report.session.quality.testCoverage == (last["test_coverage"] as? NSNumber)?.doubleValue)
        #expect(try QueryEngine(source: temporary.root).run("count(quality.test_coverage)").value == 54)
    }

    @Test("history.json in both of MMM's shapes: snapshots with iteration numbers, or a plain array")
    func history() throws {
        let temporary = TemporaryDirectory()
        let first = try String(contentsOfFile: Self.fixtureDirectory + "/" + Self.files[0], encoding: .utf8)
        let second = try String(contentsOfFile: Self.fixtureDirectory + "/" + Self.files[20], encoding: .utf8)
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
        try FileManager.default.copyItem(atPath: Self.fixtureDirectory + "/" + Self.files.last!, toPath: temporary.path + "/current.json")
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
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "compile_time": "slow"}"#, "compile_time must be a duration"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "iteration_id": 4}"#, "iteration_id must be a string or null"),
            (#"{"snapshots": 3}"#, "\"snapshots\" must be an array"),
            (#"{"snapshots": [{"iteration": 1}]}"#, "snapshots[0] must be an object with \"metrics\""),
            (#"[{"nope": 1}]"#, "history entry [0] is not a metrics snapshot"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "memory_usage": {"heap": "big"}}"#, "memory_usage.heap must be a number"),
            (#"{"test_coverage": 5, "timestamp": "2025-07-30T10:00:15Z", "cyclomatic_complexity": [1]}"#, "cyclomatic_complexity must be an object"),
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

    @Test("the legacy writer's current.json is read back by a strict decoder of the ProjectMetrics shape, with the latest values")
    func writer() throws {
        let temporary = TemporaryDirectory()
        for file in Self.files.prefix(3) {
            _ = try LegacyImport.importFiles(at: Self.fixtureDirectory + "/" + file, into: temporary.root, session: "legacy")
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
                let source = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixtureDirectory + "/" + Self.files[2]))) as! [String: Any]
                #expect(decoded.test_coverage == (source["test_coverage"] as? NSNumber)?.doubleValue)
                #expect(decoded.binary_size == (source["binary_size"] as? NSNumber)?.uint64Value)
                #expect(decoded.lint_warnings == (source["lint_warnings"] as? NSNumber)?.intValue)
            }
        }
        // Atomic: an existing file is replaced whole, and no temporary file is left behind.
        let path = temporary.path + "/cook/current.json"
        try LegacyExport.writeCurrent(session: "legacy", source: temporary.root, to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path + "/cook") == ["current.json"])
    }

    @Test("the CLI imports legacy files, says how to when a report finds only them, and exports legacy-current")
    func cli() throws {
        let temporary = TemporaryDirectory()
        let metrics = temporary.path + "/.mmm/metrics"
        try FileManager.default.createDirectory(atPath: metrics, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtureDirectory + "/" + Self.files.last!, toPath: metrics + "/current.json")
        let hint = try runAnalyzer(["report", "--session", "old"], directory: temporary.path)
        #expect(hint.status != 0)
        #expect(hint.err.contains("mmm-analyze import-legacy --log .mmm/metrics --session old"))
        let imported = try runAnalyzer(["import-legacy", "--session", "old", metrics + "/current.json"], directory: temporary.path)
        #expect(imported.status == 0)
        let report = try runAnalyzer(["report", "--session", "old", "--format", "json"], directory: temporary.path)
        #expect(report.status == 0)
        #expect(report.out.contains("\"test_coverage\":"))
        let broken = temporary.path + "/broken.json"
        try "{ nope".write(toFile: broken, atomically: true, encoding: .utf8)
        let failed = try runAnalyzer(["import-legacy", "--session", "other", broken], directory: temporary.path)
        #expect(failed.status != 0)
        #expect(failed.err.contains("broken.json: not valid JSON"))
        let export = try runAnalyzer(["export", "--session", "old", "--format", "legacy-current"], directory: temporary.path)
        #expect(export.status == 0)
        _ = try StrictProjectMetrics.decodeStrictly(Data(contentsOf: URL(fileURLWithPath: metrics + "/current.json")))
        #expect(try runAnalyzer(["export", "--format", "legacy-current"], directory: temporary.path).status != 0)
    }
}
