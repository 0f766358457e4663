public import MMMMetricsCore

/// Sends events to a remote server (docs/REMOTE.md) without ever holding up the caller.
///
/// Guarantees:
/// - ``record(_:)`` only appends to a bounded queue under a lock: it never waits for the network.
///   A full queue drops the event and counts it (`queue_full`).
/// - A worker task sends the queue every `flush_interval` (sooner when a batch is full), in
///   batches of `batch_size` events (influx), or the session's aggregates (pushgateway).
/// - A retryable failure (no connection, timeout, 5xx, 408, 429) is retried `max_retries` times
///   with exponential backoff and jitter; a refusal (other 4xx) is not.
/// - The circuit breaker opens after `breaker_failures` consecutive failed tries; while it is
///   open, batches are dropped at once and counted (`breaker_open`), so an outage costs neither
///   memory nor the caller's time; after `breaker_cooldown` one probe goes out, and its success
///   closes the breaker. The file log, not the remote server, is the record: `mmm-analyze push`
///   replays a session later.
/// - Every dropped event is counted by reason (``Statistics/dropped``), reported to the error
///   handler, and makes the next ``flush()`` throw a summary, which the registry counts in the
///   collector's statistics and logs. The API key appears in none of these.
public final class RemoteMetricsCollector: MetricsCollector, Sendable {
    /// What happened to the collector's events so far.
    public struct Statistics: Sendable, Hashable {
        /// Events waiting to be sent.
        public var queued = 0
        /// Events the server accepted (influx), or events in aggregates it accepted (pushgateway).
        public var delivered = 0
        /// Requests that succeeded.
        public var requests = 0
        /// Tries after a failed one.
        public var retries = 0
        /// Events not delivered, by reason: `queue_full`, `breaker_open`, `rejected`,
        /// `server_error`, `timeout`, `unreachable`, `not_numeric` (custom data, NaN), `name_conflict`
        /// (a metric whose name the server would show as one another metric took: `a.b`, `a_b`).
        public var dropped: [String: Int] = [:]
        /// Failed pushes of aggregates (pushgateway), by reason; the next push carries their data.
        public var failedPushes: [String: Int] = [:]
        /// The breaker's state.
        public var breaker = "closed"
        /// Times the breaker opened.
        public var breakerOpenings = 0
        /// The last failure, without secrets.
        public var lastFailure: String?

        /// All dropped events.
        public var droppedTotal: Int { dropped.values.reduce(0, +) }
    }

    /// The name the collector goes by: `remote:<endpoint without credentials>`.
    public let name: String
    /// The settings.
    public let options: RemoteOptions
    /// The session the events belong to (the `session` label).
    public let session: String

    private let engine: Engine
    private let requests: AsyncStream<Request>.Continuation
    private let worker: Task<Void, Never>
    private let ticker: Task<Void, Never>

    enum Request: Sendable {
        case tick
        case flush(CheckedContinuation<Void, Never>)
    }

    /// A collector sending through `transport` (URLSession unless given).
    public init(
        options: RemoteOptions, session: String, transport: any HTTPTransport = URLSessionTransport(),
        errorHandler: MetricsErrorHandler? = nil
    ) {
        self.options = options
        self.session = session
        name = "remote:\(options.redactedEndpoint)"
        let engine = Engine(options: options, session: session, transport: transport, name: name, errorHandler: errorHandler)
        self.engine = engine
        let (stream, continuation) = AsyncStream<Request>.makeStream(bufferingPolicy: .unbounded)
        requests = continuation
        worker = Task.detached {
            for await request in stream {
                switch request {
                case .tick: await engine.deliver()
                case .flush(let done):
                    await engine.deliver()
                    done.resume()
                }
            }
        }
        let interval = options.flushInterval
        ticker = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield(.tick)
            }
        }
    }

    deinit {
        ticker.cancel()
        requests.finish()
    }

    public func record(_ event: MetricEvent) async throws {
        if engine.enqueue(CollectionOfOne(event)) { requests.yield(.tick) }
    }

    public func record(contentsOf events: [MetricEvent]) async throws {
        if engine.enqueue(events) { requests.yield(.tick) }
    }

    /// Sends everything queued (with retries, within the breaker's rules), then throws a summary
    /// of the events dropped since the last flush, if any.
    public func flush() async throws {
        await withCheckedContinuation { requests.yield(.flush($0)) }
        if let summary = engine.takeUnreported() { throw summary }
    }

    /// The counts so far.
    public var statistics: Statistics { engine.statistics }

    /// Stops the worker after one last delivery.
    public func close() async {
        await withCheckedContinuation { requests.yield(.flush($0)) }
        ticker.cancel()
        requests.finish()
        await worker.value
    }
}

