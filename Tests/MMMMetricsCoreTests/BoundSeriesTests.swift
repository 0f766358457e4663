#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
        #expect(registry.boundSeries.count == 4)
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

/// Counts what it receives; thread-safe.
private final class CountingCollector: MetricsCollector {
    let received = LockedState(0)
    func record(_ event: MetricEvent) async throws { received.withLock { $0 += 1 } }
    func record(contentsOf events: [MetricEvent]) async throws { received.withLock { $0 += events.count } }
    func flush() async throws {}
}

@Suite("The collector channel under concurrent recorders, flushes and close")
struct CollectorChannelRaceTests {
    @Test("recorders on four threads with flushes between them: every event delivered, every flush in time")
    func recordersAndFlushes() async throws {
        for round in 0..<20 {
            let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 1_000_000, flushTimeout: .seconds(20)), errorHandler: { _ in })
            let collector = CountingCollector()
            registry.register(collector)
            let counter = registry.counter("c", tags: ["round": String(round)])
            let flushing = Task {
                while !Task.isCancelled {
                    try? await registry.flush()
                    await Task.yield()
                }
            }
            await withTaskGroup(of: Void.self) { group in
                for recorder in 0..<4 {
                    group.addTask {
                        for step in 0..<5_000 {
                            if step % 2 == recorder % 2 { counter.increment() } else { await registry.increment("d") }
                            if step % 64 == 0 { await Task.yield() }
                        }
                    }
                }
            }
            flushing.cancel()
            await flushing.value
            try await registry.flush()
            let statistics = registry.statistics()[0]
            #expect(statistics.flushTimeouts == 0, "round \(round): \(statistics)")
            #expect(statistics.dropped == 0 && statistics.delivered == 20_000 && collector.received.withLock { $0 } == 20_000,
                    "round \(round): \(statistics)")
            if statistics.flushTimeouts > 0 { return }
        }
    }

    @Test("close while recorders offer: every event an offer accepted is delivered before the consumer ends")
    func closeWhileOffering() async throws {
        for _ in 0..<200 {
            let collector = CountingCollector()
            let channel = CollectorChannel(name: "count", collector: collector, capacity: 1_000_000,
                                           boundSeries: BoundSeriesTable(), errorHandler: { _ in })
            let consumer = Task.detached { await channel.run() }
            let accepted = LockedState(0)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        for step in 0..<300 {
                            if channel.offer(.event(MetricEvent(name: "e", value: .counter(Int64(step))))) { accepted.withLock { $0 += 1 } }
                            if step % 16 == 0 { await Task.yield() }
                        }
                    }
                }
                group.addTask {
                    await Task.yield()
                    channel.close()
                }
            }
            await consumer.value
            #expect(collector.received.withLock { $0 } == accepted.withLock { $0 })
        }
    }
}

@Suite("The collector channel's wake-up window, widened")
struct CollectorChannelWakeTests {
    /// A channel whose offers pause for 20 ms between appending and waking a waiting consumer.
    private func slowWaking(_ collector: CountingCollector) -> CollectorChannel {
        CollectorChannel(name: "count", collector: collector, capacity: 1_000, boundSeries: BoundSeriesTable(),
                         errorHandler: { _ in }, beforeWaking: { usleep(20_000) })
    }

    @Test("a flush that delivers an offer's event before the offer wakes the consumer does not end the consumer")
    func flushInsideTheWindow() async throws {
        let collector = CountingCollector()
        let channel = slowWaking(collector)
        let consumer = Task.detached { await channel.run() }
        try await Task.sleep(for: .milliseconds(50))  // the consumer waits
        let offering = Task.detached { channel.offer(.event(MetricEvent(name: "a", value: .counter(1)))) }
        try await Task.sleep(for: .milliseconds(5))  // the offer appended and pauses
        #expect(await channel.flush(timeout: .seconds(10)))
        #expect(await offering.value)
        try await Task.sleep(for: .milliseconds(50))
        // The consumer still runs: a later event is delivered and flushed.
        #expect(channel.offer(.event(MetricEvent(name: "b", value: .counter(1)))))
        #expect(await channel.flush(timeout: .seconds(10)))
        #expect(collector.received.withLock { $0 } == 2)
        channel.close()
        await consumer.value
    }

    @Test("close inside the window: the event the offer accepted is delivered before the consumer ends")
    func closeInsideTheWindow() async throws {
        let collector = CountingCollector()
        let channel = slowWaking(collector)
        let consumer = Task.detached { await channel.run() }
        try await Task.sleep(for: .milliseconds(50))
        let offering = Task.detached { channel.offer(.event(MetricEvent(name: "a", value: .counter(1)))) }
        try await Task.sleep(for: .milliseconds(5))
        channel.close()
        #expect(await offering.value)
        await consumer.value
        #expect(collector.received.withLock { $0 } == 1)
    }
}

@Suite("The collector channel's rest between batches")
struct CollectorChannelRestTests {
    @Test("a resting consumer is woken when the buffer is half full, not before")
    func halfFullEndsTheRest() async throws {
        let collector = CountingCollector()
        let channel = CollectorChannel(name: "count", collector: collector, capacity: 100, boundSeries: BoundSeriesTable(),
                                       errorHandler: { _ in }, restDuration: .seconds(30))
        let consumer = Task.detached { await channel.run() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(channel.offer(.event(MetricEvent(name: "first", value: .counter(1)))))  // woken at once, then rests
        try await Task.sleep(for: .milliseconds(200))
        #expect(collector.received.withLock { $0 } == 1)
        for _ in 0..<49 { #expect(channel.offer(.event(MetricEvent(name: "e", value: .counter(1))))) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(collector.received.withLock { $0 } == 1)  // 49 undelivered: below half, still resting
        #expect(channel.offer(.event(MetricEvent(name: "e", value: .counter(1)))))  // the 50th undelivered
        let deadline = ContinuousClock.now + .seconds(10)
        while collector.received.withLock({ $0 }) < 51, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(collector.received.withLock { $0 } == 51)
        #expect(channel.statistics.dropped == 0)
        channel.close()
        await consumer.value
    }
}
