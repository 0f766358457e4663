import Foundation
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

/// Files a command reads (an NDJSON file, an archive, MMM's old metrics files): one wording for a
/// file that cannot be opened, in every command.
enum InputFile {
    /// Throws `cannot open PATH: REASON` (the system's words: `No such file or directory`) when
    /// `path` cannot be opened for reading. Asked of the system without opening it: opening a named
    /// pipe waits for its writer, and closing it again before the real open broke the writer's pipe.
    static func checkReadable(_ path: String) throws {
        guard access(path, R_OK) == 0 else { throw cannotOpen(path) }
    }

    /// The error for `path` after a failed open, with `errno`'s reason.
    static func cannotOpen(_ path: String, _ code: Int32 = errno) -> CommandFailure {
        CommandFailure("cannot open \(path): \(String(cString: strerror(code)))")
    }
}
