
/// The entry point for recording: it owns the collectors and hands every event to each of them.
///
/// Guarantees:
/// - With `enabled: false`, the recording methods return before building an event: tag
///   arguments are not even evaluated (they are autoclosures) and nothing is allocated.
/// - Recording never waits for a collector, never throws and never fails because of one. Each
///   collector has a bounded buffer and its own consumer task, on a thread of its own (a collector
///   that blocks its thread holds up only its own events); a full buffer drops the event and
///   counts it (see ``statistics()``). Collector errors go to the error handler and the counts.
/// - Each collector receives events in the order they were recorded, stamped with a timestamp.
/// - The recording methods run on the caller's isolation (their `isolation` parameter defaults to
///   `#isolation`): tags and events are built where the caller is, so main-actor code can pass
///   values that are not `Sendable`.
public final class MetricsRegistry: Sendable {
    /// Whether recording is on; fixed at creation.
    @usableFromInline
    let isEnabled: Bool
    /// The configuration the registry was made with.
    public let config: MetricsConfig
    @usableFromInline
    let policy: RecordingPolicy
    private let errorHandler: MetricsErrorHandler
    private let channels = LockedState<(all: [CollectorChannel], shutDown: Bool)>(([], false))
    /// The series of the pre-bound handles, shared with the channels that turn samples into events.
    let boundSeries = BoundSeriesTable()

    /// Creates a registry with no collectors; failures go to `errorHandler`.
    ///
    /// The `MMMMetrics` module adds `init(config:)`, which logs failures through swift-log.
    /// An out-of-range `samplingRate` is clamped to [0, 1].
    public init(config: MetricsConfig, errorHandler: @escaping MetricsErrorHandler) {
        self.config = config
        isEnabled = config.enabled
        policy = RecordingPolicy(config)
        self.errorHandler = errorHandler
    }

    /// Creates a registry and the collectors `config.collectors` names, through `factories`. With
    /// `config.enabled == false` no collector is built at all.
    public static func configured(
        _ config: MetricsConfig,
        factories: CollectorFactories = CollectorFactories(),
        errorHandler: @escaping MetricsErrorHandler
    ) throws(MetricsConfigError) -> MetricsRegistry {
        try config.validate()
        let registry = MetricsRegistry(config: config, errorHandler: errorHandler)
        // Disabled means nothing is built: no collector opens a file, takes a lock or starts a task.
        guard config.enabled else { return registry }
        for (index, entry) in config.collectors.enumerated() {
            let collector: any MetricsCollector
            do {
                collector = try factories.makeCollector(entry, metrics: config)
            } catch .invalidValue(let key, let value, let expected) where key.hasPrefix("collectors.") {
                // Named as the configuration names the entry.
                throw .invalidValue(key: "metrics.collectors[\(index)]." + key.dropFirst("collectors.".count), value: value, expected: expected)
            }
            registry.register(collector, name: factories.collectorName(for: entry))
        }
        return registry
    }

    /// Adds a collector. It receives every event recorded from now on.
    /// With recording disabled the collector is ignored: it will receive nothing. After
    /// ``shutdown()`` it is not registered, and the error handler is told.
    public func register(_ collector: any MetricsCollector, name: String? = nil) {
        guard isEnabled else { return }
        let name = name ?? String(describing: type(of: collector))
        let channel = CollectorChannel(
            name: name, collector: collector, capacity: config.bufferSize, boundSeries: boundSeries, errorHandler: errorHandler)
        let added = channels.withLock { channels in
            guard !channels.shutDown else { return false }
            channels.all.append(channel)
            return true
        }
        guard added else {
            errorHandler(CollectorFailure(collector: name, operation: .record, message: "not registered: the registry is shut down"))
            return
        }
        // The consumer runs on a thread of its own: a collector that blocks it blocks nothing else.
        if let thread = ThreadTaskExecutor.start() {
            Task.detached(executorPreference: thread) {
                await channel.run()
                thread.stop()
            }
        } else {
            Task.detached { await channel.run() }
        }
    }

