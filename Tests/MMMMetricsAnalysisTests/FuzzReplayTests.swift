@_spi(Fuzzing) import MMMMetricsAnalysis
import MMMMetricsTestSupport
import Testing

@Suite("Fuzzing inputs replayed: analysis")
struct AnalysisFuzzReplayTests {
    @Test("the query target's seeds pass its invariants (errors point inside the query, selections build)")
    func query() {
        #expect(FuzzInputs.replay("query", through: AnalysisFuzzEntryPoints.query) >= 10)
    }
}
