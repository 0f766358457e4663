import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Bytes per event, compression ratio, blocks, segments.")

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @Option(help: "Only this session.") var session: String?
    @Option(help: "table, json or csv.") var format: TableFormat = .table
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingErrors {
            let statistics = try LogMaintenance(source: try logOptions.source())
                .statistics(session: session, mode: damage.mode, warning: damage.warn)
            try output.write(try statistics.rendered(as: format), root: logOptions.root)
        }
    }
}
