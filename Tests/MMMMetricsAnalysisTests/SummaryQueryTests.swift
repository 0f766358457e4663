import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

/// Queries answered from the index's block summaries (docs/FORMAT.md, "Block summaries"): the same
/// answer, bit for bit, as with no index at all, right against an independent computation, and
/// never from a summary that a damaged block or a stale index would make wrong.
@Suite("Analysis: queries from block summaries")
struct SummaryQueryTests {
    /// A workload built to stress the summaries: a low- and a high-cardinality tag, sampled events,
    /// timers, counters, gauges with NaN, custom events, and one metric with two kinds.
    static func tameEvents(seed: UInt64) -> [(session: String, event: MetricEvent)] {
        var random = SeededRandom(seed: seed)
        var time: Int64 = 1_795_900_000_000_000_000
        let commands = ["build", "test", "lint", "é", "e\u{301}"]
        var events: [(String, MetricEvent)] = []
        for index in 0..<12_000 {
            time += Int64(random.next() % 3_000_000_000)
            let session = "s\(random.next() % 3)"
            var tags = Tags()
            tags["command"] = commands[Int(random.next() % UInt64(commands.count))]
            if random.next() % 4 != 0 { tags["status"] = random.next() % 5 == 0 ? "error" : "ok" }
            // A path with a thousand values: too many series and values for a summary to list.
            if random.next() % 2 == 0 { tags["path"] = "src/file\(random.next() % 1_000).swift" }
            // Rates whose weights are not exact in binary (0.3, 0.01) too: totals by event and by series then differ in the last bits.
            if random.next() % 10 == 0 { tags[SampleRate.tag] = ["0.5", "0.25", "bogus", "0.3", "0.01"][Int(random.next() % 5)] }
            let stamp = MetricTimestamp(nanosecondsSinceEpoch: time)
            let event: MetricEvent = switch random.next() % 6 {
            case 0: MetricEvent(name: "command.duration", value: .timer(.nanoseconds(Int64(random.next() % 90_000_000_000))), tags: tags, timestamp: stamp)
            case 1: MetricEvent(name: "git.lines_added", value: .counter(Int64(random.next() % 2_000) - 300), tags: tags, timestamp: stamp)
            case 2: MetricEvent(name: "quality.test_coverage", value: .gauge(index % 97 == 0 ? .nan : Double(random.next() % 10_000) / 100), tags: tags, timestamp: stamp)
            case 3: MetricEvent(name: "error", value: .custom(["kind": "lint"]), tags: tags, timestamp: stamp)
            case 4: MetricEvent(name: "mixed", value: .counter(Int64(random.next() % 100)), tags: tags, timestamp: stamp)
            default: MetricEvent(name: "mixed", value: .gauge(Double(random.next() % 1_000) / 8), tags: tags, timestamp: stamp)
            }
            events.append((session, event))
        }
        return events
    }

    static func write(
        _ events: [(session: String, event: MetricEvent)], to root: LogRoot, blockEvents: Int = 700,
        sectionMinimum: Int = PayloadSections.minimumPayloadBytes
    ) throws {
        var writers: [String: SessionLogWriter] = [:]
        for (session, event) in events {
            if writers[session] == nil {
                var options = LogWriterOptions(segmentMaxBytes: 40_000, blockMaxEvents: blockEvents)
                options.sectionMinimumBytes = sectionMinimum
                writers[session] = try SessionLogWriter(root: root, session: session, options: options)
            }
            try writers[session]!.append(event)
        }
        for writer in writers.values { try writer.close() }
    }

    static func indexFiles(_ root: LogRoot) -> [String] {
        let sessions = root.path + "/sessions"
        let enumerator = FileManager.default.enumerator(atPath: sessions)
        var files: [String] = []
        while let name = enumerator?.nextObject() as? String {
            if name.hasSuffix(".idx") { files.append(sessions + "/" + name) }
        }
        return files.sorted()
    }

