import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Verify an archive completely, then add its session to the log.",
        discussion: "An existing session is never overwritten: use --as NEW_ID. On any problem nothing is written.")

    @OptionGroup var logOptions: LogOptions
    @Option(name: .customLong("as"), help: "Import the session under this id.") var newID: String?
    @Argument(help: "The archive file.") var file: String

    func run() async throws {
        try await reportingErrors {
            try InputFile.checkReadable(file)
            let result = try SessionArchive.importArchive(at: file, into: try logOptions.writableRoot(), as: newID)
            Console.error("imported session \(result.session): \(result.events) events in \(result.segments) segment\(result.segments == 1 ? "" : "s")")
        }
    }
}
