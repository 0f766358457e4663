import Dispatch
import MMMMetricsLogFormat

/// Decodes a segment's blocks on a second thread while the reader's caller works on earlier ones.
///
/// Decoding is most of a replay's time, and the caller's work on a block (a query's aggregation) the
/// rest; a helper on Dispatch's global queue decodes ahead, at most ``lookahead`` blocks, while the
/// caller takes the blocks strictly in order, decoding one itself when the helper has not reached
/// it. The caller sees the same blocks and the same damage, in the same order, as a replay on one
/// thread: only where the decoding runs changes.
final class BlockPrefetch: @unchecked Sendable {
    /// What decoding one block gave.
    enum Outcome: Sendable {
        case decoded(DecodedBlock)
        /// The block's CRC does not match.
        case badChecksum
        /// The block does not decode.
        case failed(LogError)
    }

    /// What to decode of a block: its parts, the tag keys (nil: all), the metrics whose values are
    /// read (nil: all).
    typealias Request = (parts: DecodedParts, tagKeys: Set<String>?, valueMetrics: Set<String>?)

    /// Decoded blocks the helper may hold that the caller has not taken yet.
    static let lookahead = 3

    // The segment's bytes outlive the helper: `finish()` waits for it before the caller's scope ends.
    private let raw: UnsafeRawBufferPointer
    private let blocks: [BlockLocation]
    /// What to decode of each block (``DecodedParts``, and the tag keys; nil: all), one entry per block.
    private let parts: [Request]
    private let path: String
    private struct State {
        var next = 0
        var results: [Int: Outcome] = [:]
        var cancelled = false
    }
    // A pthread lock (`GuardedState`), which ThreadSanitizer sees, unlike `Mutex` on Linux.
    private let state = GuardedState(State())
    private let resultReady = DispatchSemaphore(value: 0)
    // Made at 0 and signalled up: Dispatch traps when a semaphore is freed below its initial value.
    private let room = DispatchSemaphore(value: 0)
    private let helperDone = DispatchSemaphore(value: 0)

    init(raw: UnsafeRawBufferPointer, blocks: [BlockLocation], parts: [Request], path: String) {
        self.raw = raw
        self.blocks = blocks
        self.parts = parts
        self.path = path
        for _ in 0..<Self.lookahead { room.signal() }
        DispatchQueue.global().async { [self] in helper() }
    }

    static func decode(_ raw: UnsafeRawBufferPointer, _ block: BlockLocation, parts: Request, path: String) -> Outcome {
        guard BlockHeader.validate(raw, at: block.offset) != nil else { return .badChecksum }
        do throws(LogError) {
            return .decoded(try BlockDecoding.decode(raw, block, path: path, parts: parts.parts, tagKeys: parts.tagKeys, valueMetrics: parts.valueMetrics))
        } catch {
            return .failed(error)
        }
    }

    private func helper() {
        defer { helperDone.signal() }
        while true {
            room.wait()
            let claimed: Int? = state.update { state in
                guard !state.cancelled, state.next < blocks.count else { return nil }
                defer { state.next += 1 }
                return state.next
            }
            guard let index = claimed else { return }
            let outcome = Self.decode(raw, blocks[index], parts: parts[index], path: path)
            state.update { $0.results[index] = outcome }
            resultReady.signal()
        }
    }

    /// Block `index`'s outcome; blocks must be taken in order, each once.
    func take(_ index: Int) -> Outcome {
        while true {
            let (ready, mine) = state.update { state -> (Outcome?, Bool) in
                if let outcome = state.results.removeValue(forKey: index) { return (outcome, false) }
                guard state.next == index else { return (nil, false) }
                state.next += 1
                return (nil, true)
            }
            if let ready {
                room.signal()
                return ready
            }
            if mine { return Self.decode(raw, blocks[index], parts: parts[index], path: path) }
            resultReady.wait()
        }
    }

    /// Stops the helper and waits for it; call before the segment's bytes go away.
    func finish() {
        state.update { $0.cancelled = true }
        room.signal()
        helperDone.wait()
    }
}
