/// A metric bound once to a name and tags, for the high-frequency path.
///
/// Allow/deny, the sampling rate and (when every stage depends only on name and tags) the
/// pipeline are resolved when the binding is made, so each call does no string or tag work:
/// it builds the event from the pre-resolved name and tags, stamps it and hands it over.
@usableFromInline
final class MetricBinding: Sendable {
    let registry: MetricsRegistry
    let name: String
    let tags: Tags
    let rate: Double
    let runsPipelinePerEvent: Bool
    /// The series' number in the registry's ``BoundSeriesTable``: events go to the collectors as
    /// samples. `nil` when the pipeline runs per event (or the table is full).
    let series: Int32?

    /// A binding, or `nil` when the registry is disabled or the name is denied or dropped.
    static func make(registry: MetricsRegistry, name: String, tags: Tags) -> MetricBinding? {
        guard registry.isEnabled else { return nil }
        let policy = registry.policy
        guard policy.admits(name) else { return nil }
        let rate = policy.samplingRate(for: name)
        guard rate > 0 else { return nil }
        if policy.pipelineIsStatic {
            var prototype = MetricEvent(name: name, value: .counter(0), tags: tags)
            guard policy.transform(&prototype) else { return nil }
            if rate < 1 { prototype.tags[SampleRate.tag] = SampleRate.text(rate) }
            return MetricBinding(registry: registry, name: prototype.name, tags: prototype.tags, rate: rate, perEvent: false)
        }
        return MetricBinding(registry: registry, name: name, tags: tags, rate: rate, perEvent: true)
    }

    private init(registry: MetricsRegistry, name: String, tags: Tags, rate: Double, perEvent: Bool) {
        self.registry = registry
        self.name = name
        self.tags = tags
        self.rate = rate
        runsPipelinePerEvent = perEvent
        series = perEvent ? nil : registry.boundSeries.number(name: name, tags: tags)
    }

    @usableFromInline
    func emit(_ value: MetricValue) {
        if rate < 1, !registry.policy.sample(rate: rate) { return }
        if let series, let sampleValue = BoundSample.Value(value) {
            registry.deliver(BoundSample(series: series, value: sampleValue, timestamp: WallClock.nanosecondsSinceEpoch()))
            return
        }
        var event = MetricEvent(name: name, value: value, tags: tags, timestamp: .now())
        if runsPipelinePerEvent {
            guard registry.policy.transform(&event) else { return }
            if rate < 1 { event.tags[SampleRate.tag] = SampleRate.text(rate) }
        }
        registry.deliver(event)
    }
}

/// A pre-bound counter. Made by ``MetricsRegistry/counter(_:tags:)``; calls are synchronous and never block.
public struct CounterHandle: Sendable {
    @usableFromInline
    let binding: MetricBinding?

    /// Records an increment.
    @inlinable
    public func increment(by amount: Int64 = 1) {
        binding?.emit(.counter(amount))
    }
}

/// A pre-bound gauge. Made by ``MetricsRegistry/gauge(_:tags:)``.
public struct GaugeHandle: Sendable {
    @usableFromInline
    let binding: MetricBinding?

    /// Records the gauge's current value.
    @inlinable
    public func set(_ value: Double) {
        binding?.emit(.gauge(value))
    }
}

/// A pre-bound timer. Made by ``MetricsRegistry/timer(_:tags:)``.
public struct TimerHandle: Sendable {
    @usableFromInline
    let binding: MetricBinding?

    /// Records a duration.
    @inlinable
    public func record(_ duration: Duration) {
        binding?.emit(.timer(duration))
    }

    /// Records a duration given in nanoseconds.
    @inlinable
    public func recordNanoseconds(_ nanoseconds: Int64) {
        binding?.emit(.timer(.nanoseconds(nanoseconds)))
    }
}

extension MetricsRegistry {
    /// A counter bound to `name` and `tags`.
    public func counter(_ name: String, tags: Tags = [:]) -> CounterHandle {
        CounterHandle(binding: MetricBinding.make(registry: self, name: name, tags: tags))
    }

    /// A gauge bound to `name` and `tags`.
    public func gauge(_ name: String, tags: Tags = [:]) -> GaugeHandle {
        GaugeHandle(binding: MetricBinding.make(registry: self, name: name, tags: tags))
    }

    /// A timer bound to `name` and `tags`.
    public func timer(_ name: String, tags: Tags = [:]) -> TimerHandle {
        TimerHandle(binding: MetricBinding.make(registry: self, name: name, tags: tags))
    }
}