    static let queries = [
        "count(command.duration) by (command)", "avg(command.duration) by (command)", "sum(command.duration) by (command, status)",
        "min(quality.test_coverage) by (session)", "max(quality.test_coverage) by (session)", "sum(git.lines_added) by (session)",
        "sum(git.lines_added)", "avg(git.lines_added) by (status)", "count(error) by (session)", "count(*) by (__name__)",
        "sum(mixed) by (__name__, session)", "max(mixed)", #"count(command.duration{status="ok"}) by (command)"#,
        #"sum(git.lines_added{command="é"}) by (status)"#, #"count(git.lines_added{status!="error"}) by (command, session)"#,
        "sum(git.lines_added) by (path)", #"count(command.duration{path=~"src/file1.*"})"#, "count(error) by (command)",
        "count(git.lines_added) by (nosuchtag)", "sum(git.lines_added) by (command) since 2026-12-01T00:00:00Z",
        "count(command.duration) by (command) / count(command.duration)",
        // A pooled group over metrics of large values that cancel: summed by series or by event, the answers differ.
        "sum(*)", "count(*)",
    ]

    /// Rows, skipped counts and notes, values by their bits.
    static func fingerprint(_ result: AggregateResult) -> String {
        var lines = result.rows.map { row -> String in "\(row.group) \(row.value.bitPattern) \(row.count)" }
        lines.append("skipped \(result.skipped.events) \(result.skipped.places)")
        lines += result.notes
        lines.append("unit \(result.unit ?? "-")")
        return lines.joined(separator: "\n")
    }

    /// Every query's fingerprint, with and without scaling sampled events; an error's message for a query that fails.
    static func answers(_ root: LogRoot) -> [String] {
        queries.flatMap { query in
            [true, false].map { scales in
                do { return fingerprint(try QueryEngine(source: root, scalesSampledEvents: scales).run(query)) } catch { return "error: \(error)" }
            }
        }
    }

