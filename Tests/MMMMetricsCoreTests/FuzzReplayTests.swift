@_spi(Fuzzing) import MMMMetricsCore
import MMMMetricsTestSupport
import Testing

@Suite("Fuzzing inputs replayed: core")
struct CoreFuzzReplayTests {
    @Test("the json target's seeds pass its invariants (a value that parses encodes to its measured length and parses back)")
    func json() {
        #expect(FuzzInputs.replay("json", through: CoreFuzzEntryPoints.jsonText) >= 5)
    }
}