/// Drops since the last flush, as a flush error (the registry counts and logs it).
public struct RemoteDeliveryError: Error, Sendable, CustomStringConvertible {
    /// Dropped events by reason.
    public var dropped: [String: Int]
    /// The last failure.
    public var lastFailure: String?

    public var description: String {
        "dropped " + dropped.sorted { $0.key < $1.key }.map { "\($0.value) (\($0.key))" }.joined(separator: ", ")
            + (lastFailure.map { "; last failure: \($0)" } ?? "")
    }
}

extension RemoteMetricsCollector {
    /// The queue, the counts and the delivery; the worker is its only caller of ``deliver()``.
    final class Engine: Sendable {
        struct State {
            var queue: [MetricEvent] = []
            var head = 0
            var aggregates = PrometheusExposition()
            var aggregatedEvents = 0
            var pushedEvents = 0
            var statistics = Statistics()
            var breaker: CircuitBreaker
            var unreported: [String: Int] = [:]

            var queued: Int { queue.count - head }
        }

        let options: RemoteOptions
        let session: String
        let transport: any HTTPTransport
        let name: String
        let errorHandler: MetricsErrorHandler?
        let state: LockedState<State>
        let epoch = ContinuousClock.now
        /// Counters' running totals and the names metrics took (only the worker uses them; the lock
        /// makes that checkable).
        let totals = LockedState(RunningTotals())
        let claims = LockedState(InfluxNameClaims())

        init(options: RemoteOptions, session: String, transport: any HTTPTransport, name: String, errorHandler: MetricsErrorHandler?) {
            self.options = options
            self.session = session
            self.transport = transport
            self.name = name
            self.errorHandler = errorHandler
            state = LockedState(State(breaker: CircuitBreaker(failureThreshold: options.breakerFailures, coolDown: options.breakerCoolDown)))
        }

        var now: UInt64 { UInt64(clamping: epoch.duration(to: .now).nanosecondsClamped) }

        /// Queues events (influx) or adds them to the aggregates (pushgateway); `true` when a batch is ready.
        func enqueue(_ events: some Collection<MetricEvent>) -> Bool {
            state.withLock { state in
                switch options.format {
                case .pushgateway:
                    for event in events {
                        guard NumericKind.of(event.value) != nil else {
                            state.statistics.dropped["not_numeric", default: 0] += 1
                            state.unreported["not_numeric", default: 0] += 1
                            continue
                        }
                        state.aggregates.add(event, extraLabels: [("session", session)], reservedLabels: ["job", "instance"])
                        state.aggregatedEvents += 1
                    }
                    return false
                case .influx:
                    for event in events {
                        guard state.queued < options.queueSize else {
                            state.statistics.dropped["queue_full", default: 0] += 1
                            state.unreported["queue_full", default: 0] += 1
                            continue
                        }
                        state.queue.append(event)
                    }
                    return state.queued >= options.batchSize
                }
            }
        }

        var statistics: Statistics {
            state.withLock { state in
                var statistics = state.statistics
                statistics.queued = state.queued
                statistics.breaker = state.breaker.state.description
                statistics.breakerOpenings = state.breaker.openings
                return statistics
            }
        }

        func takeUnreported() -> RemoteDeliveryError? {
            state.withLock { state in
                guard !state.unreported.isEmpty else { return nil }
                defer { state.unreported = [:] }
                return RemoteDeliveryError(dropped: state.unreported, lastFailure: state.statistics.lastFailure)
            }
        }

        /// Sends what is queued.
        func deliver() async {
            switch options.format {
            case .influx:
                while let batch = takeBatch() { await send(batch) }
            case .pushgateway:
                await pushAggregates()
            }
        }

