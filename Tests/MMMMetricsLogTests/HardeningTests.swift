import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// One test per defect that hostile testing of the released tool found (issue "No silent loss, no
/// silent wrong answer, no crash"); each failed on the code before its fix.
@Suite("Hardening: the log")
struct LogHardeningTests {
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
        // With no error handler, close says the refusal (FileCollectorTests.refusalsThrownByClose).
        await #expect(throws: LogError.self) { try await collector.close() }
        #expect(collector.statistics.rejected == 1)
        #expect(try readSession(directory.root, "c").map(\.name) == ["fine"])
        let ingest = try await runAnalyzer(["ingest", "--log", directory.path + "/cli"], stdin: Data(Self.line(#""type":"counter","name":""# + tooLong + #"","value":1"#).utf8))
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
}
