import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMWorkload
import MMMMetricsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension ReliabilityCampaigns {
    /// Campaign 1 (docs/RELIABILITY.md): a child process (`mmm-crash-writer`) appends a known sequence
    /// under each durability setting and is killed with SIGKILL at a random moment, one to three times
    /// per session (each run recovers what the last one left). After each kill the log must hold an exact
    /// prefix of the sequence with every event whose write or flush had returned; after the session's
    /// last kill it must open for appending, verify clean after `recover`, and take more events.
    @Suite("Crash campaign: writers killed with SIGKILL")
    struct CrashCampaignTests {
        @Test("a writer killed at random moments leaves an exact prefix holding every flushed event; the log recovers, verifies and takes appends")
        func killedWriters() async throws {
            try await inBackground { try Self.campaign() }
        }

        static func campaign() throws {
            let seed = CampaignScale.seed(0xC0FFEE)
            let kills = CampaignScale.trials(short: 50, long: 1_000)
            var random = SeededRandom(seed: seed)
            let findings = CampaignFindings("crash", seed: seed)
            var killsBy: [LogDurability: Int] = [:]
            var sessions = 0, kept = 0, promisedHeld = 0, recoveredClean = 0
            var tornTailsCut = 0, emptySegmentsRemoved = 0, beforeFirstBlock = 0, leftovers = 0
            var survivors: [Int] = []
            var killsDone = 0
            while killsDone < kills, !findings.shouldStop {
                sessions += 1
                let trial = sessions
                let durability = LogDurability.allCases[trial % 3]
                let directory = TemporaryDirectory("crash")
                let root = directory.root
                let session = "crash-\(trial)"
                let eventSeed = random.next()
                let flushEvery = random.pick([1, 3, 20, 100, 1_000, 100_000])
                let blockEvents = random.pick([1, 8, 64, 500])
                let segmentBytes = random.pick([2_048, 16_384, 262_144])
                let settings = "durability \(durability.rawValue), flush every \(flushEvery), \(blockEvents) events per block, segments of \(segmentBytes) bytes, event seed \(eventSeed)"
                var present = 0  // events the log held after the previous kill
                for _ in 0..<min(kills - killsDone, random.int(1...3)) {
                    let delay = random.int(5...200)
                    let child = try CrashChild(arguments: [
                        "--log", root.path, "--session", session, "--durability", durability.rawValue, "--flush-every", "\(flushEvery)",
                        "--seed", "\(eventSeed)", "--block-events", "\(blockEvents)", "--segment-bytes", "\(segmentBytes)",
                    ])
                    guard let ready = child.waitForLine(prefix: "ready ", timeout: 300) else {
                        child.kill()
                        let result = child.finish()
                        findings.fail(trial: trial, "the writer did not open the session (\(settings)): status \(result.status), \(result.errors)")
                        break
                    }
                    findings.check(Int(ready.dropFirst(6)) == present, trial: trial,
                                   "the writer reopened at \(ready.dropFirst(6)), the log held \(present) events (\(settings))")
                    usleep(UInt32(delay * 1_000))
                    child.kill()
                    let result = child.finish()
                    killsDone += 1
                    killsBy[durability, default: 0] += 1
                    findings.check(result.reason == .uncaughtSignal && result.status == SIGKILL, trial: trial,
                                   "the writer was not killed but ended with status \(result.status): \(result.errors)")
                    let written = result.lastNumber("written ") ?? 0
                    let flushed = result.lastNumber("flushed ") ?? 0
                    if written == 0 && flushed == 0 && present == 0 { beforeFirstBlock += 1 }

                    // What the killed writer left, read as it is (strictly: a torn tail of the live segment is allowed).
                    let events: [(sequence: UInt64, event: MetricEvent)]
                    do {
                        events = try readAll(root, session)
                    } catch {
                        findings.fail(trial: trial, "reading after a kill \(delay) ms in failed (\(settings)): \(error)")
                        break
                    }
                    let prefix = Self.prefixLength(events, seed: eventSeed)
                    let held = prefix == events.count
                    findings.check(held, trial: trial, "after a kill \(delay) ms in, event \(prefix) of \(events.count) is not event \(prefix) of the sequence (\(settings))")
                    if held { kept += 1 }
                    let promised = max(written, flushed, present)
                    if findings.check(events.count >= promised, trial: trial,
                                      "after a kill \(delay) ms in, \(events.count) events remain but \(promised) had been written (written \(written), flushed \(flushed), \(settings))") {
                        promisedHeld += 1
                    }
                    survivors.append(events.count)
                    present = events.count
                }

                // After the last kill: recovery (by recover, or by a writer opening), verify, appending.
                do {
                    let maintenance = LogMaintenance(root: root)
                    if random.chance(0.5) {
                        let actions = try maintenance.recover().flatMap(\.actions)
                        tornTailsCut += actions.filter { $0.contains("torn tail") }.count
                        emptySegmentsRemoved += actions.filter { $0.contains("removed an empty segment") }.count
                        let problems = try maintenance.verify()
                        findings.check(problems.isEmpty, trial: trial, "verify after recover: \(problems) (\(settings))")
                        findings.check(try readAll(root, session).count == present, trial: trial, "recover changed the events read (\(settings))")
                    }
                    let options = LogWriterOptions(segmentMaxBytes: segmentBytes, blockMaxEvents: blockEvents, durability: durability)
                    let writer = try SessionLogWriter(root: root, session: session, options: options)
                    if let recovery = writer.recovery {
                        if recovery.truncatedBytes > 0 { tornTailsCut += 1 }
                        emptySegmentsRemoved += recovery.removedEmptySegments.count
                    }
                    findings.check(writer.nextSequence == UInt64(present), trial: trial,
                                   "a new writer continues at \(writer.nextSequence), the log held \(present) events (\(settings))")
                    let more = random.int(1...300)
                    try writer.append(contentsOf: (present..<present + more).map { CrashSequence.event($0, seed: eventSeed) })
                    try writer.close()
                    _ = try maintenance.recover()
                    let problems = try maintenance.verify()
                    let events = try readAll(root, session)
                    let clean = problems.isEmpty
                        && events.count == present + more && Self.prefixLength(events, seed: eventSeed) == events.count
                    findings.check(problems.isEmpty, trial: trial, "verify after appending to the recovered log: \(problems) (\(settings))")
                    findings.check(events.count == present + more && Self.prefixLength(events, seed: eventSeed) == events.count, trial: trial,
                                   "after appending \(more) events to \(present): read \(events.count), exact prefix for \(Self.prefixLength(events, seed: eventSeed)) (\(settings))")
                    if clean { recoveredClean += 1 }
                    // Temporary index files a killed writer left are removed by recover or the next writer.
                    let left = try FileManager.default.contentsOfDirectory(atPath: root.sessionPath(session))
                        .filter { !$0.hasSuffix(".seg") && !$0.hasSuffix(".idx") && $0 != "LOCK" }
                    leftovers += left.count
                    findings.check(left.isEmpty, trial: trial, "files left behind after recovery: \(left) (\(settings))")
                } catch {
                    findings.fail(trial: trial, "recovering or appending failed (\(settings)): \(error)")
                }
            }
            findings.report()
            survivors.sort()
            let median = survivors.isEmpty ? 0 : survivors[survivors.count / 2]
            let byDurability = LogDurability.allCases.map { "\(killsBy[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
            printCampaignSummary("crash", """
                seed \(seed): \(killsDone) SIGKILLs (\(byDurability)) of \(sessions) writer sessions; \
                exact prefix after \(kept)/\(killsDone) kills, every written or flushed event there after \(promisedHeld)/\(killsDone); \
                log opened, verified clean after recover and took appends in \(recoveredClean)/\(sessions) sessions; \
                torn tails cut \(tornTailsCut), empty segments removed \(emptySegmentsRemoved), killed before any block \(beforeFirstBlock); \
                temporary files left after recovery \(leftovers); \
                events left per kill: median \(median), max \(survivors.last ?? 0); failures \(findings.failures.count)
                """)
        }

        /// How many of `events`, from the first, are the sequence's events 0, 1, 2, … with those sequence numbers.
        static func prefixLength(_ events: [(sequence: UInt64, event: MetricEvent)], seed: UInt64) -> Int {
            var index = 0
            while index < events.count, events[index].sequence == UInt64(index), sameEvent(events[index].event, CrashSequence.event(index, seed: seed)) {
                index += 1
            }
            return index
        }
    }
}

/// The crash writer built beside the test bundle.
func crashWriterPath() -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmm-crash-writer").path
}

