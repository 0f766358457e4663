import MMMMetricsCore

/// A per-thread buffer: ``current`` for decompressed payloads, ``columns`` for value columns a
/// decoder unpacks while it reads that payload. Users must not keep the bytes: the next block reuses them.
package final class ScratchBuffer {
    private var storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    deinit { storage.deallocate() }

    package func bytes(atLeast count: Int) -> UnsafeMutableRawBufferPointer {
        if storage.count < count {
            storage.deallocate()
            storage = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        }
        return storage
    }

    private static let perThread = ThreadLocal<ScratchBuffer>()
    private static let columnsPerThread = ThreadLocal<ScratchBuffer>()
    package static var current: ScratchBuffer { perThread.value { ScratchBuffer() } }
    package static var columns: ScratchBuffer { columnsPerThread.value { ScratchBuffer() } }

    /// Runs `body` on `count` words of this thread's column scratch (uninitialised), or on words
    /// allocated for the call when they would take more than 4 MiB: a thread keeps what a block
    /// of the default size needs, not what the largest block it ever decoded did.
    package static func withColumnWords<R>(_ count: Int, _ body: (UnsafeMutablePointer<UInt64>) -> R) -> R {
        let bytes = max(1, count) * MemoryLayout<UInt64>.stride
        if bytes > 4 << 20 {
            let words = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, count))
            defer { words.deallocate() }
            return body(words)
        }
        return body(columns.bytes(atLeast: bytes).baseAddress!.bindMemory(to: UInt64.self, capacity: max(1, count)))
    }
}
