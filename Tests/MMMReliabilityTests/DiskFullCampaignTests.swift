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
    /// Campaign 4 (docs/RELIABILITY.md): disk full and I/O errors under a `FileMetricsCollector` that a
    /// `MetricsRegistry` feeds. Writes and fsyncs of the session's files fail with `ENOSPC` or `EIO`
    /// (injected, `FaultInjection`) from a random moment in a burst of recording until the burst is over
    /// and flushed; then the fault clears. Checked every round: recording returns (it cannot throw),
    /// the failure is counted by the collector and the registry and reaches the error handler with its
    /// cause, what was flushed before the fault reads back strictly and byte for byte unchanged, and once
    /// the fault clears every event recorded lands, in order. Every second session (of ten rounds) runs
    /// with a buffer too small for its bursts: then events are dropped, and every one of them is counted.
    ///
    /// The recording sequence and the fault points are fixed by the seed; when the collector's own task
    /// writes relative to them depends on scheduling, so two runs of one seed may meet the writer in
    /// different states. The checks hold in every one; none depends on timing.
    ///
    /// A second test does the same on a real 256 KiB tmpfs that fills up (when this machine lets the
    /// test mount one; the injected form is the one CI relies on).
    @Suite("Disk-full campaign: ENOSPC and EIO")
    struct DiskFullCampaignTests {
        @Test("injected ENOSPC and EIO at random moments: recording is unaffected, errors are counted and reported, flushed data intact, writing resumes")
        func injectedFaults() async throws {
            let seed = CampaignScale.seed(0xD15C_F011)
            let rounds = CampaignScale.trials(short: 40, long: 1_000)
            var random = SeededRandom(seed: seed)
            let findings = CampaignFindings("disk-full", seed: seed)
            let directory = TemporaryDirectory("diskfull")
            let root = directory.root
            var faults: [Int32: Int] = [:]
            var collectorErrors = 0, registryErrors = 0, reported = 0, intact = 0, resumed = 0, recordedInAll = 0
            var droppedInAll = 0, accounted = 0, smallBufferRounds = 0, verifiedSessions = 0
            let roundsPerEpoch = 10
            var round = 0
            var epoch = 0
            while round < rounds, !findings.shouldStop {
                epoch += 1
                let session = "disk-\(epoch)"
                let smallBuffer = epoch % 2 == 0
                let failures = FailureLog()
                let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 10_000_000, flushTimeout: .seconds(3_600)), errorHandler: failures.handler)
                let options = FileMetricsCollector.Options(
                    writer: LogWriterOptions(segmentMaxBytes: random.pick([4_000, 20_000]), blockMaxEvents: random.pick([8, 32]), compressionLevel: 1),
                    bufferSize: smallBuffer ? 100 : 1_000_000, flushInterval: .milliseconds(3), overflow: .drop)
                let collector = try FileMetricsCollector(root: root, session: session, options: options, errorHandler: failures.handler)
                registry.register(collector, name: "file")
                let prefix = root.sessionPath(session) + "/"
                var recorded = 0
                var landed: [Int] = []  // values read back after the last clean flush
                for _ in 0..<min(roundsPerEpoch, rounds - round) {
                    round += 1
                    let trial = round
                    // No fault: record, flush, everything recorded is there (or counted as dropped).
                    for _ in 0..<random.int(1...150) {
                        await registry.increment("disk.events", by: Int64(recorded), tags: ["round": "\(trial)"])
                        recorded += 1
                    }
                    try await registry.flush()
                    let flushedFiles = try await inBackground { try Self.files(root, session) }
                    landed = try await Self.values(root, session)

                    // The fault, from a random moment of a burst until the burst is flushed.
                    let code = random.pick([ENOSPC, EIO])
                    faults[code, default: 0] += 1
                    let errorsBefore = collector.statistics.errors
                    let registryErrorsBefore = registry.statistics()[0].errors
                    let reportsBefore = failures.all.count
                    let burst = random.int(1...(smallBuffer ? 600 : 300))
                    let faultAt = random.int(0...burst)
                    for index in 0...burst {
                        if index == faultAt { FaultInjection.failWrites(under: prefix, with: code) }
                        guard index < burst else { break }
                        await registry.increment("disk.events", by: Int64(recorded), tags: ["round": "\(trial)"])
                        recorded += 1
                        if random.chance(0.02) { try await Task.sleep(for: .milliseconds(random.int(1...5))) }
                    }
                    try await registry.flush()  // never throws: the failure is counted
                    let cause = String(cString: strerror(code))
                    let newErrors = collector.statistics.errors - errorsBefore
                    let newRegistryErrors = registry.statistics()[0].errors - registryErrorsBefore
                    collectorErrors += newErrors
                    registryErrors += newRegistryErrors
                    findings.check(newErrors > 0 && newRegistryErrors > 0, trial: trial,
                                   "\(cause): \(newErrors) collector errors, \(newRegistryErrors) registry errors counted")
                    let reports = failures.all.dropFirst(reportsBefore)
                    if findings.check(reports.contains { $0.message.contains(cause) }, trial: trial, "\(cause) did not reach the error handler: \(reports.map(\.message))") {
                        reported += 1
                    }
                    findings.check(collector.statistics.lastError?.contains(cause) == true, trial: trial,
                                   "the collector's last error is \(collector.statistics.lastError ?? "nil"), not \(cause)")
                    // What was flushed is intact, to the byte, and reads back strictly.
                    switch try await inBackground({ try Self.readDuringFault(root, session, flushed: flushedFiles) }) {
                    case .read(let unchanged, let during):
                        let kept = unchanged && during.starts(with: landed) && zip(during, during.dropFirst()).allSatisfy { $0 < $1 }
                        if kept { intact += 1 }
                        findings.check(kept, trial: trial, "\(cause): flushed data changed (files unchanged: \(unchanged), \(during.count) events read, \(landed.count) flushed)")
                    case .failed(let error):
                        findings.fail(trial: trial, "\(cause): reading what was flushed before the fault failed: \(error)")
                    }

                    // The fault clears: writing resumes by itself and everything recorded since lands.
                    FaultInjection.failWrites(under: prefix, with: nil)
                    let resumeAt = recorded
                    for _ in 0..<random.int(0...20) {
                        await registry.increment("disk.events", by: Int64(recorded), tags: ["round": "\(trial)"])
                        recorded += 1
                    }
                    try await registry.flush()
                    landed = try await Self.values(root, session)
                    if smallBuffer {
                        smallBufferRounds += 1
                        let dropped = collector.statistics.dropped + registry.statistics()[0].dropped
                        let ordered = zip(landed, landed.dropFirst()).allSatisfy { $0 < $1 } && (landed.last ?? -1) < recorded
                        let tail = Set(landed).isSuperset(of: resumeAt..<recorded)
                        let exact = landed.count + dropped == recorded
                        if ordered && tail && exact { accounted += 1 }
                        findings.check(ordered && tail && exact, trial: trial,
                                       "small buffer: \(landed.count) landed + \(dropped) dropped ≠ \(recorded) recorded, or out of order (\(ordered)), or events after the fault missing (\(!tail)); \(Self.differences(landed, recorded: recorded)); \(Self.layout(root, session))")
                    } else {
                        let all = landed == Array(0..<recorded)
                        if all { resumed += 1 }
                        findings.check(all, trial: trial, "after \(cause) cleared: \(landed.count) of \(recorded) events read back in order; \(Self.differences(landed, recorded: recorded)); \(Self.layout(root, session))")
                        findings.check(collector.statistics.dropped == 0, trial: trial, "events dropped with a large buffer: \(collector.statistics.dropped)")
                    }
                }
                await registry.shutdown()
                try await collector.close()
                recordedInAll += recorded
                droppedInAll += collector.statistics.dropped + registry.statistics()[0].dropped
                let problems = try await inBackground { try LogMaintenance(root: root).verify(session: session) }
                if findings.check(problems.isEmpty, trial: round, "verify after the epoch: \(problems)") { verifiedSessions += 1 }
            }
            findings.report()
            let largeRounds = round - smallBufferRounds
            printCampaignSummary("disk-full", """
                seed \(seed): \(round) injected faults (\(faults[ENOSPC, default: 0]) ENOSPC, \(faults[EIO, default: 0]) EIO) in \(epoch) sessions, \
                \(recordedInAll) events recorded, every recording call returned (none can throw); \
                errors counted: \(collectorErrors) by the collector, \(registryErrors) by the registry; the cause reached the error handler \(reported)/\(round); \
                flushed data intact to the byte and read back strictly during the fault \(intact)/\(round); writing resumed with every event landing in order \(resumed)/\(largeRounds); \
                small-buffer rounds with every dropped event counted (landed + dropped = recorded) \(accounted)/\(smallBufferRounds) (\(droppedInAll) dropped in all); \
                sessions verified clean after close \(verifiedSessions)/\(epoch); failures \(findings.failures.count)
                """)
        }

        /// What went wrong in a read-back, for the failure message: repeated values, values out of
        /// order, and the missing ranges of `0..<recorded`.
        static func differences(_ landed: [Int], recorded: Int) -> String {
            var seen = Set<Int>(), repeated: [Int] = [], descents: [Int] = []
            for (index, value) in landed.enumerated() {
                if !seen.insert(value).inserted { repeated.append(value) }
                if index > 0, landed[index - 1] >= value { descents.append(index) }
            }
            var missing: [ClosedRange<Int>] = []
            var value = 0
            while value < recorded {
                if seen.contains(value) { value += 1; continue }
                let start = value
                while value < recorded, !seen.contains(value) { value += 1 }
                missing.append(start...(value - 1))
            }
            return "repeated \(repeated.count) \(repeated.prefix(8)), descents at \(descents.prefix(8)), missing \(missing.prefix(12))"
        }

        /// The session's files and their sizes, for the failure message.
        static func layout(_ root: LogRoot, _ session: String) -> String {
            let directory = root.sessionPath(session)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            return names.map { name in
                let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? -1
                return "\(name) \(size)"
            }.joined(separator: ", ")
        }

        /// The counter values of a session, read strictly (on a thread of its own: the cooperative pool
        /// is for the collectors' tasks, of this test and the others running beside it).
        static func values(_ root: LogRoot, _ session: String) async throws -> [Int] {
            try await inBackground { try readAll(root, session).map { Int($0.event.counterValue) } }
        }

        /// What reading the session during a fault found.
        enum DuringFault: Sendable {
            /// The flushed files are (or not) unchanged prefixes of today's; the values read.
            case read(unchanged: Bool, values: [Int])
            /// Anything else.
            case failed(String)
        }

        static func readDuringFault(_ root: LogRoot, _ session: String, flushed: [String: [UInt8]]) throws -> DuringFault {
            let now = try files(root, session)
            let unchanged = flushed.allSatisfy { name, bytes in now[name]?.starts(with: bytes) == true }
            do {
                return .read(unchanged: unchanged, values: try readAll(root, session).map { Int($0.event.counterValue) })
            } catch {
                return .failed("\(error)")
            }
        }

        /// The session's segment files and their bytes.
        static func files(_ root: LogRoot, _ session: String) throws -> [String: [UInt8]] {
            let directory = root.sessionPath(session)
            var files: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".seg") {
                files[name] = Corrupter.bytes(directory + "/" + name)
            }
            return files
        }

        @Test("a real 256 KiB tmpfs fills up: recording is unaffected, ENOSPC is counted, flushed data intact, writing resumes when space returns")
        func realFileSystemFills() async throws {
            let mountPoint = TemporaryDirectory("tmpfs")
            let mountPath = mountPoint.path
            let mounted = try await inBackground { try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPath]) }
            guard mounted.status == 0 else {
                printCampaignSummary("disk-full (tmpfs)", "not run: mounting a tmpfs is not permitted here (\(mounted.output.trimmingCharacters(in: .whitespacesAndNewlines))); the injected campaign covers ENOSPC")
                return
            }
            defer {
                if (try? Self.run("/bin/umount", [mountPoint.path]))?.status != 0 { _ = try? Self.run("/bin/umount", ["-l", mountPoint.path]) }
            }
            let ballast = mountPoint.path + "/ballast"
            #expect(FileManager.default.createFile(atPath: ballast, contents: Data(repeating: 1, count: 64 << 10)))
            let root = LogRoot(path: mountPoint.path + "/log")
            let failures = FailureLog()
            let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 1_000_000, flushTimeout: .seconds(3_600)), errorHandler: failures.handler)
            let collector = try FileMetricsCollector(
                root: root, session: "full",
                options: .init(writer: LogWriterOptions(blockMaxEvents: 16, compressionLevel: 1), bufferSize: 1_000_000, flushInterval: .milliseconds(3)),
                errorHandler: failures.handler)
            registry.register(collector, name: "file")
            var random = SeededRandom(seed: 0x7F5)
            var recorded = 0, flushed = 0
            func record(_ count: Int) async {
                for _ in 0..<count {
                    // Random hex: zstd cannot make it much smaller, so the disk fills.
                    let pad = random.bytes(300).map { String($0, radix: 16) }.joined()
                    await registry.record(.custom(name: "fill", data: ["i": .integer(Int64(recorded)), "pad": .string(pad)]))
                    recorded += 1
                }
            }
            while collector.statistics.errors == 0, recorded < 20_000 {
                await record(20)
                try await registry.flush()
                if collector.statistics.errors == 0 { flushed = recorded }
            }
            let error = collector.statistics.lastError ?? "none"
            #expect(error.contains("No space left on device"), "the disk never filled: \(recorded) events written")
            #expect(registry.statistics()[0].errors > 0)
            #expect(failures.all.contains { $0.message.contains("No space left on device") })
            let during = try await inBackground { try readAll(root, "full").map { CrashSequence.index(of: $0.event) ?? -1 } }
            #expect(during.count >= flushed && during == Array(0..<during.count), "flushed events damaged on the full disk")
            await record(5)  // still never fails
            try await registry.flush()

            try FileManager.default.removeItem(atPath: ballast)
            try await registry.flush()
            await registry.shutdown()
            try await collector.close()
            let after = try await inBackground { try readAll(root, "full").map { CrashSequence.index(of: $0.event) ?? -1 } }
            #expect(after == Array(0..<recorded), "after space returned: \(after.count) of \(recorded) events")
            #expect(try LogMaintenance(root: root).verify().isEmpty)
            printCampaignSummary("disk-full (tmpfs)", """
                a 256 KiB tmpfs filled after \(flushed) flushed events (\(collector.statistics.errors) errors counted, last: \(error)); \
                \(during.count) events read back intact while full; all \(recorded) landed once 64 KiB were freed
                """)
        }

        static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        }
    }
}
