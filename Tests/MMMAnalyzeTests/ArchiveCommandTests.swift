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
    func cli() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let archive = temporary.path + "/cook.mmmar"
        #expect(try await runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", archive]).status == 0)
        let report = try await runAnalyzer(["report", "--log", archive, "--session", "fixture-cook"])
        #expect(report.out == (try await runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook"])).out)
        #expect(try await runAnalyzer(["verify", "--log", archive]).status == 0)
        #expect(try await runAnalyzer(["sessions", "--log", archive]).out.contains("fixture-cook"))
        #expect(try await runAnalyzer(["export", "--log", archive]).out.split(separator: "\n").count == 37)
        let target = temporary.path + "/target"
        let first = try await runAnalyzer(["import", "--log", target, archive])
        #expect(first.status == 0)
        #expect(first.err.contains("imported session fixture-cook: 37 events"))
        let again = try await runAnalyzer(["import", "--log", target, archive])
        #expect(again.status != 0)
        #expect(again.err.contains("already exists"))
        #expect(try await runAnalyzer(["import", "--log", target, "--as", "second", archive]).status == 0)
        let refused = try await runAnalyzer(["recover", "--log", archive])
        #expect(refused.status != 0)
        #expect(refused.err.contains("read-only"))
    }
}
