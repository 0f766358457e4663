import MMMMetricsCore

/// What went wrong with a log, naming the file and, where it applies, the byte offset.
public enum LogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed on a file.
    case io(path: String, operation: String, errno: Int32, message: String)
    /// Another process (or another writer in this one) holds the session's writer lock.
    case locked(session: String, path: String, holderPID: Int32?)
    /// A file is not in the log format, or is damaged.
    case corrupt(path: String, offset: Int, reason: String)
    /// An argument or input is not acceptable.
    case invalidInput(String)
    /// No such session in the log root.
    case noSuchSession(String, root: String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let errno, let message):
            "\(path): \(operation) failed: \(message) (errno \(errno))"
        case .locked(let session, let path, let pid):
            "session \(session) is already being written by " + (pid.map { "pid \($0)" } ?? "another writer") + " (lock \(path))"
        case .corrupt(let path, let offset, let reason):
            "\(path): offset \(offset): \(reason)"
        case .invalidInput(let message):
            message
        case .noSuchSession(let session, let root):
            "no session \(session) in \(root)"
        }
    }
}
