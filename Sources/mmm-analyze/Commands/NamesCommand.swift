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
            damage.warnIncomplete(names.skipped, "the counts")
            if format == .table, names.names.isEmpty {
                return try output.write("no events in \(session.map { "session \($0)" } ?? source.location)\n", root: logOptions.root)
            }
            try output.write(try names.rendered(as: format), root: logOptions.root)
        }
    }
}
