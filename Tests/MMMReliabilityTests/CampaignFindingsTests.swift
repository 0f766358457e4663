import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// Product defects the campaigns found, each reduced to a small reproduction: the regression test
/// of its fix (docs/RELIABILITY.md, "Defects the campaigns found"). Each failed before its fix, and
/// the campaigns themselves now fail where they first met it.
@Suite("Reliability campaigns: findings")
struct CampaignFindingsTests {
    /// Found by the power-loss campaign (unordered cuts under durability `none`, where a segment file
    /// can be lost): every session starts at sequence 0 (docs/FORMAT.md), but readers and `verify`
    /// only compare a segment's first sequence number with the previous segment's end, so when the
    /// first segment is gone nothing notices the missing events 0..<N.
    @Test("a session whose first segment is missing reports the events lost, as a gap in the middle does")
    func missingFirstSegment() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 40, seed: 3)
        try writeSession(directory.root, "s", events, options: LogWriterOptions(segmentMaxBytes: 2_000, blockMaxEvents: 20))
        let paths = try directory.root.segmentPaths(session: "s")
        try #require(paths.count >= 3)
        let lost = try StoredSegment.load(paths[1]).header.firstSequence
        try FileManager.default.removeItem(atPath: paths[0])

        #expect(try !LogMaintenance(root: directory.root).verify().isEmpty, "verify finds nothing wrong")
        #expect(throws: LogError.self, "strict reading returns events from \(lost) on without a word") { try readSession(directory.root, "s") }
        var warnings: [ReadWarning] = []
        let read = try LogReader(root: directory.root).events(session: "s", warning: { warnings.append($0) })
        #expect(read.count == events.count - Int(lost))
        #expect(warnings.map(\.skippedEvents) == [Int(lost)], "lenient reading does not say that \(lost) events are missing")
        let answer = try QueryEngine(source: directory.root).run("count(*)")
        #expect(answer.value == Double(events.count - Int(lost)))
        #expect(answer.skipped.events == Int(lost), "count(*) answers \(answer.value ?? 0) with nothing skipped")
    }

    /// Found by the power-loss campaign (ordered cuts under durability `none`, where nothing is
    /// synced): the first sector of the last segment did not reach the disk but blocks after it did,
    /// so the segment has a zeroed header and valid blocks. It is not "headerless" (valid blocks
    /// follow), so it is treated as damage: every writer refuses to open the session ("not a segment
    /// file (bad magic)") and `recover` leaves it as is, for good. Under `flush` and `block` the header
    /// is synced before any block is written, so only `none` (and damage on disk) leaves this.
    @Test("a last segment whose header was lost but whose blocks remain does not make the session unwritable")
    func lastSegmentHeaderLost() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 30, seed: 4)
        let options = LogWriterOptions(segmentMaxBytes: 2_000, blockMaxEvents: 20, durability: .none)
        let writer = try SessionLogWriter(root: directory.root, session: "s", options: options)
        try writer.append(contentsOf: events)
        try writer.flush()
        writer.simulateCrash()
        let paths = try directory.root.segmentPaths(session: "s")
        try #require(paths.count >= 2)
        let last = try StoredSegment.load(paths[paths.count - 1])
        let first = Int(last.header.firstSequence)
        try #require(!last.sealed && last.blockCount > 0)
        var bytes = Corrupter.bytes(last.filePath)
        for offset in 0..<last.header.size { bytes[offset] = 0 }
        Corrupter.write(last.filePath, bytes)

        let more = EventGenerator.cookSession(iterations: 2, seed: 5)
        #expect(throws: Never.self, "no writer can open the session") { try writeSession(directory.root, "s", more, options: options) }
        _ = try LogMaintenance(root: directory.root).recover()
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
        // The header is rewritten (nothing lost) or the segment removed (its unsynced events lost).
        let read = try readSession(directory.root, "s")
        #expect(sameEvents(read, Array(events[..<first]) + more) || sameEvents(read, events + more))
    }

    /// Found by the power-loss campaign's long form (durability `none`, a hole at the start of the
    /// last segment): the first sector is zeroed and the block that crossed into the second is cut,
    /// so the file has no header, no block that can be placed, and bytes that are not zero. It is not
    /// headerless, it cannot be salvaged, and every writer refused the session ("bad magic").
    @Test("a last segment with no header and no readable block is kept, reported, and does not make the session unwritable")
    func lastSegmentUnreadable() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 30, seed: 4)
        let options = LogWriterOptions(segmentMaxBytes: 2_000, blockMaxEvents: 20, durability: .none)
        try writeSession(directory.root, "s", events, options: options)
        let paths = try directory.root.segmentPaths(session: "s")
        let before = try StoredSegment.load(paths[paths.count - 1])
        // What the power cut left of a new last segment: a zeroed sector, then the tail of a block.
        let lost = LogRoot.segmentFileName(firstSequence: before.nextSequence)
        let lostPath = directory.root.sessionPath("s") + "/" + lost
        Corrupter.write(lostPath, [UInt8](repeating: 0, count: 512) + [UInt8](repeating: 0xAB, count: 186))

        let more = EventGenerator.cookSession(iterations: 2, seed: 5)
        let writer = try SessionLogWriter(root: directory.root, session: "s", options: options)
        #expect(writer.recovery?.keptDamagedHeader == true)
        #expect(writer.nextSequence == before.nextSequence + 1)
        try writer.append(contentsOf: more)
        try writer.close()
        #expect(Corrupter.bytes(lostPath).count == 698, "the damaged segment is kept as it was")
        _ = try LogMaintenance(root: directory.root).recover()
        #expect(try LogMaintenance(root: directory.root).verify().contains { $0.file == lost })
        #expect(throws: LogError.self) { try readSession(directory.root, "s") }
        var warnings: [ReadWarning] = []
        let read = try LogReader(root: directory.root).events(session: "s", mode: .lenient) { warnings.append($0) }
        #expect(sameEvents(read.map(\.event), events + more))
        #expect(read.suffix(more.count).map(\.sequence) == Array(before.nextSequence + 1 ..< before.nextSequence + 1 + UInt64(more.count)))
        #expect(warnings.contains { $0.description.contains(lost) })
    }

    /// Found by the disk-full campaign: sealing a segment writes the seal, then fsyncs and writes the
    /// index. When the fsync or the index write fails (disk full, I/O error), the segment stays
    /// current with the seal already in it, and the next attempt writes another seal after it (the
    /// file then ends with 44 bytes past its seal: strict reading and `verify` report damage until
    /// `recover` cuts it); and when blocks are written before the retry (after a failed `roll()`),
    /// they go after the seal, where no reader looks, and `recover` deletes them as a torn tail.
    @Test("a seal whose fsync or index write failed is not written twice, and no block goes after it")
    func failedSealRetried() throws {
        let directory = TemporaryDirectory()
        let root = directory.root
        let events = EventGenerator.cookSession(iterations: 10, seed: 6)
        let writer = try SessionLogWriter(root: root, session: "s", options: LogWriterOptions(blockMaxEvents: 10))
        try writer.append(contentsOf: events[..<30])
        try writer.flush()
        // Only the segment's index fails: the seal reaches the segment, then writing the index fails.
        let index = root.sessionPath("s") + "/" + String(LogRoot.segmentFileName(firstSequence: 0).dropLast(4)) + ".idx"
        FaultInjection.failWrites(under: index, with: EIO)
        #expect(throws: LogError.self) { try writer.roll() }
        FaultInjection.failWrites(under: index, with: nil)
        try writer.append(contentsOf: events[30...])
        try writer.close()

        #expect(try LogMaintenance(root: root).verify().isEmpty)
        #expect((try? readSession(root, "s")).map { sameEvents($0, events) } == true, "strict reading fails or misses events")
        _ = try LogMaintenance(root: root).recover()
        let recovered = try readSession(root, "s", mode: .lenient)
        #expect(sameEvents(recovered, events), "recover deleted events appended after the failed roll: \(recovered.count) of \(events.count) left")
    }

    /// Found by the bit-rot campaign (about one trial in ten): one flipped bit in a segment header,
    /// even in a field readers do not need (the creation time), makes lenient reading skip the whole
    /// segment, although every block in it is intact and carries its own sequence numbers and CRC.
    /// The issue asks that lenient reading return every event of every undamaged block; today a
    /// 38-byte header costs up to a segment's worth of events (64 MiB by default).
    @Test("a damaged segment header costs no event of the intact blocks after it in lenient reading")
    func damagedSegmentHeader() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 40, seed: 7)
        try writeSession(directory.root, "s", events, options: LogWriterOptions(segmentMaxBytes: 2_000, blockMaxEvents: 20))
        let paths = try directory.root.segmentPaths(session: "s")
        try #require(paths.count >= 3)
        Corrupter.flipBit(paths[1], bit: 24 * 8)  // the creation time's lowest bit

        #expect(throws: LogError.self) { try readSession(directory.root, "s") }
        #expect(try !LogMaintenance(root: directory.root).verify().isEmpty)
        var warnings: [ReadWarning] = []
        let read = try LogReader(root: directory.root).events(session: "s", warning: { warnings.append($0) })
        #expect(sameEvents(read.map(\.event), events), "lenient reading returns \(read.count) of \(events.count) events")
        #expect(!warnings.isEmpty, "the damaged header is not reported")
    }

    /// Found by the disk-full campaign (once in 1,000 long-form rounds): when a writer's new segment
    /// cannot get its header written (disk full), the writer removes the file it just created. A
    /// reader of the live session lists the segment files first and opens each later, so one that
    /// vanished in between fails the whole read with "open failed: No such file or directory",
    /// although readers are documented to work beside a live writer. The reproduction races a
    /// thread doing what the writer does against reads: it fails within a few hundred reads here.
    @Test("a segment file that a live writer removes between listing and opening does not fail a read")
    func vanishingSegment() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 40, seed: 8)
        try writeSession(directory.root, "s", events, options: LogWriterOptions(segmentMaxBytes: 2_000, blockMaxEvents: 20))
        let next = try LogReader(root: directory.root).events(session: "s").count
        let doomed = directory.root.sessionPath("s") + "/" + LogRoot.segmentFileName(firstSequence: UInt64(next))
        let stop = StopFlag()
        let stopped = DispatchSemaphore(value: 0)
        let churn = Thread {
            // What SessionLogWriter.startSegment does when the header write fails: create, write part, remove.
            while !stop.isSet {
                Corrupter.write(doomed, Array("MMMSEG\r\n".utf8))
                unlink(doomed)
            }
            stopped.signal()
        }
        churn.start()
        defer {
            stop.set()
            stopped.wait()
        }
        var failure: (any Error)?
        for _ in 0..<2_000 where failure == nil {
            do { _ = try LogReader(root: directory.root).events(session: "s", mode: .strict) } catch { failure = error }
        }
        #expect(failure == nil, "\(failure.map { "\($0)" } ?? "")")
    }
}

/// A flag one thread sets and another polls.
final class StopFlag: Sendable {
    private let flag = LockedState(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
