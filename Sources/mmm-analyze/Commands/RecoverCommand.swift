import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Truncate torn tails, remove empty segments and rebuild indexes, and say what was done.",
        discussion: "Never deletes an event that can still be read. Sessions whose writer is running are skipped.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session.") var session: String?

    func run() async throws {
        try await reportingErrors {
            guard try logOptions.source() is LogRoot else { throw CommandFailure("\(logOptions.root.path) is an archive (read-only); recover works on a log directory") }
            let results = try LogMaintenance(root: try logOptions.writableRoot()).recover(session: session)
            try Console.write(results.map { "\($0)\n" }.joined())
        }
    }
}
