@_spi(Fuzzing) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("Fuzzing inputs replayed: event log")
struct LogFuzzReplayTests {
    @Test("the log targets' seeds and reproducers pass their invariants: lines round-trip, stored segments read, archives import as they read in place",
          arguments: ["ndjson", "rfc3339", "stored-segment", "archive"])
    func replay(target: String) {
        let entry: (UnsafeRawBufferPointer) -> Void = switch target {
        case "ndjson": LogFuzzEntryPoints.ndjsonLines
        case "rfc3339": LogFuzzEntryPoints.rfc3339
        case "stored-segment": LogFuzzEntryPoints.storedSegment
        default: LogFuzzEntryPoints.archive
        }
        #expect(FuzzInputs.replay(target, through: entry) >= 3)
    }
}