    @Test("every query answers the same, bit for bit, with the index's summaries, without an index, and with an index of version 1")
    func sameWithAndWithoutIndex() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        try Self.write(Self.tameEvents(seed: 11), to: root)
        // The hostile generator too: NaN, ±∞, −0.0, Int64 extremes, odd keys and values.
        try writeSession(root, "hostile", EventGenerator.events(count: 4_000, seed: 5), options: LogWriterOptions(blockMaxEvents: 300))
        let withIndex = Self.answers(root)
        let files = Self.indexFiles(root)
        #expect(files.count >= 6)
        // Version 1: the same entries, no summaries section.
        for file in files {
            var bytes = Corrupter.bytes(file)
            let index = try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: file) }
            #expect(index.summaries.contains { $0 != nil })
            var stripped = index
            for position in stripped.entries.indices { stripped.entries[position].summary = nil }
            bytes = stripped.encoded()
            // Cut the (now empty) summaries section (9 bytes and one varint per entry and the string count) and say version 1.
            let sectionLength = 9 + 1 + index.entries.count
            bytes = Array(bytes[0..<(bytes.count - 4 - sectionLength)])
            bytes[8] = 1
            bytes += withUnsafeBytes(of: CRC32C.checksum(bytes).littleEndian, Array.init)
            Corrupter.write(file, bytes)
        }
        #expect(try LogMaintenance(root: root).verify().isEmpty)
        let versionOne = Self.answers(root)
        let copy = TemporaryDirectory("summaries-v1")
        try FileManager.default.copyItem(atPath: root.path, toPath: copy.root.path)
        let upgraded = try LogMaintenance(root: copy.root).recover().flatMap(\.actions)
        #expect(upgraded.filter { $0.contains("rebuilt the index (was of version 1, without block summaries)") }.count == files.count, "\(upgraded)")
        for file in files { try FileManager.default.removeItem(atPath: file) }
        let without = Self.answers(root)
        for (position, answer) in withIndex.enumerated() {
            #expect(answer == without[position], "query \(Self.queries[position / 2]), scaling \(position % 2 == 0)")
            #expect(answer == versionOne[position], "query \(Self.queries[position / 2]), scaling \(position % 2 == 0)")
        }
        // recover writes the indexes back as the writer wrote them.
        #expect(try LogMaintenance(root: root).recover().flatMap(\.actions).filter { $0.contains("rebuilt the index (was missing)") }.count == files.count)
        let rebuilt = Self.answers(root)
        #expect(rebuilt == withIndex)
    }

    @Test("blocks stored in sections answer every query, export and verify as the same blocks in one frame do, with their index and without")
    func sectionsAnswerAsOneFrame() throws {
        var answers: [[String]] = []
        var exports: [[[MetricEvent]]] = []
        for sectionMinimum in [Int.max, 0] {
            let directory = TemporaryDirectory("sections")
            let root = directory.root
            try Self.write(Self.tameEvents(seed: 12), to: root, sectionMinimum: sectionMinimum)
            var options = LogWriterOptions(blockMaxEvents: 300)
            options.sectionMinimumBytes = sectionMinimum
            try writeSession(root, "hostile", EventGenerator.events(count: 3_000, seed: 6), options: options)
            let stats = try LogMaintenance(root: root).statistics()
            // With no minimum, blocks are in sections but where sections would cost more than 1% over one frame.
            #expect(sectionMinimum == 0 ? stats.sectionedBlocks * 2 >= stats.blocks : stats.sectionedBlocks == 0, "\(stats.sectionedBlocks) of \(stats.blocks)")
            #expect(stats.blocks > 20)
            #expect(try LogMaintenance(root: root).verify().isEmpty)
            let withIndex = Self.answers(root)
            for file in Self.indexFiles(root) { try FileManager.default.removeItem(atPath: file) }
            #expect(Self.answers(root) == withIndex)
            answers.append(withIndex)
            let reader = LogReader(source: root)
            exports.append(try root.sessionIDs().sorted().map { session in
                try reader.events(session: session, mode: .strict).map { $0.event }
            })
        }
        #expect(answers[0] == answers[1])
        #expect(exports[0].count == 4 && zip(exports[0], exports[1]).allSatisfy { sameEvents($0, $1) })
    }

    @Test("answers from summaries agree with an independent computation over the events")
    func agreesWithReference() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        let events = Self.tameEvents(seed: 3)
        try Self.write(events, to: root)
        let engine = QueryEngine(source: root, scalesSampledEvents: false)
        for (name, key) in [("command.duration", "command"), ("git.lines_added", "status"), ("quality.test_coverage", "session"), ("git.lines_added", "path")] {
            // Groups by bytes, as the engine's are (é and e + U+0301 are two).
            var groups: [[UInt8]: [Double]] = [:]
            for (session, event) in events where event.name == name {
                let value: Double = switch event.value {
                case .counter(let count): Double(count)
                case .gauge(let level): level
                case .timer(let duration): Double(duration.totalNanoseconds) / 1e9
                case .custom: .nan
                }
                groups[Array((key == "session" ? session : (event.tags[key] ?? "")).utf8), default: []].append(value)
            }
            for function in ["count", "sum", "avg", "min", "max"] {
                let result = try engine.run("\(function)(\(name)) by (\(key))")
                #expect(result.rows.count == groups.count, "\(function)(\(name)) by (\(key))")
                for row in result.rows {
                    let values = groups[Array((row.group[key] ?? "").utf8)] ?? []
                    let numbers = values.filter { !$0.isNaN }
                    let expected: Double = switch function {
                    case "count": Double(values.count)
                    case "sum": numbers.reduce(0, +)
                    case "avg": numbers.reduce(0, +) / Double(numbers.count)
                    case "min": numbers.min()!
                    default: numbers.max()!
                    }
                    if function == "count" || function == "min" || function == "max" {
                        #expect(row.value == expected, "\(function)(\(name)) by (\(key)) \(row.group)")
                    } else {
                        #expect(abs(row.value - expected) <= 1e-9 * max(1, abs(expected)), "\(function)(\(name)) by (\(key)) \(row.group)")
                    }
                }
            }
        }
    }

    @Test("a query decodes what it reads: one over time (a time range, last) checks a block's time range; one that reads no timestamps answers from the events as stored")
    func partsDecodedByQueries() throws {
        let source = try ArchiveSource(path: FixtureLogs.directory.appendingPathComponent("hostile/time-range-lie.mmmar").path)
        let engine = QueryEngine(source: source)
        #expect(throws: LogError.self) { try engine.run("count(*) since 1970-01-01T00:00:00Z", mode: .strict) }
        #expect(throws: LogError.self) { try engine.run("last(*) by (__name__)", mode: .strict) }
        let counted = try engine.run("count(*) by (__name__)", mode: .strict)
        let events = try LogReader(source: source).events(session: source.session, mode: .lenient).count
        #expect(counted.skipped.events == 0 && counted.rows.map(\.value).reduce(0, +) >= Double(events))
        #expect(try engine.run("sum(*) by (__name__)", mode: .strict).rows.count == counted.rows.count)
    }

    @Test("a damaged block is reported, not answered from its summary; a stale summary is found by verify and rewritten by recover")
    func damageAndStaleness() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        try Self.write(Self.tameEvents(seed: 19), to: root)
        let query = "sum(git.lines_added) by (session)"
        let before = try QueryEngine(source: root).run(query)
        let beforeUnscaled = try QueryEngine(source: root, scalesSampledEvents: false).run(query)
        #expect(before.skipped.events == 0)

        // A stale summary: the index's totals for one block say something else, with a valid CRC.
        let file = Self.indexFiles(root)[0]
        var index = try Corrupter.bytes(file).withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: file) }
        let entry = try #require(index.entries.firstIndex { $0.summary?.metrics.contains { $0.name == "git.lines_added" } ?? false })
        let metric = index.entries[entry].summary!.metrics.firstIndex { $0.name == "git.lines_added" }!
        index.entries[entry].summary!.metrics[metric].totals.sum += 1_000_000
        Corrupter.write(file, index.encoded())
        // The query takes the index's word for the block (that is the point of summaries): verify is what checks it.
        // (Unscaled: sampled events need series, which the paths make too many to list, so scaling decodes.)
        let stale = try QueryEngine(source: root, scalesSampledEvents: false).run(query)
        #expect(try QueryEngine(source: root).run(query).rows == before.rows)
        #expect(zip(stale.rows, beforeUnscaled.rows).map { $0.value - $1.value }.sorted() == [0, 0, 1_000_000].suffix(beforeUnscaled.rows.count))
        let problems = try LogMaintenance(root: root).verify()
        #expect(problems.contains { $0.message.contains("index stale (its totals for 1 block(s)") }, "\(problems)")
        let actions = try LogMaintenance(root: root).recover()
        #expect(actions.contains { $0.actions.contains { $0.contains("rebuilt the index") } })
        #expect(try LogMaintenance(root: root).verify().isEmpty)
        #expect(Self.fingerprint(try QueryEngine(source: root).run(query)) == Self.fingerprint(before))

        // A bit flipped in a block whose summary would answer: the CRC check still reports it.
        let segment = file.replacingOccurrences(of: ".idx", with: ".seg")
        let offset = index.entries[entry].offset + 60
        Corrupter.flipBit(segment, bit: offset * 8)
        var warnings: [ReadWarning] = []
        let damaged = try QueryEngine(source: root).run(query, warning: { warnings.append($0) })
        #expect(damaged.skipped.events == index.entries[entry].eventCount)
        #expect(warnings.contains { $0.message.contains("CRC mismatch") })
        #expect(throws: LogError.self) { try QueryEngine(source: root).run(query, mode: .strict) }
    }

    @Test("an index whose summary counts other than its block's events is refused whole, and the query reads the blocks")
    func summaryCountingOtherEvents() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        try Self.write(Self.tameEvents(seed: 23), to: root)
        let query = "count(*) by (session)"
        let before = try QueryEngine(source: root).run(query)
        let file = Self.indexFiles(root)[0]
        var index = try Corrupter.bytes(file).withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: file) }
        // An absurd count, as a hostile index could say (a sum of such counts would overflow).
        index.entries[0].summary!.metrics[0].totals.count = Int.max / 2
        Corrupter.write(file, index.encoded())
        #expect {
            try Corrupter.bytes(file).withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in _ = try SegmentIndex.decode(raw, path: file) }
        } throws: { "\($0)".contains("count") }
        #expect(try LogMaintenance(root: root).verify().contains { $0.message.contains("index corrupt") })
        #expect(Self.fingerprint(try QueryEngine(source: root).run(query)) == Self.fingerprint(before))
    }

    @Test("a block's summary from the writer equals the summary of the block decoded")
    func encoderAndDecoderAgree() throws {
        for seed in UInt64(1)...20 {
            var events = EventGenerator.events(count: 500, seed: seed)
            events += Self.tameEvents(seed: seed).prefix(4_000).map(\.event)
            let encoded = BlockPayload.encodeBlock(events[...])
            let decoded = try encoded.bytes.withUnsafeBytes { raw in try BlockPayload.decode(raw, firstSequence: 0) }
            #expect(encoded.summary == BlockSummary(decoded), "seed \(seed)")
            let paths = try #require(encoded.summary).metrics.flatMap { $0.tags.filter { $0.key == "path" } }
            #expect(!paths.isEmpty && paths.allSatisfy { $0.values == nil }, "a thousand paths are more values than a summary lists")
        }
    }
}

