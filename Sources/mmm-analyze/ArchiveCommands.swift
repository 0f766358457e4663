import ArgumentParser
import Foundation
import MMMMetrics
import MMMMetricsLegacy
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
            printError("archived session \(session) (\(segments) segment\(segments == 1 ? "" : "s")) into \(output)")
        }
    }
}

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
            let result = try SessionArchive.importArchive(at: file, into: try logOptions.writableRoot(), as: newID)
            printError("imported session \(result.session): \(result.events) events in \(result.segments) segment\(result.segments == 1 ? "" : "s")")
        }
    }
}

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
            let result = try LegacyImport.importFiles(at: path, into: try logOptions.writableRoot(), session: session)
            printError("imported \(result.events) events from \(result.files.joined(separator: ", ")) into session \(session)")
        }
    }
}