    /// Per-collector counts of delivered, dropped and failed events, in registration order.
    public func statistics() -> [CollectorStatistics] {
        channels.withLock { $0.all }.map(\.statistics)
    }

    // MARK: Recording

    /// Records a counter increment.
    @inlinable
    public func increment(
        _ name: String, by amount: Int64 = 1, tags: @autoclosure () -> Tags = [:], isolation: isolated (any Actor)? = #isolation
    ) async {
        guard isEnabled else { return }
        submit(MetricEvent(name: name, value: .counter(amount), tags: tags()))
    }

    /// Records a gauge value.
    @inlinable
    public func gauge(
        _ name: String, value: Double, tags: @autoclosure () -> Tags = [:], isolation: isolated (any Actor)? = #isolation
    ) async {
        guard isEnabled else { return }
        submit(MetricEvent(name: name, value: .gauge(value), tags: tags()))
    }

    /// Records an event built by the caller; the event is not built when recording is disabled.
    @inlinable
    public func record(_ event: @autoclosure () -> MetricEvent, isolation: isolated (any Actor)? = #isolation) async {
        guard isEnabled else { return }
        submit(event())
    }

    /// Runs `body`, records how long it took as a timer tagged `status` = `ok` or `error`, and
    /// returns its result or rethrows its error untouched. `body` runs on the caller's isolation.
    public func time<Result, Failure: Error>(
        _ name: String,
        tags: @autoclosure () -> Tags = [:],
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        guard isEnabled else { return try await body() }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let result = try await body()
            submit(MetricEvent(name: name, value: .timer(clock.now - start), tags: tags().merging(["status": "ok"])))
            return result
        } catch {
            submit(MetricEvent(name: name, value: .timer(clock.now - start), tags: tags().merging(["status": "error"])))
            throw error
        }
    }

    /// Waits until every collector has received the events recorded so far and finished its own
    /// `flush`, or until `flushTimeout` passed for it (reported as a failure, not thrown).
    /// Throws `CancellationError` only when the calling task is cancelled.
    public func flush() async throws {
        let channels = channels.withLock { $0.all }
        let timeout = config.flushTimeout
        await withTaskGroup(of: Void.self) { group in
            for channel in channels {
                group.addTask { _ = await channel.flush(timeout: timeout) }
            }
        }
        try Task.checkCancellation()
    }

    /// Flushes, then ends each collector: its consumer delivers what it holds and calls the
    /// collector's `close()` (a file collector seals its segment and releases the session's lock),
    /// waiting at most `flushTimeout` for each. Events recorded afterwards are dropped and counted
    /// (``statistics()``), and the first is reported.
    public func shutdown() async {
        // From here on no collector is added: each one registered so far is closed below.
        channels.withLock { $0.shutDown = true }
        try? await flush()
        let timeout = config.flushTimeout
        await withTaskGroup(of: Void.self) { group in
            for channel in channels.withLock({ $0.all }) {
                group.addTask { await channel.shutdown(timeout: timeout) }
            }
        }
    }

    /// A registry released without ``shutdown()`` closes its collectors without waiting: each
    /// consumer delivers what it holds, calls its collector's `close()` and ends its thread.
    deinit {
        for channel in channels.withLock({ $0.all }) { channel.closeWithoutWaiting() }
    }

    /// Stamps, filters and hands an event to every collector. Never blocks.
    @usableFromInline
    func submit(_ event: MetricEvent) {
        var event = event
        guard policy.process(&event) else { return }
        if event.timestamp == nil { event.timestamp = .now() }
        deliver(event)
    }

    /// Hands an already-processed event to every collector.
    func deliver(_ event: MetricEvent) {
        for channel in channels.withLock({ $0.all }) { channel.offer(.event(event)) }
    }

    /// Hands a pre-bound handle's sample to every collector.
    func deliver(_ sample: BoundSample) {
        for channel in channels.withLock({ $0.all }) { channel.offer(.sample(sample)) }
    }
}
