import Foundation
import MMMMetricsCore
@_spi(Benchmarks) @testable import MMMMetricsLog
import MMMMetricsTestSupport
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
            let segment = try StoredSegment.load(path)
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
        let summary = try #require(try LogMaintenance(root: directory.root).summaries().sessions.first)
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
    func tornTailEveryByte() async throws {
        // CPU-heavy: on a thread of its own, so it does not hold one of the cooperative pool's threads.
        try await offThePool { try Self.tornTailEveryByteBody() }
    }

    static func tornTailEveryByteBody() throws {
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
            FileSystem.remove(indexPath)
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
    func bitFlips() async throws {
        // CPU-heavy: on a thread of its own, so it does not hold one of the cooperative pool's threads.
        try await offThePool { try Self.bitFlipsBody() }
    }

    static func bitFlipsBody() throws {
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
        let segment = try StoredSegment.load(path)
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
        FileSystem.remove(LogRoot.indexPath(forSegment: path))
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
        FileSystem.remove(LogRoot.indexPath(forSegment: paths[0]))
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

    @Test("temporary files a killed writer left are removed by recover and by the next writer, never while a writer holds the lock")
    func leftoverTemporaries() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "s", EventGenerator.cookSession(iterations: 1, seed: 1))
        let leftover = directory.root.sessionPath("s") + "/00000000000000000000.idx.tmp-4242"
        Corrupter.write(leftover, [1, 2, 3])
        let writer = try SessionLogWriter(root: directory.root, session: "s")
        #expect(!FileManager.default.fileExists(atPath: leftover))
        // A writer holds the lock: recover leaves the session (and a temporary file being written) alone.
        Corrupter.write(leftover, [1, 2, 3])
        _ = try LogMaintenance(root: directory.root).recover()
        #expect(FileManager.default.fileExists(atPath: leftover))
        try writer.close()
        Corrupter.write(leftover, [1, 2, 3])
        let results = try LogMaintenance(root: directory.root).recover()
        #expect(results.first?.description.contains("removed 1 temporary file a killed writer left: 00000000000000000000.idx.tmp-4242") == true)
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
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
        let finished = LockedState(false)
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
        let summaries = try maintenance.summaries().sessions
        #expect(summaries.map(\.session) == ["a", "b"])
        #expect(summaries[0].firstTimestamp == EventGenerator.cookSession(iterations: 4, seed: 1).first?.timestamp?.nanosecondsSinceEpoch)
        #expect(LogStatistics().bytesPerEvent == 0)
        #expect(LogStatistics().compressionRatio == 0)
        #expect(try LogMaintenance(root: LogRoot(path: directory.path + "/none")).summaries().sessions.isEmpty)
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
        for garbage in [Array("not a segment at all, just text".utf8), Array(Format.segmentMagic) + [2, 0] + Array(repeating: 9, count: 40)] {
            Corrupter.write(path, garbage)
            do {
                _ = try readSession(directory.root, "s")
                Issue.record("read garbage")
            } catch {
                #expect("\(error)".contains(path))
            }
            #expect(try LogMaintenance(root: directory.root).verify().contains { $0.file.hasSuffix(".seg") })
        }
        // An empty file, a zeroed one or a header cut short holds no events (a crash right after creating
        // the segment, before any index): readers skip it, verify names it, recover removes it.
        try? FileManager.default.removeItem(atPath: LogRoot.indexPath(forSegment: path))
        for headerless in [[], [UInt8](repeating: 0, count: 4096), Array(Format.segmentMagic) + [1, 0]] {
            Corrupter.write(path, headerless)
            #expect(try readSession(directory.root, "s").isEmpty)
            #expect(try LogMaintenance(root: directory.root).verify().contains { $0.message.contains("an empty segment") })
        }
        #expect(try LogMaintenance(root: directory.root).recover().first?.description.contains("removed an empty segment") == true)
        #expect(try directory.root.segmentPaths(session: "s").isEmpty)
        try writeSession(directory.root, "s", EventGenerator.cookSession(iterations: 1, seed: 1))
        #expect(throws: LogError.self) { try readSession(directory.root, "missing") }
    }

    /// The blocks a writer made, in order: (events, decoded bytes) each.
    private func blockShapes(_ root: LogRoot, _ session: String) throws -> [[Int]] {
        try root.segmentPaths(session: session).flatMap { path in
            try StoredSegment.load(path).blocks.map { [$0.header.eventCount, $0.header.decodedLength] }
        }
    }

    @Test("a batch is cut into the blocks of buffering it whole, whether it is written from the batch or completes a buffered block",
          arguments: [(50, 4_096), (64, 1 << 20), (7, 600)] as [(Int, Int)])
    func batchBlocks(maximumEvents: Int, maximumBytes: Int) throws {
        let directory = TemporaryDirectory()
        // Events of every kind, custom ones of varying size: blocks end by count and by bytes.
        let events = EventGenerator.events(count: 2_000, seed: 31)
        let options = LogWriterOptions(blockMaxEvents: maximumEvents, blockMaxBytes: maximumBytes)
        try writeSession(directory.root, "whole", events, options: options)
        let whole = try blockShapes(directory.root, "whole")
        #expect(whole.count > 2_000 / maximumEvents)
        #expect(whole.allSatisfy { $0[0] <= maximumEvents })
        // The rule itself, as the writer applied it before writing from batches: buffer everything,
        // then write every due block from the buffer.
        let reference = try SessionLogWriter(root: directory.root, session: "reference", options: options)
        let sizes = try events.map { event throws(LogError) in try SessionLogWriter.measure(event) }
        reference.pending.append(contentsOf: events[...], sizes: sizes[...])
        try reference.writeBlocks(all: false)
        try reference.close()
        #expect(try blockShapes(directory.root, "reference") == whole)
        // A first batch too small to fill a block stays buffered; the second completes that block from
        // the buffer and writes the rest from itself. The blocks are the whole batch's.
        for first in Set([1, 3, maximumEvents / 2]).sorted() {
            let session = "split\(first)"
            let writer = try SessionLogWriter(root: directory.root, session: session, options: options)
            var prefix = 0
            while prefix < first {
                try writer.append(contentsOf: [events[prefix]])
                prefix += 1
            }
            #expect(writer.pendingCount == first)
            try writer.append(contentsOf: Array(events[first...]))
            try writer.close()
            #expect(try blockShapes(directory.root, session) == whole)
            #expect(sameEvents(try readSession(directory.root, session), events))
        }
        // Random pieces (some passed as a slice, the generic path) read back whole and in order.
        var random = SeededRandom(seed: 5)
        let writer = try SessionLogWriter(root: directory.root, session: "pieces", options: options)
        var start = 0
        while start < events.count {
            let end = min(events.count, start + Int(random.next() % UInt64(3 * maximumEvents)) + 1)
            if random.next() % 2 == 0 { try writer.append(contentsOf: events[start..<end]) } else { try writer.append(contentsOf: Array(events[start..<end])) }
            start = end
        }
        try writer.close()
        #expect(sameEvents(try readSession(directory.root, "pieces"), events))
        #expect(try blockShapes(directory.root, "pieces").allSatisfy { $0[0] <= maximumEvents })
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
    }

    @Test("a batch that completes a buffered block, when writing fails: every event stays buffered, in order, and is written once the cause clears")
    func batchWriteFailure() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.events(count: 500, seed: 32)
        let options = LogWriterOptions(blockMaxEvents: 50)
        let writer = try SessionLogWriter(root: directory.root, session: "s", options: options)
        try writer.append(contentsOf: Array(events[..<7]))
        #expect(writer.pendingCount == 7)
        let prefix = directory.root.sessionPath("s") + "/"
        FaultInjection.failWrites(under: prefix, with: ENOSPC)
        #expect(throws: LogError.self) { try writer.append(contentsOf: Array(events[7...])) }
        #expect(writer.pendingCount == events.count)
        #expect(writer.nextSequence == UInt64(events.count))
        FaultInjection.failWrites(under: prefix, with: nil)
        try writer.close()
        #expect(sameEvents(try readSession(directory.root, "s"), events))
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
    }
}

