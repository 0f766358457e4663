import Dispatch
import MMMMetricsCore

/// One parsed input line: its number, its session and its event.
struct ParsedLine: Sendable {
    let number: Int
    let session: String
    let event: MetricEvent
}

/// What the reading thread of an ingest hands to the writing one.
enum LineBatch: Sendable {
    /// Parsed lines, in input order.
    case lines([ParsedLine])
    /// The first error (a bad line, a read error, a signal): nothing follows it.
    case failed(any Error)
    /// The end of the input.
    case end
}

/// A bounded queue of batches from one producer thread to one consumer, so that reading and
/// parsing run beside writing with at most `capacity` batches between them. The consumer cancels it
/// when it stops early; the producer's next `put` then answers `false`.
final class LineBatchHandoff: Sendable {
    private let freeSlots: DispatchSemaphore
    private let filledSlots = DispatchSemaphore(value: 0)
    private let producerDone = DispatchSemaphore(value: 0)
    private struct State {
        var batches: [LineBatch] = []
        var cancelled = false
    }
    // A pthread lock (`GuardedState`), which ThreadSanitizer sees, unlike `Mutex` on Linux.
    private let state = GuardedState(State())

    init(capacity: Int) {
        // Made at 0 and signalled up: Dispatch traps when a semaphore is freed below its initial value.
        freeSlots = DispatchSemaphore(value: 0)
        for _ in 0..<capacity { freeSlots.signal() }
    }

    /// Producer: waits for room, then queues `batch`; `false` when the consumer has stopped.
    func put(_ batch: LineBatch) -> Bool {
        freeSlots.wait()
        let queued = state.update { state in
            guard !state.cancelled else { return false }
            state.batches.append(batch)
            return true
        }
        if queued { filledSlots.signal() } else { freeSlots.signal() }
        return queued
    }

    /// Consumer: waits for the next batch.
    func take() -> LineBatch {
        filledSlots.wait()
        let batch = state.update { $0.batches.removeFirst() }
        freeSlots.signal()
        return batch
    }

    /// Whether the consumer has stopped.
    var isCancelled: Bool { state.update { $0.cancelled } }

    /// Consumer: stops the producer at its next `put` (waking it when it waits for room).
    func cancel() {
        state.update { $0.cancelled = true }
        freeSlots.signal()
    }

    /// Producer: says it has returned (and no longer touches the input).
    func producerFinished() { producerDone.signal() }

    /// Consumer: waits until the producer has returned.
    func waitUntilProducerFinished() { producerDone.wait() }
}
