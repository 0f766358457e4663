import Foundation
import MMMMetrics
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing


@Suite("FileMetricsCollector")
struct FileCollectorTests {
    @Test("a registry records through the file collector into the log; flush makes events readable")
    func throughRegistry() async throws {
        let directory = TemporaryDirectory()
        let registry = MetricsRegistry(config: MetricsConfig())
        let collector = try FileMetricsCollector(root: directory.root, session: "cook-1")
        registry.register(collector)
        let iteration = MetricsContext(registry: registry, tags: ["iteration": "1"])
        await iteration.increment("git.lines_added", by: 12)
        _ = try await iteration.time("command.duration", tags: ["command": "test"]) { try await Task.sleep(for: .milliseconds(1)) }
        await iteration.gauge("quality.test_coverage", value: 83.5)
        try await registry.flush()
        let read = try readSession(directory.root, "cook-1")
        #expect(read.map(\.name) == ["git.lines_added", "command.duration", "quality.test_coverage"])
        #expect(read[0].tags == ["iteration": "1"])
        #expect(collector.statistics.written == 3)
        #expect(collector.statistics.errors == 0)
        try await collector.close()
        #expect(try LogMaintenance(root: directory.root).summaries().sessions.first?.lastSegmentSealed == true)
    }

    @Test("CollectorConfig.file(path:) resolves once the factory is installed")
    func configured() async throws {
        let directory = TemporaryDirectory()
        let factories = CollectorFactories()
        FileMetricsCollector.install(into: factories, session: "configured")
        let registry = try MetricsRegistry.configured(
            MetricsConfig(collectors: [.file(path: directory.root.path)], flushInterval: .milliseconds(20)), factories: factories) { _ in }
        await registry.increment("x")
        try await registry.flush()
        #expect(try readSession(directory.root, "configured").count == 1)
        let generated = FileMetricsCollector.generatedSessionID()
        #expect(generated.hasSuffix("-\(getpid())"))
        #expect(generated.count >= 18)
    }

    @Test("events are written on the flush interval without an explicit flush")
    func intervalFlush() async throws {
        let directory = TemporaryDirectory()
        let collector = try FileMetricsCollector(root: directory.root, session: "s", options: .init(flushInterval: .milliseconds(20)))
        try await collector.record(.counter(name: "c", value: 1, timestamp: .now()))
        var seen = 0
        for _ in 0..<500 where seen == 0 {
            try await Task.sleep(for: .milliseconds(10))
            seen = (try? readSession(directory.root, "s").count) ?? 0
        }
        #expect(seen == 1)
        try await collector.close()
    }

    @Test("a full buffer drops and counts with .drop, and never grows")
    func overflowDrop() async throws {
        let directory = TemporaryDirectory()
        let failures = FailureLog()
        let collector = try FileMetricsCollector(
            root: directory.root, session: "s", options: .init(bufferSize: 10, flushInterval: .seconds(60), overflow: .drop),
            errorHandler: failures.handler)
        let events = (0..<100).map { MetricEvent.counter(name: "c", value: Int64($0), timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64($0))) }
        try await collector.record(contentsOf: events)
        let dropped = collector.statistics.dropped
        #expect(dropped >= 90 - 10)  // the writer may have taken a batch meanwhile
        #expect(failures.all.contains { $0.operation == .overflow })
        try await collector.flush()
        #expect(try readSession(directory.root, "s").count == 100 - dropped)
        try await collector.close()
    }

    @Test("with .wait, a full buffer waits for room instead of dropping")
    func overflowWait() async throws {
        let directory = TemporaryDirectory()
        let collector = try FileMetricsCollector(
            root: directory.root, session: "s",
            options: .init(writer: LogWriterOptions(blockMaxEvents: 5), bufferSize: 10, flushInterval: .seconds(60), overflow: .wait(.seconds(20))))
        let events = (0..<200).map { MetricEvent.counter(name: "c", value: Int64($0), timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64($0))) }
        try await collector.record(contentsOf: events)
        try await collector.flush()
        #expect(collector.statistics.dropped == 0)
        #expect(try readSession(directory.root, "s").map(\.counterValue) == (0..<200).map { Int64($0) })
        try await collector.close()
    }

    @Test("disk full: errors are counted and reported, never thrown at the recorder; data flushed before is intact; writing resumes")
    func diskFull() async throws {
        let directory = TemporaryDirectory()
        let failures = FailureLog()
        let registryFailures = FailureLog()
        let collector = try FileMetricsCollector(root: directory.root, session: "s", options: .init(flushInterval: .seconds(60)),
                                                 errorHandler: failures.handler)
        let registry = MetricsRegistry(config: MetricsConfig(), errorHandler: registryFailures.handler)
        registry.register(collector, name: "file")
        for index in 0..<5 { await registry.increment("before", by: Int64(index)) }
        try await registry.flush()
        let path = try #require(try directory.root.segmentPaths(session: "s").first)
        let flushedBytes = Corrupter.bytes(path)

        FaultInjection.failWrites(under: directory.path, with: ENOSPC)
        for index in 0..<5 { await registry.increment("during", by: Int64(index)) }  // never throws
        try await registry.flush()  // never throws: the failure is counted
        #expect(collector.statistics.errors >= 1)
        #expect(collector.statistics.lastError?.contains("No space left on device") == true)
        #expect(registry.statistics().first?.errors ?? 0 >= 1)
        #expect(failures.all.contains { $0.message.contains("No space left") })
        #expect(Array(Corrupter.bytes(path).prefix(flushedBytes.count)) == flushedBytes)
        #expect(try readSession(directory.root, "s").map(\.name) == Array(repeating: "before", count: 5))

        FaultInjection.failWrites(under: directory.path, with: nil)
        for index in 0..<5 { await registry.increment("after", by: Int64(index)) }
        try await registry.flush()
        let names = try readSession(directory.root, "s").map(\.name)
        #expect(names == Array(repeating: "before", count: 5) + Array(repeating: "during", count: 5) + Array(repeating: "after", count: 5))
        try await collector.close()
        #expect(try LogMaintenance(root: directory.root).verify().isEmpty)
    }

    @Test("a second collector on the same session fails at creation with the holder's pid")
    func lockedSession() async throws {
        let directory = TemporaryDirectory()
        let first = try FileMetricsCollector(root: directory.root, session: "s")
        #expect(throws: LogError.self) { try FileMetricsCollector(root: directory.root, session: "s") }
        try await first.close()
        #expect(first.recovery == nil)
    }
}
