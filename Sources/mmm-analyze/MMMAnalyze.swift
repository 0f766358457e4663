import ArgumentParser
import Foundation
import MMMMetricsLog

@main
struct MMMAnalyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmm-analyze",
        abstract: "Analyse, check and move the metrics event logs that MMM cook runs record.",
        discussion: """
            The log root is --log DIR, else $MMM_METRICS_DIR, else .mmm/metrics under the current directory.
            """,
        version: PackageVersion.current,
        subcommands: [
            IngestCommand.self, ExportCommand.self, SessionsCommand.self, NamesCommand.self, VerifyCommand.self, RecoverCommand.self,
            StatsCommand.self, ReportCommand.self, QueryCommand.self, ArchiveCommand.self, ImportCommand.self, ImportLegacyCommand.self, PruneCommand.self, PushCommand.self, ServeCommand.self,
        ]
    )

    /// Checks the command word before ArgumentParser sees it, so that a mistyped command names
    /// itself and the nearest one (ArgumentParser would call it an unexpected argument).
    static func main() async {
        ProcessArguments.reserveStandardDescriptors()
        // Arguments are read as text: one that is not UTF-8 would name another file or directory.
        if let problem = ProcessArguments.notText(stoppingAtTerminator: false, environment: ["MMM_METRICS_DIR"]) {
            Console.error("mmm-analyze: error: \(problem)")
            Foundation.exit(64)
        }
        let arguments = Array(CommandLine.arguments.dropFirst())
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        if let message = CommandWord.check(arguments, commands: names) {
            Console.error("mmm-analyze: error: \(message)")
            Console.error("Run 'mmm-analyze --help' for the commands.")
            Foundation.exit(64)
        }
        var parsed: (any ParsableCommand.Type)?
        do {
            var command = try parseAsRoot(arguments)
            parsed = type(of: command)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // Thrown by a subcommand's run(): ArgumentParser would print the top level's usage.
            guard let subcommand = parsed, let name = subcommand.configuration.commandName else { exit(withError: error) }
            Console.error("""
                Error: \(error.message)
                Usage: \(usageString(for: subcommand))
                  See 'mmm-analyze help \(name)' for more information.
                """)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
