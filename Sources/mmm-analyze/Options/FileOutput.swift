import MMMMetricsCore
import MMMMetricsLog

/// Files a command writes its answer to (`-o FILE`).
enum FileOutput {
    /// Writes `text` to `path` atomically (a temporary file beside it, then a rename); `-` is standard output.
    static func write(_ text: String, to path: String) throws {
        if path == "-" { return try Console.write(text) }
        try AtomicFile.write(Array(text.utf8), to: path)
    }
}
