public import MMMMetricsCore
public import MMMMetricsLog

/// Recording failures, counted where they survive the failure: one line each in a file outside
/// the log (the log may be the thing that failed).
///
/// The file is `$MMM_RECORD_FAILURES` when set, else `$XDG_STATE_HOME/mmm-record/failures.log`,
/// else `$HOME/.local/state/mmm-record/failures.log`. Each line is
/// `<RFC 3339 time>\t<session>\t<log root>\t<reason>` (tabs and line breaks in the fields become
/// spaces), appended in one `write` with `O_APPEND`, so lines from concurrent processes do not mix.
public enum RecordingFailures {
    /// The failures file for an environment, or `nil` when neither the override nor a home is set.
    public static func path(environment: [String: String]) -> String? {
        if let path = environment["MMM_RECORD_FAILURES"], !path.isEmpty { return path }
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/mmm-record/failures.log" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.local/state/mmm-record/failures.log" }
        return nil
    }

    /// Appends one failure; returns the file and the number of failures it now holds, or `nil`
    /// when the failure could not be counted either (then only standard error says so).
    public static func note(
        session: String, root: String, reason: String, environment: [String: String], now: MetricTimestamp = .now()
    ) -> (path: String, count: Int)? {
        guard let path = path(environment: environment) else { return nil }
        func field(_ text: String) -> String {
            String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 }.prefix(2_000))
        }
        let line = [RFC3339.format(now), field(session), field(root), field(reason)].joined(separator: "\t") + "\n"
        do {
            try? FileSystem.makeDirectories(FileSystem.parent(of: path))
            // Created exclusively when missing; another process creating it first is fine: append to theirs.
            let file = try (try? OpenFile(path: path, mode: .append)) ?? (try? OpenFile(path: path, mode: .createNew))
                ?? OpenFile(path: path, mode: .append)
            defer { file.close() }
            try file.write(Array(line.utf8))
            return (path, try count(path))
        } catch {
            return nil
        }
    }

    /// The number of failures in the file (its lines); 0 when there is none.
    public static func count(_ path: String) throws(LogError) -> Int {
        guard FileSystem.exists(path) else { return 0 }
        return try FileSystem.readFile(path).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
