import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

/// What a hostile review of the released tool found in stored data that checks out by its CRCs
/// (the crafted files are in `Fixtures/hostile/`, explained in its README).
@Suite("Event log: hostile review findings")
struct HostileReviewTests {
    @Test("names lists both spellings of a tag key (é and e + U+0301), in byte order, the same on every run")
    func namesKeepsBothSpellingsOfAKey() throws {
        let temporary = TemporaryDirectory()
        let composed = "\u{E9}", decomposed = "e\u{301}"
        try writeSession(temporary.root, "s", [
            .counter(name: "m", value: 1, tags: [composed: "1"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)),
            .counter(name: "m", value: 1, tags: [decomposed: "1"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2)),
        ])
        let tags = try #require(LogMaintenance(root: temporary.root).names().names.first?.tags)
        #expect(tags.map { Array($0.utf8) } == [Array(decomposed.utf8), Array(composed.utf8)])
    }

    static func fixture(_ name: String) -> String { FixtureLogs.directory.appendingPathComponent("hostile/\(name)").path }

    @Test("custom event data that is not JSON is damage: strict reads fail naming it, lenient reads skip it with a warning")
    func customDataNotJSON() throws {
        let temporary = TemporaryDirectory()
        let directory = temporary.root.sessionPath("s")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture("custom-bad-json.seg"), toPath: directory + "/00000000000000000000.seg")
        let failure = #expect(throws: LogError.self) { try readSession(temporary.root, "s", mode: .strict) }
        #expect("\(failure.map { "\($0)" } ?? "")".contains("custom event data is not valid JSON"))
        var warnings: [ReadWarning] = []
        let lenient = try LogReader(root: temporary.root).events(session: "s", mode: .lenient) { warnings.append($0) }
        #expect(lenient.isEmpty && !warnings.isEmpty)
        #expect(try LogMaintenance(root: temporary.root).verify().contains { "\($0)".contains("not valid JSON") })
    }

    @Test("archives that verify would reject are refused by import, which leaves nothing behind",
          arguments: ["custom-bad-json.mmmar", "time-range-lie.mmmar", "timer-wrap.mmmar", "middle-unsealed.mmmar", "too-many-tags.mmmar", "empty-name.mmmar"])
    func importRefuses(name: String) throws {
        let temporary = TemporaryDirectory()
        let root = LogRoot(path: temporary.path + "/root")
        let failure = #expect(throws: LogError.self) { try SessionArchive.importArchive(at: Self.fixture(name), into: root) }
        let reason = "\(failure.map { "\($0)" } ?? "")"
        #expect(["not valid JSON", "time range disagrees", "not sealed, but later segments exist", "over the limits"].contains { reason.contains($0) }, "\(reason)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: root.sessionsPath)) ?? []
        #expect(left.isEmpty, "\(left)")
    }

    @Test("a block whose header's time range disagrees with its events fails strict reads instead of hiding them from time filters")
    func timeRangeLie() throws {
        let source = try ArchiveSource(path: Self.fixture("time-range-lie.mmmar"))
        #expect(throws: LogError.self) { try LogReader(source: source).events(session: source.session, mode: .strict) }
    }

    @Test("an archive read in place is not skipped by its indexes' names: one whose indexes (CRCs valid) leave names out reads every event, strict or not")
    func archiveIndexNamesNotTaken() throws {
        let source = try ArchiveSource(path: Self.fixture("lying-index-names.mmmar"))
        let all = try LogReader(source: source).events(session: source.session, mode: .strict)
        let commands = all.filter { $0.event.name.hasPrefix("command.") }.count
        #expect(commands == 9)
        for mode in [ReadMode.strict, .lenient] {
            let filtered = try LogReader(source: source).events(session: source.session, filter: ReadFilter(names: ["command.*"]), mode: mode)
            #expect(filtered.count == commands)
        }
        // verify still reads the indexes; import writes indexes of its own, which the log then takes.
        #expect(try LogMaintenance(source: source).verify().contains { "\($0)".contains("metric names leave out") })
        let temporary = TemporaryDirectory()
        let root = LogRoot(path: temporary.path + "/root")
        _ = try SessionArchive.importArchive(at: Self.fixture("lying-index-names.mmmar"), into: root)
        #expect(try LogMaintenance(root: root).verify().isEmpty)
        #expect(try LogReader(root: root).events(session: source.session, filter: ReadFilter(names: ["command.*"]), mode: .strict).count == commands)
    }

    @Test("an index whose CRC checks but whose metric names leave some out is reported by verify and rewritten by recover")
    func lyingIndexNames() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let segment = try #require(try root.segmentPaths(session: "fixture-cook").first)
        let indexPath = LogRoot.indexPath(forSegment: segment)
        let original = try #require(FileManager.default.contents(atPath: indexPath).map { [UInt8]($0) })
        var index = try original.withUnsafeBytes { try SegmentIndex.decode($0, path: indexPath) }
        // Every block claims to hold only the first name of the table.
        for position in index.entries.indices { index.entries[position].names = [0] }
        #expect(FileManager.default.createFile(atPath: indexPath, contents: Data(index.encoded())))
        let filtered = { try LogReader(root: root).events(session: "fixture-cook", filter: ReadFilter(names: ["command.*"]), mode: .strict).count }
        let hidden = try filtered()
        #expect(try LogMaintenance(root: root).verify().contains { "\($0)".contains("metric names leave out") })
        let actions = try LogMaintenance(root: root).recover()
        #expect(actions.flatMap(\.actions).contains { $0.contains("rebuilt the index (was it differed from the index its blocks give (metric names") })
        #expect(try LogMaintenance(root: root).verify().isEmpty)
        #expect(try filtered() > hidden)
        #expect(FileManager.default.contents(atPath: indexPath).map { [UInt8]($0) } == original)
    }
}

