import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Write one session into a single archive file, to share; `--log FILE` reads it in place.")

    @OptionGroup var logOptions: LogOptions
    @OptionGroup var selection: SessionSelection
    @Option(name: .shortAndLong, parsing: .unconditional, help: "The archive file to write (atomically); - is standard output.") var output: String

    func validate() throws {
        guard selection.isGiven else { throw ValidationError("archive needs --session ID or --latest") }
    }

    func run() async throws {
        try await reportingErrors {
            // A missing root is named as every reading command names it (not "no session with events").
            _ = try logOptions.source()
            let root = try logOptions.writableRoot()
            let session = try selection.required(in: root)
            if output == "-" {
                let (bytes, segments) = try SessionArchive.encoded(session: session, from: root)
                try Console.write(bytes)
                Console.error("archived session \(session) (\(EnglishText.count(segments, "segment"))) to standard output")
                return
            }
            let segments = try SessionArchive.write(session: session, from: root, to: output)
            Console.error("archived session \(session) (\(EnglishText.count(segments, "segment"))) into \(output)")
        }
    }
}
