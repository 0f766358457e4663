import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// The HTML report's charts: axes from 0 to a nice tick, every iteration labelled, errors marked.
@Suite("mmm-analyze: HTML report charts")
struct ReportChartTests {
    @Test("an axis runs from 0 to the first 1-2-5 tick at or above the maximum, in at most six steps")
    func niceAxis() {
        #expect(SessionReport.niceAxis(0) == (1, 0.2))
        #expect(SessionReport.niceAxis(-3) == (1, 0.2))
        #expect(SessionReport.niceAxis(.nan) == (1, 0.2))
        #expect(SessionReport.niceAxis(7.3) == (8, 2))
        #expect(SessionReport.niceAxis(10) == (10, 2))
        #expect(SessionReport.niceAxis(131) == (150, 50))
        #expect(SessionReport.niceAxis(0.042) == (0.05, 0.01))
        let huge = SessionReport.niceAxis(.greatestFiniteMagnitude)
        #expect(huge.top.isFinite && huge.top >= .greatestFiniteMagnitude)
        var random = SeededRandom(seed: 12)
        for _ in 0..<2000 {
            let maximum = Double(random.next() % 1_000_000 + 1) * [1e-6, 1e-3, 1, 1e3, 1e9][Int(random.next() % 5)]
            let (top, step) = SessionReport.niceAxis(maximum)
            #expect(top >= maximum && top - step < maximum * (1 + 1e-12), "\(maximum)")
            let ticks = (top / step).rounded()
            #expect(ticks >= 1 && ticks <= 6 && abs(ticks * step - top) <= top * 1e-12, "\(maximum)")
            var mantissa = step
            while mantissa >= 10 { mantissa /= 10 }
            while mantissa < 1 { mantissa *= 10 }
            #expect([1.0, 2, 5].contains { abs($0 - mantissa) < 1e-9 }, "\(maximum): step \(step)")
        }
        #expect(SessionReport.labelEvery(slot: 30, room: 20) == 1)
        #expect(SessionReport.labelEvery(slot: 8, room: 20) == 3)
        #expect(SessionReport.labelEvery(slot: 0, room: 20) == 1)
    }

    /// A cook session of `iterations` iterations with errors in `failing`.
    static func report(iterations: Int, failing: [Int]) throws -> (SessionReport, TemporaryDirectory, LogRoot) {
        let temporary = TemporaryDirectory()
        let root = LogRoot(path: temporary.path + "/log")
        var events = EventGenerator.cookSession(iterations: iterations, seed: 5)
        let end = events.removeLast()
        for iteration in failing {
            events.append(.custom(name: "error", data: ["message": "lint failed", "kind": "lint"], tags: ["iteration": "\(iteration)"], timestamp: end.timestamp))
        }
        events.append(end)
        try writeSession(root, "charts", events)
        return (try SessionReport.build(session: "charts", source: root), temporary, root)
    }

    @Test("every iteration is labelled on the x axis, iterations with errors are marked, the duration axis tops at a nice tick")
    func labelsAndErrors() throws {
        let (report, _, _) = try Self.report(iterations: 12, failing: [3, 7, 7])
        let html = report.html()
        let bars = String(html[html.range(of: "aria-label=\"iteration durations\"")!.lowerBound...].prefix { $0 != "\n" })
        for iteration in 1...12 { #expect(bars.contains("text-anchor=\"middle\">\(iteration)</text>"), "iteration \(iteration)") }
        // Two failing iterations, the second with two errors.
        #expect(bars.components(separatedBy: "class=\"error-mark\"").count - 1 == 2)
        #expect(bars.contains(">✕2</text>"))
        #expect(bars.components(separatedBy: "fill=\"#eb3b5a\"").count - 1 == 2)
        // Every iteration lasts 5 s: the axis is 0 to 5 s in 1 s steps.
        #expect(bars.contains(">5.0s</text>") && bars.contains(">0ms</text>") && !bars.contains(">6.0s</text>"))
        // The quality chart marks the failing iterations' points and labels every iteration.
        #expect(html.contains("iteration 3: 63 (errors)"))
        #expect(html.contains("iteration 7: 67 (errors)"))
        #expect(!html.contains("iteration 4: 64 (errors)"))
        #expect(html.contains("class=\"error-mark\">7</text>"))
    }

    @Test("with many iterations every k-th is labelled, evenly, the first included")
    func manyIterations() throws {
        let (report, _, _) = try Self.report(iterations: 150, failing: [100])
        let html = report.html()
        let bars = String(html[html.range(of: "aria-label=\"iteration durations\"")!.lowerBound...].prefix { $0 != "\n" })
        let labelled = (1...150).filter { bars.contains("text-anchor=\"middle\">\($0)</text>") }
        #expect(labelled.first == 1)
        #expect(labelled.count > 10 && labelled.count < 150)
        let step = labelled[1] - labelled[0]
        #expect(zip(labelled, labelled.dropFirst()).allSatisfy { $1 - $0 == step })
        #expect(bars.contains("(one label every \(step))"))
        #expect(bars.components(separatedBy: "class=\"error-mark\"").count - 1 == 1)
    }

    @Test("a rendered report is written by the CLI; an empty session renders without charts")
    func renderedByCLI() async throws {
        let (_, temporary, root) = try Self.report(iterations: 6, failing: [2])
        let file = temporary.path + "/report.html"
        let result = try await runAnalyzer(["report", "--log", root.path, "--latest", "--format", "html", "-o", file])
        #expect(result.status == 0, "\(result.err)")
        let html = try String(contentsOfFile: file, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("error-mark"))
        try writeSession(root, "plain", [.counter(name: "command.executed", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
        #expect(!(try SessionReport.build(session: "plain", source: root)).html().contains("<svg"))
    }
}
