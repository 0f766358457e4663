import Logging
import MMMMetrics
import Synchronization
import Testing

/// A swift-log handler that keeps what it is given.
final class CapturingLogHandler: LogHandler, Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])
    var captured: [Entry] { entries.withLock { $0 } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let flat = (event.metadata ?? [:]).mapValues { "\($0)" }
        entries.withLock { $0.append(Entry(level: event.level, message: "\(event.message)", metadata: flat)) }
    }
}

@Suite("swift-log error reporting")
struct LoggingTests {
    @Test("collector failures are logged under one label with the collector and operation as metadata")
    func logsFailures() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: MetricsRegistry.loggerLabel) { _ in handler }
        let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 1, flushTimeout: .milliseconds(50)), logger: logger)
        let hanging = HangingCollector()
        registry.register(FailingCollector(), name: "failing")
        registry.register(hanging, name: "hanging")
        for _ in 0..<5 { await registry.increment("x") }
        try await registry.flush()
        let entries = handler.captured
        #expect(entries.contains { $0.level == .error && $0.message == "disk on fire" && $0.metadata["collector"] == "failing" && $0.metadata["operation"] == "record" })
        #expect(entries.contains { $0.level == .warning && $0.metadata["operation"] == "overflow" && $0.metadata["collector"] == "hanging" })
        #expect(entries.contains { $0.level == .error && $0.metadata["operation"] == "flush timeout" })
        #expect(MetricsRegistry.loggerLabel == "mmm.metrics")
        hanging.release()
    }
}
