public import CoreMetrics
public import MMMMetricsCore

/// An apple/swift-metrics backend: every metric a Swift library records through swift-metrics
/// becomes a ``MetricEvent`` in a ``MetricsRegistry``.
///
/// Mapping (labels become names, dimensions become tags; see docs/SWIFT-METRICS.md):
/// - `Counter.increment(by: n)` → `counter` event with value `n`; `reset()` records nothing.
/// - `FloatingPointCounter.increment(by: x)` → `gauge` event with the running total; `reset()` → `gauge` 0.
/// - `Meter.set(v)`, `increment(by:)`, `decrement(by:)` → `gauge` event with the meter's new value.
/// - `Gauge.record(v)` and `Recorder.record(v)` (aggregating or not) → `gauge` event with `v`.
/// - `Timer.recordNanoseconds(n)` → `timer` event of `n` nanoseconds.
///
/// Handlers are bound once (``MetricsRegistry/counter(_:tags:)`` and friends), so each call does
/// no string or tag work and never blocks.
public struct MMMMetricsFactory: MetricsFactory {
    /// The registry events go to.
    public let registry: MetricsRegistry

    /// A factory recording into `registry`.
    public init(registry: MetricsRegistry) {
        self.registry = registry
    }

    private func tags(_ dimensions: [(String, String)]) -> Tags { Tags(dimensions) }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        CounterBackend(handle: registry.counter(label, tags: tags(dimensions)))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        LevelBackend(handle: registry.gauge(label, tags: tags(dimensions)))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        LevelBackend(handle: registry.gauge(label, tags: tags(dimensions)))
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        LevelBackend(handle: registry.gauge(label, tags: tags(dimensions)))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        TimerBackend(handle: registry.timer(label, tags: tags(dimensions)))
    }

    // Handlers hold no resources beyond their binding: nothing to release.
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}

final class CounterBackend: CounterHandler {
    let handle: CounterHandle
    init(handle: CounterHandle) { self.handle = handle }
    func increment(by amount: Int64) { handle.increment(by: amount) }
    func reset() {}
}

/// Floating-point counters, meters and recorders: a level that is recorded as a gauge.
final class LevelBackend: FloatingPointCounterHandler, MeterHandler, RecorderHandler {
    let handle: GaugeHandle
    private let level = LockedState(0.0)

    init(handle: GaugeHandle) { self.handle = handle }

    private func update(_ change: (inout Double) -> Void) {
        handle.set(level.withLock { value in
            change(&value)
            return value
        })
    }

    // FloatingPointCounterHandler
    func increment(by amount: Double) { update { $0 += amount } }
    func reset() { update { $0 = 0 } }
    // MeterHandler
    func set(_ value: Int64) { update { $0 = Double(value) } }
    func set(_ value: Double) { update { $0 = value } }
    func decrement(by amount: Double) { update { $0 -= amount } }
    // RecorderHandler
    func record(_ value: Int64) { update { $0 = Double(value) } }
    func record(_ value: Double) { update { $0 = value } }
}

final class TimerBackend: TimerHandler {
    let handle: TimerHandle
    init(handle: TimerHandle) { self.handle = handle }
    func recordNanoseconds(_ duration: Int64) { handle.recordNanoseconds(duration) }
}
