import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
import MMMMetricsLegacy
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("mmm-analyze: archive and import")
struct ArchiveCommandTests {
    @Test("the CLI archives, reads in place with --log FILE and imports")
    func cli() throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let archive = temporary.path + "/cook.mmmar"
        #expect(try runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", archive]).status == 0)
        let report = try runAnalyzer(["report", "--log", archive, "--session", "fixture-cook"])
        #expect(report.out == (try runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook"])).out)
        #expect(try runAnalyzer(["verify", "--log", archive]).status == 0)
        #expect(try runAnalyzer(["sessions", "--log", archive]).out.contains("fixture-cook"))
        #expect(try runAnalyzer(["export", "--log", archive]).out.split(separator: "\n").count == 37)
        let target = temporary.path + "/target"
        let first = try runAnalyzer(["import", "--log", target, archive])
        #expect(first.status == 0)
        #expect(first.err.contains("imported session fixture-cook: 37 events"))
        let again = try runAnalyzer(["import", "--log", target, archive])
        #expect(again.status != 0)
        #expect(again.err.contains("already exists"))
        #expect(try runAnalyzer(["import", "--log", target, "--as", "second", archive]).status == 0)
        let refused = try runAnalyzer(["recover", "--log", archive])
        #expect(refused.status != 0)
        #expect(refused.err.contains("read-only"))
    }
}