extension HostileReviewTests {
    @Test("a last segment cut shorter than its index lists is reported as lost events, as a torn tail is (a warning counting them; verify names it), sealed or not",
          arguments: [0, 50, 296], [true, false])
    func cutBelowItsIndex(size: Int, sealed: Bool) throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let last = try #require(try root.segmentPaths(session: "fixture-cook").last)
        let indexPath = LogRoot.indexPath(forSegment: last)
        var index = try Corrupter.bytes(indexPath).withUnsafeBytes { try SegmentIndex.decode($0, path: indexPath) }
        #expect(index.sealed)
        if !sealed {
            // As the writer leaves its active segment's index after a flush: the seal not yet written.
            index.sealed = false
            index.coveredBytes -= Format.sealSize
            Corrupter.write(indexPath, index.encoded())
        }
        let bytes = Corrupter.bytes(last)
        Corrupter.write(last, Array(bytes.prefix(size)))
        for mode in [ReadMode.strict, .lenient] {
            var skipped = 0
            let events = try LogReader(root: root).events(session: "fixture-cook", mode: mode) { skipped += $0.skippedEvents ?? 0 }
            #expect(events.count + skipped == FixtureLogs.sourceEvents.count, "\(mode)")
        }
        #expect(try LogMaintenance(root: root).verify().contains { "\($0)".contains("lost") || "\($0)".contains("torn tail") })
    }
}

extension HostileReviewTests {
    @Test("a sealed last segment cut short reads as a crash's tail, counting every event its index lists, and says it was sealed; archive refuses it")
    func sealedSegmentCutShort() throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let events = (0..<5_000).map { MetricEvent.counter(name: "n", value: Int64($0), timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64($0) * 1_000_000_000)) }
        var options = LogWriterOptions()
        options.blockMaxEvents = 100
        try writeSession(root, "s", events, options: options)
        let last = try #require(try root.segmentPaths(session: "s").last)
        let bytes = Corrupter.bytes(last)
        // Half the file: whole blocks go with the torn one, which is all a scan can count.
        Corrupter.write(last, Array(bytes.prefix(bytes.count / 2)))
        // A power cut under durability none after the seal and index were written leaves the same
        // files, so strict reads warn as for any crash's tail (the power-loss campaign requires it).
        for mode in [ReadMode.strict, .lenient] {
            var skipped = 0
            var messages: [String] = []
            let read = try LogReader(root: root).events(session: "s", mode: mode) {
                skipped += $0.skippedEvents ?? 0
                messages.append($0.message)
            }
            #expect(read.count + skipped == events.count, "\(read.count) + \(skipped)")
            #expect(messages.contains { $0.contains("its index says it was sealed") }, "\(messages)")
            #expect(sameEvents(read.map(\.event), Array(events.prefix(read.count))))
        }
        // An archive of what is left would read as a whole session: refused, as for a damaged block.
        let archived = #expect(throws: LogError.self) { try SessionArchive.write(session: "s", from: root, to: temporary.path + "/s.mmmar") }
        #expect("\(archived.map { "\($0)" } ?? "")".contains("run verify and recover before archiving"))
        Corrupter.write(last, Array(bytes.prefix(10)))
        #expect(throws: LogError.self) { try SessionArchive.write(session: "s", from: root, to: temporary.path + "/s.mmmar") }
    }
}

