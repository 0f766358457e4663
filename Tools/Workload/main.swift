// mmm-workload: a seeded, cook-like metrics workload at any size, as NDJSON and/or straight into a
// log, in one of two shapes: `cook` (the default, CookWorkload) or `per-file` (PerFileWorkload, built to
// differ). It also reports the workload's information content (the sum of -log2 p over every random
// draw it made), a floor for any lossless encoding of these events.
//
//   swift run -c release mmm-workload --events 2000000 --sessions 20 --seed 1 --ndjson w.ndjson --log w-log
//   swift run -c release mmm-workload --shape per-file --events 2000000 --sessions 200 --ndjson p.ndjson --log p-log
import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMWorkload

struct Arguments {
    var events = 100_000
    var sessions = 10
    var seed: UInt64 = 1
    var ndjson: String?
    var log: String?
    var level: Int32 = 6
    var blockEvents = 32_768
    var shape = "cook"

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() -> String {
                guard let next = iterator.next() else { fail("\(argument) needs a value") }
                return next
            }
            switch argument {
            case "--events": guard let parsed = Int(value()) else { fail("--events takes a number") }; events = parsed
            case "--sessions": guard let parsed = Int(value()) else { fail("--sessions takes a number") }; sessions = parsed
            case "--seed": guard let parsed = UInt64(value()) else { fail("--seed takes a number") }; seed = parsed
            case "--ndjson": ndjson = value()
            case "--log": log = value()
            case "--level": guard let parsed = Int32(value()) else { fail("--level takes a number") }; level = parsed
            case "--block-events": guard let parsed = Int(value()) else { fail("--block-events takes a number") }; blockEvents = parsed
            case "--shape":
                shape = value()
                guard shape == "cook" || shape == "per-file" else { fail("--shape is cook or per-file") }
            case "-h", "--help":
                print("usage: mmm-workload [--events N] [--sessions N] [--seed N] [--ndjson FILE|-] [--log DIR] [--level 1-19] [--block-events N] [--shape cook|per-file]")
                exit(0)
            default: fail("unknown argument \(argument)")
            }
        }
        guard events > 0, sessions > 0 else { fail("--events and --sessions must be positive") }
    }
}

func fail(_ message: String) -> Never {
    StandardError.write("mmm-workload: \(message)\n")
    exit(2)
}

let arguments = Arguments()
let root = arguments.log.map { LogRoot(path: $0) }
let writerOptions = LogWriterOptions(blockMaxEvents: arguments.blockEvents, compressionLevel: arguments.level, durability: .none)
var ndjson: FileHandle?
if let path = arguments.ndjson {
    if path == "-" { ndjson = .standardOutput } else {
        // Opened in place (created or truncated), never replaced: FileManager.createFile writes a
        // temporary file and renames it over the path, which turned /dev/null into a regular file.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { fail("cannot write \(path): \(String(cString: strerror(errno)))") }
        ndjson = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}
var lineBuffer: [UInt8] = []
lineBuffer.reserveCapacity(1 << 22)
var cook = CookWorkload(seed: arguments.seed)
var perFile = PerFileWorkload(seed: arguments.seed)
var writers: [String: SessionLogWriter] = [:]
var produced = 0
@MainActor func generate(_ emit: (String, MetricEvent) throws -> Void) throws {
    if arguments.shape == "cook" {
        try cook.generate(events: arguments.events, sessions: arguments.sessions, emit: emit)
    } else {
        try perFile.generate(events: arguments.events, sessions: arguments.sessions, emit: emit)
    }
}
do {
    try generate { session, event in
        if let root {
            if writers[session] == nil {
                for (_, writer) in writers { try writer.close() }
                writers = [session: try SessionLogWriter(root: root, session: session, options: writerOptions)]
            }
            try writers[session]!.append(event)
        }
        if let ndjson {
            NDJSONEvent.format(event, session: session, into: &lineBuffer)
            lineBuffer.append(0x0A)
            if lineBuffer.count > 1 << 22 {
                ndjson.write(Data(lineBuffer))
                lineBuffer.removeAll(keepingCapacity: true)
            }
        }
        produced += 1
    }
    for (_, writer) in writers { try writer.close() }
} catch {
    // A refused option (a level or block size out of range) or a write that failed: a message, not a trap.
    fail("\(error)")
}
if let ndjson, !lineBuffer.isEmpty { ndjson.write(Data(lineBuffer)) }
let summary = String(format: "events %d, sessions %d, information content %.0f bytes (%.2f bytes/event)",
                     produced, arguments.sessions, (cook.informationBits + perFile.informationBits) / 8,
                     (cook.informationBits + perFile.informationBits) / 8 / Double(produced))
StandardError.write("mmm-workload: \(summary)\n")
