import ArgumentParser

@main
struct MMMAnalyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmm-analyze",
        abstract: "Analyse, check and move the metrics event logs that MMM cook runs record.",
        discussion: """
            The log root is --log DIR, else $MMM_METRICS_DIR, else .mmm/metrics under the current directory.
            """,
        subcommands: [
            IngestCommand.self, ExportCommand.self, SessionsCommand.self, VerifyCommand.self, RecoverCommand.self,
            StatsCommand.self, ReportCommand.self, QueryCommand.self, ArchiveCommand.self, ImportCommand.self, ImportLegacyCommand.self,
        ]
    )
}