        private func takeBatch() -> [MetricEvent]? {
            state.withLock { state in
                guard state.queued > 0 else { return nil }
                let end = min(state.queue.count, state.head + options.batchSize)
                let batch = Array(state.queue[state.head..<end])
                state.head = end
                // Compact once the sent part is at least half the storage.
                if state.head * 2 >= state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return batch
            }
        }

        private func send(_ batch: [MetricEvent]) async {
            var lines: [UInt8] = []
            var encoded = 0, conflicting = 0
            for event in batch {
                guard claims.withLock({ $0.admits(event) }) else {
                    conflicting += 1
                    continue
                }
                if InfluxLineProtocol.encode(totals.withLock { $0.cumulative(event) }, session: session, into: &lines) { encoded += 1 }
            }
            if conflicting > 0 { drop(conflicting, reason: "name_conflict", failure: nil) }
            if encoded + conflicting < batch.count { drop(batch.count - encoded - conflicting, reason: "not_numeric", failure: nil) }
            guard encoded > 0 else { return }
            if let reason = await attempt(RemoteRequests.influx(lines, options: options)) {
                drop(encoded, reason: reason, failure: state.withLock { $0.statistics.lastFailure })
            } else {
                state.withLock { state in
                    state.statistics.delivered += encoded
                    state.statistics.requests += 1
                }
            }
        }

        private func pushAggregates() async {
            let (text, events) = state.withLock { state -> (String?, Int) in
                guard state.aggregatedEvents > state.pushedEvents else { return (nil, 0) }
                return (state.aggregates.render(), state.aggregatedEvents)
            }
            guard let text else { return }
            if let reason = await attempt(RemoteRequests.pushgateway(text, options: options, session: session)) {
                state.withLock { state in
                    state.statistics.failedPushes[reason, default: 0] += 1
                    state.unreported["push_failed_\(reason)", default: 0] += 1
                }
            } else {
                state.withLock { state in
                    state.statistics.delivered = events
                    state.statistics.requests += 1
                    state.pushedEvents = events
                }
            }
        }

        /// Tries a request within the breaker's rules; `nil` on success, else the failure's reason.
        private func attempt(_ request: HTTPRequest) async -> String? {
            var tries = 0
            while true {
                let allowed = state.withLock { $0.breaker.allowsDelivery(now: now) }
                guard allowed else { return "breaker_open" }
                do {
                    _ = try await transport.send(request, timeout: options.timeout)
                    state.withLock { $0.breaker.recordSuccess() }
                    return nil
                } catch {
                    let (open, message) = state.withLock { state -> (Bool, String) in
                        state.breaker.recordFailure(now: now)
                        let message = "\(request.method) \(RemoteOptions.redacted(request.url)): \(error)"
                        state.statistics.lastFailure = message
                        if case .open = state.breaker.state { return (true, message) }
                        return (false, message)
                    }
                    if tries == 0 || open { errorHandler?(CollectorFailure(collector: name, operation: .flush, message: message)) }
                    guard error.isRetryable, tries < options.maxRetries, !open else { return error.reason }
                    tries += 1
                    state.withLock { $0.statistics.retries += 1 }
                    try? await Task.sleep(for: backoff(tries))
                }
            }
        }

        /// The wait before try `n` (1-based): `retry_backoff · 2^(n-1)`, at most `maximumBackoff`,
        /// times a random factor in [0.5, 1] so that many clients do not retry in step.
        func backoff(_ try: Int) -> Duration {
            let base = Double(options.retryBackoff.nanosecondsClamped) * pow2(min(`try` - 1, 30))
            let capped = min(base, Double(options.maximumBackoff.nanosecondsClamped))
            return .nanoseconds(Int64(capped * Double.random(in: 0.5...1)))
        }

        private func pow2(_ exponent: Int) -> Double { Double(1 << exponent) }

        private func drop(_ count: Int, reason: String, failure: String?) {
            state.withLock { state in
                state.statistics.dropped[reason, default: 0] += count
                state.unreported[reason, default: 0] += count
            }
            if reason == "breaker_open" || reason == "not_numeric" || reason == "name_conflict" {
                errorHandler?(CollectorFailure(collector: name, operation: .flush, message: "dropped \(count) events (\(reason))"))
            }
        }
    }
}
