import MMMMetricsLogFormat

/// Compresses one block at a time on a thread of its own, so the writing thread encodes the next
/// block (and the reading thread parses lines) while zstd works: `ingest` spent a fifth of its
/// writing thread in zstd.
///
/// Shared by the writers of one ingest, which all run on one thread: at most one block is in
/// flight, and the writer that submitted it (``owner``) places it in its segment before another
/// block is submitted (``SessionLogWriter/settleInFlight()``), so blocks reach each file in order
/// and the output is byte for byte what compressing on the writing thread gives.
package final class BlockCompressionLane: @unchecked Sendable {  // `owner` is only touched by the writing thread
    private enum Job {
        case idle
        case waiting(BlockPayload.Encoded, level: Int32, sectionMinimum: Int)
        case compressing
        case done(Result<StoredPayload, ZstdFailure>)
        case stopped
    }

    private let job = GuardedState(Job.idle)
    /// The writer whose block is in flight (only read and written on the writing thread).
    var owner: SessionLogWriter?

    /// Starts the compressing thread; `nil` when the system has no thread to give (writers then
    /// compress on their own thread, as without a lane).
    package static func start() -> BlockCompressionLane? {
        let lane = BlockCompressionLane()
        do {
            try DedicatedThread.start(for: "block compression") { [lane] in lane.run() }
        } catch {
            return nil
        }
        return lane
    }

    private init() {}

    private func run() {
        var compressors: [Int32: ZstdCompressor] = [:]
        while true {
            let next: (BlockPayload.Encoded, Int32, Int)? = job.wait { state in
                switch state {
                case .waiting(let payload, let level, let sectionMinimum):
                    state = .compressing
                    return .some((payload, level, sectionMinimum))
                case .stopped:
                    return .some(nil)
                case .idle, .compressing, .done:
                    return nil
                }
            }
            guard let (payload, level, sectionMinimum) = next else { return }
            let compressor = compressors[level] ?? ZstdCompressor(level: level)
            compressors[level] = compressor
            let result = Result { () throws(ZstdFailure) -> StoredPayload in try StoredPayload.make(payload, compressor: compressor, sectionMinimum: sectionMinimum) }
            job.update { state in
                if case .compressing = state { state = .done(result) }
            }
        }
    }

    /// Hands over a payload to compress at `level` (in sections from `sectionMinimum` bytes). The
    /// lane must be free (``take()`` called since the last submission).
    func submit(_ payload: BlockPayload.Encoded, level: Int32, sectionMinimum: Int) {
        job.update { state in
            precondition({ if case .idle = state { true } else { false } }(), "a block is already in flight")
            state = .waiting(payload, level: level, sectionMinimum: sectionMinimum)
        }
    }

    /// Waits for the submitted payload as stored; the lane is free again afterwards.
    func take() -> Result<StoredPayload, ZstdFailure> {
        job.wait { state in
            guard case .done(let result) = state else { return nil }
            state = .idle
            return result
        }
    }

    /// Ends the thread once it has finished the block in hand (whose stored payload is dropped).
    package func stop() {
        job.update { state in state = .stopped }
    }
}
