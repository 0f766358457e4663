import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
import MMMMetricsLegacy
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("mmm-analyze: legacy files")
struct LegacyCommandTests {
    @Test("the CLI imports legacy files, says how to when a report finds only them, and exports legacy-current")
    func cli() async throws {
        let temporary = TemporaryDirectory()
        let metrics = temporary.path + "/.mmm/metrics"
        try LegacyFixtures.currentJSON(in: metrics)
        let hint = try await runAnalyzer(["report", "--session", "old"], directory: temporary.path)
        #expect(hint.status != 0)
        #expect(hint.err.contains("mmm-analyze import-legacy --log .mmm/metrics --session old"))
        let imported = try await runAnalyzer(["import-legacy", "--session", "old", metrics + "/current.json"], directory: temporary.path)
        #expect(imported.status == 0)
        let report = try await runAnalyzer(["report", "--session", "old", "--format", "json"], directory: temporary.path)
        #expect(report.status == 0)
        #expect(report.out.contains("\"test_coverage\":"))
        let broken = temporary.path + "/broken.json"
        try "{ nope".write(toFile: broken, atomically: true, encoding: .utf8)
        let failed = try await runAnalyzer(["import-legacy", "--session", "other", broken], directory: temporary.path)
        #expect(failed.status != 0)
        #expect(failed.err.contains("broken.json: not valid JSON"))
        let export = try await runAnalyzer(["export", "--session", "old", "--format", "legacy-current"], directory: temporary.path)
        #expect(export.status == 0)
        _ = try StrictProjectMetrics.decodeStrictly(Data(contentsOf: URL(fileURLWithPath: metrics + "/current.json")))
        #expect(try await runAnalyzer(["export", "--format", "legacy-current"], directory: temporary.path).status != 0)
    }
}