extension HostileReviewTests {
    @Test("a session directory with no segment yet reads as an empty session; a directory that is no session's is reported by verify")
    func oddDirectories() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        try FileManager.default.createDirectory(atPath: root.sessionsPath + "/newsess", withIntermediateDirectories: true)
        let stray = root.sessionsPath + "/%ZZ"
        try FileManager.default.createDirectory(atPath: stray, withIntermediateDirectories: true)
        let segment = try #require(try root.segmentPaths(session: "fixture-cook").first)
        try FileManager.default.copyItem(atPath: segment, toPath: stray + "/00000000000000000000.seg")
        let reader = LogReader(root: root)
        #expect(try reader.sessions() == ["fixture-cook", "newsess"])
        #expect(try reader.events(session: "newsess", mode: .strict).isEmpty)
        var total = 0
        try NDJSONExport.write(from: root, session: nil, mode: .strict) { total += $0.filter { $0 == 10 }.count }
        #expect(total == FixtureLogs.sourceEvents.count)
        #expect(throws: LogError.self) { try reader.events(session: "absent", mode: .strict) }
        let problems = try LogMaintenance(root: root).verify()
        #expect(problems.count == 1 && problems[0].file == "sessions/%ZZ", "\(problems)")
    }
}

extension HostileReviewTests {
    @Test("a writer or recover repairing a sealed segment cut short says how many events its index lists as lost, also at a block boundary",
          arguments: ["half", "boundary", "header"])
    func repairsCountWhatTheIndexLists(cut: String) throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let events = (0..<2_000).map { MetricEvent.counter(name: "n", value: Int64($0), timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64($0))) }
        var options = LogWriterOptions()
        options.blockMaxEvents = 100
        try writeSession(root, "s", events, options: options)
        let last = try #require(try root.segmentPaths(session: "s").last)
        let bytes = Corrupter.bytes(last)
        let segment = try StoredSegment.load(last)
        let size = switch cut {
        case "half": bytes.count / 2
        case "boundary": segment.blocks[12].offset  // 12 whole blocks kept, no torn bytes
        default: 10
        }
        Corrupter.write(last, Array(bytes.prefix(size)))
        let kept = try LogReader(root: root).events(session: "s", mode: .lenient).count
        #expect(kept < events.count)
        let copy = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: root.path, toPath: copy.path + "/copy")
        if cut == "header" {
            let actions = try LogMaintenance(root: root).recover().flatMap(\.actions)
            #expect(actions.contains { $0.contains("its index listed \(events.count) events, lost") }, "\(actions)")
        } else {
            let writer = try SessionLogWriter(root: LogRoot(path: copy.path + "/copy"), session: "s")
            let report = try #require(writer.recovery)
            #expect(report.eventsListedByIndexLost == events.count - kept, "\(report)")
            #expect("\(report)".contains("lists \(events.count - kept) events the segment no longer holds"))
            try writer.close()
        }
    }
}

extension HostileReviewTests {
    @Test("a segment cut short in the middle of a session counts its lost events once: read + skipped = written",
          arguments: [0.5, 0.9])
    func middleSegmentCutCountsOnce(fraction: Double) throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        let events = (0..<3_000).map { MetricEvent.counter(name: "n", value: Int64($0), timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64($0))) }
        try writeSession(root, "s", events, options: LogWriterOptions(segmentMaxBytes: 1_500, blockMaxEvents: 20))
        let segments = try root.segmentPaths(session: "s")
        #expect(segments.count > 3)
        let middle = segments[1]
        let bytes = Corrupter.bytes(middle)
        Corrupter.write(middle, Array(bytes.prefix(Int(Double(bytes.count) * fraction))))
        var skipped = 0
        let read = try LogReader(root: root).events(session: "s", mode: .lenient) { skipped += $0.skippedEvents ?? 0 }
        #expect(read.count + skipped == events.count, "\(read.count) + \(skipped)")
        #expect(throws: LogError.self) { try readSession(root, "s", mode: .strict) }
    }
}
