public import MMMMetricsCore
public import MMMMetricsLogFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over POSIX file calls that throw ``LogError`` naming the file.
enum Posix {
    static func failure(_ path: String, _ operation: String, _ code: Int32 = errno) -> LogError {
        .io(path: path, operation: operation, errno: code, message: String(cString: strerror(code)))
    }

    /// The whole file.
    static func readFile(_ path: String) throws(LogError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "stat") }
        var size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var total = 0
        while true {
            if total == size {
                // The file may have grown since fstat (a writer appending): read what is there now.
                var probe = [UInt8](repeating: 0, count: 65536)
                let extra = probe.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if extra < 0, errno == EINTR { continue }
                guard extra >= 0 else { throw failure(path, "read") }
                if extra == 0 { break }
                bytes.append(contentsOf: probe[0..<extra])
                total += extra
                size = total
                continue
            }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + total, size - total)
            }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure(path, "read") }
            if count == 0 {
                bytes.removeSubrange(total...)
                break
            }
            total += count
        }
        return bytes
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates a directory and its parents.
    static func makeDirectories(_ path: String) throws(LogError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix), mkdir(prefix, 0o755) != 0, errno != EEXIST { throw failure(prefix, "mkdir") }
            prefix += "/"
        }
    }

    /// Names in a directory, without `.` and `..`, sorted.
    static func listDirectory(_ path: String) throws(LogError) -> [String] {
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

    /// Syncs a directory so that entries created or renamed in it survive a crash.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Writes a whole file under a temporary name, then renames it over `path`.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], sync: Bool) throws(LogError) {
        let temporary = path + ".tmp-\(getpid())"
        let file = try OpenFile(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(LogError) {
            try file.write(bytes)
            if sync { try file.sync() }
            file.close()
            guard rename(temporary, path) == 0 else { throw failure(path, "rename") }
        } catch {
            file.close()
            unlink(temporary)
            throw error
        }
        if sync { syncDirectory(parent(of: path)) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Removes a file, ignoring failure (cleanup of temporary or derived files).
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes a file; throws when it cannot be removed (a missing file is not an error).
    static func removeFile(_ path: String) throws(LogError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure(path, "unlink") }
    }
}

extension Posix {
    /// What is at a path.
    enum Kind: Equatable {
        case missing, file, directory
    }

    /// Whether `path` is a directory, another kind of file, or nothing (symbolic links followed).
    static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }
}
