import MMMMetricsCore
import MMMMetricsLog

/// What reading one session hands to the thread that folds the answer, in the session's order.
enum SessionItem {
    /// Damage met (lenient reading).
    case warning(ReadWarning)
    /// A block's totals, of `events` events.
    case summary(BlockSummary, events: Int)
    /// A decoded block's events sorted into groups, to flush into the answer.
    case block(BlockGroups)
    /// The session is read; what its events carried.
    case end(KeyUsage)
    /// Reading stopped on this error (strict reading, or the log could not be read).
    case failed(any Error)
}

/// Reads sessions on two threads of their own while the caller folds what they read, strictly in
/// session order and block by block, on the caller's thread: the answer is the one a single thread
/// gives, bit for bit (sums add in the same order), only faster.
///
/// Memory: the reading threads stop when ``budget`` items wait for the caller (per session being
/// folded, and in all for the sessions after it), so it does not grow with the log.
enum SessionPool {
    /// Threads reading: the machine this runs on has two cores; decoding within a segment has its
    /// own helper (`BlockPrefetch`).
    static let threads = 2
    /// Items (each at most a decoded block) that may wait for the caller.
    static let budget = 4

    private struct State {
        var nextSession = 0
        /// The session the caller folds now.
        var folding = 0
        var queues: [Int: [SessionItem]] = [:]
        /// What each queue holds, in ``budget`` units: one per decoded block and one per handover.
        var units: [Int: Int] = [:]
        var cancelled = false
        var running = 0

        func accepts(from session: Int) -> Bool {
            if session == folding { return units[session, default: 0] < SessionPool.budget }
            return units.filter { $0.key > folding }.reduce(0) { $0 + $1.value } < SessionPool.budget
        }
    }

    /// Items a reading thread gathers before handing them over, unless a decoded block or the
    /// session's end comes first: a session answered from the index's totals goes over in one
    /// handover, not one per block (each wakes the folding thread).
    static let itemsPerHandover = 256

    private final class Shared: @unchecked Sendable {  // items move between threads under `state`'s lock
        let state = GuardedState(State())
    }

    /// Runs `read` for sessions `0..<count` on the reading threads and hands every item to `fold`,
    /// session by session in order, on this thread. `read` gets a function that queues an item and
    /// answers false when the caller stopped (then `read` returns). When `fold` throws, reading stops
    /// and the threads are waited for before the error leaves.
    static func run(
        count: Int, read: @escaping @Sendable (Int, (SessionItem) -> Bool) -> Void, fold: (Int, SessionItem) throws -> Void
    ) throws {
        // One session gains nothing from a thread of its own (its blocks are decoded ahead by
        // `BlockPrefetch`): it is read on this thread.
        if count == 1 { return try inline(count: count, read: read, fold: fold) }
        guard count > 1 else { return }
        let shared = Shared()
        var failed = false
        for _ in 0..<min(threads, count) where !failed {
            shared.state.update { $0.running += 1 }
            do throws(LogError) {
                try DedicatedThread.start(for: "query") { reader(shared, count: count, read: read) }
            } catch {
                shared.state.update { $0.running -= 1 }
                failed = true
            }
        }
        // No thread to be had (a process or memory limit): everything is read on this one.
        if shared.state.update({ $0.running }) == 0 { return try inline(count: count, read: read, fold: fold) }
        defer {
            shared.state.update { $0.cancelled = true }
            shared.state.wait { $0.running == 0 ? () : nil }
        }
        for session in 0..<count {
            shared.state.update { $0.folding = session }
            folding: while true {
                let items = shared.state.wait { state -> [SessionItem]? in
                    guard let queue = state.queues.removeValue(forKey: session), !queue.isEmpty else { return nil }
                    state.units[session] = nil
                    return queue
                }
                for item in items {
                    try fold(session, item)
                    switch item {
                    case .end, .failed: break folding
                    default: continue
                    }
                }
            }
        }
    }

    /// Reads and folds every session on this thread, item by item.
    private static func inline(count: Int, read: (Int, (SessionItem) -> Bool) -> Void, fold: (Int, SessionItem) throws -> Void) throws {
        try withoutActuallyEscaping(fold) { fold in
            for session in 0..<count {
                var failure: (any Error)?
                read(session) { item in
                    do {
                        try fold(session, item)
                        return true
                    } catch {
                        failure = error
                        return false
                    }
                }
                if let failure { throw failure }
            }
        }
    }

    private static func reader(_ shared: Shared, count: Int, read: (Int, (SessionItem) -> Bool) -> Void) {
        defer { shared.state.update { $0.running -= 1 } }
        while true {
            // Nobody waits for a claim: no wake-up.
            let claimed: Int? = shared.state.update(notifying: false) { state in
                guard !state.cancelled, state.nextSession < count else { return nil }
                defer { state.nextSession += 1 }
                return state.nextSession
            }
            guard let session = claimed else { return }
            var gathered: [SessionItem] = []
            var blocks = 0
            // Hands the gathered items over, waiting for room; false when the caller stopped.
            func handOver() -> Bool {
                let units = blocks + 1
                defer {
                    gathered = []
                    blocks = 0
                }
                return shared.state.wait { state -> Bool? in
                    if state.cancelled { return false }
                    guard state.accepts(from: session) else { return nil }
                    state.queues[session, default: []].append(contentsOf: gathered)
                    state.units[session, default: 0] += units
                    return true
                }
            }
            read(session) { item in
                gathered.append(item)
                switch item {
                case .block:
                    blocks += 1
                    return handOver()
                case .end, .failed:
                    return handOver()
                case .warning, .summary:
                    return gathered.count < itemsPerHandover || handOver()
                }
            }
        }
    }
}
