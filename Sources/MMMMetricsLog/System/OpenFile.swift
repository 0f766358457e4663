public import MMMMetricsCore
public import MMMMetricsLogFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with the calls the log needs. Not thread-safe: one owner.
final class OpenFile {
    let path: String
    private(set) var descriptor: Int32

    init(path: String, flags: Int32, mode: mode_t = 0o644) throws(LogError) {
        self.path = path
        descriptor = open(path, flags | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw Posix.failure(path, "open") }
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    /// Writes all bytes at the current offset (O_APPEND files: at the end).
    func write(_ bytes: [UInt8]) throws(LogError) {
        if let injected = FaultInjection.failure(for: path) {
            // Simulate a device that took part of the write before failing, as a full disk does.
            let partial = Array(bytes.prefix(bytes.count / 2))
            _ = partial.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            throw Posix.failure(path, "write", injected)
        }
        let failedErrno: Int32? = bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += count
            }
            return nil
        }
        if let failedErrno { throw Posix.failure(path, "write", failedErrno) }
    }

    /// The file's size.
    func fileSize() throws(LogError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Posix.failure(path, "stat") }
        return Int(info.st_size)
    }

    /// `count` bytes at `offset` (fewer only at the end of the file).
    func read(at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw Posix.failure(path, "read")
            }
            if got == 0 { break }
            done += got
        }
        guard done == count else { throw LogError.corrupt(path: path, offset: offset + done, reason: "file cut short") }
        return bytes
    }

    func sync() throws(LogError) {
        if let injected = FaultInjection.failure(for: path) { throw Posix.failure(path, "fsync", injected) }
        guard fsync(descriptor) == 0 else { throw Posix.failure(path, "fsync") }
    }

    func truncate(to size: Int) throws(LogError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw Posix.failure(path, "ftruncate") }
    }

    func seek(to offset: Int) throws(LogError) {
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else { throw Posix.failure(path, "lseek") }
    }

    /// Takes an exclusive, non-blocking `flock`; `false` when someone else holds it.
    func tryLock() throws(LogError) -> Bool {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw Posix.failure(path, "flock")
    }
}
