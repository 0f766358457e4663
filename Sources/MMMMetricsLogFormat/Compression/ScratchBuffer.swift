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
}