@Suite("Event log: less travelled paths")
struct LogEdgeTests {
    @Test("StoredSegment separates decompression from decoding and agrees with the reader")
    func storedSegment() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.cookSession(iterations: 10, seed: 3)
        try writeSession(directory.root, "s", events, options: LogWriterOptions(blockMaxEvents: 20))
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let segment = try StoredSegment.load(path)
        #expect(segment.header.sessionID == "s")
        #expect(segment.damage.isEmpty)
        #expect(segment.size == Corrupter.bytes(path).count)
        var buffer: [UInt8] = []
        var decoded: [MetricEvent] = []
        for (index, block) in segment.blocks.enumerated() {
            let length = try segment.decompress(block: index, into: &buffer)
            #expect(length == block.header.decodedLength)
            #expect(try segment.decode(block: index).count == block.header.eventCount)
            let columns = try segment.bytes.withUnsafeBytes { try BlockDecoding.decode($0, block, path: path) }
            decoded += columns.events
            let commandKey = columns.tagKeys.firstIndex(of: "command")
            for index in 0..<columns.count where columns.name(at: index) == "command.duration" {
                #expect(columns.tagValue(key: commandKey!, at: index) == columns.tags(at: index)["command"])
            }
            if let iteration = columns.tagKeys.firstIndex(of: "iteration") {
                #expect(columns.tagValue(key: iteration, at: 0) == columns.tags(at: 0)["iteration"])
            }
        }
        #expect(sameEvents(decoded, events))
        // A raw block copies through decompress unchanged.
        try writeSession(directory.root, "tiny", [.counter(name: "c", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
        let tiny = try StoredSegment.load(try #require(try directory.root.segmentPaths(session: "tiny").first))
        #expect(try tiny.decompress(block: 0, into: &buffer) == tiny.blocks[0].header.storedLength)
    }

    @Test("roll seals the current segment; discardOldest keeps sequences contiguous; dropping a writer writes and leaves the segment open")
    func writerLifecycle() throws {
        let directory = TemporaryDirectory()
        do {
            let writer = try SessionLogWriter(root: directory.root, session: "s", options: LogWriterOptions(blockMaxEvents: 1000))
            try writer.append(contentsOf: EventGenerator.cookSession(iterations: 1, seed: 1))
            try writer.roll()
            try writer.append(.counter(name: "dropped", value: 1))
            try writer.append(.counter(name: "kept", value: 2))
            #expect(writer.discardOldest(1) == 1)
            #expect(writer.discardOldest(5) == 1)
            try writer.append(.counter(name: "last", value: 3, timestamp: .now()))
        }  // dropped without close: the buffered event is written, the segment stays unsealed
        let paths = try directory.root.segmentPaths(session: "s")
        #expect(paths.count == 2)
        #expect(try StoredSegment.load(paths[0]).sealed)
        #expect(try !StoredSegment.load(paths[1]).sealed)
        let read = try readSession(directory.root, "s")
        #expect(read.last?.name == "last")
        #expect(!read.contains { $0.name == "dropped" || $0.name == "kept" })
        let sequences = try LogReader(root: directory.root).events(session: "s").map(\.sequence)
        #expect(sequences == (0..<UInt64(sequences.count)).map { $0 })
        let summary = try #require(try LogMaintenance(root: directory.root).summaries().sessions.first)
        #expect(!summary.lastSegmentSealed)
    }

    @Test("bytes after a seal are cut when the session is opened again; the report describes what was done")
    func bytesAfterSeal() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "s", EventGenerator.cookSession(iterations: 1, seed: 1))
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let good = Corrupter.bytes(path)
        Corrupter.write(path, good + [9, 9, 9])
        let writer = try SessionLogWriter(root: directory.root, session: "s")
        let report = try #require(writer.recovery)
        #expect(report.truncatedBytes == 3)
        #expect(report.description.contains("truncated a torn tail of 3 bytes (event count unknown)"))
        #expect(Corrupter.bytes(path) == good)
        try writer.close()
        #expect(RecoveryReport(segmentPath: "p", truncatedBytes: 0, droppedEvents: nil, damageKept: []).description == "p: nothing to repair")
        let kept = RecoveryReport(segmentPath: "p", truncatedBytes: 10, droppedEvents: 4,
                                  damageKept: [.badRegion(offset: 5, resumeOffset: 9, eventsLost: nil, reason: "CRC mismatch")])
        #expect(kept.description.contains("(4 events)"))
        #expect(kept.description.contains("kept damage in p: bad block at offset 5 (CRC mismatch); 4 bytes skipped, events lost unknown"))
    }

    @Test("verify names a segment of another session, a sequence gap and an unsealed segment before the last")
    func verifyStructure() throws {
        let directory = TemporaryDirectory()
        try writeSession(directory.root, "a", EventGenerator.cookSession(iterations: 1, seed: 1))
        try writeSession(directory.root, "b", EventGenerator.cookSession(iterations: 1, seed: 2))
        let a = try #require(try directory.root.segmentPaths(session: "a").first)
        let b = try #require(try directory.root.segmentPaths(session: "b").first)
        // A copy of b's segment in a's stream, its header rewritten to continue a's sequence far later.
        let foreign = FileSystem.parent(of: a) + "/" + LogRoot.segmentFileName(firstSequence: 500)
        let bBytes = Corrupter.bytes(b)
        var header = try bBytes.withUnsafeBytes { try SegmentHeader.decode($0, path: b) }
        let blocks = bBytes[header.size...]
        header.firstSequence = 500
        Corrupter.write(foreign, header.encoded() + blocks)
        // And a's first segment loses its seal.
        Corrupter.write(a, Array(Corrupter.bytes(a).dropLast(Format.sealSize)))
        let problems = try LogMaintenance(root: directory.root).verify(session: "a")
        #expect(problems.contains { $0.message.contains("segment header names session \"b\"") })
        #expect(problems.contains { $0.message.contains("not sealed, but later segments exist") })
        #expect(problems.contains { $0.message.contains("starts at sequence 500, the previous segment ended at") })
        // A segment whose file name disagrees with its header cannot be placed: verify and readers say so.
        let misnamed = FileSystem.parent(of: a) + "/" + LogRoot.segmentFileName(firstSequence: 900)
        Corrupter.write(misnamed, Corrupter.bytes(foreign))
        #expect(try LogMaintenance(root: directory.root).verify(session: "a").contains {
            $0.message.contains("the file name says the segment starts at sequence 900, its header says 500")
        })
        #expect(throws: LogError.self) { try readSession(directory.root, "a") }
        #expect(LogMaintenance(source: directory.root).source.location == directory.root.path)
        #expect(problems.first?.description.hasPrefix("a ") == true)
    }

    @Test("an export larger than a chunk arrives whole; ingest reports per session and rejects bad session ids and invalid UTF-8")
    func bigExportAndIngestEdges() throws {
        let directory = TemporaryDirectory()
        let events = EventGenerator.events(count: 12_000, seed: 5)
        try writeSession(directory.root, "big", events)
        var chunks = 0
        var bytes: [UInt8] = []
        try NDJSONExport.write(from: directory.root, session: "big") { chunk in
            chunks += 1
            bytes += chunk
        }
        #expect(chunks >= 2)
        let copy = LogRoot(path: directory.path + "/copy")
        let report = try NDJSONIngest.ingest(bytes, source: "test", into: copy, defaultSession: nil)
        #expect(report.totalEvents == events.count)
        #expect(report.sessions.map(\.id) == ["big"])
        #expect(sameEvents(try readSession(copy, "big"), events))
        do {
            _ = try NDJSONIngest.ingest([0xFF, 0xFE, 0x0A], source: "bad", into: copy, defaultSession: "s")
            Issue.record("accepted invalid UTF-8")
        } catch let error as IngestError {
            #expect(error.description == "bad:1: not valid UTF-8: byte 0xFF at column 1 (byte offset 0) starts no valid character")
        }
        // After a two-byte character and in a string: the column counts characters, the offset bytes.
        do {
            _ = try NDJSONIngest.ingest(Array(#"{"é":""#.utf8) + [0xC3, 0x22, 0x7D, 0x0A], source: "bad", into: copy, defaultSession: "s")
            Issue.record("accepted invalid UTF-8")
        } catch let error as IngestError {
            #expect(error.description == "bad:1: not valid UTF-8: byte 0xC3 at column 7 (byte offset 7) starts no valid character")
        }
        let badSession = Array(#"{"ts":"2026-11-28T10:00:00Z","session":"a\u0000b","type":"counter","name":"c","value":1}"#.utf8)
        #expect(throws: IngestError.self) { try NDJSONIngest.ingest(badSession, source: "x", into: copy, defaultSession: nil) }
        #expect(try NDJSONIngest.ingest(Array("\n  \n".utf8), source: "blank", into: copy, defaultSession: "s").totalEvents == 0)
    }

    @Test("reading a file that grows while it is read returns what is there")
    func growingFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/file"
        Corrupter.write(path, Array(repeating: 7, count: 100_000))
        #expect(try FileSystem.readFile(path).count == 100_000)
        #expect(throws: LogError.self) { try FileSystem.readFile(directory.path + "/missing") }
        #expect(throws: LogError.self) { try FileSystem.listDirectory(directory.path + "/missing") }
        #expect(throws: LogError.self) { try FileSystem.makeDirectories("/proc/mmm-cannot") }
    }
}

extension LogStorageTests {
    @Test("a writer left idle with a block's remainder gives back the rest of the block's room, and its events still land in order")
    func idleWriterShrinks() throws {
        let directory = TemporaryDirectory()
        let writer = try SessionLogWriter(root: directory.root, session: "s", options: LogWriterOptions(blockMaxEvents: 4_000))
        let events = EventGenerator.events(count: 4_010, seed: 5)
        for event in events { try writer.append(event) }
        #expect(writer.pendingCount == 10)
        #expect(writer.pendingCapacity >= 4_000)
        writer.releaseMemory()
        #expect(writer.pendingCount == 10)
        #expect(writer.pendingCapacity < 100, "\(writer.pendingCapacity)")
        let more = EventGenerator.events(count: 5_000, seed: 6)
        for event in more { try writer.append(event) }
        try writer.close()
        #expect(sameEvents(try readSession(directory.root, "s"), events + more))
    }
}
