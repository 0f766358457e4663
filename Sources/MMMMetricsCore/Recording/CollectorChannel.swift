
/// Completion of a flush or close request, completed exactly once (by the consumer or by the
/// timeout); every waiter, however many, is resumed with the outcome.
final class FlushTicket: Sendable {
    private enum State {
        case pending([CheckedContinuation<Bool, Never>])
        case done(Bool)
    }

    private let state = LockedState(State.pending([]))

    /// Completes the ticket; returns whether this call was the one that completed it.
    @discardableResult
    func complete(_ succeeded: Bool) -> Bool {
        let waiters: [CheckedContinuation<Bool, Never>]? = state.withLock { state in
            guard case .pending(let waiters) = state else { return nil }
            state = .done(succeeded)
            return waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: succeeded) }
        return true
    }

    /// Waits for completion; returns whether the request succeeded in time.
    func wait() async -> Bool {
        await withCheckedContinuation { continuation in
            let result: Bool? = state.withLock { state in
                switch state {
                case .done(let succeeded): return succeeded
                case .pending(let waiters): state = .pending(waiters + [continuation]); return nil
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
///
/// The caller's path touches only plain values under the lock: the event buffer, two counts and a
/// flag. The consumer's continuation (a type from the concurrency library, handled through runtime
/// calls) is looked at only when that flag says the consumer waits for work, and the buffers go back
/// and forth between caller and consumer, so appending does not allocate once they have grown.
final class CollectorChannel: Sendable {
    /// One recorded event: whole, or a pre-bound handle's sample that the consumer makes whole.
    enum Item: Sendable {
        case event(MetricEvent)
        case sample(BoundSample)
    }

    /// What the consumer takes at once: items in recording order, and the flushes requested among
    /// them, each to be completed once the items before `position` are delivered.
    struct Batch: Sendable {
        var items: [Item] = []
        var flushes: [(position: Int, ticket: FlushTicket)] = []
        var isEmpty: Bool { items.isEmpty && flushes.isEmpty }
    }

    private struct State {
        var pending = Batch()
        /// An emptied buffer the consumer handed back, taken as the next `pending.items`.
        var spare: [Item] = []
        var undelivered = 0
        /// `consumer` holds a waiting consumer (checked first: it is a plain flag).
        var consumerWaits = false
        var consumer: CheckedContinuation<Batch?, Never>?
        /// `resting` holds the consumer resting between batches (see `coalescingWindow`); a plain flag
        /// the callers check, like `consumerWaits`.
        var isResting = false
        var resting: CheckedContinuation<Void, Never>?
        /// A flush or close is waiting: the consumer does not rest.
        var urgent = false
        var closed = false
        /// Set by `shutdown`: the consumer closes the collector once drained, then completes it.
        var closing: FlushTicket?
        /// Events offered after the channel closed (dropped, and counted in `statistics.dropped` too).
        var droppedAfterClose = 0
        var statistics: CollectorStatistics

        /// The resting consumer, its rest ended.
        mutating func endRest() -> CheckedContinuation<Void, Never>? {
            defer {
                resting = nil
                isResting = false
            }
            return isResting ? resting : nil
        }

        /// Takes the pending batch, leaving the spare buffer in its place.
        mutating func takePending() -> Batch {
            var batch = Batch(items: spare, flushes: [])
            spare = []
            swap(&batch, &pending)
            urgent = false
            return batch
        }

        /// The waiting consumer with the pending batch, when there is a consumer waiting and a batch
        /// to give it. Never an empty batch: another thread may have handed the items over already
        /// (a flush, or a second recorder), and an empty batch is not work.
        mutating func wakeConsumer() -> (CheckedContinuation<Batch?, Never>, Batch)? {
            guard consumerWaits, !pending.isEmpty, let waiting = consumer else { return nil }
            consumerWaits = false
            consumer = nil
            return (waiting, takePending())
        }
    }

    let name: String
    let collector: any MetricsCollector
    let capacity: Int
    /// Undelivered events at which a resting consumer is woken.
    private let halfCapacity: Int
    private let boundSeries: BoundSeriesTable
    private let errorHandler: MetricsErrorHandler
    /// For tests: runs in `offer` between appending and waking a waiting consumer, to widen that window.
    private let beforeWaking: (@Sendable () -> Void)?
    /// The rest between batches: `coalescingWindow`, longer in tests.
    private let restDuration: Duration
    private let state: LockedState<State>

    init(name: String, collector: any MetricsCollector, capacity: Int, boundSeries: BoundSeriesTable,
         errorHandler: @escaping MetricsErrorHandler, beforeWaking: (@Sendable () -> Void)? = nil,
         restDuration: Duration = CollectorChannel.coalescingWindow) {
        self.beforeWaking = beforeWaking
        self.restDuration = restDuration
        self.name = name
        self.boundSeries = boundSeries
        self.collector = collector
        self.capacity = max(1, capacity)
        halfCapacity = max(1, capacity / 2)
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
    func offer(_ item: Item) -> Bool {
        // 0: accepted; 1: accepted, the consumer waits; 3: accepted, the buffer is half full and the
        // consumer rests; 2: closed (the first event since), 4: closed; below 0: dropped, -total so far.
        let outcome: Int = state.withLock { state in
            if state.closed {
                state.statistics.dropped += 1
                state.droppedAfterClose += 1
                return state.droppedAfterClose == 1 ? 2 : 4
            }
            guard state.undelivered < capacity else {
                state.statistics.dropped += 1
                return -state.statistics.dropped
            }
            state.undelivered += 1
            state.pending.items.append(item)
            if state.consumerWaits { return 1 }
            return state.isResting && state.undelivered >= halfCapacity ? 3 : 0
        }
        switch outcome {
        case 0:
            return true
        case 1:
            beforeWaking?()
            if let (consumer, batch) = state.withLock({ $0.wakeConsumer() }) { consumer.resume(returning: batch) }
            return true
        case 3:
            // A burst filling the buffer ends the rest, so the rest never turns into drops.
            state.withLock { $0.endRest() }?.resume()
            return true
        case 2:
            // After shutdown: counted as dropped, and said once, for the first.
            errorHandler(CollectorFailure(collector: name, operation: .overflow, message: "the registry is shut down; events recorded since are dropped"))
            return false
        case 4:
            return false
        default:
            let total = -outcome
            // Report the first drop and then at powers of two, so a flood costs O(log n) log lines.
            if total & (total - 1) == 0 {
                errorHandler(CollectorFailure(
                    collector: name, operation: .overflow,
                    message: "buffer of \(capacity) events is full; \(total) event(s) dropped so far"))
            }
            return false
        }
    }

    /// Asks the consumer to flush the collector after every event offered so far, waiting at most `timeout`.
    /// Returns whether the flush completed in time.
    func flush(timeout: Duration) async -> Bool {
        let ticket = FlushTicket()
        var closing: FlushTicket?
        let outcome: (accepted: Bool, wake: (CheckedContinuation<Batch?, Never>, Batch)?, resting: CheckedContinuation<Void, Never>?) =
            state.withLock { state in
                if state.closed {
                    closing = state.closing
                    return (false, nil, nil)
                }
                state.pending.flushes.append((state.pending.items.count, ticket))
                state.urgent = true
                return (true, state.wakeConsumer(), state.endRest())
            }
        // Closed by a shutdown: its close delivers and flushes what there is; wait for it (bounded by
        // the shutdown's timeout, which reports a close that outlasts it).
        guard outcome.accepted else { return await closing?.wait() ?? true }
        outcome.resting?.resume()
        if let (consumer, batch) = outcome.wake { consumer.resume(returning: batch) }
        return await wait(for: ticket, timeout: timeout, doing: "flush")
    }

    /// Waits for `ticket` at most `timeout`, then completes it as failed; a failure is reported here,
    /// before the caller returns, so its logs are complete when it does.
    private func wait(for ticket: FlushTicket, timeout: Duration, doing what: String) async -> Bool {
        let timer = Task {
            try await Task.sleep(for: timeout)
            ticket.complete(false)
        }
        let succeeded = await ticket.wait()
        timer.cancel()
        if !succeeded { recordFailure(.flushTimeout, message: "\(what) did not complete within \(timeout)", timeout: true) }
        return succeeded
    }

    /// Stops accepting events; the consumer ends once it has delivered what it holds.
    func close() {
        let (wake, resting) = state.withLock { state in
            state.closed = true
            // A waiting consumer gets what is pending (an offer may have appended and not yet woken
            // it); with nothing pending it learns that the channel is closed and drained.
            var wake: (CheckedContinuation<Batch?, Never>, Batch?)?
            if state.consumerWaits, let consumer = state.consumer {
                wake = (consumer, state.pending.isEmpty ? nil : state.takePending())
            }
            state.consumer = nil
            state.consumerWaits = false
            return (wake, state.endRest())
        }
        resting?.resume()
        if let (consumer, batch) = wake { consumer.resume(returning: batch) }
    }

    /// Closes the channel, lets the consumer deliver what it holds and then close the collector,
    /// waiting at most `timeout` for both (reported as a flush timeout, not thrown).
    func shutdown(timeout: Duration) async {
        let (ticket, first) = beginClosing()
        guard first else {
            // A second shutdown waits for the first's close, as the first does.
            _ = await ticket.wait()
            return
        }
        close()
        _ = await wait(for: ticket, timeout: timeout, doing: "close")
    }

    /// Closes the channel without waiting: the consumer delivers what it holds, closes the
    /// collector and ends (its registry was released without a shutdown).
    func closeWithoutWaiting() {
        _ = beginClosing()
        close()
    }

    /// The close request: this call's new ticket (`first`), or the one an earlier call made.
    private func beginClosing() -> (ticket: FlushTicket, first: Bool) {
        state.withLock { state in
            if let closing = state.closing { return (closing, false) }
            let ticket = FlushTicket()
            state.closing = ticket
            return (ticket, true)
        }
    }

    /// The next batch, never empty; `nil` once the channel is closed and drained.
    private func nextBatch() async -> Batch? {
        await withCheckedContinuation { continuation in
            let ready: Batch?? = state.withLock { state in
                if !state.pending.isEmpty { return .some(state.takePending()) }
                if state.closed { return .some(nil) }
                state.consumer = continuation
                state.consumerWaits = true
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// How long the consumer lets events gather after delivering a batch of events only. An idle
    /// consumer is woken by the first event (a lone event is delivered at once); while it delivers or
    /// rests, recording costs a lock and an append, where waking it for every event cost the
    /// recording thread a task wake-up each (about 1 µs: the cook-loop benchmark's overhead). A
    /// flush or close ends the rest at once. Five milliseconds rather than half of one: each rest is
    /// a task, a timer and two resumptions, and at 2,000 of them a second the cook-like loop of
    /// `RecordingCost cook-overhead` ran 1–2% slower (docs/PERFORMANCE.md).
    static let coalescingWindow = Duration.milliseconds(5)

    /// Rests for `coalescingWindow` (`restDuration`), or less when a flush, a close or a half-full
    /// buffer arrives.
    private func rest() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resting = state.withLock { state in
                guard !state.urgent, !state.closed else { return false }
                state.resting = continuation
                state.isResting = true
                return true
            }
            guard resting else {
                continuation.resume()
                return
            }
            Task { [self] in
                try? await Task.sleep(for: restDuration)
                // A timer left from an earlier rest may end a later one early: harmless.
                state.withLock { $0.endRest() }?.resume()
            }
        }
    }

    /// The consumer loop: delivers batches in order until the channel is closed and drained.
    func run() async {
        var series: [BoundSeriesTable.Series] = []
        while true {
            guard var batch = await nextBatch() else {
                if let closing = state.withLock({ $0.closing }) {
                    do { try await collector.close() } catch { recordFailure(.flush, message: "close: \(error)") }
                    closing.complete(true)
                }
                return
            }
            var delivered = 0
            for (position, ticket) in batch.flushes {
                await deliver(batch.items[delivered..<position], series: &series)
                delivered = position
                do {
                    try await collector.flush()
                } catch {
                    recordFailure(.flush, message: "\(error)")
                }
                ticket.complete(true)
            }
            await deliver(batch.items[delivered...], series: &series)
            let flushed = !batch.flushes.isEmpty
            // Hand the emptied buffer back for the callers to fill, keeping its capacity.
            batch.items.removeAll(keepingCapacity: true)
            state.withLock { state in
                if state.spare.capacity < batch.items.capacity { state.spare = batch.items }
            }
            if !flushed { await rest() }
        }
    }

    /// Delivers items as events; `series` is the consumer's copy of the series table, extended here
    /// with the series numbered since (every sample's series was numbered before the sample was made).
    private func deliver(_ items: ArraySlice<Item>, series: inout [BoundSeriesTable.Series]) async {
        guard !items.isEmpty else { return }
        var events: [MetricEvent] = []
        events.reserveCapacity(items.count)
        for item in items {
            switch item {
            case .event(let event):
                events.append(event)
            case .sample(let sample):
                if Int(sample.series) >= series.count { series += boundSeries.series(from: series.count) }
                events.append(sample.event(in: series))
            }
        }
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
