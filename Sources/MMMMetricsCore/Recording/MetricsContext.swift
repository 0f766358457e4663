/// A registry plus tags that every event recorded through it carries, passed down through
/// the work (session → iteration → command).
///
/// Tag precedence: an event's own tags win over the context's, and a child's over its parent's.
public struct MetricsContext: Sendable {
    /// The registry events go to.
    public let registry: MetricsRegistry
    /// The tags added to every event.
    public let tags: Tags

    /// Creates a context.
    public init(registry: MetricsRegistry, tags: Tags = [:]) {
        self.registry = registry
        self.tags = tags
    }

    /// A context with `additionalTags` laid over this one's.
    public func child(_ additionalTags: Tags) -> MetricsContext {
        MetricsContext(registry: registry, tags: tags.merging(additionalTags))
    }

    /// Records an event with the context's tags; the event is not built when recording is disabled.
    @inlinable
    public func record(_ event: @autoclosure () -> MetricEvent, isolation: isolated (any Actor)? = #isolation) async {
        guard registry.isEnabled else { return }
        var event = event()
        event.tags = tags.merging(event.tags)
        registry.submit(event)
    }

    /// Records a counter increment with the context's tags.
    @inlinable
    public func increment(
        _ name: String, by amount: Int64 = 1, tags: @autoclosure () -> Tags = [:], isolation: isolated (any Actor)? = #isolation
    ) async {
        guard registry.isEnabled else { return }
        registry.submit(MetricEvent(name: name, value: .counter(amount), tags: self.tags.merging(tags())))
    }

    /// Records a gauge value with the context's tags.
    @inlinable
    public func gauge(
        _ name: String, value: Double, tags: @autoclosure () -> Tags = [:], isolation: isolated (any Actor)? = #isolation
    ) async {
        guard registry.isEnabled else { return }
        registry.submit(MetricEvent(name: name, value: .gauge(value), tags: self.tags.merging(tags())))
    }

    /// Times `body` as ``MetricsRegistry/time(_:tags:isolation:_:)`` does, with the context's tags.
    public func time<Result, Failure: Error>(
        _ name: String,
        tags: @autoclosure () -> Tags = [:],
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        try await registry.time(name, tags: self.tags.merging(tags()), isolation: isolation, body)
    }
}
