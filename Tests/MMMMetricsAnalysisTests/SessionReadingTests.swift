import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

/// Queries read sessions on two threads and fold what they read on the caller's: the answer,
/// the warnings and the error must be those of one thread reading the sessions in order.
@Suite("Analysis: sessions read on two threads")
struct SessionReadingTests {
    /// Many sessions of a few blocks each, values whose sums depend on their order (large and small
    /// magnitudes), a high-cardinality tag (so blocks are decoded, not summed from the index), and a
    /// session with no event of the queried metric.
    static func write(sessions: Int, to root: LogRoot) throws {
        var random = SeededRandom(seed: 41)
        var time: Int64 = 1_795_900_000_000_000_000
        for session in 0..<sessions {
            let writer = try SessionLogWriter(
                root: root, session: String(format: "session-%03d", session),
                options: LogWriterOptions(segmentMaxBytes: 20_000, blockMaxEvents: 150 + session % 7 * 40))
            for index in 0..<(session == 5 ? 300 : 400 + Int(random.next() % 900)) {
                time += Int64(random.next() % 2_000_000_000)
                let stamp = MetricTimestamp(nanosecondsSinceEpoch: time)
                var tags = Tags()
                tags["path"] = "src/f\(random.next() % 400).swift"
                let magnitude = [1e-3, 1.0, 1e9, 1e15][Int(random.next() % 4)]
                let event = session == 5
                    ? MetricEvent(name: "other", value: .counter(Int64(index)), tags: tags, timestamp: stamp)
                    : MetricEvent(name: "work.size", value: .gauge(Double(random.next() % 10_000) / 7 * magnitude), tags: tags, timestamp: stamp)
                try writer.append(event)
            }
            try writer.close()
        }
    }

    /// What one thread folding the sessions in order gives, written out from the documented order
    /// (docs/QUERY.md, "How a query reads"): per session in listed order, per block, each group's
    /// values added in event order on their own, then that partial added to the group's sum.
    static func sequentialSums(_ root: LogRoot, metric: String, key: String) throws -> [String: (sum: Double, count: Int)] {
        let reader = LogReader(source: root)
        var sums: [String: (sum: Double, count: Int)] = [:]
        for session in try reader.sessions() {
            try reader.replay(session: session, filter: ReadFilter(), mode: .strict, warning: { _ in }, acceptsSummary: nil) { replayed in
                guard case .decoded(let block, _) = replayed else { return }
                var partials: [String: Double] = [:]
                var order: [String] = []
                for event in block.events where event.name == metric {
                    let group = event.tags[key] ?? ""
                    if partials[group] == nil { order.append(group) }
                    partials[group, default: 0] += event.value.numericValue ?? 0
                    sums[group, default: (0, 0)].count += 1
                }
                for group in order { sums[group]!.sum += partials[group]! }
            }
        }
        return sums
    }

    @Test("the answer is the one a single thread folding sessions in order gives, bit for bit, every time")
    func sameAnswerAsOneThread() throws {
        let directory = TemporaryDirectory("session-reading")
        let root = directory.root
        try Self.write(sessions: 37, to: root)
        let expected = try Self.sequentialSums(root, metric: "work.size", key: "path")
        #expect(expected.count > 300)
        let answer = try QueryEngine(source: root).run("sum(work.size) by (path)")
        #expect(answer.rows.count == expected.count)
        for row in answer.rows {
            let want = try #require(expected[row.group["path"] ?? ""])
            #expect(row.value.bitPattern == want.sum.bitPattern, "\(row.group): \(row.value) vs \(want.sum)")
            #expect(row.count == want.count)
        }
        // Threads finish in any order; the fold does not depend on it.
        let queries = ["sum(work.size) by (path)", "stddev(work.size) by (session)", "p90(work.size) by (path)", "first(work.size)",
                       "last(work.size) by (path)", "avg(work.size{path=~\"src/f1.*\"})"]
        for query in queries {
            let first = SummaryQueryTests.fingerprint(try QueryEngine(source: root).run(query))
            for _ in 0..<4 { #expect(SummaryQueryTests.fingerprint(try QueryEngine(source: root).run(query)) == first, "\(query)") }
        }
        // One session on its own, and a list of sessions in another order than the log's, read the same way.
        let alone = try QueryEngine(source: root).run("count(work.size)", sessions: ["session-010"])
        #expect(alone.rows.first?.value == Double(try readSession(root, "session-010").count))
        let reversed = try QueryEngine(source: root).run("count(work.size) by (session)", sessions: (0..<37).reversed().map { String(format: "session-%03d", $0) })
        #expect(reversed.rows.count == 36)
    }

    @Test("damage is reported in session order, and a strict query fails on the first damaged session")
    func damageInOrder() throws {
        let directory = TemporaryDirectory("session-reading")
        let root = directory.root
        try Self.write(sessions: 24, to: root)
        // A bit flipped in the first block of sessions 3, 11 and 20.
        for session in [20, 3, 11] {
            let segment = root.path + "/sessions/" + String(format: "session-%03d", session)
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: segment).filter { $0.hasSuffix(".seg") }.sorted().first)
            // The segment header is 38 bytes and the session id (docs/FORMAT.md); 60 bytes into the first block is its payload.
            Corrupter.flipBit(segment + "/" + name, bit: (38 + "session-003".utf8.count + 60) * 8)
        }
        for query in ["sum(work.size) by (path)", "count(work.size) by (session)"] {
            var warnings: [ReadWarning] = []
            let answer = try QueryEngine(source: root).run(query, warning: { warnings.append($0) })
            #expect(warnings.map(\.session) == ["session-003", "session-011", "session-020"], "\(query): \(warnings)")
            #expect(answer.skipped.places == 3)
            do {
                _ = try QueryEngine(source: root).run(query, mode: .strict)
                Issue.record("a strict query over damaged blocks answered")
            } catch {
                #expect("\(error)".contains("session-003"), "\(error)")
            }
        }
    }

    @Test("an error while folding stops the reading threads and is thrown")
    func foldErrorStops() throws {
        let directory = TemporaryDirectory("session-reading")
        let root = directory.root
        try Self.write(sessions: 30, to: root)
        // A custom event in a late session: avg cannot take it, and says which metric.
        let writer = try SessionLogWriter(root: root, session: "session-025")
        try writer.append(MetricEvent(name: "work.size", value: .custom(["note": "not a number"])))
        try writer.close()
        #expect(throws: MetricsReaderError.self) { try QueryEngine(source: root).run("avg(work.size) by (path)") }
        // The engine is usable again at once: no thread of the failed query holds anything.
        #expect(try QueryEngine(source: root).run("count(work.size)").rows.first?.value ?? 0 > 0)
    }

    @Test("the hint for a tag no event carries looks through the sessions in order, whichever thread read them")
    func hintInOrder() throws {
        let directory = TemporaryDirectory("session-reading")
        let root = directory.root
        for session in 0..<30 {
            let writer = try SessionLogWriter(root: root, session: String(format: "s%02d", session))
            for index in 0..<50 {
                // Only session 25 has a data field named like the tag grouped by.
                let data: JSONValue = session == 25 && index == 7 ? ["kind": "lint"] : ["other": .integer(Int64(index))]
                try writer.append(MetricEvent(name: "ev", value: .custom(data)))
            }
            try writer.close()
        }
        for _ in 0..<3 {
            let answer = try QueryEngine(source: root).run("count(ev) by (kind)")
            #expect(answer.notes == ["no selected event carries the tag 'kind'; custom events have a data field of that name: did you mean data.kind?"])
            #expect(answer.rows.map(\.count) == [1_500])
        }
    }
}

