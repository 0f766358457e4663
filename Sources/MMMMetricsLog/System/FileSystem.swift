import MMMMetricsLogFormat
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file-system calls of the log, on Linux and Darwin: the one place outside `OpenFile` that
/// makes system calls. Failures are ``LogError/io(path:operation:errno:message:)`` naming the path.
package enum FileSystem {
    /// The error for a failed call, from `errno` (or the given code).
    package static func failure(_ path: String, _ operation: String, _ code: Int32 = errno) -> LogError {
        .io(path: path, operation: operation, errno: code, message: String(cString: strerror(code)))
    }

    /// Whether `error` says a file was not there (it may have been removed since it was listed).
    package static func isMissingFile(_ error: LogError) -> Bool {
        if case .io(_, _, let code, _) = error { return code == ENOENT }
        return false
    }

    /// The error for a failed swift-system call.
    static func failure(_ path: String, _ operation: String, _ error: any Error) -> LogError {
        let code = (error as? Errno)?.rawValue ?? EIO
        return failure(path, operation, code)
    }

    /// The whole file, including what a writer appends while it is read.
    package static func readFile(_ path: String) throws(LogError) -> [UInt8] {
        let file = try OpenFile(path: path, mode: .read)
        var bytes = [UInt8](repeating: 0, count: try file.fileSize())
        var total = 0
        while total < bytes.count {
            let count = try read(file, into: &bytes, at: total)
            if count == 0 { break }
            total += count
        }
        if total < bytes.count {
            bytes.removeSubrange(total...)
            return bytes
        }
        // The file grew since its size was taken (a writer appending): read what is there now.
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = try read(file, into: &chunk, at: 0)
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    private static func read(_ file: OpenFile, into bytes: inout [UInt8], at offset: Int) throws(LogError) -> Int {
        try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(LogError) -> Int in try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...])) }
        }.get()
    }

    /// What is at a path.
    package enum Kind: Equatable {
        case missing, file, directory
    }

    /// Whether `path` is a directory, another kind of file, or nothing (symbolic links followed).
    package static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }

    package static func isDirectory(_ path: String) -> Bool { kind(of: path) == .directory }

    /// Whether anything, even a dangling symbolic link, is at `path`.
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The size of the file at `path` in bytes (symbolic links followed); `nil` when nothing is there.
    package static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// When the file at `path` was last modified, in nanoseconds since the epoch (symbolic links
    /// followed); `nil` when nothing is there.
    package static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        // Beyond Int64 nanoseconds (years 1678–2261) the time is clamped: it only has to compare.
        let seconds = Int64(time.tv_sec)
        guard seconds > -9_223_372_035, seconds < 9_223_372_035 else { return seconds < 0 ? .min : .max }
        return seconds * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Whether `path` itself is a symbolic link (not followed).
    package static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// Whether `path` is a regular file (symbolic links followed); `nil` when nothing is there.
    static func isRegularFile(_ path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Creates a directory and its parents.
    package static func makeDirectories(_ path: String) throws(LogError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix), mkdir(prefix, 0o755) != 0, errno != EEXIST { throw failure(prefix, "mkdir") }
            prefix += "/"
        }
    }

    /// Names in a directory, without `.` and `..`, sorted.
    package static func listDirectory(_ path: String) throws(LogError) -> [String] {
        guard let directory = opendir(path) else { throw failure(path, "opendir") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Syncs a directory so that entries created or renamed in it survive a crash (best effort:
    /// some file systems refuse to sync directories).
    package static func syncDirectory(_ path: String) {
        guard let directory = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.directory, .closeOnExec]) else { return }
        fsync(directory.rawValue)
        try? directory.close()
    }

    /// Writes a whole file under a temporary name beside it, then renames it over `path`, so a
    /// reader sees the old file or the new one, never a mix.
    package static func writeAtomically(_ path: String, _ bytes: [UInt8], sync: Bool) throws(LogError) {
        let temporary = path + ".tmp-\(processID)"
        let file = try OpenFile(path: temporary, mode: .replace)
        do throws(LogError) {
            try file.write(bytes)
            if sync { try file.sync() }
            file.close()
            try rename(temporary, to: path)
        } catch {
            file.close()
            remove(temporary)
            throw error
        }
        if sync { syncDirectory(parent(of: path)) }
    }

    /// Renames (moves) a file or directory, replacing a file at the destination.
    package static func rename(_ path: String, to destination: String) throws(LogError) {
        #if canImport(Glibc)
        let result = Glibc.rename(path, destination)
        #else
        let result = Darwin.rename(path, destination)
        #endif
        guard result == 0 else { throw failure(destination, "rename") }
    }

    /// The directory part of a path.
    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Removes a file, ignoring failure (cleanup of temporary or derived files).
    package static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes a file; throws when it cannot be removed (a missing file is not an error).
    package static func removeFile(_ path: String) throws(LogError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure(path, "unlink") }
    }

    /// Removes an empty directory, ignoring failure.
    package static func removeDirectory(_ path: String) {
        rmdir(path)
    }

    /// This process's id.
    package static var processID: Int32 { getpid() }

    /// Whether a process `pid` runs now (one of another user's counts: `EPERM`).
    package static func processExists(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// An environment variable's value.
    package static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

extension FileSystem {
    /// `path` with symbolic links and `.`/`..` resolved: in full when it exists, else its parent's
    /// resolution and its last name; `nil` when not even the parent exists.
    package static func resolvedPath(_ path: String, depth: Int = 0) -> String? {
        guard depth < 16 else { return nil }  // a loop of links
        func real(_ path: String) -> String? {
            guard let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        if let whole = real(path) { return whole }
        // A link to a file not yet there names that file (as a shell's `>` would create it).
        var link = path
        var followed = 0
        for _ in 0..<16 {
            var buffer = [CChar](repeating: 0, count: 4097)
            let count = readlink(link, &buffer, 4096)
            guard count > 0 else { break }
            let destination = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            link = destination.hasPrefix("/") ? destination : parent(of: link) + "/" + destination
            followed += 1
        }
        if followed > 0 { return link == path ? nil : resolvedPath(link, depth: depth + 1) }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard name != "..", name != ".", let parent = real(parent(of: path)) else { return nil }
        return parent == "/" ? "/" + name : parent + "/" + name
    }
}

/// Whole-file writes that readers never see half done.
public enum AtomicFile {
    /// Writes `bytes` to `path` so that a reader sees the old content or the new, never a mix: into
    /// a temporary file beside it (synced when `sync`), then renamed over it. A symbolic link is
    /// followed (the file it points to is replaced, not the link); something that is not a regular
    /// file, such as a device or a pipe, is written in place. On failure the target is untouched.
    public static func write(_ bytes: [UInt8], to path: String, sync: Bool = true) throws(LogError) {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(bytes)
        try writer.commit(sync: sync)
    }
}

/// A file written in pieces that readers see whole or not at all (``AtomicFile``'s rules): the
/// pieces go to a temporary file beside the target, which ``commit(sync:)`` renames over it. A
/// writer dropped without a commit removes its temporary file and leaves the target untouched.
public final class AtomicFileWriter {
    private let target: String
    private let file: OpenFile
    private let inPlace: Bool
    private var finished = false

    /// Starts writing `path` (a device or pipe is written in place, a symbolic link followed).
    public init(path: String) throws(LogError) {
        guard let resolved = FileSystem.resolvedPath(path) else {
            throw .invalidInput("\(path): cannot be written: a loop of symbolic links, or a folder that does not exist")
        }
        if FileSystem.isDirectory(resolved) {
            throw .invalidInput("\(path): cannot be written: \(resolved == path ? "" : "it leads to \(resolved), ")a directory\(Self.closedStandardNote(path))")
        }
        target = resolved
        inPlace = FileSystem.isRegularFile(target) == false
        file = try OpenFile(path: inPlace ? target : target + ".tmp-\(FileSystem.processID)", mode: inPlace ? .write : .replace, anyKind: inPlace)
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws(LogError) {
        try file.write(bytes)
    }

    /// Why `/dev/stdout` (or `/dev/fd/1`, `/proc/self/fd/1`; likewise 0 and 2) leads to a directory:
    /// the descriptor was closed when the process started and holds the root directory since
    /// (``ProcessArguments/reserveStandardDescriptors()``).
    private static func closedStandardNote(_ path: String) -> String {
        let names = ["standard input", "standard output", "standard error"]
        for descriptor in ProcessArguments.reservedStandardDescriptors {
            let aliases = ["/dev/fd/\(descriptor)", "/proc/self/fd/\(descriptor)", "/dev/" + ["stdin", "stdout", "stderr"][Int(descriptor)]]
            if aliases.contains(path) { return " (\(names[Int(descriptor)]) was closed when this process started)" }
        }
        return ""
    }

    /// Puts the file in place (synced first when `sync`).
    public func commit(sync: Bool = true) throws(LogError) {
        finished = true
        guard !inPlace else { return file.close() }
        do throws(LogError) {
            if sync { try file.sync() }
            file.close()
            try FileSystem.rename(file.path, to: target)
        } catch {
            file.close()
            FileSystem.remove(file.path)
            throw error
        }
        if sync { FileSystem.syncDirectory(FileSystem.parent(of: target)) }
    }

    deinit {
        guard !finished else { return }
        file.close()
        if !inPlace { FileSystem.remove(file.path) }
    }
}