/// What a hostile review of block summaries found (2026-11-30), each fixed.
extension SummaryQueryTests {
    static func event(_ name: String, _ value: MetricValue, second: Int64, tags: Tags = Tags()) -> MetricEvent {
        MetricEvent(name: name, value: value, tags: tags, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1_767_225_600_000_000_000 + second * 1_000_000_000))
    }

    @Test("a block of thousands of metrics gets no summary, so its index stays readable and verify is clean")
    func manyMetricsNoSummary() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        let events = (0..<6_000).map { Self.event("metric.\($0)", .counter(Int64($0)), second: Int64($0), tags: ["k": "v\($0 % 5)"]) }
        try writeSession(root, "s", events)
        let file = Self.indexFiles(root)[0]
        let index = try Corrupter.bytes(file).withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: file) }
        #expect(index.entries.count == 1 && index.entries[0].summary == nil && index.entries[0].names.count == 6_000)
        #expect(try LogMaintenance(root: root).verify().isEmpty)
        #expect(try LogMaintenance(root: root).recover().allSatisfy { $0.actions.isEmpty })
        #expect(try QueryEngine(source: root).run("sum(metric.*)").rows.map(\.value) == [Double((0..<6_000).reduce(0, +))])
    }

    @Test("an index whose summaries cost more than a writer keeps is refused before it is built in memory")
    func costlySummaryRefused() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        try writeSession(root, "s", (0..<10).map { Self.event("a", .counter(1), second: Int64($0)) })
        let file = Self.indexFiles(root)[0]
        var index = try Corrupter.bytes(file).withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: file) }
        // 5,000 empty metrics, as a small crafted file can claim (zstd packs them into a few bytes).
        var empty = index.entries[0].summary!.metrics[0]
        empty.totals = SummaryTotals()
        empty.series = []
        empty.tags = []
        index.entries[0].summary!.metrics += Array(repeating: empty, count: 5_000)
        let bytes = index.encoded()
        #expect(bytes.count < 20_000)
        #expect {
            try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in _ = try SegmentIndex.decode(raw, path: file) }
        } throws: { "\($0)".contains("cost more than a writer keeps") }
    }

    @Test("verify compares the totals of the blocks an index lists rightly also when another block is damaged")
    func staleTotalsBesideBadBlock() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        try writeSession(root, "s", (0..<400).map { Self.event("b", .counter(Int64($0)), second: Int64($0)) }, options: LogWriterOptions(blockMaxEvents: 100))
        let file = Self.indexFiles(root)[0]
        var index = try Corrupter.bytes(file).withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: file) }
        index.entries[3].summary!.metrics[0].totals.sum *= 1_000
        Corrupter.write(file, index.encoded())
        Corrupter.flipBit(file.replacingOccurrences(of: ".idx", with: ".seg"), bit: (index.entries[0].offset + 60) * 8)
        let problems = try LogMaintenance(root: root).verify().map(\.message)
        #expect(problems.contains { $0.contains("CRC mismatch") }, "\(problems)")
        #expect(problems.contains { $0.contains("index stale (its totals for 1 block(s), the first at offset \(index.entries[3].offset)") }, "\(problems)")
    }

    @Test("a time range that cuts a block gives the same sum as one that does not, when it selects the same events")
    func sameSumWhenTimeCutsBlock() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        let events = [
            Self.event("a", .gauge(1e16), second: 10),
            Self.event("x", .gauge(0), second: 0), Self.event("a", .gauge(1), second: 20), Self.event("a", .gauge(1), second: 21),
            Self.event("a", .gauge(1), second: 22),
        ]
        // Block 1 holds a = 1e16 alone; block 2 the rest, which `since` cuts (x is before it).
        try writeSession(root, "s", Array(events.prefix(1)))
        try writeSession(root, "s", Array(events.dropFirst()))
        let cut = directory
        for function in ["sum", "avg"] {
            let whole = try QueryEngine(source: cut.root).run("\(function)(a)").rows.map(\.value.bitPattern)
            let since = try QueryEngine(source: cut.root).run("\(function)(a) since 2026-01-01T00:00:05Z").rows.map(\.value.bitPattern)
            #expect(whole == since, "\(function)")
        }
        #expect(try QueryEngine(source: cut.root).run("sum(a)").rows.map(\.value) == [1e16 + 4])
    }

    @Test("a name glob finds a name spelt in another Unicode form with the index as without it")
    func globByBytesWithIndex() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        try writeSession(root, "s", [
            Self.event("\u{e9}.x", .counter(10), second: 0), Self.event("e\u{301}.x", .counter(1000), second: 1),
            Self.event("e\u{301}.y", .counter(10), second: 2), Self.event("\u{e9}.y", .counter(1), second: 3),
        ])
        let query = "sum(e\u{301}*)"
        let with = try QueryEngine(source: root).run(query).rows.map(\.value)
        for file in Self.indexFiles(root) { try FileManager.default.removeItem(atPath: file) }
        let without = try QueryEngine(source: root).run(query).rows.map(\.value)
        #expect(with == without && with == [1010])
        // One block holding only two spellings of one name: its name list keeps both (by bytes).
        let second = TemporaryDirectory("summaries-names")
        try writeSession(second.root, "s", [Self.event("caf\u{e9}", .counter(1), second: 0), Self.event("cafe\u{301}", .counter(10), second: 1)])
        #expect(try LogMaintenance(root: second.root).verify().isEmpty)
        #expect(try QueryEngine(source: second.root).run("sum(cafe\u{301}*)").rows.map(\.value) == [10])
    }

    @Test("verify finds an index whose names leave some out also when another block of the segment is damaged")
    func staleNamesBesideBadBlock() throws {
        let directory = TemporaryDirectory("summaries")
        let root = directory.root
        let events = (0..<400).map { Self.event($0 % 2 == 0 ? "a" : "b", .counter(Int64($0)), second: Int64($0)) }
        try writeSession(root, "s", events, options: LogWriterOptions(blockMaxEvents: 100))
        let file = Self.indexFiles(root)[0]
        var index = try Corrupter.bytes(file).withBytes { (raw: UnsafeRawBufferPointer) throws(LogError) in try SegmentIndex.decode(raw, path: file) }
        let a = try #require(index.names.firstIndex(of: "a"))
        index.entries[3].names = [a]
        index.entries[3].summary = nil
        Corrupter.write(file, index.encoded())
        Corrupter.flipBit(file.replacingOccurrences(of: ".idx", with: ".seg"), bit: (index.entries[0].offset + 60) * 8)
        let problems = try LogMaintenance(root: root).verify().map(\.message)
        #expect(problems.contains { $0.contains("metric names leave out") }, "\(problems)")
    }
}
