import Foundation
import MMMMetricsCore
import MMMMetricsLegacy
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// One test per defect that hostile testing of the released tool found (issue "No silent loss, no
/// silent wrong answer, no crash"); each failed on the code before its fix.
@Suite("Hardening: legacy files and positions")
struct LegacyHardeningTests {
    @Test("legacy durations too large for nanoseconds are errors naming the key")
    func legacyDurations() throws {
        for (json, key) in [(#""compile_time": 1e10"#, "compile_time"), (#""compile_time": 1e300"#, "compile_time"),
                            (#""command_timings": {"build": 1e19}"#, "command_timings.build"),
                            (#""iteration_duration": {"secs": 9223372036854775807, "nanos": 0}"#, "iteration_duration")] {
            let text = #"{"test_coverage": 50, "timestamp": "2026-11-28T10:00:00Z", "# + json + "}"
            #expect(throws: LegacyError.self) { try LegacyImport.events(fromFile: "current.json", bytes: Array(text.utf8)) }
            do {
                _ = try LegacyImport.events(fromFile: "current.json", bytes: Array(text.utf8))
            } catch {
                #expect(error.message.contains(key), "\(error)")
            }
        }
    }

    // MARK: 12. Smaller ones

    @Test("error positions: legacy files give line and column, NDJSON columns count characters")
    func errorPositions() throws {
        let text = "{\n  \"test_coverage\": 50,\n  \"timestamp\": tru\n}"
        do {
            _ = try LegacyImport.events(fromFile: "current.json", bytes: Array(text.utf8))
            Issue.record("parsed")
        } catch {
            #expect(error.description.contains("at line 3, column 19"), "\(error)")
        }
        let ndjson = #"{"ts":"2026-11-28T10:00:00Z","name":"ééé","x":}"#
        do {
            _ = try NDJSONEvent.parse(ndjson)
        } catch {
            // The '}' is the 47th character (its byte offset is 49: the three é take two bytes each).
            #expect(error.message.hasSuffix("at column 47"), "\(error)")
        }
    }
}
