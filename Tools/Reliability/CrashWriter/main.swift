// The child process of the crash campaign (Tests/MMMReliabilityTests/CrashCampaignTests.swift):
// appends a known sequence of events to a session and reports on standard output what reached the
// file, until it is killed (or `--limit` events were appended: then it closes the session and exits 0).
//
//     mmm-crash-writer --log DIR --session ID --durability none|flush|block
//                      [--flush-every N] [--seed S] [--block-events N] [--segment-bytes N] [--limit N]
//
// Event i (0, 1, 2, … across runs: a run continues at the writer's next sequence number, so a session
// written by several runs holds one unbroken sequence) is a pure function of i and the seed, and
// carries i in its value whatever its kind: counters count i, gauges read i + 0.25, timers last i ns,
// custom events hold {"i": i, "pad": …} with pads of varied sizes. The campaign builds the same events
// (CrashSequence in MMMWorkload, shared with this writer) and compares what it reads back with them.
//
// Standard output, one line each, written unbuffered as soon as it is true:
//     ready <next>     the writer opened the session (recovering what the last run left); <next> is
//                      the index of the first event this run appends
//     written <n>      the writer wrote blocks: events 0..<n are in the file (write(2) returned)
//     flushed <n>      flush() returned: events 0..<n are in the file and, unless durability is none, synced
import MMMMetricsCore
import MMMMetricsLog
import MMMWorkload

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The settings from the command line.
struct CrashWriterArguments {
    var log = ""
    var session = ""
    var durability = LogDurability.onFlush
    var flushEvery = 100
    var seed: UInt64 = 0
    var blockEvents = 64
    var segmentBytes = 64 << 10
    var limit = 50_000_000

    static let usage = """
        usage: mmm-crash-writer --log DIR --session ID --durability none|flush|block
                                [--flush-every N] [--seed S] [--block-events N] [--segment-bytes N] [--limit N]
        """

    init(_ arguments: [String]) throws(CrashWriterError) {
        var remaining = arguments[...]
        func value(_ option: String) throws(CrashWriterError) -> String {
            guard let value = remaining.popFirst() else { throw CrashWriterError("\(option) needs a value") }
            return value
        }
        func number(_ option: String, minimum: Int) throws(CrashWriterError) -> Int {
            let text = try value(option)
            guard let number = Int(text), number >= minimum else { throw CrashWriterError("\(option): expected an integer ≥ \(minimum), got \(text)") }
            return number
        }
        var durabilityGiven = false
        while let option = remaining.popFirst() {
            switch option {
            case "--log": log = try value(option)
            case "--session": session = try value(option)
            case "--durability":
                let text = try value(option)
                guard let parsed = LogDurability(rawValue: text) else { throw CrashWriterError("--durability: expected none, flush or block, got \(text)") }
                durability = parsed
                durabilityGiven = true
            case "--flush-every": flushEvery = try number(option, minimum: 1)
            case "--seed":
                let text = try value(option)
                guard let parsed = UInt64(text) else { throw CrashWriterError("--seed: expected an unsigned integer, got \(text)") }
                seed = parsed
            case "--block-events": blockEvents = try number(option, minimum: 1)
            case "--segment-bytes": segmentBytes = try number(option, minimum: 1)
            case "--limit": limit = try number(option, minimum: 0)
            case "-h", "--help": throw CrashWriterError(nil)
            default: throw CrashWriterError("unknown argument \(option)")
            }
        }
        guard !log.isEmpty, !session.isEmpty, durabilityGiven else { throw CrashWriterError("--log, --session and --durability are required") }
    }
}

/// A usage error; `nil` message: help was asked for.
struct CrashWriterError: Error {
    let message: String?
    init(_ message: String?) { self.message = message }
}


/// Writes a line to standard output at once (no buffer a kill could lose).
func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let count = bytes.withUnsafeBytes { write(1, $0.baseAddress! + done, $0.count - done) }
        if count < 0 {
            if errno == EINTR { continue }
            exit(3)  // nobody listens any more
        }
        done += count
    }
}

func fail(_ message: String, status: Int32) -> Never {
    let bytes = Array("mmm-crash-writer: \(message)\n".utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(status)
}

let arguments: CrashWriterArguments
do {
    arguments = try CrashWriterArguments(Array(CommandLine.arguments.dropFirst()))
} catch {
    if let message = error.message { fail("\(message)\n\(CrashWriterArguments.usage)", status: 2) }
    say(CrashWriterArguments.usage)
    exit(0)
}

do throws(LogError) {
    let options = LogWriterOptions(segmentMaxBytes: arguments.segmentBytes, blockMaxEvents: arguments.blockEvents,
                                   compressionLevel: 1, durability: arguments.durability)
    let writer = try SessionLogWriter(root: LogRoot(path: arguments.log), session: arguments.session, options: options)
    let start = Int(writer.nextSequence)
    say("ready \(start)")
    var written = writer.writtenSequence
    var appended = 0
    while appended < arguments.limit {
        try writer.append(CrashSequence.event(start + appended, seed: arguments.seed))
        appended += 1
        if writer.writtenSequence != written {
            written = writer.writtenSequence
            say("written \(written)")
        }
        if appended % arguments.flushEvery == 0 {
            try writer.flush()
            written = writer.writtenSequence
            say("flushed \(written)")
        }
    }
    try writer.close()
    say("flushed \(writer.writtenSequence)")
} catch {
    fail("\(error)", status: 1)
}
