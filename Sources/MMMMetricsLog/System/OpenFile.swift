import MMMMetricsLogFormat
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file with the calls the log needs, on apple/swift-system's `FileDescriptor` (open, read,
/// write, seek, truncate, close); what swift-system lacks (`fsync`, `flock`, `fstat`) is written here
/// for Linux and Darwin. Every failure is a ``LogError/io(path:operation:errno:message:)`` naming the
/// file. Not thread-safe: one owner.
package final class OpenFile {
    /// How a file is opened.
    package enum Mode {
        /// Reading.
        case read
        /// Writing from the start (for truncating and rewriting in place).
        case write
        /// Appending: every write goes to the end.
        case append
        /// Appending to a file that must not exist yet.
        case createNew
        /// Reading and writing, created when missing (lock files).
        case readWriteCreate
        /// Writing a new or emptied file (temporary files).
        case replace

        var access: FileDescriptor.AccessMode {
            switch self {
            case .read: .readOnly
            case .write, .append, .createNew, .replace: .writeOnly
            case .readWriteCreate: .readWrite
            }
        }

        var options: FileDescriptor.OpenOptions {
            switch self {
            // Writing never goes through a symbolic link: a link planted in a log cannot make
            // recovery or a writer change a file outside it.
            case .read: [.closeOnExec]
            case .write: [.closeOnExec, .noFollow]
            case .append: [.append, .closeOnExec, .noFollow]
            case .createNew: [.create, .exclusiveCreate, .append, .closeOnExec, .noFollow]
            case .readWriteCreate: [.create, .closeOnExec, .noFollow]
            case .replace: [.create, .truncate, .closeOnExec, .noFollow]
            }
        }
    }

    package let path: String
    private var descriptor: FileDescriptor?

    /// Opens `path`; created files get mode 0644. Only a regular file is opened: a named pipe or a
    /// device where a log file should be (a hostile or broken log) is an error, never a hang (the
    /// open does not block, and the file's type is checked before anything is read or written).
    ///
    /// `anyKind` opens whatever is there, blocking as usual: for a command's output (`-o /dev/stdout`).
    package init(path: String, mode: Mode, anyKind: Bool = false) throws(LogError) {
        self.path = path
        let opened: FileDescriptor
        do {
            opened = try FileDescriptor.open(
                FilePath(path), mode.access, options: anyKind ? mode.options : mode.options.union(.nonBlocking),
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw FileSystem.failure(path, "open", error)
        }
        if anyKind {
            descriptor = opened
            return
        }
        var info = stat()
        guard fstat(opened.rawValue, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            try? opened.close()
            throw .invalidInput("\(path) is not a regular file (a pipe, a device or a directory): the log reads and writes regular files only")
        }
        descriptor = opened
    }

    deinit { close() }

    /// Closes the file (once; later calls do nothing).
    package func close() {
        try? descriptor?.close()
        descriptor = nil
    }

    private func open(_ operation: String) throws(LogError) -> FileDescriptor {
        guard let descriptor else { throw FileSystem.failure(path, operation, Errno.badFileDescriptor) }
        return descriptor
    }

    /// Writes all bytes at the current offset (appending files: at the end).
    package func write(_ bytes: [UInt8]) throws(LogError) {
        let descriptor = try open("write")
        if let injected = FaultInjection.failure(for: path) {
            // A device that took part of the write before failing, as a full disk does.
            _ = try? bytes.prefix(bytes.count / 2).withUnsafeBytes { try descriptor.writeAll($0) }
            throw FileSystem.failure(path, "write", Errno(rawValue: injected))
        }
        do {
            _ = try bytes.withUnsafeBytes { try descriptor.writeAll($0) }
        } catch {
            throw FileSystem.failure(path, "write", error)
        }
    }

    /// `count` bytes at `offset`; a file that ends sooner is an error naming where.
    package func read(at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        let descriptor = try open("read")
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got: Int
            do {
                got = try bytes.withUnsafeMutableBytes { buffer in
                    try descriptor.read(fromAbsoluteOffset: Int64(offset + done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                }
            } catch {
                throw FileSystem.failure(path, "read", error)
            }
            if got == 0 { break }
            done += got
        }
        guard done == count else { throw LogError.corrupt(path: path, offset: offset + done, reason: "file cut short") }
        return bytes
    }

    /// Reads from the current offset into `buffer`; 0 at the end of the file.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogError) -> Int {
        let descriptor = try open("read")
        do { return try descriptor.read(into: buffer) } catch { throw FileSystem.failure(path, "read", error) }
    }

    /// The file's size now.
    package func fileSize() throws(LogError) -> Int {
        let descriptor = try open("stat")
        var info = stat()
        guard fstat(descriptor.rawValue, &info) == 0 else { throw FileSystem.failure(path, "stat") }
        return Int(info.st_size)
    }

    /// Makes written data durable (`fsync`).
    package func sync() throws(LogError) {
        let descriptor = try open("fsync")
        if let injected = FaultInjection.failure(for: path) { throw FileSystem.failure(path, "fsync", Errno(rawValue: injected)) }
        guard fsync(descriptor.rawValue) == 0 else { throw FileSystem.failure(path, "fsync") }
    }

    /// Cuts (or zero-extends) the file to `size` bytes.
    package func truncate(to size: Int) throws(LogError) {
        let descriptor = try open("ftruncate")
        do { try descriptor.resize(to: Int64(size)) } catch { throw FileSystem.failure(path, "ftruncate", error) }
    }

    /// Moves the offset of the next read or write.
    package func seek(to offset: Int) throws(LogError) {
        let descriptor = try open("lseek")
        do { _ = try descriptor.seek(offset: Int64(offset), from: .start) } catch { throw FileSystem.failure(path, "lseek", error) }
    }

    /// Whether `path` still names this open file (same device and inode): false when the file was
    /// removed or replaced since it was opened.
    package func isStill(at path: String) -> Bool {
        guard let descriptor else { return false }
        var open = stat(), named = stat()
        guard fstat(descriptor.rawValue, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// Takes an exclusive `flock`, trying again for up to `patience` while someone else holds it;
    /// `false` when it is still held then. Released on close.
    ///
    /// The short wait covers a lock that is being released: a writer that just closed, or a child
    /// process between fork and exec still holding a copy of the descriptor.
    package func tryLock(patience: Duration = .milliseconds(250)) throws(LogError) -> Bool {
        let descriptor = try open("flock")
        let deadline = ContinuousClock.now + patience
        while true {
            if flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 { return true }
            guard errno == EWOULDBLOCK || errno == EINTR else { throw FileSystem.failure(path, "flock") }
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
    }
}
