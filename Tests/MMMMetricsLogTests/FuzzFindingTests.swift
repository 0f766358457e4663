import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

/// The fuzzers' findings in the log layer (docs/FUZZING.md), each replayed from its reproducer
/// under `Fixtures/fuzz/crashes/`.
@Suite("Event log: fuzzing findings")
struct LogFuzzFindingTests {
    static func reproducer(_ name: String) -> String {
        FixtureLogs.directory.appendingPathComponent("fuzz/crashes/\(name)").path
    }

    @Test("an archive whose index (CRC valid) skips or omits a valid block is read whole in place, as import reads it",
          arguments: ["archive/index-skips-block.mmmar", "archive/index-omits-last-block.mmmar"])
    func indexLeavesOutABlock(name: String) throws {
        let archive = Self.reproducer(name)
        let inPlace = try ArchiveSource(path: archive)
        let read = try LogReader(source: inPlace).events(session: inPlace.session, mode: .strict).map(\.event)
        #expect(sameEvents(read, FixtureLogs.sourceEvents))
        let temporary = TemporaryDirectory()
        let copy = LogRoot(path: temporary.path + "/copy")
        let imported = try SessionArchive.importArchive(at: archive, into: copy)
        #expect(imported.events == read.count)
        #expect(sameEvents(try readSession(copy, inPlace.session), read))
        #expect(try LogMaintenance(root: copy).verify().isEmpty)
    }

    @Test("the fuzzers' damaged segments, stored as a session, are reported by verify and skipped by lenient reads; none crashes recover or archive",
          arguments: ["segment-scan/block-sequence-overflow.seg", "block-payload/empty-tag-columns.seg"])
    func damagedSegments(name: String) throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let bytes = try #require(FileManager.default.contents(atPath: Self.reproducer(name)))
        let session = try bytes.withUnsafeBytes { raw in try SegmentHeader.decode(raw, path: name).sessionID }
        try FileManager.default.createDirectory(atPath: root.sessionPath(session), withIntermediateDirectories: true)
        let header = try bytes.withUnsafeBytes { raw in try SegmentHeader.decode(raw, path: name) }
        let path = root.sessionPath(session) + "/" + LogRoot.segmentFileName(firstSequence: header.firstSequence)
        #expect(FileManager.default.createFile(atPath: path, contents: bytes))
        #expect(try !LogMaintenance(root: root).verify(session: session).isEmpty)
        #expect(throws: LogError.self) { try readSession(root, session, mode: .strict) }
        _ = try readSession(root, session, mode: .lenient)
        _ = try? LogMaintenance(root: root).recover(session: session)
        _ = try? SessionArchive.write(session: session, from: root, to: temporary.path + "/out.mmmar")
    }

    @Test("an archive whose blocks' sequence numbers do not follow each other inside a segment is refused by import, which leaves nothing")
    func blockSequenceGap() throws {
        let temporary = TemporaryDirectory()
        let root = LogRoot(path: temporary.path + "/root")
        let failure = #expect(throws: LogError.self) { try SessionArchive.importArchive(at: Self.reproducer("archive/block-sequence-gap.mmmar"), into: root) }
        #expect("\(failure.map { "\($0)" } ?? "")".contains("block starts at sequence 4096, expected 0"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: root.sessionsPath)) ?? []).isEmpty)
    }

    /// Found by CI's fuzzing run: an archive whose first segment's seal (CRC valid) said the next
    /// segment starts at 0 although its blocks held 0..<N was imported, and the import did not read back.
    @Test("a seal that contradicts its blocks is reported by readers, counts and verify, and refused by import",
          arguments: [UInt64(0), 5])
    func sealContradictsBlocks(nextSequenceShift: UInt64) throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let events = EventGenerator.cookSession(iterations: 3, seed: 4)
        try writeSession(root, "s", events, options: LogWriterOptions(segmentMaxBytes: 400, blockMaxEvents: 5))
        let first = try #require(try root.segmentPaths(session: "s").first)
        var bytes = Corrupter.bytes(first)
        let sealAt = bytes.count - Format.sealSize
        let seal = try #require(bytes.withUnsafeBytes { SealRecord.validate($0, at: sealAt) })
        // A seal that says the segment ends at 0 (wrong low), or promises 5 more events than it holds.
        var lying = seal
        lying.nextSequence = nextSequenceShift == 0 ? 0 : seal.nextSequence + nextSequenceShift
        bytes.replaceSubrange(sealAt..., with: lying.encoded())
        Corrupter.write(first, bytes)

        let failure = #expect(throws: LogError.self) { try readSession(root, "s") }
        #expect("\(failure.map { "\($0)" } ?? "")".contains("the seal record says \(seal.blockCount) blocks"))
        var warnings: [ReadWarning] = []
        let lenient = try LogReader(root: root).events(session: "s", mode: .lenient) { warnings.append($0) }
        // Reported once, as a contradiction: the blocks are believed, and the next segment follows them.
        #expect(warnings.map(\.skippedEvents) == [0])
        #expect(lenient.count == events.count)
        #expect(try LogMaintenance(root: root).verify(session: "s").contains { $0.message.contains("the seal record says") })

        let archive = temporary.path + "/s.mmmar"
        try SessionArchive.write(session: "s", from: root, to: archive)
        let copy = LogRoot(path: temporary.path + "/copy")
        let refused = #expect(throws: LogError.self) { try SessionArchive.importArchive(at: archive, into: copy) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("the seal record says"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: copy.sessionsPath)) ?? []).isEmpty)
    }

    @Test("an index that overstates a sealed segment whose seal agrees with its blocks is stale, not proof of lost events")
    func indexOverstatesSealedSegment() throws {
        let archive = Self.reproducer("archive/index-overstates-sealed-segment.mmmar")
        let inPlace = try ArchiveSource(path: archive)
        let read = try LogReader(source: inPlace).events(session: inPlace.session, mode: .strict).map(\.event)
        #expect(read.count == 12)
        #expect(try LogMaintenance(source: inPlace).verify().map(\.message).contains { $0.hasPrefix("index stale") })
        let temporary = TemporaryDirectory()
        let copy = LogRoot(path: temporary.path + "/copy")
        #expect(try SessionArchive.importArchive(at: archive, into: copy).events == read.count)
        #expect(sameEvents(try readSession(copy, inPlace.session), read))
    }
}
