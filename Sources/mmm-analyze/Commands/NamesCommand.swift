import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct NamesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "names", abstract: "List each metric name with its type, event count, tag keys and number of sessions.")

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @Option(help: "Only this session.") var session: String?
    @Option(help: "table, json or csv.") var format: TableFormat = .table
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            if let session, try source.segments(session: session).isEmpty { throw source.missingSessionError(session) }
            let names = try LogMaintenance(source: source).names(session: session, mode: damage.mode, warning: damage.warn)
            if !names.skipped.isEmpty {
                Console.error("mmm-analyze: warning: the counts leave out \(names.skipped.events) events"
                    + (names.skipped.placesOfUnknownSize > 0 ? " or more" : "") + " in \(names.skipped.places) damaged place\(names.skipped.places == 1 ? "" : "s") (see above; --strict fails instead)")
            }
            if format == .table, names.names.isEmpty {
                return try output.write("no events in \(session.map { "session \($0)" } ?? source.location)\n", root: logOptions.root)
            }
            try output.write(try names.rendered(as: format), root: logOptions.root)
        }
    }
}
