import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Bytes per event, compression ratio, blocks, segments.")

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @Option(help: "Only this session.") var session: String?
    @Option(help: "text (or table), json or csv.") var format: StatsFormat = .text

    /// `text` is the table (its historical name here).
    enum StatsFormat: String, ExpressibleByArgument, CaseIterable {
        case text, table, json, csv
        var tableFormat: TableFormat { self == .text ? .table : TableFormat(rawValue: rawValue)! }
    }

    func run() async throws {
        try await reportingErrors {
            let statistics = try LogMaintenance(source: try logOptions.source())
                .statistics(session: session, mode: damage.mode, warning: damage.warn)
            try Console.write(try statistics.rendered(as: format.tableFormat))
        }
    }
}
