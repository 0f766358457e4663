import CZstd

/// A zstd failure, with libzstd's own words.
package struct ZstdFailure: Error, CustomStringConvertible {
    package let description: String
}

/// A compression context (reused across blocks: creating one per block is slow). Not thread-safe:
/// each writer owns one.
package final class ZstdCompressor {
    private let context: OpaquePointer
    package let level: Int32

    package init(level: Int32) {
        context = ZSTD_createCCtx()
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One standard zstd frame holding `source`, with its content size recorded in the frame header.
    package func compress(_ source: UnsafeRawBufferPointer) throws(ZstdFailure) -> [UInt8] {
        let bound = ZSTD_compressBound(source.count)
        var failure: String?
        let frame = [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { buffer, count in
            let result = ZSTD_compressCCtx(context, buffer.baseAddress, bound, source.baseAddress, source.count, level)
            if ZSTD_isError(result) != 0 {
                failure = String(cString: ZSTD_getErrorName(result))
                count = 0
            } else {
                count = result
            }
        }
        if let failure { throw ZstdFailure(description: "zstd compression failed: \(failure)") }
        return frame
    }
}

/// Decompression of one frame into a buffer of the exact declared size.
package enum ZstdDecoder {
    /// Decompresses `source`, which must decode to exactly `expectedSize` bytes, into `destination`.
    /// Writes at most `expectedSize` bytes: a frame that would decompress to gigabytes fails instead.
    package static func decompress(
        _ source: UnsafeRawBufferPointer, expectedSize: Int, into destination: UnsafeMutableRawBufferPointer
    ) throws(ZstdFailure) {
        let declared = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        if declared == ZSTD_CONTENTSIZE_ERROR {
            throw ZstdFailure(description: "not a zstd frame")
        }
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != UInt64(expectedSize) {
            throw ZstdFailure(description: "zstd frame declares \(declared) bytes, expected \(expectedSize)")
        }
        let result = ZSTD_decompressDCtx(
            DecompressionContext.current.pointer, destination.baseAddress, expectedSize, source.baseAddress, source.count)
        if ZSTD_isError(result) != 0 {
            throw ZstdFailure(description: "zstd: \(String(cString: ZSTD_getErrorName(result)))")
        }
        guard result == expectedSize else {
            throw ZstdFailure(description: "zstd frame decoded to \(result) bytes, expected \(expectedSize)")
        }
    }
}

/// One zstd decompression context per thread (contexts are not thread-safe; making one per block is slow).
package final class DecompressionContext {
    package let pointer: OpaquePointer

    package init() { pointer = ZSTD_createDCtx() }
    deinit { ZSTD_freeDCtx(pointer) }

    private static let perThread = ThreadLocal<DecompressionContext>()
    package static var current: DecompressionContext { perThread.value { DecompressionContext() } }
}
