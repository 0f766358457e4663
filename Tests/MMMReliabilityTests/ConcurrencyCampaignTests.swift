import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

extension ReliabilityCampaigns {
    /// Campaign 5 (docs/RELIABILITY.md): 16 producer tasks record at once through one
    /// `MetricsRegistry` into a `MemoryMetricsCollector` and a `FileMetricsCollector`, with buffers
    /// large enough (and the file collector waiting for room instead of dropping) that nothing may be
    /// lost. Both collectors must then hold every event exactly once, each producer's in the order it
    /// recorded them, with every statistic saying nothing was dropped or failed. The suite's name is
    /// what `swift test --sanitize=thread --filter Concurrency` selects (Tools/reliability.sh).
    @Suite("Concurrency campaign: 16 producers through one registry")
    struct ConcurrencyCampaignTests {
        static let producers = 16

        @Test("16 producers through one registry: both collectors hold every event exactly once, in each producer's order, nothing dropped")
        func producers() async throws {
            let perProducer = CampaignScale.trials(short: 20_000, long: 1_000_000)
            let total = Self.producers * perProducer
            let directory = TemporaryDirectory("concurrency")
            let failures = FailureLog()
            let registry = MetricsRegistry(config: MetricsConfig(bufferSize: total + 1, flushTimeout: .seconds(86_400)), errorHandler: failures.handler)
            let memory = MemoryMetricsCollector(capacity: total)
            let file = try FileMetricsCollector(
                root: directory.root, session: "concurrency",
                options: .init(writer: LogWriterOptions(compressionLevel: 1), bufferSize: 100_000, flushInterval: .milliseconds(20),
                               overflow: .wait(.seconds(86_400))),
                errorHandler: failures.handler)
            registry.register(memory, name: "memory")
            registry.register(file, name: "file")

            let clock = ContinuousClock()
            let started = clock.now
            await withTaskGroup(of: Void.self) { group in
                for producer in 0..<Self.producers {
                    group.addTask {
                        let name = "producer.\(producer)"
                        for sequence in 0..<perProducer {
                            await registry.increment(name, by: Int64(sequence))
                            // Recording never suspends: without a yield now and then, sixteen producers would
                            // hold the cooperative pool (two threads here) and starve every other test's tasks.
                            if sequence % 128 == 127 { await Task.yield() }
                        }
                    }
                }
            }
            let recorded = clock.now - started
            await registry.shutdown()
            try await file.close()
            let delivered = clock.now - started

            // Nothing dropped, nothing failed, anywhere.
            let statistics = registry.statistics()
            #expect(statistics.map(\.name) == ["memory", "file"])
            for channel in statistics {
                #expect(channel.delivered == total && channel.dropped == 0 && channel.errors == 0 && channel.flushTimeouts == 0 && channel.pending == 0,
                        "\(channel)")
            }
            #expect(memory.droppedCount == 0)
            #expect(file.statistics.written == total && file.statistics.dropped == 0 && file.statistics.errors == 0, "\(file.statistics)")
            #expect(failures.all.isEmpty, "\(failures.all)")

            // Every event exactly once, in each producer's order: first in memory, then in the log (on a
            // thread of its own: this takes seconds, and the cooperative pool is for the tests beside it).
            let root = directory.root
            let (inMemory, inFile, sequential, problems) = try await inBackground {
                let inMemory = Self.check(memory.events, perProducer: perProducer)
                memory.reset()
                let stored = try LogReader(root: root).events(session: "concurrency", mode: .strict)
                let sequential = stored.enumerated().allSatisfy { $0.offset == Int($0.element.sequence) }
                return (inMemory, Self.check(stored.map(\.event), perProducer: perProducer), sequential, try LogMaintenance(root: root).verify())
            }
            #expect(inMemory == nil, "memory collector: \(inMemory ?? "")")
            #expect(inFile == nil, "file collector: \(inFile ?? "")")
            #expect(sequential)
            #expect(problems.isEmpty)
            printCampaignSummary("concurrency", """
                \(Self.producers) producers × \(perProducer) events = \(total) events through one registry in \(recorded) (all delivered and flushed after \(delivered)); \
                memory and file collectors each held every event exactly once in each producer's order: \(inMemory == nil && inFile == nil ? "yes" : "NO"); \
                dropped 0, errors 0, flush timeouts 0 in the registry's and collectors' statistics: \
                \(statistics.allSatisfy { $0.dropped == 0 && $0.errors == 0 && $0.flushTimeouts == 0 } && file.statistics.dropped == 0 && memory.droppedCount == 0 ? "yes" : "NO")
                """)
        }

        /// `nil` when `events` hold, for each producer, the counter values 0..<perProducer in order and
        /// nothing else; else what is wrong first.
        static func check(_ events: [MetricEvent], perProducer: Int) -> String? {
            var producerOfName: [String: Int] = [:]
            for producer in 0..<producers { producerOfName["producer.\(producer)"] = producer }
            var next = [Int](repeating: 0, count: producers)
            for (position, event) in events.enumerated() {
                guard let producer = producerOfName[event.name], case .counter(let value) = event.value else {
                    return "event \(position) is \(event), from no producer"
                }
                guard value == Int64(next[producer]) else {
                    return "event \(position): producer \(producer)'s value \(value) where \(next[producer]) was due (a loss, a duplicate or a reordering)"
                }
                next[producer] += 1
            }
            if let short = next.firstIndex(where: { $0 != perProducer }) {
                return "producer \(short) has \(next[short]) of \(perProducer) events"
            }
            return nil
        }
    }
}
