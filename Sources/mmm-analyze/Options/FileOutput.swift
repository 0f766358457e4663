import MMMMetricsCore
import MMMMetricsLog

/// Files a command writes its answer to (`-o FILE`).
enum FileOutput {
    /// Refuses an output path inside the log's session data, where writing would destroy events.
    static func check(_ path: String, root: LogRoot) throws {
        guard root.holdsSessionData(at: path) else { return }
        throw CommandFailure("\(path): refusing to write output inside the log's session data (\(root.path)/sessions)")
    }

    /// Writes `text` to `path` atomically (a temporary file beside it, then a rename); `-` is standard output.
    static func write(_ text: String, to path: String, root: LogRoot) throws {
        if path == "-" { return try Console.write(text) }
        try check(path, root: root)
        try AtomicFile.write(Array(text.utf8), to: path)
    }
}
