import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Write one session into a single archive file, to share; `--log FILE` reads it in place.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "The session to archive.") var session: String
    @Option(name: .shortAndLong, help: "The archive file to write.") var output: String

    func run() async throws {
        try await reportingErrors {
            let segments = try SessionArchive.write(session: session, from: try logOptions.writableRoot(), to: output)
            Console.error("archived session \(session) (\(segments) segment\(segments == 1 ? "" : "s")) into \(output)")
        }
    }
}
