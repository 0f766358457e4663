import CoreMetrics
import MMMMetrics
import MMMMetricsTesting
import MMMSwiftMetrics
import Metrics
import Testing

@Suite("swift-metrics backend")
struct SwiftMetricsBackendTests {
    @Test("each swift-metrics type maps onto the documented events, without a global bootstrap")
    func mapping() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig())
        registry.register(probe.collector)
        let factory = MMMMetricsFactory(registry: registry)

        let counter = Counter(label: "requests", dimensions: [("route", "/a")], factory: factory)
        counter.increment()
        counter.increment(by: 4)
        counter.reset()

        let floating = FloatingPointCounter(label: "bytes", factory: factory)
        floating.increment(by: 1.5)
        floating.increment(by: 2.0)
        floating.reset()

        let meter = Meter(label: "inflight", factory: factory)
        meter.set(3)
        meter.increment(by: 2)
        meter.decrement(by: 1)
        meter.set(Int64(10))
        meter.set(2.5)

        let gauge = Gauge(label: "temperature", factory: factory)
        gauge.record(21.5)
        let recorder = Recorder(label: "sizes", aggregate: true, factory: factory)
        recorder.record(7)
        recorder.record(Int64(9))

        let timer = Metrics.Timer(label: "latency", dimensions: [("op", "read")], factory: factory)
        timer.recordNanoseconds(1_500)
        timer.recordMilliseconds(2)

        counter.destroy()
        floating.destroy()
        meter.destroy()
        gauge.destroy()
        recorder.destroy()
        timer.destroy()
        try await registry.flush()

        probe.assertCounter("requests", expected: 5)
        probe.assertTags("requests", include: ["route": "/a"])
        #expect(probe.events(named: "bytes").map(\.value) == [.gauge(1.5), .gauge(3.5), .gauge(0)])
        #expect(probe.events(named: "inflight").map(\.value) == [.gauge(3), .gauge(5), .gauge(4), .gauge(10), .gauge(2.5)])
        probe.assertGauge("temperature", expected: 21.5)
        #expect(probe.events(named: "sizes").map(\.value) == [.gauge(7), .gauge(9)])
        #expect(probe.events(named: "latency").map(\.value) == [.timer(.nanoseconds(1_500)), .timer(.milliseconds(2))])
        probe.assertTags("latency", include: ["op": "read"])
    }

    @Test("withMetricsFactory routes a library's metrics into the registry")
    func scopedFactory() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig())
        registry.register(probe.collector)
        let factory = MMMMetricsFactory(registry: registry)
        #expect(factory.registry === registry)
        // A library that creates its metrics without naming a factory.
        func libraryCall() {
            Counter(label: "library.calls", dimensions: [("lib", "x")]).increment(by: 3)
        }
        withMetricsFactory(factory) { libraryCall() }
        try await registry.flush()
        probe.assertCounter("library.calls", expected: 3)
        probe.assertTags("library.calls", include: ["lib": "x"])
    }

    @Test("a disabled registry makes inert handlers")
    func disabled() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(enabled: false))
        registry.register(probe.collector)
        let factory = MMMMetricsFactory(registry: registry)
        Counter(label: "x", factory: factory).increment()
        Metrics.Timer(label: "t", factory: factory).recordSeconds(1)
        try await registry.flush()
        probe.assertNoMetrics()
    }
}
