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
    @OptionGroup var selection: SessionSelection
    @OptionGroup var time: TimeRangeOptions
    @Option(help: "Only names matching this glob (* matches any run); repeatable.") var name: [String] = []
    @Option(help: "ndjson or legacy-current.") var format: Format = .ndjson
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if format == .legacyCurrent, !selection.isGiven { throw ValidationError("--format legacy-current needs --session ID or --latest") }
    }

    /// A value MMM's reader would refuse, left out of current.json.
    static func sayLeftOut(_ what: String) { Console.error("mmm-analyze: warning: \(what) (MMM's reader would refuse it)") }

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            let session = try selection.resolve(in: source)
            if format == .legacyCurrent, let session {
                let path = output.output ?? logOptions.root.path + "/current.json"
                if path == "-" {
                    let json = try LegacyExport.currentJSON(session: session, source: source, mode: damage.mode, warning: damage.warn, leftOut: Self.sayLeftOut)
                    return try Console.write(JSONText.encode(json) + "\n")
                }
                try FileOutput.check(path, root: logOptions.root)
                if let kept = try LegacyExport.writeCurrent(session: session, source: source, to: path, mode: damage.mode, warning: damage.warn, leftOut: Self.sayLeftOut) {
                    Console.error("mmm-analyze: kept the previous \(path) as \(kept)")
                }
                Console.error("wrote \(path)")
                return
            }
            let filter = ReadFilter(timeRange: try time.range(), names: name)
            var written = 0
            // To a file: whole or not at all (a failed export leaves what was there).
            try output.stream(root: logOptions.root) { write in
                written = try NDJSONExport.write(from: source, session: session, filter: filter, mode: damage.mode, warning: damage.warn, write: write)
            }
            // An empty answer to a filter is said, as query says it: a mistyped name is otherwise silent.
            if written == 0, filter.timeRange != nil || !name.isEmpty {
                let names = name.isEmpty ? "" : " named " + name.map(\.debugDescription).joined(separator: " or ")
                Console.error("mmm-analyze: warning: no stored event\(names)\(filter.timeRange == nil ? "" : " in the time range") was exported")
            }
        }
    }
}
