import MMMMetricsCore
public import MMMMetricsLogFormat

extension LogRoot {
    /// What reading commands read at `path`: a session archive when it is a file, else the log root
    /// there. A path that does not exist is an error (a mistyped path must not read as an empty,
    /// healthy log) unless `allowMissing`.
    public static func openSource(_ path: String, allowMissing: Bool = false) throws(LogError) -> any LogSource {
        switch FileSystem.kind(of: path) {
        case .file: return try ArchiveSource(path: path)
        case .directory: return LogRoot(path: path)
        case .missing:
            guard allowMissing else {
                // Worded as every command words a missing input file (`cannot open PATH: …`).
                throw .invalidInput("cannot open \(path): No such file or directory (no such log directory or archive; the log root is --log, else $MMM_METRICS_DIR, else .mmm/metrics)")
            }
            return LogRoot(path: path)
        }
    }

    /// The log root at `path` for writing; an archive (a file) is refused: archives are read-only.
    public static func openWritable(_ path: String) throws(LogError) -> LogRoot {
        if case .file = FileSystem.kind(of: path) {
            throw .invalidInput("\(path) is a file (an archive is read-only); this command needs a log directory")
        }
        return LogRoot(path: path)
    }

    /// MMM's old metrics files in the root directory (`current.json`, `history.json`), which
    /// `import-legacy` turns into events.
    public var legacyMetricsFiles: [String] {
        ["current.json", "history.json"].filter { FileSystem.kind(of: path + "/" + $0) == .file }
    }
}

extension LogSource {
    /// The error for a session that is not here, listing the sessions that are (and, for a root that
    /// holds only MMM's old metrics files, the command that imports them).
    public func missingSessionError(_ session: String) -> LogError {
        let known = (try? sessionIDs()) ?? []
        if known.isEmpty, let root = self as? LogRoot, !root.legacyMetricsFiles.isEmpty {
            return .invalidInput("""
                \(root.path) holds only MMM's old metrics files (\(root.legacyMetricsFiles.joined(separator: ", "))), no event log yet. Import them with:
                  mmm-analyze import-legacy --log \(root.path) --session \(session) \(root.path)
                """)
        }
        let listed = known.isEmpty ? "" : "; sessions there: " + known.prefix(10).joined(separator: ", ") + (known.count > 10 ? ", …" : "")
        return .invalidInput("no session \(session) in \(location)\(listed)")
    }
}
