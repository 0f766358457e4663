import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import MMMWorkload
import Testing

@Suite("Analysis: reducers and reports")
struct ReducerTests {
    func at(_ seconds: Double) -> MetricTimestamp { MetricTimestamp(secondsSinceEpoch: 1_795_860_000 + seconds)! }

    @Test("reports of the fixture match the golden files")
    func goldenReports() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let report = try SessionReport.build(session: "fixture-cook", source: root)
        let golden = FixtureLogs.directory.appendingPathComponent("reports")
        #expect(report.text() == (try String(contentsOf: golden.appendingPathComponent("fixture-cook.text"), encoding: .utf8)))
        #expect(report.markdown() == (try String(contentsOf: golden.appendingPathComponent("fixture-cook.markdown"), encoding: .utf8)))
        #expect(JSONText.encode(report.json()) + "\n" == (try String(contentsOf: golden.appendingPathComponent("fixture-cook.json"), encoding: .utf8)))
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 6)  // durations, 4 quality charts, command distribution
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
    }

    @Test("the fixture's session structure follows the reduction rules, checked field by field")
    func fixtureStructure() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let session = try Replay.run(SessionReducer.self, source: root, sessions: ["fixture-cook"])
        #expect(session.sessionId == "fixture-cook")
        #expect(session.startTime == RFC3339.parse("2026-11-28T10:00:00Z"))
        #expect(session.finalStatus == .completed)
        #expect(session.iterations.map(\.iterationNumber) == [1, 2, 3])
        #expect(session.iterations.map(\.commandsExecuted) == [3, 3, 3])
        #expect(session.iterations.map(\.filesChanged) == [7, 4, 2])
        #expect(session.iterations.map(\.linesAdded) == [120, 64, 12])
        #expect(session.iterations.map(\.linesRemoved) == [30, 12, 4])
        #expect(session.iterations[0].errors == [ErrorMetric(message: "lint failed in iteration 1", kind: "lint", timestamp: session.iterations[0].errors.first?.timestamp)])
        #expect(session.iterations[2].errors.isEmpty)
        #expect(session.quality == QualityMetrics(testCoverage: 78.25, lintWarnings: 5, complexityScore: 12.25, documentationCoverage: 60))
        // iteration 1: build 12.5 s + test 31 s + lint 3.1 s, 1 ms apart each, an error 1 µs, then 0.5 s.
        #expect(abs(session.iterations[0].durationSeconds - 47.103001) < 1e-9)
        let events = FixtureLogs.sourceEvents
        #expect(abs(session.totalDurationSeconds - (events.last!.timestamp!.secondsSinceEpoch - events.first!.timestamp!.secondsSinceEpoch)) < 1e-6)
    }

    @Test("without markers: start is the first event, the end the last, status incomplete; quality is last by timestamp, then sequence")
    func reductionRules() throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        try writeSession(root, "s", [
            .gauge(name: "quality.test_coverage", value: 50, tags: ["iteration": "1"], timestamp: at(10)),
            .timer(name: "iteration.duration", duration: .seconds(2), tags: ["iteration": "2"], timestamp: at(11)),
            .timer(name: "iteration.duration", duration: .seconds(3), tags: ["iteration": "2"], timestamp: at(12)),
            .counter(name: "git.lines_added", value: 5, tags: ["iteration": "x"], timestamp: at(13)),  // not an integer: no iteration
            .gauge(name: "quality.test_coverage", value: 70, tags: ["iteration": "2"], timestamp: at(20)),
            .gauge(name: "quality.test_coverage", value: 60, tags: ["iteration": "2"], timestamp: at(15)),  // recorded later, but earlier in time
            .gauge(name: "quality.lint_warnings", value: 3, timestamp: at(20)),
            .gauge(name: "quality.lint_warnings", value: 4, timestamp: at(20)),  // same time: the later sequence wins
            .custom(name: "error", data: ["message": "first"], tags: ["iteration": "2"], timestamp: at(16)),
            .custom(name: "error", data: ["message": "second", "kind": "k"], tags: ["iteration": "2"], timestamp: at(17)),
            .counter(name: "other", value: 1, timestamp: at(30)),
        ])
        let session = try Replay.run(SessionReducer.self, source: root)
        #expect(session.startTime == at(10))
        #expect(abs(session.totalDurationSeconds - 20) < 1e-9)
        #expect(session.finalStatus == .incomplete)
        #expect(session.iterations.map(\.iterationNumber) == [1, 2])
        #expect(session.iterations[0].durationSeconds == 0)
        #expect(session.iterations[1].durationSeconds == 5)
        #expect(session.iterations[1].errors.map(\.message) == ["first", "second"])
        #expect(session.iterations[1].errors.map(\.kind) == ["", "k"])
        #expect(session.quality.testCoverage == 70)
        #expect(session.quality.lintWarnings == 4)
        #expect(session.quality.complexityScore == nil)
        let report = try SessionReport.build(session: "s", source: root)
        #expect(report.qualityStart.testCoverage == 50)
        #expect(report.status == "incomplete")
        #expect(report.json()["quality"]?["complexity_score"] == .null)
        #expect(report.text().contains("Session s: incomplete"))
    }

    @Test("a session.end status outside the catalog is reported as written")
    func unusualStatus() throws {
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", [
            .custom(name: "session.start", data: nil, timestamp: at(1)),
            .custom(name: "session.end", data: ["status": "cancelled"], timestamp: at(5)),
        ])
        let report = try SessionReport.build(session: "s", source: temporary.root)
        #expect(report.status == "cancelled")
        #expect(report.json()["final_status"] == "cancelled")
        #expect(report.session.totalDurationSeconds == 4)
        #expect(throws: LogError.self) { try SessionReport.build(session: "nope", source: temporary.root) }
    }

    /// Events as one session replays them, numbered in order.
    static func replayed(_ events: [MetricEvent]) -> [ReplayedEvent] {
        events.enumerated().map { ReplayedEvent(session: "s", sequence: UInt64($0.offset), event: $0.element) }
    }

    /// A reducer folded over every event, and two folded over the events before and from `splitAt`.
    static func folded<R: MetricsReducer>(_: R.Type, _ replayed: [ReplayedEvent], splitAt: Int) -> (whole: R, left: R, right: R) {
        var whole = R(), left = R(), right = R()
        replayed.forEach { whole.apply($0) }
        replayed.prefix(splitAt).forEach { left.apply($0) }
        replayed.dropFirst(splitAt).forEach { right.apply($0) }
        return (whole, left, right)
    }

    @Test("reducers merge: replaying parts and merging equals replaying the whole, in either order")
    func merge() throws {
        let replayed = Self.replayed(EventGenerator.cookSession(iterations: 12, seed: 4))
        let (whole, left, right) = Self.folded(SessionReducer.self, replayed, splitAt: 40)
        var forward = left
        forward.merge(right)
        var backward = right
        backward.merge(left)
        #expect(forward.result() == whole.result())
        #expect(backward.result() == whole.result())
        var (commands, commandParts, tail) = Self.folded(CommandReducer.self, replayed, splitAt: 30)
        commandParts.merge(tail)
        #expect(commandParts.result().map(\.runs) == commands.result().map(\.runs))
        #expect(commandParts.result().map(\.p95Seconds) == commands.result().map(\.p95Seconds))
    }

    @Test("errors outside any iteration are kept by the iteration fold, in recording order across merged parts")
    func errorsOutsideIterationsMerge() {
        let iterationTags: [Int: String] = [2: "3", 4: "x"]
        let events: [MetricEvent] = (0..<6).map { (index: Int) -> MetricEvent in
            let data: JSONValue = ["kind": "k", "message": .string("e\(index)")]
            var tags: Tags = [:]
            if let tag = iterationTags[index] { tags["iteration"] = tag }
            return .custom(name: "error", data: data, tags: tags, timestamp: at(Double(10 - index % 2)))
        }
        let (whole, left, folded) = Self.folded(IterationReducer.self, Self.replayed(events), splitAt: 3)
        var right = folded
        right.merge(left)
        // By time, then sequence: e1, e3, e5 at 9 s come before e0, e4 at 10 s (e2 is iteration 3's).
        #expect(whole.errorsOutsideIterations.map(\.message) == ["e1", "e3", "e5", "e0", "e4"])
        #expect(right.errorsOutsideIterations == whole.errorsOutsideIterations)
        #expect(whole.result().map(\.errors.count) == [1])
    }

    @Test("a user-defined reducer runs through the same replay")
    func customReducer() throws {
        struct SlowestIteration: MetricsReducer {
            var best: (Int, Double)?
            init() {}
            mutating func apply(_ event: ReplayedEvent) {
                guard event.event.name == "iteration.duration", case .timer(let duration) = event.event.value,
                    let iteration = event.event.tags["iteration"].flatMap({ Int($0) })
                else { return }
                if best.map({ duration.secondsAsDouble > $0.1 }) ?? true { best = (iteration, duration.secondsAsDouble) }
            }
            mutating func merge(_ other: SlowestIteration) {
                if let theirs = other.best, best.map({ theirs.1 > $0.1 }) ?? true { best = theirs }
            }
            func result() -> Int? { best?.0 }
        }
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        #expect(try Replay.run(SlowestIteration.self, source: root) == 1)
    }
}

