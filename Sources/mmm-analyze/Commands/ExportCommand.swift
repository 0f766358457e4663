import ArgumentParser
import MMMMetricsCore
import MMMMetricsLegacy
import MMMMetricsLog

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write events as NDJSON to standard output (or --output), in sequence order.",
        discussion: """
            --format legacy-current writes the session's latest state as MMM's old current.json (the ProjectMetrics \
            shape) for MMM's existing readers: to --output, default <log root>/current.json, atomically.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case ndjson
        case legacyCurrent = "legacy-current"
    }

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @Option(help: "Only this session (default: every session, by id).") var session: String?
    @Option(help: "Only events at or after this time (RFC 3339, now, -2h).") var since: String?
    @Option(help: "Only events before this time.") var until: String?
    @Option(help: "Only names matching this glob (* matches any run); repeatable.") var name: [String] = []
    @Option(help: "ndjson or legacy-current.") var format: Format = .ndjson
    @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of standard output; with --format legacy-current, default <log root>/current.json.") var output: String?

    func validate() throws {
        if format == .legacyCurrent, session == nil { throw ValidationError("--format legacy-current needs --session") }
        _ = try parseTime(since, option: "--since")
        _ = try parseTime(until, option: "--until")
    }

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            if format == .legacyCurrent, let session {
                let path = output ?? logOptions.root.path + "/current.json"
                try FileOutput.check(path, root: logOptions.root)
                try LegacyExport.writeCurrent(session: session, source: source, to: path, mode: damage.mode, warning: damage.warn)
                Console.error("wrote \(path)")
                return
            }
            let range = TimeRange(start: try parseTime(since, option: "--since"), end: try parseTime(until, option: "--until"))
            let filter = ReadFilter(timeRange: range.start == nil && range.end == nil ? nil : range, names: name)
            if let session, try source.segments(session: session).isEmpty { throw source.missingSessionError(session) }
            guard let output, output != "-" else {
                return try NDJSONExport.write(from: source, session: session, filter: filter, mode: damage.mode, warning: damage.warn) {
                    try Console.write($0)
                }
            }
            // To a file: whole or not at all (a failed export leaves what was there).
            try FileOutput.check(output, root: logOptions.root)
            let file = try AtomicFileWriter(path: output)
            try NDJSONExport.write(from: source, session: session, filter: filter, mode: damage.mode, warning: damage.warn) {
                try file.write($0)
            }
            try file.commit()
        }
    }
}
