@testable import MMMMetricsCore
import Testing

@Suite("Pre-bound handles: samples made whole by the consumer")
struct BoundSeriesTests {
    @Test("handle samples and whole events reach a collector in recording order, each as recorded")
    func interleaved() async throws {
        let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 10_000), errorHandler: { _ in })
        let memory = MemoryMetricsCollector(capacity: 10_000)
        registry.register(memory)
        let counter = registry.counter("command.executed", tags: ["command": "build"])
        let gauge = registry.gauge("quality.test_coverage", tags: ["suite": "unit"])
        let timer = registry.timer("command.duration")
        var expected: [(String, MetricValue, Tags)] = []
        for step in 0..<600 {
            switch step % 4 {
            case 0:
                counter.increment(by: Int64(step) - 300)
                expected.append(("command.executed", .counter(Int64(step) - 300), ["command": "build"]))
            case 1:
                gauge.set(Double(step) / 7)
                expected.append(("quality.test_coverage", .gauge(Double(step) / 7), ["suite": "unit"]))
            case 2:
                timer.record(.nanoseconds(step * 1_001))
                expected.append(("command.duration", .timer(.nanoseconds(step * 1_001)), [:]))
            default:
                await registry.record(MetricEvent(name: "error.occurred", value: .custom(.object(["step": .integer(Int64(step))])), tags: ["kind": "test"]))
                expected.append(("error.occurred", .custom(.object(["step": .integer(Int64(step))])), ["kind": "test"]))
            }
            // A flush now and then lands between samples: the consumer delivers up to it and goes on.
            if step % 97 == 0 { try await registry.flush() }
        }
        try await registry.flush()
        let events = memory.events
        #expect(events.count == expected.count)
        for (event, (name, value, tags)) in zip(events, expected) {
            #expect(event.name == name && event.value == value && event.tags == tags)
            #expect(event.timestamp != nil)
        }
        // Timestamps are taken when recorded, so they never go back within one recorder.
        let stamps = events.compactMap { $0.timestamp?.nanosecondsSinceEpoch }
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("a series is numbered once per distinct bytes of name, keys and values")
    func numbering() {
        let registry = MetricsRegistry(config: MetricsConfig(), errorHandler: { _ in })
        let first = registry.counter("a", tags: ["k": "v"]).binding?.series
        #expect(first != nil)
        #expect(registry.counter("a", tags: ["k": "v"]).binding?.series == first)
        #expect(registry.gauge("a", tags: ["k": "v"]).binding?.series == first)  // the kind travels with the value
        // Swift calls these strings equal; the log keeps their bytes apart, and so do the series.
        let composed = registry.counter("caf\u{E9}").binding?.series
        let decomposed = registry.counter("cafe\u{301}").binding?.series
        #expect(composed != nil && decomposed != nil && composed != decomposed)
        #expect(registry.counter("a", tags: ["k": "w"]).binding?.series != first)
        #expect(registry.boundSeries.all.count == 4)
    }

    @Test("when the table is full, new handles record whole events, still delivered")
    func fullTable() async throws {
        let registry = MetricsRegistry(config: MetricsConfig(), errorHandler: { _ in })
        let memory = MemoryMetricsCollector()
        registry.register(memory)
        for number in 0..<BoundSeriesTable.capacity {
            #expect(registry.counter("series", tags: ["n": String(number)]).binding?.series == Int32(number))
        }
        let late = registry.counter("late", tags: ["n": "late"])
        #expect(late.binding != nil && late.binding?.series == nil)
        late.increment(by: 7)
        registry.counter("series", tags: ["n": "12"]).increment(by: 3)  // an existing series still has its number
        try await registry.flush()
        #expect(memory.events.map(\.name) == ["late", "series"])
        #expect(memory.events.map(\.value) == [.counter(7), .counter(3)])
        #expect(memory.events.last?.tags == ["n": "12"])
    }
}
