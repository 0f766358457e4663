
/// Completion of one flush request, resumed exactly once: by the consumer or by the timeout.
final class FlushTicket: Sendable {
    private enum State {
        case pending(CheckedContinuation<Bool, Never>?)
        case done(Bool)
    }

    private let state = LockedState(State.pending(nil))

    /// Completes the ticket; returns whether this call was the one that completed it.
    @discardableResult
    func complete(_ succeeded: Bool) -> Bool {
        let waiter: CheckedContinuation<Bool, Never>?? = state.withLock { state in
            guard case .pending(let waiter) = state else { return nil }
            state = .done(succeeded)
            return .some(waiter)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: succeeded)
        return true
    }

    /// Waits for completion; returns whether the flush succeeded in time.
    func wait() async -> Bool {
        await withCheckedContinuation { continuation in
            let result: Bool? = state.withLock { state in
                switch state {
                case .done(let succeeded): return succeeded
                case .pending: state = .pending(continuation); return nil
                }
            }
            if let result { continuation.resume(returning: result) }
        }
    }
}

/// The bounded hand-off between recording callers and one collector.
///
/// Callers append under a lock and return; one consumer task feeds the collector in order.
/// The buffer holds at most `capacity` undelivered events; beyond that, events are dropped and
/// counted, so a slow or hung collector costs the caller one lock acquisition and never memory
/// without bound.
final class CollectorChannel: Sendable {
    enum Item: Sendable {
        case event(MetricEvent)
        case flush(FlushTicket)
    }

    private struct State {
        var items: [Item] = []
        var undelivered = 0
        var consumer: CheckedContinuation<[Item], Never>?
        /// The consumer resting between batches (see `coalescingWindow`).
        var resting: CheckedContinuation<Void, Never>?
        /// A flush or close is waiting: the consumer does not rest.
        var urgent = false
        var closed = false
        var statistics: CollectorStatistics
    }

    let name: String
    let collector: any MetricsCollector
    let capacity: Int
    private let errorHandler: MetricsErrorHandler
    private let state: LockedState<State>

    init(name: String, collector: any MetricsCollector, capacity: Int, errorHandler: @escaping MetricsErrorHandler) {
        self.name = name
        self.collector = collector
        self.capacity = max(1, capacity)
        self.errorHandler = errorHandler
        state = LockedState(State(statistics: CollectorStatistics(
            name: name, delivered: 0, dropped: 0, errors: 0, flushTimeouts: 0, pending: 0, lastError: nil)))
    }

