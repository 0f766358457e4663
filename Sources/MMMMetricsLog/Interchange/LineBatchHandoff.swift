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
/// parsing run beside writing with at most `capacity` batches, and about `byteCapacity` bytes of
/// input lines, between them (a batch larger than that alone still passes, one at a time). The
/// consumer cancels it when it stops early; the producer's next `put` then answers `false`.
final class LineBatchHandoff: Sendable {
    private let capacity: Int
    private let byteCapacity: Int
    private let producerDone = DispatchSemaphore(value: 0)
    private struct State {
        var batches: [(batch: LineBatch, bytes: Int)] = []
        var bytes = 0
        var cancelled = false
    }
    // A pthread lock (`GuardedState`), which ThreadSanitizer sees, unlike `Mutex` on Linux.
    private let state = GuardedState(State())

    init(capacity: Int, byteCapacity: Int) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Producer: waits for room, then queues `batch` (`bytes`: its input lines' bytes); `false` when
    /// the consumer has stopped.
    func put(_ batch: LineBatch, bytes: Int = 0) -> Bool {
        state.wait { state -> Bool? in
            if state.cancelled { return false }
            guard state.batches.isEmpty || (state.batches.count < capacity && state.bytes + bytes <= byteCapacity) else { return nil }
            state.batches.append((batch, bytes))
            state.bytes += bytes
            return true
        }
    }

    /// Consumer: waits for the next batch.
    func take() -> LineBatch {
        state.wait { state -> LineBatch? in
            guard !state.batches.isEmpty else { return nil }
            let (batch, bytes) = state.batches.removeFirst()
            state.bytes -= bytes
            return batch
        }
    }

    /// Whether the consumer has stopped.
    var isCancelled: Bool { state.update(notifying: false) { $0.cancelled } }

    /// Consumer: stops the producer at its next `put` (waking it when it waits for room).
    func cancel() {
        state.update { $0.cancelled = true }
    }

    /// Producer: says it has returned (and no longer touches the input).
    func producerFinished() { producerDone.signal() }

    /// Consumer: waits until the producer has returned.
    func waitUntilProducerFinished() { producerDone.wait() }
}
