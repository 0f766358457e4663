public import MMMMetricsCore
public import MMMMetricsLogFormat

/// Records events into a session's stream in the event log (`CollectorConfig.file(path:)`).
///
/// Guarantees:
/// - `record` never does I/O and never waits beyond `overflow`'s bound: events go into a buffer of at
///   most `bufferSize` events, written by the collector's own thread every `flushInterval` or when a
///   block's worth is buffered. When the buffer is full, `.drop` drops the event (counted) and
///   `.wait(d)` waits for room and drops only when none appears for `d` (the bound restarts whenever
///   room is found, so a recording task that the scheduler resumes late is not mistaken for a full buffer).
/// - I/O errors (disk full, permission denied) never reach the code that records: they are
///   reported to the error handler, counted, and `flush()` throws them (a registry counts them too).
///   Unwritten events stay buffered (within `bufferSize`, beyond which the oldest are dropped and
///   counted) and writing resumes by itself when the cause clears.
/// - A failed write is cut back from the segment, so data flushed earlier is never damaged.
/// - Events over ``EventLimits`` are refused one by one and counted in `statistics.rejected`; each
///   goes to the error handler, or, without one (as built from configuration), the next `flush()`
///   throws them, so a registry reports and counts them.
public final class FileMetricsCollector: MetricsCollector, Sendable {
    /// What to do with an event when the buffer is full.
    public enum OverflowPolicy: Sendable, Hashable {
        /// Drop it and count it.
        case drop
        /// Wait for room; drop and count when none appears for this long.
        case wait(Duration)
    }

    /// Collector settings.
    public struct Options: Sendable, Hashable {
        /// The writer's settings.
        public var writer: LogWriterOptions
        /// Events buffered at most.
        public var bufferSize: Int
        /// How often buffered events are written and flushed on their own.
        public var flushInterval: Duration
        /// The full-buffer policy.
        public var overflow: OverflowPolicy

        /// Settings; defaults follow `MetricsConfig`'s.
        public init(writer: LogWriterOptions = LogWriterOptions(), bufferSize: Int = 100_000, flushInterval: Duration = .seconds(1),
                    overflow: OverflowPolicy = .drop) {
            self.writer = writer
            self.bufferSize = bufferSize
            self.flushInterval = flushInterval
            self.overflow = overflow
        }
    }

    /// Counts of what happened to events.
    public struct Statistics: Sendable, Hashable {
        /// Events written to the log.
        public var written: Int
        /// Events dropped (full buffer, or given up after failures).
        public var dropped: Int
        /// Events refused because they are over ``EventLimits`` (each reported to the error handler).
        public var rejected: Int = 0
        /// Failed writes or flushes.
        public var errors: Int
        /// The last error.
        public var lastError: String?
    }

    private struct State {
        var queue: [MetricEvent] = []
        /// The writing thread's emptied batch, taken as the next `queue`.
        var spare: [MetricEvent] = []
        var accepted: UInt64 = 0  // events accepted so far (queue positions are accepted - queue.count ..< accepted)
        var written: UInt64 = 0
        var flushers: [(target: UInt64, continuation: CheckedContinuation<LogError?, Never>)] = []
        var flushRequested = false
        var closed = false
        /// The writing thread has ended (after `close`): nothing more is written by it.
        var workerExited = false
        /// Refusals not yet said to anyone (there is no error handler): the next flush throws them.
        var unsaidRejections = 0
        var firstUnsaidRejection: String?
        var statistics = Statistics(written: 0, dropped: 0, errors: 0, lastError: nil)
    }

    /// The log root.
    public let root: LogRoot
    /// The session written.
    public let session: String
    /// The settings.
    public let options: Options
    private let state = LockedState(State())
    private let writer: LockedState<SessionLogWriter>
    private let wakeup = WakeupSignal()
    private let errorHandler: MetricsErrorHandler?
    private let workerFinished = OneTimeGate()

    /// Opens the session for writing (taking its lock) and starts the writing thread. Throws
    /// `LogError.invalidInput` for a buffer under one event or a flush interval that is not positive.
    public init(root: LogRoot, session: String, options: Options = Options(), errorHandler: MetricsErrorHandler? = nil) throws(LogError) {
        guard options.bufferSize >= 1 else { throw .invalidInput("file collector: bufferSize must be at least 1, got \(options.bufferSize)") }
        guard options.flushInterval > .zero else {
            throw .invalidInput("file collector: flushInterval must be positive, got \(options.flushInterval)")
        }
        self.root = root
        self.session = session
        self.options = options
        self.errorHandler = errorHandler
        writer = LockedState(try SessionLogWriter(root: root, session: session, options: options.writer))
        // A thread of its own: writing blocks in file I/O and fsync, which must not hold a thread of
        // the cooperative pool that the recording tasks need, nor one of Dispatch's bounded pool.
        try DedicatedThread.start(for: root.path) { [self] in
            run()
            workerFinished.open()
        }
    }

