import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

/// `-o/--output FILE`, for every command that writes data: `-` (or no option) is standard output;
/// a file is written atomically (a temporary file beside it, then a rename), and one inside the
/// log's session data is refused.
struct OutputOptions: ParsableArguments {
    @Option(name: .shortAndLong, parsing: .unconditional,
            help: "Write to this file, atomically (a temporary file, then a rename), instead of standard output; - is standard output.")
    var output: String?

    /// The file to write, or `nil` for standard output.
    var file: String? { output == "-" ? nil : output }

    func validate() throws {
        if output?.isEmpty == true { throw ValidationError("-o needs a file name (or - for standard output)") }
    }

    /// Writes `text` to the output.
    func write(_ text: String, root: LogRoot) throws {
        guard let file else { return try Console.write(text) }
        try FileOutput.write(text, to: file, root: root)
    }

    /// Streams pieces to the output: `body` gets a function writing one piece. A file appears only
    /// when `body` returns: whole, or not at all.
    func stream(root: LogRoot, _ body: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
        guard let file else { return try body { try Console.write($0) } }
        try FileOutput.check(file, root: root)
        let writer = try AtomicFileWriter(path: file)
        try body { try writer.write($0) }
        try writer.commit()
    }
}

/// `--since`/`--until`. A value may start with `-` (`--since -2h`): the next argument is always
/// the value.
struct TimeRangeOptions: ParsableArguments {
    @Option(parsing: .unconditional,
            help: "Only events at or after this time: RFC 3339, a date (2026-11-29, midnight UTC), 2026-11-29T10:00 (UTC unless an offset is given), now, or -2h.")
    var since: String?
    @Option(parsing: .unconditional, help: "Only events before this time (the same forms as --since).")
    var until: String?

    func validate() throws { _ = try range() }

    /// The range, or `nil` when neither option is given.
    func range() throws -> TimeRange? {
        let range = TimeRange(start: try parseTime(since, option: "--since"), end: try parseTime(until, option: "--until"))
        if let start = range.start, let end = range.end, start >= end {
            Console.error("mmm-analyze: warning: --since \(since ?? "") is not before --until \(until ?? ""): no event is in the range")
        }
        return range.start == nil && range.end == nil ? nil : range
    }
}

/// `--session ID` or `--latest`, for commands that read one session (or, where allowed, all).
struct SessionSelection: ParsableArguments {
    @Option(help: "The session.") var session: String?
    @Flag(help: "The session whose last event is newest.") var latest = false

    func validate() throws {
        if session != nil, latest { throw ValidationError("give --session ID or --latest, not both") }
    }

    /// Whether a session was named or asked for.
    var isGiven: Bool { session != nil || latest }

    /// The selected session, checked to exist in `source`; `nil` when neither option was given.
    func resolve(in source: any LogSource) throws -> String? {
        if latest { return try LogMaintenance(source: source).latestSession() }
        guard let session else { return nil }
        if try source.segments(session: session).isEmpty { throw source.missingSessionError(session) }
        return session
    }

    /// The selected session, for commands that need one.
    func required(in source: any LogSource) throws -> String {
        guard let session = try resolve(in: source) else { throw ValidationError("give --session ID or --latest") }
        return session
    }
}
