import Logging
import MMMMetrics
import MMMMetricsTestSupport
import Testing

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
