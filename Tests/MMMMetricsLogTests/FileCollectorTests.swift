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

    @Test("a close that fails (disk full) counts the events it could not write as dropped; a second close or flush returns at once", .timeLimit(.minutes(1)))
    func failedClose() async throws {
        let directory = TemporaryDirectory()
        let failures = FailureLog()
        let collector = try FileMetricsCollector(root: directory.root, session: "s", options: .init(flushInterval: .seconds(60)),
                                                 errorHandler: failures.handler)
        try await collector.record(contentsOf: (0..<3).map { MetricEvent.counter(name: "early", value: Int64($0)) })
        try await collector.flush()
        FaultInjection.failWrites(under: directory.path, with: ENOSPC)
        try await collector.record(contentsOf: (0..<50).map { MetricEvent.counter(name: "late", value: Int64($0)) })
        await #expect(throws: LogError.self) { try await collector.close() }
        let statistics = collector.statistics
        // Every event is accounted for: written or dropped (before, 50 were in no count).
        #expect(statistics.written + statistics.dropped == 53, "\(statistics)")
        #expect(failures.all.contains { $0.message.contains("closing failed") })
        // Before, both hung: the writing thread had ended and nothing answered. Now both return (the
        // loss was said once, by the close that failed).
        try await collector.close()
        try await collector.flush()
        #expect(collector.statistics == statistics)
        FaultInjection.failWrites(under: directory.path, with: nil)
        #expect(try readSession(directory.root, "s").map(\.name).prefix(3) == ["early", "early", "early"])
    }

    @Test("a file collector built from configuration says what it refuses through the registry, and the registry's shutdown closes it: its segment sealed, the session free again")
    func configuredCollectorClosed() async throws {
        let directory = TemporaryDirectory()
        let factories = CollectorFactories()
        FileMetricsCollector.install(into: factories, session: "cfg")
        let config = MetricsConfig(collectors: [.file(path: directory.root.path)])
        let failures = FailureLog()
        let registry = try MetricsRegistry.configured(config, factories: factories, errorHandler: failures.handler)
        await registry.increment("")
        await registry.increment(String(repeating: "n", count: 5_000))
        await registry.increment("ok")
        try await registry.flush()
        // Before, no handler heard of the two refused events and the registry counted no error.
        #expect(failures.all.contains { $0.message.contains("2 event(s) refused, not stored") }, "\(failures.all)")
        #expect(registry.statistics().first?.errors == 1)
        await registry.shutdown()
        #expect(try LogMaintenance(root: directory.root).summaries().sessions.first?.lastSegmentSealed == true)
        // The lock is released: the session opens again in this process.
        let again = try FileMetricsCollector(root: directory.root, session: "cfg")
        try await again.close()
        #expect(try readSession(directory.root, "cfg").map(\.name) == ["ok"])
    }

    @Test("without an error handler, refusals are thrown by close when no flush said them")
    func refusalsThrownByClose() async throws {
        let directory = TemporaryDirectory()
        let collector = try FileMetricsCollector(root: directory.root, session: "s")
        try await collector.record(contentsOf: [.counter(name: "", value: 1), .counter(name: "ok", value: 1)])
        let refused = await #expect(throws: LogError.self) { try await collector.close() }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("1 event(s) refused, not stored"))
        #expect(collector.statistics.rejected == 1)
        #expect(try readSession(directory.root, "s").map(\.name) == ["ok"])
        #expect(try LogMaintenance(root: directory.root).summaries().sessions.first?.lastSegmentSealed == true)
    }

    @Test("a factory's error names the collector entry as the configuration does")
    func factoryErrorNamesEntry() throws {
        let factories = CollectorFactories()
        FileMetricsCollector.install(into: factories, session: "cfg")
        let config = MetricsConfig(collectors: [.memory, .file(path: "")])
        #expect(throws: MetricsConfigError.invalidValue(key: "metrics.collectors[1].path", value: "\"\"", expected: "a log root directory path")) {
            try MetricsRegistry.configured(config, factories: factories, errorHandler: { _ in })
        }
    }

    @Test("options that cannot work are refused at creation: no buffer, no flush interval")
    func badOptions() throws {
        let directory = TemporaryDirectory()
        for options in [FileMetricsCollector.Options(bufferSize: 0), .init(flushInterval: .zero), .init(flushInterval: .seconds(-1))] {
            #expect(throws: LogError.self) { try FileMetricsCollector(root: directory.root, session: "s", options: options) }
        }
        #expect(!FileManager.default.fileExists(atPath: directory.root.sessionPath("s")))
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