extension ReducerTests {
    @Test("commands are told apart by their bytes, as query groups are: 'cé' and 'ce\\u{301}' are two commands")
    func unicodeEquivalentCommands() {
        var reducer = CommandReducer()
        for (index, command) in ["c\u{E9}", "ce\u{301}", "ce\u{301}"].enumerated() {
            reducer.apply(ReplayedEvent(session: "s", sequence: UInt64(index), event: .timer(name: "command.duration", duration: .seconds(1), tags: ["command": command])))
        }
        let result = reducer.result()
        #expect(result.map { Array($0.command.utf8) } == [Array("ce\u{301}".utf8), Array("c\u{E9}".utf8)])
        #expect(result.map(\.runs) == [2, 1])
    }

    @Test("found by a hostile review of report: errors outside iterations, counts past Int64, control characters, markup from data, odd iteration tags, hidden commands, sub-millisecond axes")
    func reportReviewFindings() throws {
        let directory = TemporaryDirectory()
        func error(_ message: String, iteration: String?) -> MetricEvent {
            .custom(name: "error", data: ["kind": "x`y|<b>", "message": .string(message)], tags: iteration.map { ["iteration": $0] } ?? [:], timestamp: at(5))
        }
        var events: [MetricEvent] = [
            .custom(name: "session.end", data: ["status": "done\u{1B}[2J\n<script>alert(1)</script>"], timestamp: at(99)),
            .timer(name: "iteration.duration", duration: .seconds(2), tags: ["iteration": "1"], timestamp: at(2)),
            .timer(name: "iteration.duration", duration: .seconds(7), tags: ["iteration": "01"], timestamp: at(3)),
            .timer(name: "iteration.duration", duration: .seconds(7), tags: ["iteration": "+5"], timestamp: at(3)),
            .counter(name: "git.lines_added", value: .max, tags: ["iteration": "1"], timestamp: at(4)),
            .counter(name: "git.lines_added", value: 1, tags: ["iteration": "1"], timestamp: at(4)),
            .counter(name: "git.lines_removed", value: -4, tags: ["iteration": "1"], timestamp: at(4)),
            .gauge(name: "quality.test_coverage", value: 50, tags: ["iteration": "cook-1"], timestamp: at(4)),
            error("in one", iteration: "1"), error("no tag", iteration: nil), error("zero-padded", iteration: "01"),
        ]
        for index in 0..<12 {
            events.append(.timer(name: "command.duration", duration: .microseconds(200 * (index + 1)), tags: ["command": "c\(index)", "iteration": "1"], timestamp: at(6)))
        }
        try writeSession(directory.root, "odd`id|x", events)
        let report = try SessionReport.build(session: "odd`id|x", source: directory.root)

        // Every error counts (4 of 5 did), the ones without an integer tag outside any iteration; 01 and +5 are no iteration 1 and 5.
        #expect(report.errors.count == 3)
        #expect(report.errors.map(\.iteration) == [1, nil, nil])
        #expect(report.session.iterations.map(\.iterationNumber) == [1])
        #expect(report.session.iterations.first?.durationSeconds == 2)
        let text = report.text()
        #expect(text.contains("3 errors"))
        #expect(text.contains("outside any iteration  x`y|<b>: no tag"))
        // Past Int64: at the limit and said so (it wrapped to -9223372036854775808); a negative count keeps its sign.
        #expect(report.session.iterations.first?.linesAdded == .max)
        #expect(report.overflowedIterations == [1])
        #expect(text.contains("+9223372036854775807") && text.contains("+4") && !text.contains("+-") && !text.contains("--4"))
        #expect(text.contains("past 2^63 in iteration 1"))
        // No control character from the data reaches the terminal (ESC [2J cleared it).
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B } && text.contains("done\\u{1B}[2J\\n<script>"))
        #expect(text.contains("… and 2 more commands"))
        // Markdown: no markup from the data; code spans hold their backticks.
        let markdown = report.markdown()
        #expect(!markdown.contains("<script"))  // <b> stays in code spans, where it is text
        #expect(markdown.contains("### Cook session ``odd`id|x``: done\\\\u{1B}\\[2J\\\\n&lt;script&gt;alert(1)&lt;/script&gt;"), "\(markdown)")
        #expect(markdown.contains("- outside any iteration, ``x`y|<b>``: no tag"))
        #expect(markdown.split(separator: "\n").filter { $0.hasPrefix("| c") }.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false).count == 8 })
        // HTML: escaped, no raw control characters, no empty quality chart for iterations that are no numbers.
        let html = report.html()
        #expect(!html.contains("<script>") && !html.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!html.contains("Quality over iterations"))
        // An axis of 0.5 ms steps reads 0.5ms, 1ms, 1.5ms (it read 0ms 1ms 1ms 2ms).
        #expect(html.contains(">0.5ms<") && html.contains(">1.5ms<"))
        // JSON: the errors outside iterations and the overflow.
        let json = JSONText.encode(report.json())
        #expect(json.contains(#""errors_outside_iterations":[{"kind":"x`y|<b>","message":"no tag"},{"kind":"x`y|<b>","message":"zero-padded"}]"#))
        #expect(json.contains(#""overflowed_iterations":[1]"#))
    }
}