/// A running `mmm-crash-writer`, its standard output collected by a thread of its own as it comes
/// (so the child never blocks on a full pipe).
final class CrashChild: @unchecked Sendable {
    private let process = Process()
    private let errorPipe = Pipe()
    private let condition = NSCondition()
    private var output: [UInt8] = []  // guarded by `condition`
    private var ended = false  // guarded by `condition`

    /// What the child printed and how it ended.
    struct Result {
        let lines: [String]
        let status: Int32
        let reason: Process.TerminationReason
        let errors: String

        /// The number after the last line starting with `prefix`.
        func lastNumber(_ prefix: String) -> Int? {
            lines.last { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
        }
    }

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: crashWriterPath())
        process.arguments = arguments
        let outputPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = outputPipe.fileHandleForReading
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                condition.lock()
                if data.isEmpty { ended = true } else { output.append(contentsOf: data) }
                condition.broadcast()
                condition.unlock()
                if data.isEmpty { return }
            }
        }
        thread.start()
    }

    /// Complete lines so far (a line cut by the kill is not one).
    private var completeLines: [String] {
        guard let end = output.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return String(decoding: output[..<end], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Waits (at most `timeout` seconds) for a complete line starting with `prefix`; `nil` when the
    /// output ended or the time ran out first.
    func waitForLine(prefix: String, timeout: TimeInterval) -> String? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = completeLines.first(where: { $0.hasPrefix(prefix) }) { return line }
            if ended || !condition.wait(until: deadline) { return nil }
        }
    }

    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for the child to end and its output to be read to the end.
    func finish() -> Result {
        process.waitUntilExit()
        condition.lock()
        while !ended { condition.wait() }
        let lines = completeLines
        condition.unlock()
        let errors = String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Result(lines: lines, status: process.terminationStatus, reason: process.terminationReason, errors: errors)
    }
}
