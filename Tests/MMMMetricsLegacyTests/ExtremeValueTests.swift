import MMMMetricsAnalysis
import MMMMetricsCore
import MMMMetricsLegacy
import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// Gauges and timers at the edges of what the log stores (found by a hostile review: reports
/// trapped converting 1e20 to an Int).
@Suite("Extreme values in reports and legacy export")
struct ExtremeValueTests {
    static let values: [Double] = [1e20, -1e20, 1e308, -1e308, 9.3e18, .greatestFiniteMagnitude, 0.5e-300]

    @Test("a report in every format prints gauges no Int holds instead of trapping", arguments: values)
    func reportFormats(value: Double) throws {
        let temporary = TemporaryDirectory()
        let time = MetricTimestamp(nanosecondsSinceEpoch: 1_800_000_000_000_000_000)
        let events: [MetricEvent] = [
            .gauge(name: "quality.test_coverage", value: value, tags: ["iteration": "1"], timestamp: time),
            .gauge(name: "quality.lint_warnings", value: value, tags: ["iteration": "1"], timestamp: time),
            .gauge(name: "quality.complexity_score", value: -value, tags: ["iteration": "2"], timestamp: time),
            .timer(name: "command.duration", duration: .nanoseconds(Int64.max), tags: ["command": "build", "iteration": "1"], timestamp: time),
            .timer(name: "iteration.duration", duration: .nanoseconds(Int64.max), tags: ["iteration": "1"], timestamp: time),
        ]
        try writeSession(temporary.root, "edge", events)
        let report = try SessionReport.build(session: "edge", source: temporary.root)
        let text = report.text()
        if abs(value) >= 1e15 { #expect(text.contains("\(value)") || text.contains("\(-value)")) }
        #expect(!report.markdown().isEmpty && !report.html().isEmpty)
        #expect(JSONText.encode(report.json()).utf8.count > 0)
        let legacy = try LegacyExport.currentJSON(session: "edge", source: temporary.root)
        #expect(JSONText.encode(legacy).contains("lint_warnings"))
    }
}
