import ArgumentParser
import Foundation
import MMMMetricsCore
import MMMMetricsLog

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append NDJSON events (one per line) to the log.",
        discussion: """
            Without --follow the input is streamed (bounded memory) and kept all or nothing: an invalid \
            line, a session that cannot be written, or Ctrl-C, Ctrl-\\, SIGTERM or SIGHUP undoes everything this ingest wrote \
            and the error names the line (while it runs, readers can see the events appended so far; \
            a kill -9 leaves them, and recover tidies the indexes). With --follow, input is read as it \
            arrives (a pipe from another program) and flushed every --flush-interval; a bad line is \
            reported and skipped, and the exit code is 1 if any was. Ctrl-C or SIGTERM ends a --follow \
            as the end of its input does: every whole line read is stored, then the exit code is 128 + N.
            """
    )

    @OptionGroup var logOptions: LogOptions
    @Option(help: "The session for lines without a \"session\" key.") var session: String?
    @Flag(help: "Read a stream continuously until it ends.") var follow = false
    @Option(help: "With --follow: how often to flush (e.g. 1s, 250ms).") var flushInterval: String = "1s"
    @Option(help: "fsync policy: none, flush, block.") var durability: LogDurability = .onFlush
    @Option(help: "Start a new segment past this many bytes.") var segmentBytes: Int = 64 << 20
    @Option(help: "Start a new segment when the current one is older than this (e.g. 1h).") var segmentAge: String = "1h"
    @Option(help: "Events per block, 1 to \(LogWriterOptions.maximumBlockEvents).") var blockEvents: Int = 32_768
    @Option(help: "zstd level for blocks, 1-19.") var level: Int32 = 6
    @Argument(help: "An NDJSON file, or - for standard input (the default).") var file: String = "-"

    func validate() throws {
        do {
            try writerOptions().validate()
        } catch {
            throw ValidationError("\(error)")
        }
        if follow { _ = try parseDurationOption(flushInterval, option: "--flush-interval") }
    }

    private func writerOptions() throws -> LogWriterOptions {
        LogWriterOptions(
            segmentMaxBytes: segmentBytes, segmentMaxAge: try parseDurationOption(segmentAge, option: "--segment-age", allowZero: true),
            blockMaxEvents: blockEvents, compressionLevel: level, durability: durability)
    }

    func run() async throws {
        try await reportingErrors {
            let options = try writerOptions()
            let root = try logOptions.writableRoot()
            if follow {
                if file != "-" { try InputFile.checkReadable(file) }
                // Ctrl-C or SIGTERM ends the stream: what was read is stored, then 128 + the signal.
                InterruptSignal.catchTermination()
                let report = try NDJSONIngest.follow(
                    from: file == "-" ? nil : file, into: root, defaultSession: session,
                    flushInterval: try parseDurationOption(flushInterval, option: "--flush-interval"), options: options
                ) { Console.error("mmm-analyze: skipped \($0)") }
                printSummary(report)
                if report.stoppedBySignal != 0 {
                    let cut = report.unfinishedLineBytes > 0 ? "; a last line cut short (\(report.unfinishedLineBytes) bytes) was not" : ""
                    Console.error("mmm-analyze: stopped by signal \(report.stoppedBySignal): every whole line read was stored\(cut)")
                    throw ExitCode(128 + report.stoppedBySignal)
                }
                if report.skippedLines > 0 { throw ExitCode(1) }
                return
            }
            if file != "-" { try InputFile.checkReadable(file) }
            // Ctrl-C or SIGTERM undoes the ingest (all or nothing), then exits 128 + the signal.
            InterruptSignal.catchTermination()
            do {
                printSummary(try NDJSONIngest.ingest(from: file == "-" ? nil : file, into: root, defaultSession: session, options: options))
            } catch where InterruptSignal.caught != 0 {
                Console.error("mmm-analyze: \(error); nothing from the input was kept")
                throw ExitCode(128 + InterruptSignal.caught)
            }
        }
    }

    private func printSummary(_ report: IngestReport) {
        for repair in report.repairs {
            Console.error("mmm-analyze: session \(repair.session) was repaired when opened for writing: \(repair.report)")
        }
        for entry in report.sessions {
            if entry.before > 0 {
                Console.error("appended \(entry.events) events to session \(entry.id), which now holds \(entry.before + entry.events)")
            } else {
                Console.error("ingested \(entry.events) events into session \(entry.id)")
            }
        }
        if report.sessions.isEmpty { Console.error("no events in the input") }
        if report.skippedLines > 0 { Console.error("skipped \(report.skippedLines) line\(report.skippedLines == 1 ? "" : "s") (each named above)") }
    }
}
