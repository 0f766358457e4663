import Foundation
import MMMMetrics
@testable import MMMMetricsLog
import Synchronization
import Testing

@Suite("Event log: writing, reading, recovery")
struct LogStorageTests {
    @Test("writer → reader round-trips random events of every kind, across blocks and segments", arguments: [11, 12, 13] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.events(count: 3000, seed: seed)
        let options = LogWriterOptions(segmentMaxBytes: 8 << 10, blockMaxEvents: 100 + Int(seed) * 37)
        try writeSession(directory.root, "s\(seed)", events, options: options)
        let read = try readSession(directory.root, "s\(seed)")
        #expect(sameEvents(read, events))
        let sequences = try LogReader(root: directory.root).events(session: "s\(seed)").map(\.sequence)
        #expect(sequences == (0..<UInt64(events.count)).map { $0 })
        #expect(try directory.root.segmentPaths(session: "s\(seed)").count > 2)
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
    }

    @Test("segments roll by size and by age; each is sealed and the next starts where it ended")
    func rolling() throws {
        let directory = TemporaryDirectory()
        let bySize = LogWriterOptions(segmentMaxBytes: 2_000, blockMaxEvents: 20)
        try writeSession(directory.root, "size", EventGenerator.cookSession(iterations: 60, seed: 1), options: bySize)
        let paths = try directory.root.segmentPaths(session: "size")
        #expect(paths.count >= 3)
        var expected: UInt64 = 0
        for path in paths {
            let segment = try LoadedSegment.load(path)
            #expect(segment.sealed)
            #expect(segment.header.firstSequence == expected)
            #expect(path.hasSuffix(LogRoot.segmentFileName(firstSequence: expected)))
            expected = segment.nextSequence
            #expect(segment.bytes.count <= 2_000 || segment.blocks.count == 1)
        }

        let byAge = LogWriterOptions(segmentMaxAge: .zero, blockMaxEvents: 10)
        let writer = try SessionLogWriter(root: directory.root, session: "age", options: byAge)
        try writer.append(contentsOf: EventGenerator.cookSession(iterations: 5, seed: 2))
        try writer.close()
        #expect(try directory.root.segmentPaths(session: "age").count >= 3)
        #expect(try readSession(directory.root, "age").count == EventGenerator.cookSession(iterations: 5, seed: 2).count)
    }

    @Test("appending after reopening continues the sequence in a new segment")
    func reopen() throws {
        let directory = TemporaryDirectory()
        let first = EventGenerator.cookSession(iterations: 3, seed: 1)
        let second = EventGenerator.cookSession(iterations: 2, seed: 2)
        try writeSession(directory.root, "s", first)
        try writeSession(directory.root, "s", second)
        #expect(sameEvents(try readSession(directory.root, "s"), first + second))
        #expect(try directory.root.segmentPaths(session: "s").count == 2)
        let summary = try #require(try LogMaintenance(root: directory.root).summaries().first)
        #expect(summary.events == first.count + second.count)
        #expect(summary.segments == 2)
        #expect(summary.lastSegmentSealed)
    }

    @Test("a second writer gets an error naming the holder's pid; the lock is released on close")
    func twoWriters() throws {
        let directory = TemporaryDirectory()
        let writer = try SessionLogWriter(root: directory.root, session: "s")
        do {
            _ = try SessionLogWriter(root: directory.root, session: "s")
            Issue.record("second writer opened")
        } catch {
            guard case .locked(let session, _, let pid) = error else { Issue.record("\(error)"); return }
            #expect(session == "s")
            #expect(pid == ProcessInfo.processInfo.processIdentifier)
            #expect(error.description.contains("pid \(ProcessInfo.processInfo.processIdentifier)"))
        }
        try writer.close()
        let again = try SessionLogWriter(root: directory.root, session: "s")
        try again.close()
        #expect(throws: LogError.self) { try again.append(.counter(name: "x", value: 1)) }
    }

