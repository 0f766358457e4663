import ArgumentParser
import Foundation
import MMMMetrics
import MMMMetricsLegacy
import MMMMetricsLog

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append NDJSON events (one per line) to the log.",
        discussion: """
            Without --follow the whole input is validated first: an invalid line is an error naming its \
            line number, and nothing from that input is written. With --follow, input is read as it \
            arrives (a pipe from another program) and flushed every --flush-interval; a bad line is \
            reported and skipped, and the exit code is 1 if any was.
            """
    )

    @OptionGroup var logOptions: LogOptions
    @Option(help: "The session for lines without a \"session\" key.") var session: String?
    @Flag(help: "Read a stream continuously until it ends.") var follow = false
    @Option(help: "With --follow: how often to flush (e.g. 1s, 250ms).") var flushInterval: String = "1s"
    @Option(help: "fsync policy: none, flush, block.") var durability: String = "flush"
    @Option(help: "Start a new segment past this many bytes.") var segmentBytes: Int = 64 << 20
    @Option(help: "Start a new segment when the current one is older than this (e.g. 1h).") var segmentAge: String = "1h"
    @Option(help: "Events per block.") var blockEvents: Int = 32_768
    @Option(help: "zstd level for blocks, 1-19.") var level: Int32 = 6
    @Argument(help: "An NDJSON file, or - for standard input (the default).") var file: String = "-"

    func validate() throws {
        guard segmentBytes > 0, blockEvents > 0, (1...19).contains(level) else {
            throw ValidationError("--segment-bytes and --block-events must be positive and --level 1 to 19")
        }
        guard MetricsConfig.parseDuration(segmentAge) != nil else { throw ValidationError("--segment-age \(segmentAge.debugDescription) is not a duration") }
    }

    func run() async throws {
        try await reportingErrors {
            guard let durability = LogDurability(rawValue: durability) else {
                throw ValidationError("--durability must be none, flush or block")
            }
            let options = LogWriterOptions(
                segmentMaxBytes: segmentBytes, segmentMaxAge: MetricsConfig.parseDuration(segmentAge) ?? .seconds(3600),
                blockMaxEvents: blockEvents, compressionLevel: level, durability: durability)
            let source = file == "-" ? "stdin" : file
            if follow {
                guard let interval = MetricsConfig.parseDuration(flushInterval), interval > .zero else {
                    throw ValidationError("--flush-interval \(flushInterval.debugDescription) is not a positive duration")
                }
                let descriptor: Int32 = file == "-" ? 0 : open(file, O_RDONLY)
                guard descriptor >= 0 else { throw Failure(message: "\(file): cannot open: \(String(cString: strerror(errno)))") }
                let report = try NDJSONTransfer.follow(
                    descriptor: descriptor, source: source, into: try logOptions.writableRoot(), defaultSession: session,
                    flushInterval: interval, options: options) { printError("mmm-analyze: skipped \($0)") }
                printSummary(report)
                if report.skippedLines > 0 { throw ExitCode(1) }
                return
            }
            let bytes: [UInt8]
            if file == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw Failure(message: "\(file): cannot read the file")
                }
                bytes = Array(data)
            }
            let report = try NDJSONTransfer.ingest(bytes, source: source, into: try logOptions.writableRoot(), defaultSession: session, options: options)
            printSummary(report)
        }
    }

    private func printSummary(_ report: IngestReport) {
        for entry in report.sessions { printError("ingested \(entry.events) events into session \(entry.id)") }
        if report.sessions.isEmpty { printError("no events in the input") }
        if report.skippedLines > 0 { printError("skipped \(report.skippedLines) invalid lines") }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write events as NDJSON to standard output, in sequence order.",
        discussion: """
            --format legacy-current writes the session's latest state as MMM's old current.json (the ProjectMetrics \
            shape) for MMM's existing readers: to --output, default <log root>/current.json, atomically.
            """)

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session (default: every session, by id).") var session: String?
    @Option(help: "Only events at or after this time (RFC 3339, now, -2h).") var since: String?
    @Option(help: "Only events before this time.") var until: String?
    @Option(help: "Only names matching this glob (* matches any run); repeatable.") var name: [String] = []
    @Flag(help: "Fail on any damaged block instead of skipping it with a warning.") var strict = false
    @Option(help: "ndjson or legacy-current.") var format: String = "ndjson"
    @Option(name: .shortAndLong, help: "With --format legacy-current: the file to write.") var output: String?

    func validate() throws {
        guard ["ndjson", "legacy-current"].contains(format) else { throw ValidationError("--format must be ndjson or legacy-current") }
        if format == "legacy-current", session == nil { throw ValidationError("--format legacy-current needs --session") }
    }

    func run() async throws {
        try await reportingErrors {
            if format == "legacy-current", let session {
                let path = output ?? logOptions.root.path + "/current.json"
                try LegacyExport.writeCurrent(session: session, source: try logOptions.source(), to: path)
                printError("wrote \(path)")
                return
            }
            let range = TimeRange(start: try parseTime(since, option: "--since"), end: try parseTime(until, option: "--until"))
            let filter = ReadFilter(timeRange: range.start == nil && range.end == nil ? nil : range, names: name)
            try NDJSONTransfer.export(
                from: try logOptions.source(), session: session, filter: filter, mode: strict ? .strict : .lenient,
                warning: { printError("mmm-analyze: \($0)") }, write: writeOut)
        }
    }
}

struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the sessions in the log.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "table or json.") var format: String = "table"

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
    }

    func run() async throws {
        try await reportingErrors {
            let summaries = try LogMaintenance(source: try logOptions.source(allowMissing: true)).summaries()
            if format == "json" {
                let objects: [JSONValue] = summaries.map { summary in
                    .object([
                        "session": .string(summary.session),
                        "first_ts": summary.firstTimestamp.map { .string(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: $0))) } ?? .null,
                        "last_ts": summary.lastTimestamp.map { .string(RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: $0))) } ?? .null,
                        "events": .integer(Int64(summary.events)),
                        "segments": .integer(Int64(summary.segments)),
                        "bytes": .integer(Int64(summary.bytes)),
                        "sealed": .bool(summary.lastSegmentSealed),
                    ])
                }
                print(JSONText.encode(.object(["sessions": .array(objects)])))
                return
            }
            guard !summaries.isEmpty else {
                print("no sessions in \(logOptions.log ?? logOptions.root.path)")
                return
            }
            func time(_ value: Int64?) -> String { value.map { RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: $0)) } ?? "-" }
            print(table(
                ["SESSION", "FIRST", "LAST", "EVENTS", "SEGMENTS", "BYTES", "SEALED"],
                summaries.map {
                    [$0.session, time($0.firstTimestamp), time($0.lastTimestamp), "\($0.events)", "\($0.segments)", "\($0.bytes)",
                     $0.lastSegmentSealed ? "yes" : "no"]
                }))
        }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every CRC, block and index; exit 0 when all is well, else 1 with one line per problem.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session.") var session: String?

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            let problems = try LogMaintenance(source: source).verify(session: session)
            if problems.isEmpty {
                print("ok: no problems in \(session.map { "session \($0)" } ?? source.location)")
                return
            }
            for problem in problems { print(problem) }
            throw ExitCode(1)
        }
    }
}

struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Truncate torn tails and rebuild indexes, and say what was done.",
        discussion: "Never deletes anything before damage. Sessions whose writer is running are skipped.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session.") var session: String?

    func run() async throws {
        try await reportingErrors {
            for result in try LogMaintenance(root: try logOptions.writableRoot()).recover(session: session) { print(result) }
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Bytes per event, compression ratio, blocks, segments.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session.") var session: String?
    @Option(help: "text or json.") var format: String = "text"

    func validate() throws {
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        try await reportingErrors {
            let stats = try LogMaintenance(source: try logOptions.source()).statistics(session: session)
            if format == "json" {
                print(JSONText.encode(.object([
                    "sessions": .integer(Int64(stats.sessions)), "segments": .integer(Int64(stats.segments)),
                    "blocks": .integer(Int64(stats.blocks)), "raw_blocks": .integer(Int64(stats.rawBlocks)),
                    "events": .integer(Int64(stats.events)), "segment_bytes": .integer(Int64(stats.segmentBytes)),
                    "index_bytes": .integer(Int64(stats.indexBytes)), "stored_payload_bytes": .integer(Int64(stats.storedPayloadBytes)),
                    "decoded_payload_bytes": .integer(Int64(stats.decodedPayloadBytes)),
                    "bytes_per_event": .double(stats.bytesPerEvent), "compression_ratio": .double(stats.compressionRatio),
                ])))
                return
            }
            print(table(["", ""], [
                ["sessions", "\(stats.sessions)"], ["segments", "\(stats.segments)"],
                ["blocks", "\(stats.blocks) (\(stats.rawBlocks) stored raw)"], ["events", "\(stats.events)"],
                ["bytes on disk", "\(stats.segmentBytes) in segments, \(stats.indexBytes) in indexes"],
                ["bytes per event", String(format: "%.2f", stats.bytesPerEvent)],
                ["compression ratio", String(format: "%.2f (binary payload %d bytes, stored %d)", stats.compressionRatio, stats.decodedPayloadBytes, stats.storedPayloadBytes)],
            ]).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n"))
        }
    }
}