    /// What happened to events so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// What opening the session repaired (a torn tail cut), if anything.
    public var recovery: RecoveryReport? { writer.withLock { $0.recovery } }

    public func record(_ event: MetricEvent) async throws {
        try await record(contentsOf: [event])
    }

    public func record(contentsOf events: [MetricEvent]) async throws {
        var remaining = events[...]
        let bound: Duration? = if case .wait(let bound) = options.overflow { bound } else { nil }
        var deadline = bound.map { ContinuousClock.now + $0 }
        var closed = false
        while !remaining.isEmpty {
            let (taken, wake) = state.withLock { state -> (Int, Bool) in
                if state.closed {
                    closed = true
                    return (0, false)
                }
                let room = max(0, options.bufferSize - state.queue.count)
                let taken = min(room, remaining.count)
                state.queue.append(contentsOf: remaining.prefix(taken))
                state.accepted += UInt64(taken)
                return (taken, state.queue.count >= options.writer.blockMaxEvents)
            }
            remaining = remaining.dropFirst(taken)
            if wake { wakeup.signal() }
            guard !remaining.isEmpty else { return }
            if taken > 0, let bound { deadline = .now + bound }
            if let deadline, ContinuousClock.now < deadline, !state.withLock({ $0.closed }) {
                wakeup.signal()
                try? await Task.sleep(for: .milliseconds(1))
                continue
            }
            let dropped = remaining.count
            let total = state.withLock { state in
                state.statistics.dropped += dropped
                return state.statistics.dropped
            }
            if total == dropped || total & (total - 1) == 0 {
                let why = closed ? "the collector is closed" : "buffer of \(options.bufferSize) events is full"
                errorHandler?(CollectorFailure(collector: "file:\(root.path)", operation: .overflow,
                                               message: "\(why); \(total) event(s) dropped so far"))
            }
            return
        }
    }

    /// Returns once every event recorded before the call is written (and fsynced per the durability
    /// setting); throws the I/O error when writing failed.
    public func flush() async throws {
        let error: LogError? = await withCheckedContinuation { continuation in
            let immediate: Bool = state.withLock { state in
                // Once the writing thread has ended nothing would answer: close() says what was lost.
                if state.workerExited || (state.written >= state.accepted && state.closed) { return true }
                state.flushers.append((state.accepted, continuation))
                state.flushRequested = true
                return false
            }
            if immediate { continuation.resume(returning: nil) } else { wakeup.signal() }
        }
        if let error { throw error }
    }

    /// Writes what is buffered, seals the segment and releases the session's lock. When that fails
    /// (a full disk), the events it could not write are counted as dropped and reported, and the
    /// error is thrown; later calls of `close` and `flush` return at once. Refusals that no error
    /// handler heard of are thrown here too, when nothing else failed.
    public func close() async throws {
        // The writing thread writes (and flushes) what is queued once it sees `closed`, then ends;
        // refusals stay unsaid until the end, where they are thrown.
        state.withLock { $0.closed = true }
        wakeup.signal()
        await workerFinished.wait()
        let (failure, lost): (LogError?, Int) = writer.withLock { writer in
            do throws(LogError) {
                try writer.close()
                return (nil, 0)
            } catch {
                return (error, writer.pendingCount)
            }
        }
        let unsaid = takeUnsaidRejections()
        guard let failure else {
            if let unsaid { throw unsaid }
            return
        }
        state.withLock { state in
            state.statistics.dropped += lost
            state.statistics.errors += 1
            state.statistics.lastError = "\(failure)"
        }
        errorHandler?(CollectorFailure(collector: "file:\(root.path)", operation: .flush,
                                       message: "closing failed; \(lost) event(s) were not written: \(failure)"))
        throw failure
    }

    /// The error saying the refusals no handler heard of, or nil when there are none.
    private static func refusal(_ state: State) -> LogError? {
        guard state.unsaidRejections > 0, let first = state.firstUnsaidRejection else { return nil }
        return .invalidInput("\(state.unsaidRejections) event(s) refused, not stored; the first: \(first)")
    }

    /// The refusals no handler heard of, as an error, now said (cleared).
    private func takeUnsaidRejections() -> LogError? {
        state.withLock { state in
            defer {
                state.unsaidRejections = 0
                state.firstUnsaidRejection = nil
            }
            return Self.refusal(state)
        }
    }

    // MARK: The writing thread

    /// The most room (in events) kept in the spare buffer.
    static let spareCapacity = 65_536

