import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the sessions in the log.")

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @Option(help: "table, json or csv.") var format: TableFormat = .table
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            let list = try LogMaintenance(source: source).summaries(mode: damage.mode, warning: damage.warn)
            if format == .table, list.sessions.isEmpty {
                try output.write("no sessions in \(source.location)\n", root: logOptions.root)
                return
            }
            try output.write(try list.rendered(as: format), root: logOptions.root)
        }
    }
}
