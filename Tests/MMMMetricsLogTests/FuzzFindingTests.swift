import Foundation
import MMMMetricsCore
import MMMMetricsLog
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
}
