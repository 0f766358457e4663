import CZstd
#if canImport(Glibc)
import Glibc
#endif

/// A zstd failure, with libzstd's own words.
struct ZstdFailure: Error, CustomStringConvertible {
    let description: String
}

/// A compression context (reused across blocks: creating one per block is slow). Not thread-safe:
/// each writer owns one.
final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32

    init(level: Int32) {
        context = ZSTD_createCCtx()
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One standard zstd frame holding `source`, with its content size recorded in the frame header.
    func compress(_ source: UnsafeRawBufferPointer) throws(ZstdFailure) -> [UInt8] {
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
enum ZstdDecoder {
    /// Decompresses `source`, which must decode to exactly `expectedSize` bytes, into `destination`.
    /// Writes at most `expectedSize` bytes: a frame that would decompress to gigabytes fails instead.
    static func decompress(
        _ source: UnsafeRawBufferPointer, expectedSize: Int, into destination: UnsafeMutableRawBufferPointer
    ) throws(ZstdFailure) {
        let declared = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        if declared == ZSTD_CONTENTSIZE_ERROR {
            throw ZstdFailure(description: "not a zstd frame")
        }
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != UInt64(expectedSize) {
            throw ZstdFailure(description: "zstd frame declares \(declared) bytes, the block header \(expectedSize)")
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
final class DecompressionContext {
    let pointer: OpaquePointer

    init() { pointer = ZSTD_createDCtx() }
    deinit { ZSTD_freeDCtx(pointer) }

    private static let perThread = ThreadLocal<DecompressionContext>()
    static var current: DecompressionContext { perThread.value { DecompressionContext() } }
}

/// A value per thread, made on first use and released when its thread ends.
final class ThreadLocal<Value: AnyObject>: Sendable {
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
        self.key = key
    }

    /// This thread's value, made by `make` the first time.
    func value(_ make: () -> Value) -> Value {
        if let existing = pthread_getspecific(key) { return Unmanaged<AnyObject>.fromOpaque(existing).takeUnretainedValue() as! Value }
        let value = make()
        pthread_setspecific(key, Unmanaged<AnyObject>.passRetained(value).toOpaque())
        return value
    }
}
