@_spi(Fuzzing) import MMMMetricsLegacy
import MMMMetricsTestSupport
import Testing

@Suite("Fuzzing inputs replayed: legacy import")
struct LegacyFuzzReplayTests {
    @Test("the legacy target's seeds pass its invariants (events in time order that store and decode unchanged)")
    func legacy() {
        #expect(FuzzInputs.replay("legacy", through: LegacyFuzzEntryPoints.legacyImport) >= 4)
    }
}
