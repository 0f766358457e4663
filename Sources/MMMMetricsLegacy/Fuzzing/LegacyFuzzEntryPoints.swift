@_spi(Fuzzing) import MMMMetricsCore
@_spi(Fuzzing) import MMMMetricsLog

/// Entry points for the libFuzzer targets in `Tools/Fuzz` (docs/FUZZING.md); not API.
@_spi(Fuzzing) public enum LegacyFuzzEntryPoints {
    /// Files with more events than this are converted but not stored (keeps each run fast).
    static let storeEventLimit = 4096

    /// For the fuzzers: `LegacyImport.events(fromFile:bytes:)`; the events come in timestamp
    /// order, and those within the limits store in a block and decode to the same events, as
    /// `import-legacy` would write them.
    @_spi(Fuzzing) public static func legacyImport(_ bytes: UnsafeRawBufferPointer) {
        let events: [MetricEvent]
        do { events = try LegacyImport.events(fromFile: "fuzz.json", bytes: Array(bytes)) } catch {
            _ = error.description
            return
        }
        for (earlier, later) in zip(events, events.dropFirst()) {
            CoreFuzzEntryPoints.require(earlier.timestamp! <= later.timestamp!, "legacy events out of timestamp order")
        }
        // import-legacy refuses a file with an event over the limits; the others are written.
        let storable = events.allSatisfy { EventLimits.violation($0) == nil }
        if storable, events.count <= storeEventLimit { LogFuzzEntryPoints.checkStorable(events) }
    }
}