    var statistics: CollectorStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.pending = state.undelivered
            return statistics
        }
    }

    /// Hands an event over without waiting; `false` when it was dropped.
    @discardableResult
    func offer(_ event: MetricEvent) -> Bool {
        enum Outcome { case accepted(CheckedContinuation<[Item], Never>?, [Item]), dropped(Int), closed }
        let outcome: Outcome = state.withLock { state in
            if state.closed { return .closed }
            guard state.undelivered < capacity else {
                state.statistics.dropped += 1
                return .dropped(state.statistics.dropped)
            }
            state.undelivered += 1
            state.items.append(.event(event))
            guard let consumer = state.consumer else { return .accepted(nil, []) }
            state.consumer = nil
            let items = state.items
            state.items = []
            return .accepted(consumer, items)
        }
        switch outcome {
        case .accepted(let consumer, let items):
            consumer?.resume(returning: items)
            return true
        case .dropped(let total):
            // Report the first drop and then at powers of two, so a flood costs O(log n) log lines.
            if total & (total - 1) == 0 {
                errorHandler(CollectorFailure(
                    collector: name, operation: .overflow,
                    message: "buffer of \(capacity) events is full; \(total) event(s) dropped so far"))
            }
            return false
        case .closed:
            return false
        }
    }

    /// Queues an item regardless of capacity; `false` when the channel is closed.
    private func enqueue(_ item: Item) -> Bool {
        let outcome: (accepted: Bool, consumer: CheckedContinuation<[Item], Never>?, items: [Item], resting: CheckedContinuation<Void, Never>?) =
            state.withLock { state in
                if state.closed { return (false, nil, [], nil) }
                state.items.append(item)
                state.urgent = true
                let resting = state.resting
                state.resting = nil
                guard let consumer = state.consumer else { return (true, nil, [], resting) }
                state.consumer = nil
                let items = state.items
                state.items = []
                return (true, consumer, items, resting)
            }
        outcome.resting?.resume()
        outcome.consumer?.resume(returning: outcome.items)
        return outcome.accepted
    }

    /// Asks the consumer to flush the collector after every event offered so far, waiting at most `timeout`.
    /// Returns whether the flush completed in time.
    func flush(timeout: Duration) async -> Bool {
        let ticket = FlushTicket()
        guard enqueue(.flush(ticket)) else { return true }
        let timer = Task {
            try await Task.sleep(for: timeout)
            ticket.complete(false)
        }
        let succeeded = await ticket.wait()
        timer.cancel()
        // Reported here, before flush returns, so the caller's logs are complete when it does.
        if !succeeded { recordFailure(.flushTimeout, message: "flush did not complete within \(timeout)", timeout: true) }
        return succeeded
    }

    /// Stops accepting events; the consumer ends once it has delivered what it holds.
    func close() {
        let (consumer, resting) = state.withLock { state in
            state.closed = true
            let consumer = state.consumer
            state.consumer = nil
            let resting = state.resting
            state.resting = nil
            return (consumer, resting)
        }
        resting?.resume()
        consumer?.resume(returning: [])
    }

    private func nextBatch() async -> [Item] {
        await withCheckedContinuation { continuation in
            let ready: [Item]? = state.withLock { state in
                if !state.items.isEmpty {
                    let items = state.items
                    state.items = []
                    state.urgent = false
                    return items
                }
                if state.closed { return [] }
                state.consumer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// How long the consumer lets events gather after delivering a batch of events only. An idle
    /// consumer is woken by the first event (a lone event is delivered at once); while it delivers or
    /// rests, recording costs a lock and an append, where waking it for every event cost the
    /// recording thread a task wake-up each (about 1 µs: the cook-loop benchmark's overhead). A
    /// flush or close ends the rest at once.
    static let coalescingWindow = Duration.microseconds(500)

    /// Rests for `coalescingWindow`, or less when a flush or close arrives.
    private func rest() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resting = state.withLock { state in
                guard !state.urgent, !state.closed else { return false }
                state.resting = continuation
                return true
            }
            guard resting else {
                continuation.resume()
                return
            }
            Task { [self] in
                try? await Task.sleep(for: Self.coalescingWindow)
                // A timer left from an earlier rest may end a later one early: harmless.
                state.withLock { state in
                    defer { state.resting = nil }
                    return state.resting
                }?.resume()
            }
        }
    }

    /// The consumer loop: delivers batches in order until the channel is closed and drained.
    func run() async {
        while true {
            let batch = await nextBatch()
            if batch.isEmpty { return }
            var events: [MetricEvent] = []
            events.reserveCapacity(batch.count)
            var flushed = false
            for item in batch {
                switch item {
                case .event(let event):
                    events.append(event)
                case .flush(let ticket):
                    flushed = true
                    await deliver(events)
                    events.removeAll(keepingCapacity: true)
                    do {
                        try await collector.flush()
                    } catch {
                        recordFailure(.flush, message: "\(error)")
                    }
                    ticket.complete(true)
                }
            }
            await deliver(events)
            if !flushed { await rest() }
        }
    }

    private func deliver(_ events: [MetricEvent]) async {
        guard !events.isEmpty else { return }
        do {
            try await collector.record(contentsOf: events)
        } catch {
            recordFailure(.record, message: "\(error)")
        }
        state.withLock { state in
            state.undelivered -= events.count
            state.statistics.delivered += events.count
        }
    }

    private func recordFailure(_ operation: CollectorFailure.Operation, message: String, timeout: Bool = false) {
        state.withLock { state in
            if timeout { state.statistics.flushTimeouts += 1 } else { state.statistics.errors += 1 }
            state.statistics.lastError = message
        }
        errorHandler(CollectorFailure(collector: name, operation: operation, message: message))
    }
}
