import ArgumentParser
import MMMMetricsLegacy
import MMMMetricsCore
import MMMMetricsLog

struct ImportLegacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-legacy",
        abstract: "Import MMM's old .mmm/metrics/current.json or history.json (or a directory holding them) as catalog events.",
        discussion: "Every file is converted before anything is written; the mapping is in docs/LEGACY.md.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "The session to append the events to.") var session: String
    @Argument(help: "current.json, history.json, or a directory holding them.") var path: String

    func run() async throws {
        try await reportingErrors {
            try InputFile.checkReadable(path)
            let result = try LegacyImport.importFiles(at: path, into: try logOptions.writableRoot(), session: session)
            guard result.events > 0 else {
                return Console.error("nothing to import: \(result.files.joined(separator: ", ")) hold\(result.files.count == 1 ? "s" : "") no snapshot; session \(session) was not created or changed")
            }
            Console.error("imported \(result.events) events from \(result.files.joined(separator: ", ")) into session \(session)")
        }
    }
}