    private func run() {
        var nextFlush = ContinuousClock.now + options.flushInterval
        while true {
            let wait = nextFlush - ContinuousClock.now
            if wait > .zero { wakeup.wait(timeout: wait) }
            var batch: [MetricEvent] = []
            let (flushNow, closed, takenThrough, askedBefore) = state.withLock { state -> (Bool, Bool, UInt64, Int) in
                // The queue is taken and the spare buffer left in its place; `batch` holds the only
                // reference, so emptying it after the write keeps its room for reuse.
                batch = state.spare
                state.spare = []
                swap(&batch, &state.queue)
                let flushNow = state.flushRequested
                state.flushRequested = false
                return (flushNow, state.closed, state.accepted, state.flushers.count)
            }
            let due = ContinuousClock.now >= nextFlush
            let flushed = flushNow || due || closed
            let error = write(batch, flush: flushed)
            // The emptied buffer becomes the next queue, so recording appends without allocating
            // (up to a bound, so a burst does not keep its room for good).
            batch.removeAll(keepingCapacity: true)
            if batch.capacity <= Self.spareCapacity { state.withLock { $0.spare = batch } }
            if flushed { nextFlush = ContinuousClock.now + options.flushInterval }
            let unwritten = UInt64(writer.withLock { $0.pendingCount })
            let waiting = state.withLock { state -> [(CheckedContinuation<LogError?, Never>, LogError?)] in
                guard flushed else { return [] }
                if error == nil { state.written = takenThrough - min(unwritten, takenThrough) }
                // A failed attempt answers only the flushes asked before it began (the first
                // `askedBefore`, as only this thread removes any): one asked while it ran, after the
                // cause may have cleared, waits for the next attempt, which includes its events.
                var resumed: [(CheckedContinuation<LogError?, Never>, LogError?)] = []
                var waiting: [(target: UInt64, continuation: CheckedContinuation<LogError?, Never>)] = []
                // Refusals no handler heard of are the outcome of the flushes answered now.
                let refused = Self.refusal(state)
                for (position, flusher) in state.flushers.enumerated() {
                    if let error, position < askedBefore {
                        resumed.append((flusher.continuation, error))
                    } else if error == nil && flusher.target <= state.written {
                        resumed.append((flusher.continuation, refused))
                    } else {
                        waiting.append(flusher)
                    }
                }
                state.flushers = waiting
                if refused != nil, resumed.contains(where: { $0.1 != nil }) {
                    state.unsaidRejections = 0
                    state.firstUnsaidRejection = nil
                }
                return resumed
            }
            for (continuation, error) in waiting { continuation.resume(returning: error) }
            if closed {
                // Flushes asked after the last attempt get its outcome; later ones return at once.
                let (done, left) = state.withLock { state -> (Bool, [(target: UInt64, continuation: CheckedContinuation<LogError?, Never>)]) in
                    guard state.queue.isEmpty else { return (false, []) }
                    state.workerExited = true
                    defer { state.flushers = [] }
                    return (true, state.flushers)
                }
                for flusher in left { flusher.continuation.resume(returning: error) }
                if done { return }
            }
        }
    }

    /// Appends a batch and optionally flushes; on failure reports and keeps what it can within the buffer bound.
    private func write(_ batch: [MetricEvent], flush: Bool) -> LogError? {
        // Events the log cannot store are refused one by one, so they cannot fail the batch they came
        // in. Each is measured once, here; the writer takes the sizes.
        var sizes: [Int] = []
        sizes.reserveCapacity(batch.count)
        var kept: [MetricEvent]?  // made only when an event is refused
        var rejections: [String] = []
        for (position, event) in batch.enumerated() {
            switch EventLimits.measure(event) {
            case .success(let size):
                sizes.append(size)
                kept?.append(event)
            case .failure(let violation):
                rejections.append(violation.message)
                if kept == nil { kept = Array(batch[..<position]) }
            }
        }
        let accepted = kept ?? batch
        if !rejections.isEmpty {
            let handled = errorHandler != nil
            state.withLock { state in
                state.statistics.rejected += rejections.count
                if !handled {
                    state.unsaidRejections += rejections.count
                    state.firstUnsaidRejection = state.firstUnsaidRejection ?? rejections[0]
                }
            }
            for violation in rejections {
                errorHandler?(CollectorFailure(collector: "file:\(root.path)", operation: .record, message: "event refused: \(violation)"))
            }
        }
        let result: (error: LogError?, written: Int, discarded: Int) = writer.withLock { writer in
            let before = writer.writtenSequence
            var failure: LogError?
            do throws(LogError) {
                try writer.append(measured: accepted, sizes: sizes)
                if flush { try writer.flush() }
            } catch {
                failure = error
            }
            // Whatever did not reach the file stays buffered in the writer, within the buffer bound.
            let excess = writer.pendingCount - options.bufferSize
            let discarded = excess > 0 ? writer.discardOldest(excess) : 0
            return (failure, Int(writer.writtenSequence - before), discarded)
        }
        state.withLock { state in
            state.statistics.written += result.written
            state.statistics.dropped += result.discarded
            if let error = result.error {
                state.statistics.errors += 1
                state.statistics.lastError = "\(error)"
            }
        }
        if let error = result.error {
            errorHandler?(CollectorFailure(collector: "file:\(root.path)", operation: .flush, message: "\(error)"))
        }
        return result.error
    }
}