    @Test("a torn tail cut at every byte of the last block is truncated on open; nothing before it is lost")
    func tornTailEveryByte() throws {
        let directory = TemporaryDirectory()
        let first = EventGenerator.cookSession(iterations: 4, seed: 5)
        let last = Array(EventGenerator.events(count: 30, seed: 6))
        let writer = try SessionLogWriter(root: directory.root, session: "s", options: LogWriterOptions(blockMaxEvents: 1000))
        try writer.append(contentsOf: first)
        try writer.flush()
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let goodSize = Corrupter.bytes(path).count
        try writer.append(contentsOf: last)
        try writer.flush()
        let fullBytes = Corrupter.bytes(path)
        // Simulate a crash: the process dies without closing (the lock goes with it).
        writer.simulateCrash()
        let indexPath = LogRoot.indexPath(forSegment: path)
        for cut in goodSize..<fullBytes.count {
            Corrupter.write(path, Array(fullBytes.prefix(cut)))
            Posix.remove(indexPath)
            let reopened = try SessionLogWriter(root: directory.root, session: "s")
            if cut > goodSize {
                let report = try #require(reopened.recovery, "cut at \(cut)")
                #expect(report.truncatedBytes == cut - goodSize)
                if cut - goodSize >= Format.blockHeaderSize { #expect(report.droppedEvents == last.count) }
            } else {
                #expect(reopened.recovery == nil)
            }
            #expect(Corrupter.bytes(path).count == goodSize)
            #expect(reopened.nextSequence == UInt64(first.count))
            try reopened.append(.counter(name: "after", value: 1))
            try reopened.flush()
            reopened.simulateCrash()
            let read = try readSession(directory.root, "s")
            #expect(sameEvents(Array(read.prefix(first.count)), first), "cut at \(cut)")
            #expect(read.last?.name == "after")
            #expect(read.count == first.count + 1)
            Corrupter.truncate(path, to: goodSize)
        }
    }

    @Test("every single-bit flip in a sealed segment or its index is detected by verify and strict reads")
    func bitFlips() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "s", Array(EventGenerator.cookSession(iterations: 2, seed: 3)), options: LogWriterOptions(blockMaxEvents: 8))
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let indexPath = LogRoot.indexPath(forSegment: path)
        let original = Corrupter.bytes(path)
        let originalIndex = Corrupter.bytes(indexPath)
        let maintenance = LogMaintenance(root: directory.root)
        #expect(try maintenance.verify().isEmpty)
        var undetected: [Int] = []
        for bit in 0..<(original.count * 8) {
            Corrupter.flipBit(path, bit: bit)
            let problems = (try? maintenance.verify()) ?? []
            let strictFails = (try? readSession(directory.root, "s", mode: .strict)) == nil
            if problems.isEmpty || !strictFails && !(bit / 8 >= original.count - Format.sealSize) { undetected.append(bit) }
            Corrupter.write(path, original)
        }
        #expect(undetected.isEmpty, "undetected flips at bits \(undetected.prefix(20))")
        var undetectedIndex: [Int] = []
        for bit in 0..<(originalIndex.count * 8) {
            Corrupter.flipBit(indexPath, bit: bit)
            if (try? maintenance.verify())?.isEmpty ?? true { undetectedIndex.append(bit) }
            // Reading never trusts a damaged index over the segment.
            #expect(try readSession(directory.root, "s").count == EventGenerator.cookSession(iterations: 2, seed: 3).count)
            Corrupter.write(indexPath, originalIndex)
        }
        #expect(undetectedIndex.isEmpty, "undetected index flips at bits \(undetectedIndex.prefix(20))")
    }

    @Test("a bad block in the middle of a sealed segment: strict reading fails, lenient skips it with a warning naming segment, offset and events lost")
    func middleDamage() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 10, seed: 4)
        try writeSession(directory.root, "s", events, options: LogWriterOptions(blockMaxEvents: 10))
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let segment = try LoadedSegment.load(path)
        let victim = segment.blocks[2]
        Corrupter.flipBit(path, bit: (victim.offset + Format.blockHeaderSize + 3) * 8)
        #expect(throws: LogError.self) { try readSession(directory.root, "s", mode: .strict) }
        var warnings: [ReadWarning] = []
        let read = try LogReader(root: directory.root).events(session: "s", mode: .lenient) { warnings.append($0) }.map(\.event)
        #expect(read.count == events.count - victim.header.eventCount)
        #expect(sameEvents(Array(read.prefix(20)), Array(events.prefix(20))))
        #expect(sameEvents(Array(read.suffix(from: 20)), Array(events.suffix(from: 30))))
        let warning = try #require(warnings.first)
        #expect(warning.segment == path)
        #expect(warning.offset == victim.offset)
        #expect(warning.message.contains("10 events"))
        #expect(warning.description.contains("session s"))
        let problems = try LogMaintenance(root: directory.root).verify()
        #expect(problems.contains { $0.offset == victim.offset && $0.file.hasSuffix(".seg") })
        // Recovery keeps everything: the damaged block and all after it stay on disk.
        let before = Corrupter.bytes(path).count
        let actions = try LogMaintenance(root: directory.root).recover()
        #expect(Corrupter.bytes(path).count == before)
        #expect(actions.first?.actions.contains { $0.contains("kept damage") } == true)
        // Without the index, a scan finds the same: the gap is reported, later blocks are read.
        Posix.remove(LogRoot.indexPath(forSegment: path))
        var scanWarnings: [ReadWarning] = []
        let rescanned = try LogReader(root: directory.root).events(session: "s", mode: .lenient) { scanWarnings.append($0) }
        #expect(rescanned.count == read.count)
        #expect(scanWarnings.first?.message.contains("10 events lost") == true)
    }

    @Test("indexes: missing, stale or corrupt ones are never trusted; recover rebuilds them; verify then passes")
    func indexRebuild() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 8, seed: 7)
        try writeSession(directory.root, "s", events, options: LogWriterOptions(segmentMaxBytes: 1500, blockMaxEvents: 9))
        let paths = try directory.root.segmentPaths(session: "s")
        #expect(paths.count >= 2)
        let maintenance = LogMaintenance(root: directory.root)
        Posix.remove(LogRoot.indexPath(forSegment: paths[0]))
        Corrupter.write(LogRoot.indexPath(forSegment: paths[1]), Array("garbage".utf8))
        // A stale index: the one of another segment.
        if paths.count > 2 { Corrupter.write(LogRoot.indexPath(forSegment: paths[2]), Corrupter.bytes(LogRoot.indexPath(forSegment: paths[1]))) }
        #expect(sameEvents(try readSession(directory.root, "s"), events))
        let problems = try maintenance.verify()
        #expect(problems.contains { $0.message.contains("index missing") })
        #expect(problems.contains { $0.message.contains("index corrupt") })
        let actions = try maintenance.recover()
        #expect(actions.first?.actions.filter { $0.contains("rebuilt the index") }.count ?? 0 >= 2)
        #expect(try maintenance.verify().isEmpty)
        #expect(try maintenance.recover().first?.description == "s: nothing to do")
        // Pushdown through the rebuilt index gives the same answers as a full read.
        let start = MetricTimestamp(nanosecondsSinceEpoch: events[20].timestamp!.nanosecondsSinceEpoch)
        let filter = ReadFilter(timeRange: TimeRange(start: start), names: ["command.*"])
        let pushed = try LogReader(root: directory.root).events(session: "s", filter: filter).map(\.event)
        let expected = events.filter { $0.name.hasPrefix("command.") && $0.timestamp! >= start }
        #expect(sameEvents(pushed, expected))
    }

    @Test("recover truncates a torn tail, rebuilds the index and reports; a locked session is skipped")
    func recoverCommand() throws {
        let directory = TemporaryDirectory()
        let writer = try SessionLogWriter(root: directory.root, session: "s")
        try writer.append(contentsOf: EventGenerator.cookSession(iterations: 3, seed: 1))
        try writer.flush()
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let skipped = try LogMaintenance(root: directory.root).recover()
        #expect(skipped.first?.actions.first?.contains("skipped: a writer holds") == true)
        writer.simulateCrash()
        let good = Corrupter.bytes(path)
        Corrupter.write(path, good + Array(repeating: 0xAB, count: 77))
        let problems = try LogMaintenance(root: directory.root).verify(session: "s")
        #expect(problems.contains { $0.message.contains("torn tail") && $0.offset == good.count })
        let results = try LogMaintenance(root: directory.root).recover(session: "s")
        #expect(results.first?.description.contains("truncated a torn tail of 77 bytes at offset \(good.count)") == true)
        #expect(Corrupter.bytes(path) == good)
        #expect(try LogMaintenance(root: directory.root).verify(session: "s").isEmpty)
        #expect(throws: LogError.noSuchSession("nope", root: directory.root.path)) { try LogMaintenance(root: directory.root).verify(session: "nope") }
    }

    @Test("an injected disk-full error: the segment is cut back, earlier data intact, writing resumes when the cause clears")
    func diskFull() throws {
        let directory = TemporaryDirectory()
        let writer = try SessionLogWriter(root: directory.root, session: "s", options: LogWriterOptions(blockMaxEvents: 5))
        let first = EventGenerator.cookSession(iterations: 2, seed: 1)
        try writer.append(contentsOf: first)
        try writer.flush()
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let goodBytes = Corrupter.bytes(path)
        FaultInjection.failWrites(under: directory.path, with: ENOSPC)
        let more = EventGenerator.cookSession(iterations: 1, seed: 2)
        do {
            try writer.append(contentsOf: more)
            try writer.flush()
            Issue.record("write should fail")
        } catch {
            guard case .io(_, let operation, let code, _) = error else { Issue.record("\(error)"); return }
            #expect(code == ENOSPC)
            #expect(["write", "fsync"].contains(operation))
        }
        #expect(Corrupter.bytes(path) == goodBytes)  // the partial block was cut back
        #expect(writer.pendingCount == more.count)
        FaultInjection.failWrites(under: directory.path, with: nil)
        try writer.flush()
        try writer.close()
        #expect(sameEvents(try readSession(directory.root, "s"), first + more))
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
    }

    @Test("a log can be read while it is being written: every read sees a prefix, flushed events are visible")
    func readWhileWriting() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.events(count: 2000, seed: 21)
        let writer = try SessionLogWriter(root: directory.root, session: "live", options: LogWriterOptions(blockMaxEvents: 64, durability: .none))
        var written = 0
        for chunk in stride(from: 0, to: events.count, by: 150) {
            let slice = events[chunk..<min(chunk + 150, events.count)]
            try writer.append(contentsOf: slice)
            written += slice.count
            // Full blocks are on disk already; the rest is buffered, so a read sees a prefix.
            let before = try readSession(directory.root, "live")
            #expect(before.count <= written)
            #expect(sameEvents(before, Array(events.prefix(before.count))))
            try writer.flush()
            let after = try readSession(directory.root, "live")
            #expect(sameEvents(after, Array(events.prefix(written))))
            // A block being written shows up as a torn tail, which is not an error for the live segment.
            let path = try #require(try directory.root.segmentPaths(session: "live").last)
            let bytes = Corrupter.bytes(path)
            Corrupter.write(path, bytes + Array(BlockHeader(encoding: .raw, storedLength: 10, decodedLength: 10, eventCount: 1,
                                                             firstSequence: UInt64(written), minTimestamp: 0, maxTimestamp: 0).frame(payload: [1, 2, 3]).prefix(30)))
            #expect(try readSession(directory.root, "live").count == written)
            Corrupter.write(path, bytes)
        }
        try writer.close()
        #expect(sameEvents(try readSession(directory.root, "live"), events))
    }

    @Test("a reader running beside a writer thread only ever sees consistent prefixes", .timeLimit(.minutes(1)))
    func concurrentReader() throws {
        let directory = TemporaryDirectory()
        let root = directory.root
        let events = EventGenerator.events(count: 3000, seed: 22)
        let finished = Mutex(false)
        let thread = Thread {
            do {
                let writer = try SessionLogWriter(root: root, session: "live", options: LogWriterOptions(blockMaxEvents: 40, durability: .none))
                for chunk in stride(from: 0, to: events.count, by: 100) {
                    try writer.append(contentsOf: events[chunk..<min(chunk + 100, events.count)])
                    try writer.flush()
                }
                try writer.close()
            } catch {
                Issue.record("writer failed: \(error)")
            }
            finished.withLock { $0 = true }
        }
        thread.start()
        while true {
            let done = finished.withLock { $0 }
            if let read = try? LogReader(root: root).events(session: "live", mode: .strict).map(\.event) {
                #expect(sameEvents(read, Array(events.prefix(read.count))))
            }
            if done { break }
        }
        #expect(sameEvents(try readSession(root, "live"), events))
    }

    @Test("stats and summaries add up")
    func statistics() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "a", EventGenerator.cookSession(iterations: 4, seed: 1))
        try writeSession(directory.root, "b", EventGenerator.cookSession(iterations: 2, seed: 2), options: LogWriterOptions(blockMaxEvents: 3))
        let maintenance = LogMaintenance(root: directory.root)
        let stats = try maintenance.statistics()
        #expect(stats.sessions == 2)
        #expect(stats.events == EventGenerator.cookSession(iterations: 4, seed: 1).count + EventGenerator.cookSession(iterations: 2, seed: 2).count)
        #expect(stats.segments == 2)
        #expect(stats.blocks >= 5)
        #expect(stats.bytesPerEvent > 0)
        #expect(stats.compressionRatio > 0)
        let onlyB = try maintenance.statistics(session: "b")
        #expect(onlyB.sessions == 1)
        let summaries = try maintenance.summaries()
        #expect(summaries.map(\.session) == ["a", "b"])
        #expect(summaries[0].firstTimestamp == EventGenerator.cookSession(iterations: 4, seed: 1).first?.timestamp?.nanosecondsSinceEpoch)
        #expect(LogStatistics().bytesPerEvent == 0)
        #expect(LogStatistics().compressionRatio == 0)
        #expect(try LogMaintenance(root: LogRoot(path: directory.path + "/none")).summaries().isEmpty)
    }

    @Test("blocks that do not compress are stored raw and read back")
    func rawBlocks() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "s", [.counter(name: "c", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 5))])
        let stats = try LogMaintenance(root: directory.root).statistics()
        #expect(stats.rawBlocks == 1)
        #expect(try readSession(directory.root, "s").first?.value == .counter(1))
    }

    @Test("files that are not segments or indexes give errors naming the file")
    func garbageFiles() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "s", EventGenerator.cookSession(iterations: 1, seed: 1))
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        for garbage in [Array("not a segment at all, just text".utf8), Array(Format.segmentMagic) + [2, 0], []] {
            Corrupter.write(path, garbage)
            do {
                _ = try readSession(directory.root, "s")
                Issue.record("read garbage")
            } catch {
                #expect("\(error)".contains(path))
            }
            #expect(try LogMaintenance(root: directory.root).verify().contains { $0.file.hasSuffix(".seg") })
        }
        #expect(throws: LogError.self) { try readSession(directory.root, "missing") }
    }
}
