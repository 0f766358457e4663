public import MMMMetricsCore
public import MMMMetricsLogFormat

/// Whole-file writes that readers never see half done.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path` (synced when `sync`), then renames it over
    /// `path`: a reader sees the old file or the new one, never a mix; on failure `path` is untouched
    /// and the temporary file removed.
    public static func write(_ bytes: [UInt8], to path: String, sync: Bool = true) throws(LogError) {
        try Posix.writeAtomically(path, bytes, sync: sync)
    }
}
