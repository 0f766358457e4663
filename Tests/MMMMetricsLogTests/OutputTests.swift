import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("Listings, statistics and verification as tables, JSON and CSV")
struct OutputTests {
    @Test("a session list prints as a table, as JSON that decodes back, and as CSV; damage is counted, or fails in strict mode")
    func sessionList() throws {
        let temporary = TemporaryDirectory()
        let good = try FixtureLogs.copy("good", into: temporary)
        let list = try LogMaintenance(root: good).summaries()
        #expect(list.sessions.map(\.session) == ["fixture-cook"])
        #expect(list.skipped.isEmpty)
        let table = try list.rendered(as: .table)
        #expect(table.hasPrefix("SESSION"))
        #expect(table.contains("fixture-cook"))
        let json = try list.rendered(as: .json)
        #expect(json.contains(#""first_ts":"2026-"#))
        #expect(json.contains(#""skipped_events":0"#))
        struct Envelope: Decodable { let sessions: [SessionSummary] }
        let decoded = try JSONDecoder().decode(Envelope.self, from: Data(json.utf8))
        #expect(decoded.sessions == list.sessions)
        let csv = try list.rendered(as: .csv)
        #expect(csv.hasPrefix("session,first_ts,last_ts,events,segments,bytes,sealed\nfixture-cook,"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SessionSummary.self, from: Data(#"{"session":"s","first_ts":"yesterday","events":1,"segments":1,"bytes":1,"sealed":true}"#.utf8))
        }
        let empty = SessionSummary(session: "e", events: 0, segments: 1, bytes: 0, lastSegmentSealed: false)
        #expect(try JSONValueEncoder().text(empty).contains(#""first_ts":null"#))

        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        var warnings: [ReadWarning] = []
        let lenient = try LogMaintenance(root: damaged).summaries(warning: { warnings.append($0) })
        #expect(lenient.sessions.first?.events == 31)
        #expect(lenient.skipped == SkippedData(events: 6, places: 1))
        #expect(warnings.count == 1)
        #expect(throws: LogError.self) { try LogMaintenance(root: damaged).summaries(mode: .strict) }
        let statistics = try LogMaintenance(root: damaged).statistics()
        #expect(statistics.skipped.places == 1)
        #expect(statistics.textTable.contains("1 damaged place (6 events known) not counted"))
    }

    @Test("statistics print as figures, JSON with snake_case keys, and CSV")
    func statistics() throws {
        let temporary = TemporaryDirectory()
        let stats = try LogMaintenance(root: try FixtureLogs.copy("good", into: temporary)).statistics()
        #expect(stats.events == 37)
        #expect(stats.textTable.contains("bytes per event"))
        let json = try stats.rendered(as: .json)
        for key in ["sessions", "segments", "blocks", "raw_blocks", "sectioned_blocks", "events", "segment_bytes", "index_bytes", "stored_payload_bytes",
                    "decoded_payload_bytes", "bytes_per_event", "compression_ratio", "skipped_events", "skipped_places"] {
            #expect(json.contains("\"\(key)\":"), "\(key)")
        }
        let csv = try stats.rendered(as: .csv)
        #expect(csv.hasPrefix("figure,value\nsessions,1\n"))
        #expect(CSV.field("a,\"b\"") == "\"a,\"\"b\"\"\"")
        #expect(CSV.field("plain") == "plain")
    }

    @Test("verification problems encode with a null offset when there is none")
    func verifyProblem() throws {
        let problem = VerifyProblem(session: "s", file: "0.seg", offset: nil, message: "index missing")
        #expect(try JSONValueEncoder().text(problem) == #"{"file":"0.seg","message":"index missing","offset":null,"session":"s"}"#)
        #expect(problem.description == "s 0.seg: index missing")
        struct Rows: Encodable {
            let nested: [String: [Int]]
            let values: [Double?]
            let flag: Bool
        }
        #expect(try JSONValueEncoder().text(Rows(nested: ["a": [1, 2]], values: [1.5, nil], flag: true)) == #"{"flag":true,"nested":{"a":[1,2]},"values":[1.5,null]}"#)
    }

    @Test("ingest --follow reads a file to its end; a line of a session that cannot be opened is skipped and named")
    func followFile() throws {
        let temporary = TemporaryDirectory()
        let file = temporary.path + "/in.ndjson"
        let lines = (0..<5).map { #"{"ts":"2026-11-28T10:00:0\#($0)Z","session":"\#($0 == 3 ? "busy" : "s")","type":"counter","name":"c","value":\#($0)}"# }
        try (lines.joined(separator: "\n") + "\n{not json}").write(toFile: file, atomically: true, encoding: .utf8)
        let busy = try SessionLogWriter(root: temporary.root, session: "busy")
        var skipped: [IngestError] = []
        let report = try NDJSONIngest.follow(from: file, into: temporary.root, defaultSession: nil, flushInterval: .milliseconds(50)) {
            skipped.append($0)
        }
        try busy.close()
        #expect(report.sessions.map(\.events) == [4])
        #expect(report.skippedLines == 2)
        #expect(skipped.map(\.line) == [4, 6])
        #expect(skipped.first?.message.contains("cannot write session busy") == true)
        #expect(try readSession(temporary.root, "s").count == 4)
        #expect(throws: LogError.self) {
            try NDJSONIngest.follow(from: temporary.path + "/missing", into: temporary.root, defaultSession: nil, flushInterval: .seconds(1)) { _ in }
        }
    }

    @Test("atomic writes replace a file whole, follow a symbolic link, and write a device in place")
    func atomicFile() throws {
        let temporary = TemporaryDirectory()
        let target = temporary.path + "/target.json"
        try AtomicFile.write(Array("one".utf8), to: target)
        try AtomicFile.write(Array("two".utf8), to: target, sync: false)
        #expect(String(decoding: Corrupter.bytes(target), as: UTF8.self) == "two")
        let link = temporary.path + "/link.json"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        try AtomicFile.write(Array("three".utf8), to: link)
        #expect(String(decoding: Corrupter.bytes(target), as: UTF8.self) == "three")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target)
        try AtomicFile.write(Array("gone".utf8), to: "/dev/null")
        #expect(throws: LogError.self) { try AtomicFile.write(Array("x".utf8), to: "/dev/full") }
        #expect(throws: LogError.self) { try AtomicFile.write(Array("x".utf8), to: temporary.path + "/no/such/dir/file") }
        #expect(FileSystem.kind(of: temporary.path) == .directory)
        #expect(FileSystem.kind(of: target) == .file)
        #expect(FileSystem.kind(of: temporary.path + "/nothing") == .missing)
        #expect(FileSystem.parent(of: "/a") == "/")
        #expect(FileSystem.parent(of: "a") == ".")
        #expect(throws: LogError.self) { try FileSystem.listDirectory(temporary.path + "/nothing") }
        #expect(throws: LogError.self) { try FileSystem.removeFile(temporary.path) }
        #expect(throws: LogError.self) { try FileSystem.makeDirectories(target + "/sub") }
        #expect(FileSystem.environment("PATH") != nil)
    }

    @Test("sources: a root, an archive, or a missing path; an archive is refused for writing")
    func sources() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        #expect(try LogRoot.openSource(root.path) is LogRoot)
        try SessionArchive.write(session: "fixture-cook", from: root, to: temporary.path + "/a.mmmar")
        #expect(try LogRoot.openSource(temporary.path + "/a.mmmar") is ArchiveSource)
        #expect(throws: LogError.self) { try LogRoot.openSource(temporary.path + "/none") }
        #expect(try LogRoot.openSource(temporary.path + "/none", allowMissing: true).location == temporary.path + "/none")
        #expect(throws: LogError.self) { try LogRoot.openWritable(temporary.path + "/a.mmmar") }
        #expect("\(root.missingSessionError("nope"))".contains("sessions there: fixture-cook"))
        let legacyOnly = LogRoot(path: temporary.path + "/legacy")
        try FileManager.default.createDirectory(atPath: legacyOnly.path, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: legacyOnly.path + "/current.json", contents: Data("{}".utf8)))
        #expect("\(legacyOnly.missingSessionError("old"))".contains("mmm-analyze import-legacy --log"))
    }

    @Test("the benchmarks' view of a stored segment decompresses and decodes each block")
    func storedSegmentForBenchmarks() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        var events = 0
        var buffer: [UInt8] = []
        for path in try root.segmentPaths(session: "fixture-cook") {
            let segment = try StoredSegment.load(path)
            #expect(segment.filePath == path)
            #expect(segment.size > 0)
            for block in 0..<segment.blockCount {
                #expect(try segment.decompress(block: block, into: &buffer) > 0)
                let columns = try segment.decode(block: block)
                events += columns.count
                #expect(columns.event(at: 0).name.isEmpty == false)
                _ = columns.numericValue(at: 0)
            }
        }
        #expect(events == 37)
    }

    @Test("a hashed session directory whose segments belong to another session is refused, not mixed")
    func hashedCollision() throws {
        let temporary = TemporaryDirectory()
        let id = String(repeating: "x", count: 300)
        try writeSession(temporary.root, id, [.counter(name: "a", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
        let directory = temporary.root.sessionPath(id)
        let segment = directory + "/" + LogRoot.segmentFileName(firstSequence: 0)
        // Rewrite the header with another id, as a hash collision would present it.
        let bytes = Corrupter.bytes(segment)
        var header = try bytes.withUnsafeBytes { try SegmentHeader.decode($0, path: segment) }
        let blocks = bytes[header.size...]
        header.sessionID = String(repeating: "y", count: 300)
        Corrupter.write(segment, header.encoded() + blocks)
        #expect(try temporary.root.sessionIDs().isEmpty)
        #expect(throws: LogError.self) { try SessionLogWriter(root: temporary.root, session: id) }
    }
}
