import Foundation
import MMMMetrics
import MMMMetricsTesting
import MMMMetricsTestSupport
import Testing

@Suite("MetricsRegistry")
struct RegistryTests {
    @Test("the foundation issue's client example records what it says")
    func clientExample() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(enabled: true))
        registry.register(probe.collector)

        await registry.increment("command.executed", tags: ["command": "build"])
        await registry.gauge("quality.test_coverage", value: 83.5, tags: [:])
        let answer = try await registry.time("command.duration", tags: ["command": "test"]) {
            try await Task.sleep(for: .milliseconds(5))
            return 42
        }
        let iteration = MetricsContext(registry: registry, tags: ["session": "s1"]).child(["iteration": "1"])
        await iteration.record(.counter(name: "git.lines_added", value: 12, tags: ["file": "a.swift"]))
        await iteration.record(.custom(name: "error", data: ["message": "lint failed", "kind": "lint"], tags: [:]))
        try await registry.flush()

        #expect(answer == 42)
        probe.assertCounter("command.executed", expected: 1)
        probe.assertCounter("git.lines_added", expected: 12)
        probe.assertGauge("quality.test_coverage", expected: 83.5)
        probe.assertTimerCalled("command.duration")
        probe.assertTags("git.lines_added", include: ["session": "s1", "iteration": "1", "file": "a.swift"])
        let timer = try #require(probe.events(named: "command.duration").first)
        guard case .timer(let duration) = timer.value else { Issue.record("not a timer"); return }
        #expect(duration >= .milliseconds(5))
        #expect(timer.tags["status"] == "ok")
        #expect(probe.events.allSatisfy { $0.timestamp != nil })

        let off = MetricsRegistry(config: MetricsConfig(enabled: false))
        let silent = MetricsAssert()
        off.register(silent.collector)
        await off.increment("never", tags: [:])
        silent.assertNoMetrics()
    }

    @Test("a disabled registry builds no event and evaluates no tag argument")
    func disabledBuildsNothing() async throws {
        let built = LockedState(0)
        func tags() -> Tags {
            built.withLock { $0 += 1 }
            return ["k": "v"]
        }
        func event() -> MetricEvent {
            built.withLock { $0 += 1 }
            return .counter(name: "x", value: 1)
        }
        let off = MetricsRegistry(config: MetricsConfig(enabled: false))
        let probe = MetricsAssert()
        off.register(probe.collector)
        await off.increment("a", tags: tags())
        await off.gauge("b", value: 1, tags: tags())
        await off.record(event())
        let context = MetricsContext(registry: off, tags: ["s": "1"])
        await context.record(event())
        await context.increment("c", tags: tags())
        await context.gauge("d", value: 2, tags: tags())
        let result = await off.time("e", tags: tags()) { 7 }
        off.counter("f").increment()
        off.gauge("g").set(1)
        off.timer("h").record(.seconds(1))
        try await off.flush()
        #expect(result == 7)
        #expect(built.withLock { $0 } == 0)
        #expect(off.statistics().isEmpty)
        probe.assertNoMetrics()

        // The same calls on an enabled registry do evaluate them: the probe above can fail.
        let on = MetricsRegistry(config: MetricsConfig())
        on.register(probe.collector)
        await on.increment("a", tags: tags())
        await on.record(event())
        try await on.flush()
        #expect(built.withLock { $0 } == 2)
        #expect(probe.events.count == 2)
    }

    @Test("time passes results and errors through untouched and tags the outcome")
    func timePassesThrough() async throws {
        struct Boom: Error, Equatable { let code: Int }
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig())
        registry.register(probe.collector)
        let value = await registry.time("op") { "done" }
        #expect(value == "done")
        await #expect(throws: Boom(code: 7)) {
            try await registry.time("op", tags: ["command": "lint"]) { () throws(Boom) -> Int in throw Boom(code: 7) }
        }
        let context = MetricsContext(registry: registry, tags: ["iteration": "2"])
        let fromContext = await context.time("ctx.op", tags: ["command": "x"]) { 5 }
        #expect(fromContext == 5)
        try await registry.flush()
        let statuses = probe.events(named: "op").map { $0.tags["status"] }
        #expect(statuses == ["ok", "error"])
        #expect(probe.events(named: "op").last?.tags["command"] == "lint")
        probe.assertTags("ctx.op", include: ["iteration": "2", "command": "x", "status": "ok"])
    }

    @Test("tags: the event's own tags win over the context's, a child's over its parent's")
    func tagPrecedence() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig())
        registry.register(probe.collector)
        let parent = MetricsContext(registry: registry, tags: ["a": "parent", "b": "parent"])
        let child = parent.child(["b": "child", "c": "child"])
        #expect(child.tags == ["a": "parent", "b": "child", "c": "child"])
        await child.record(.gauge(name: "g", value: 1, tags: ["c": "event"]))
        await child.increment("n", tags: ["a": "event"])
        await child.gauge("level", value: 3)
        try await registry.flush()
        #expect(probe.events(named: "g").first?.tags == ["a": "parent", "b": "child", "c": "event"])
        #expect(probe.events(named: "n").first?.tags == ["a": "event", "b": "child", "c": "child"])
        probe.assertGauge("level", expected: 3)
    }

    @Test("a caller-given timestamp is kept; a missing one is stamped")
    func timestamps() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig())
        registry.register(probe.collector)
        let before = MetricTimestamp.now()
        await registry.record(.counter(name: "old", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 42)))
        await registry.record(.counter(name: "new", value: 1))
        try await registry.flush()
        #expect(probe.events(named: "old").first?.timestamp == MetricTimestamp(nanosecondsSinceEpoch: 42))
        let stamped = try #require(probe.events(named: "new").first?.timestamp)
        #expect(stamped >= before)
    }

    @Test("allow and deny lists select names by glob; deny wins")
    func allowDeny() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(allow: ["command.*", "git.lines_added"], deny: ["command.secret*"]))
        registry.register(probe.collector)
        for name in ["command.duration", "command.secret.token", "git.lines_added", "git.files_changed", "quality.x"] {
            await registry.increment(name)
        }
        let denied = registry.counter("command.secret")
        denied.increment()
        registry.counter("command.handle").increment()
        try await registry.flush()
        #expect(Set(probe.events.map(\.name)) == ["command.duration", "git.lines_added", "command.handle"])
    }

    @Test("seeded sampling is reproducible, keeps about the configured fraction and honours per-name overrides")
    func sampling() async throws {
        func run(seed: UInt64) async throws -> [Int64] {
            let probe = MetricsAssert()
            let registry = MetricsRegistry(config: MetricsConfig(
                samplingRate: 0.25, samplingSeed: seed,
                samplingOverrides: [SamplingRule("always", rate: 1), SamplingRule("never.*", rate: 0), SamplingRule("half.*", rate: 0.5)]))
            registry.register(probe.collector)
            for index in 0..<4000 { await registry.increment("sampled", by: Int64(index)) }
            for _ in 0..<100 { await registry.increment("always") }
            for _ in 0..<100 { await registry.increment("never.x") }
            for _ in 0..<1000 { await registry.increment("half.y") }
            try await registry.flush()
            #expect(probe.events(named: "always").count == 100)
            #expect(probe.events(named: "never.x").isEmpty)
            let half = probe.events(named: "half.y").count
            #expect((400...600).contains(half))
            // What sampling kept says at which rate, so that counts can be scaled back; unsampled events say nothing.
            #expect(probe.events(named: "half.y").allSatisfy { $0.tags[SampleRate.tag] == "0.5" })
            #expect(probe.events(named: "sampled").allSatisfy { $0.tags[SampleRate.tag] == "0.25" })
            #expect(probe.events(named: "always").allSatisfy { $0.tags[SampleRate.tag] == nil })
            let handle = registry.counter("half.handle", tags: ["k": "v"])
            for _ in 0..<200 { handle.increment() }
            try await registry.flush()
            #expect(probe.events(named: "half.handle").allSatisfy { $0.tags == ["k": "v", SampleRate.tag: "0.5"] })
            return probe.events(named: "sampled").map(\.counterValue)
        }
        let first = try await run(seed: 7)
        let second = try await run(seed: 7)
        let third = try await run(seed: 8)
        #expect(first == second)
        #expect(first != third)
        #expect((800...1200).contains(first.count))
    }

    @Test("the pipeline drops, renames, adds and removes tags, in order, before collectors see events")
    func pipeline() async throws {
        struct DoubleGauges: MetricsPipelineStage {
            func apply(to event: inout MetricEvent) -> Bool {
                if case .gauge(let value) = event.value { event.value = .gauge(value * 2) }
                return true
            }
        }
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(pipeline: [
            DropStage(["debug.*"]),
            RenameStage(from: "old.name", to: "new.name"),
            RenameStage(from: "legacy.*", to: "modern.*"),
            AddTagsStage(["host": "ci"], matching: ["new.*", "modern.*", "g"]),
            RemoveTagsStage(["pid"]),
            DoubleGauges(),
        ]))
        registry.register(probe.collector)
        await registry.increment("debug.noise")
        await registry.increment("old.name", tags: ["pid": "1", "k": "v"])
        await registry.increment("legacy.metric")
        await registry.gauge("g", value: 2)
        let handle = registry.gauge("g", tags: ["pid": "9"])
        handle.set(5)
        registry.counter("debug.handle").increment()
        try await registry.flush()
        #expect(probe.events.map(\.name) == ["new.name", "modern.metric", "g", "g"])
        #expect(probe.events[0].tags == ["host": "ci", "k": "v"])
        #expect(probe.events[1].tags == ["host": "ci"])
        #expect(probe.events.filter { $0.name == "g" }.map(\.value) == [.gauge(4), .gauge(10)])
        #expect(probe.events[3].tags == ["host": "ci"])
    }

    @Test("handles resolve name and tags once and record through the static pipeline")
    func handles() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(pipeline: [AddTagsStage(["env": "test"])]))
        registry.register(probe.collector)
        let counter = registry.counter("requests", tags: ["route": "/a"])
        let gauge = registry.gauge("level")
        let timer = registry.timer("latency")
        for _ in 0..<10 { counter.increment() }
        counter.increment(by: 5)
        gauge.set(1.5)
        timer.record(.milliseconds(3))
        timer.recordNanoseconds(1_500)
        try await registry.flush()
        probe.assertCounter("requests", expected: 15)
        probe.assertTags("requests", include: ["route": "/a", "env": "test"])
        probe.assertGauge("level", expected: 1.5)
        probe.assertTimerCalled("latency", times: 2)
        #expect(probe.events(named: "latency").map(\.value) == [.timer(.milliseconds(3)), .timer(.nanoseconds(1_500))])
        #expect(probe.events.allSatisfy { $0.timestamp != nil })
    }

    @Test("a sampled handle keeps about its rate")
    func sampledHandle() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(samplingRate: 0.5, samplingSeed: 1))
        registry.register(probe.collector)
        let counter = registry.counter("c")
        for _ in 0..<2000 { counter.increment() }
        try await registry.flush()
        #expect((800...1200).contains(probe.events.count))
        let never = MetricsRegistry(config: MetricsConfig(samplingRate: 0))
        never.register(probe.collector)
        never.counter("z").increment()
        try await never.flush()
        #expect(probe.events(named: "z").isEmpty)
    }

    @Test("a failing collector never reaches the caller; its errors are counted and reported, and others still get events")
    func failingCollector() async throws {
        let failures = FailureLog()
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(), errorHandler: failures.handler)
        registry.register(FailingCollector(), name: "failing")
        registry.register(probe.collector, name: "probe")
        for _ in 0..<3 { await registry.increment("x") }
        try await registry.flush()
        probe.assertCounter("x", expected: 3)
        let stats = registry.statistics()
        #expect(stats.map(\.name) == ["failing", "probe"])
        #expect(stats[0].errors >= 2)  // at least one record batch and the flush
        #expect(stats[0].lastError == "disk on fire")
        #expect(stats[1].errors == 0)
        #expect(stats[1].delivered == 3)
        #expect(failures.all.contains { $0.operation == .record && $0.collector == "failing" })
        #expect(failures.all.contains { $0.operation == .flush })
        #expect(failures.all.first?.description.contains("disk on fire") == true)
    }

    @Test("a hanging collector neither blocks recording nor flush beyond the timeout; its buffer stays bounded", .timeLimit(.minutes(1)))
    func hangingCollector() async throws {
        let failures = FailureLog()
        let hanging = HangingCollector()
        let probe = MetricsAssert()
        let registry = MetricsRegistry(
            config: MetricsConfig(bufferSize: 100, flushTimeout: .milliseconds(100)), errorHandler: failures.handler)
        registry.register(hanging, name: "hanging")
        registry.register(probe.collector, name: "probe")
        for index in 0..<1000 { await registry.increment("x", by: Int64(index)) }
        try await registry.flush()
        // The probe got everything its buffer could hold in time; the hung collector held at most its buffer.
        let stats = registry.statistics()
        #expect(stats[0].flushTimeouts == 1)
        #expect(stats[0].dropped >= 1000 - 100 - 1)
        #expect(stats[0].pending <= 100)
        #expect(failures.all.contains { $0.operation == .flushTimeout && $0.collector == "hanging" })
        #expect(failures.all.contains { $0.operation == .overflow })
        #expect(probe.events.count + stats[1].dropped == 1000)
        hanging.release()
        await registry.shutdown()
    }

    @Test("collectors that block their threads (more of them than cores) hold up neither recording, flush beyond its timeout, nor the other collectors", .timeLimit(.minutes(1)))
    func threadBlockingCollectors() async throws {
        let failures = FailureLog()
        let blocking = (0..<3).map { _ in ThreadBlockingCollector() }
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 1_000, flushTimeout: .milliseconds(300)), errorHandler: failures.handler)
        for (index, collector) in blocking.enumerated() { registry.register(collector, name: "blocking \(index)") }
        registry.register(probe.collector, name: "probe")
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<100 { await registry.increment("x", by: Int64(index)) }
        try await registry.flush()
        // Each channel's flush waits its 300 ms at most, all at once; before, three blocked pool threads never let flush return.
        #expect(clock.now - start < .seconds(30))
        #expect(probe.events.count == 100)
        #expect(registry.statistics().prefix(3).allSatisfy { $0.flushTimeouts == 1 })
        blocking.forEach { $0.release() }
        await registry.shutdown()
        #expect(registry.statistics().prefix(3).allSatisfy { $0.delivered == 100 })
    }

    /// A collector whose `close()` takes `delay`, counting its calls.
    final class SlowClosing: MetricsCollector {
        let delay: Duration
        let closes = LockedState(0)
        let closing = LockedState(false)
        init(delay: Duration) { self.delay = delay }
        func record(_ event: MetricEvent) async throws {}
        func flush() async throws {}
        func close() async throws {
            closing.withLock { $0 = true }
            try? await Task.sleep(for: delay)
            closes.withLock { $0 += 1 }
        }
    }

    @Test("a second shutdown, and a flush during a shutdown, return once the collectors are closed; a collector registered after shutdown is refused")
    func concurrentShutdown() async throws {
        let failures = FailureLog()
        let registry = MetricsRegistry(config: MetricsConfig(flushTimeout: .seconds(30)), errorHandler: failures.handler)
        let slow = SlowClosing(delay: .milliseconds(300))
        registry.register(slow, name: "slow")
        await registry.increment("x")
        let first = Task { await registry.shutdown() }
        while !slow.closing.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        // Before, both returned at once, with the close still running.
        try await registry.flush()
        #expect(slow.closes.withLock { $0 } == 1)
        await registry.shutdown()
        #expect(slow.closes.withLock { $0 } == 1)
        await first.value
        let late = MetricsAssert()
        registry.register(late.collector, name: "late")
        await registry.increment("after")
        #expect(late.events.isEmpty)
        #expect(failures.all.contains { $0.collector == "late" && $0.message.contains("not registered") })
    }

    #if os(Linux)
    @Test("registries released without shutdown end their consumers' threads (and close their collectors)", .timeLimit(.minutes(1)))
    func releasedRegistries() async throws {
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }
        let before = threads()
        let closing = SlowClosing(delay: .zero)
        for _ in 0..<200 {
            let registry = MetricsRegistry(config: MetricsConfig(), errorHandler: { _ in })
            registry.register(closing)
            await registry.increment("x")
        }
        // Before, each left a thread waiting for good: 200 more.
        let deadline = ContinuousClock.now + .seconds(20)
        while threads() > before + 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(threads() <= before + 20, "\(before) threads before, \(threads()) after")
        #expect(closing.closes.withLock { $0 } >= 180)
    }
    #endif

    @Test("main-actor code records with tags built from main-actor state (the recording methods run on the caller's isolation)")
    @MainActor
    func mainActorRecording() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(), errorHandler: { _ in })
        registry.register(probe.collector, name: "probe")
        let context = MetricsContext(registry: registry, tags: ["session": "s"])
        // Built from values only main-actor code may touch: the autoclosures run here, not elsewhere.
        let many = MainActorTags.make(1_024)
        await registry.increment("tagged", tags: many)
        await registry.gauge("g", value: 1, tags: MainActorTags.make(2))
        await registry.record(.counter(name: "c", value: 1, tags: MainActorTags.make(1)))
        await context.increment("in.context", tags: MainActorTags.make(3))
        await context.gauge("g.context", value: 2, tags: MainActorTags.make(1))
        await context.record(.counter(name: "c.context", value: 1))
        try await registry.flush()
        #expect(probe.events.map(\.name) == ["tagged", "g", "c", "in.context", "g.context", "c.context"])
        #expect(probe.events.first?.tags.count == 1_024)
        #expect(probe.events[3].tags.count == 4)
        await registry.shutdown()
    }

    @Test("a slow collector does not slow the caller beyond the hand-off and still receives events in order")
    func slowCollector() async throws {
        let slow = SlowCollector(delay: .milliseconds(10))
        let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 1000, flushTimeout: .seconds(30)))
        registry.register(slow)
        for index in 0..<50 { await registry.increment("x", by: Int64(index)) }
        // The caller got here before the collector could have taken them all (50 × 10 ms).
        #expect(slow.memory.events.count < 50)
        try await registry.flush()
        let values = slow.memory.events.map(\.counterValue)
        #expect(values == (0..<50).map { Int64($0) })
    }

    @Test("shutdown delivers, then closes each collector once; later events are dropped, counted and the first said")
    func shutdown() async throws {
        final class Closing: MetricsCollector {
            let closes = LockedState(0)
            let seen = LockedState<[String]>([])
            func record(_ event: MetricEvent) async throws { seen.withLock { $0.append(event.name) } }
            func flush() async throws {}
            func close() async throws { closes.withLock { $0 += 1 } }
        }
        let failures = FailureLog()
        let probe = MetricsAssert()
        let closing = Closing()
        let registry = MetricsRegistry(config: MetricsConfig(), errorHandler: failures.handler)
        registry.register(probe.collector)
        registry.register(closing, name: "closing")
        await registry.increment("before")
        await registry.shutdown()
        await registry.shutdown()
        #expect(closing.closes.withLock { $0 } == 1)
        await registry.increment("after")
        await registry.increment("after")
        try await registry.flush()
        #expect(probe.events.map(\.name) == ["before"])
        #expect(closing.seen.withLock { $0 } == ["before"])
        #expect(registry.statistics().allSatisfy { $0.dropped == 2 })
        #expect(failures.all.filter { $0.message.contains("shut down") }.count == 2)  // once per collector
    }

    @Test("configured(_:) builds collectors through factories; unknown plugins list the registered names")
    func configuredRegistry() async throws {
        let factories = CollectorFactories()
        let pluginProbe = MetricsAssert()
        let seen = LockedState<JSONValue?>(nil)
        factories.register("probe") { config, _ in
            seen.withLock { $0 = config }
            return pluginProbe.collector
        }
        factories.register("broken") { _, _ in throw FailingCollector.Failure() }
        let registry = try MetricsRegistry.configured(
            MetricsConfig(collectors: [.memory, .custom(name: "probe", config: ["level": 3])]),
            factories: factories, errorHandler: { _ in })
        await registry.increment("x")
        try await registry.flush()
        pluginProbe.assertCounter("x", expected: 1)
        #expect(seen.withLock { $0 } == ["level": 3])
        #expect(registry.statistics().count == 2)

        #expect(throws: MetricsConfigError.unknownCollector(name: "nope", registered: ["broken", "probe"])) {
            try MetricsRegistry.configured(MetricsConfig(collectors: [.custom(name: "nope", config: nil)]), factories: factories) { _ in }
        }
        #expect(throws: MetricsConfigError.pluginFailed(name: "broken", reason: "disk on fire")) {
            try MetricsRegistry.configured(MetricsConfig(collectors: [.custom(name: "broken", config: nil)]), factories: factories) { _ in }
        }
        do {
            _ = try MetricsRegistry.configured(MetricsConfig(collectors: [.file(path: "/tmp/x")])) { _ in }
            Issue.record("file collector should not be available")
        } catch {
            guard case .collectorNotAvailable(let kind, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(kind == "file")
            #expect(error.description.contains("not available in this build"))
        }
        #expect(throws: MetricsConfigError.self) {
            try MetricsRegistry.configured(MetricsConfig(collectors: [.remote(endpoint: "http://127.0.0.1:1", apiKey: "k")])) { _ in }
        }
        #expect(throws: MetricsConfigError.invalidValue(key: "sampling_rate", value: "2.0", expected: "a number in [0, 1]")) {
            try MetricsRegistry.configured(MetricsConfig(samplingRate: 2)) { _ in }
        }
    }

    @Test("file and remote entries resolve by name, like plugins; a collector is named by type and identity, never its options")
    func installedFactories() throws {
        let factories = CollectorFactories()
        let seen = LockedState<[String]>([])
        factories.register("file", identity: { $0["path"]?.stringValue }) { options, _ in
            seen.withLock { $0.append(options["path"]?.stringValue ?? "?") }
            return MemoryMetricsCollector()
        }
        factories.register("remote", identity: { _ in "127.0.0.1:9091" }) { options, _ in
            seen.withLock { $0.append("\(options["endpoint"]?.stringValue ?? "?")|\(options["api_key"]?.stringValue ?? "?")") }
            return MemoryMetricsCollector()
        }
        _ = try factories.makeCollector(.file(path: "logs"), metrics: MetricsConfig())
        _ = try factories.makeCollector(.remote(endpoint: "http://127.0.0.1:9091/x", apiKey: "s3cret"), metrics: MetricsConfig())
        #expect(seen.withLock { $0 } == ["logs", "http://127.0.0.1:9091/x|s3cret"])
        #expect(factories.registeredNames == ["file", "remote"])
        #expect(factories.collectorName(for: .file(path: "logs")) == "file:logs")
        #expect(factories.collectorName(for: .memory) == "memory")
        let remote = CollectorConfig.remote(endpoint: "http://127.0.0.1:9091/x", apiKey: "s3cret")
        #expect(factories.collectorName(for: remote) == "remote:127.0.0.1:9091")
        #expect(!"\(remote)".contains("s3cret"))
        // Through a configured registry: statistics carry the name, not the key.
        let registry = try MetricsRegistry.configured(MetricsConfig(collectors: [remote, .memory]), factories: factories) { _ in }
        #expect(registry.statistics().map(\.name) == ["remote:127.0.0.1:9091", "memory"])
        #expect(!registry.statistics().contains { $0.name.contains("s3cret") || $0.lastError?.contains("s3cret") == true })
    }

    @Test("events reach each collector in recording order across many concurrent recorders")
    func concurrentRecording() async throws {
        let probe = MetricsAssert()
        let registry = MetricsRegistry(config: MetricsConfig(bufferSize: 100_000))
        registry.register(probe.collector)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<500 { await registry.increment("t\(task)", by: Int64(index)) }
                }
            }
        }
        try await registry.flush()
        for task in 0..<8 {
            let values = probe.events(named: "t\(task)").map(\.counterValue)
            #expect(values == (0..<500).map { Int64($0) })
        }
    }
}

/// Tags from main-actor state, for ``RegistryTests/mainActorRecording()``.
@MainActor
enum MainActorTags {
    static var prefix = "k"
    static func make(_ count: Int) -> Tags { Tags((0..<count).map { ("\(prefix)\($0)", "v") }) }
}
