import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsRemote
import MMMMetricsTestSupport
import MMMWorkload
import Testing

/// Events from three sources that differ: the test generator's cook session, the seeded cook
/// workload (another generator), and hostile names and tag values.
func mixedSession() -> [MetricEvent] {
    var events = EventGenerator.cookSession(iterations: 4, seed: 11)
    let base: Int64 = 1_795_900_100_000_000_000
    events += CookWorkload.events(count: 300, sessions: 1, seed: 5).enumerated().map { index, pair in
        var event = pair.event
        event.timestamp = MetricTimestamp(nanosecondsSinceEpoch: base + Int64(index) * 3_000_000)
        return event
    }
    let hostile: [MetricEvent] = [
        .counter(name: "weird name,with=chars", value: 3, tags: ["tag with space": "value, with = signs", "quote": "say \"hi\"", "slash": "C:\\dir\\"]),
        .gauge(name: "ünïcode.level", value: -0.000123, tags: ["emoji": "🚀", "newline": "a\nb"]),
        .timer(name: "9.starts.with.digit", duration: .nanoseconds(1), tags: ["empty": ""]),
        .counter(name: "huge", value: Int64.max / 4),
    ]
    events += hostile.enumerated().map { index, event in
        var event = event
        event.timestamp = MetricTimestamp(nanosecondsSinceEpoch: base + 10_000_000_000 + Int64(index) * 1_000_000)
        return event
    }
    return events
}

/// One sample as VictoriaMetrics exports it.
struct Sample: Hashable, CustomStringConvertible {
    var name: String
    var labels: [String: String]
    var millisecond: Int64
    var value: Double
    var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) @\(millisecond) = \(value)" }
}

/// What VictoriaMetrics should hold after `events` of `session` went through line protocol.
func expectedSamples(_ events: [MetricEvent], session: String) -> [Sample] {
    var totals = RunningTotals()
    var samples: [Sample] = []
    for event in events {
        let event = totals.cumulative(event)
        guard let (kind, number) = NumericKind.of(event.value), number.isFinite else { continue }
        let (measurement, field) = MetricNaming.influxMeasurementAndField(event.name, kind: kind)
        var labels: [String: String] = [:]
        for tag in event.tags.sorted(by: { (MetricNaming.labelName($0.key) ?? "", $0.key) < (MetricNaming.labelName($1.key) ?? "", $1.key) })
        where !tag.value.isEmpty {
            guard var name = MetricNaming.labelName(tag.key) else { continue }
            if name == "session" { name = "exported_session" }
            guard labels[name] == nil else { continue }
            labels[name] = String(tag.value.map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7F) ? " " : $0 })
        }
        labels["session"] = session
        samples.append(Sample(name: measurement + "_" + field, labels: labels,
                              millisecond: (event.timestamp?.nanosecondsSinceEpoch ?? 0) / 1_000_000, value: number))
    }
    return samples
}

/// Every sample VictoriaMetrics holds for a session (after a forced flush).
func exportedSamples(_ server: RealServer, session: String) async throws -> [Sample] {
    _ = try await http("GET", server.baseURL + "/internal/force_flush")
    let match = "{session=\"\(session)\"}".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    let (status, body) = try await httpGet(server.baseURL + "/api/v1/export?match%5B%5D=\(match)&start=0")
    guard status == 200 else { throw ServerFailure("export answered \(status): \(body)") }
    var samples: [Sample] = []
    for line in body.split(separator: "\n") {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        var labels = object["metric"] as! [String: String]
        let name = labels.removeValue(forKey: "__name__")!
        let values = object["values"] as! [Any]
        let timestamps = object["timestamps"] as! [Int64]
        for (value, time) in zip(values, timestamps) {
            samples.append(Sample(name: name, labels: labels, millisecond: time, value: (value as? Double) ?? Double("\(value)") ?? .nan))
        }
    }
    return samples
}

/// Multisets compared with a relative tolerance on values (VictoriaMetrics stores decimals).
func sameSamples(_ lhs: [Sample], _ rhs: [Sample]) -> (Bool, String) {
    func key(_ sample: Sample) -> String { "\(sample.name)|\(sample.labels.sorted { $0.key < $1.key })|\(sample.millisecond)" }
    let left = Dictionary(grouping: lhs, by: key), right = Dictionary(grouping: rhs, by: key)
    for (name, samples) in left {
        let values = samples.map(\.value).sorted(), others = (right[name] ?? []).map(\.value).sorted()
        guard values.count == others.count, zip(values, others).allSatisfy({ abs($0 - $1) <= 1e-9 * max(1, abs($0)) }) else {
            return (false, "\(name): expected \(values), got \(others)")
        }
    }
    if let extra = right.keys.first(where: { left[$0] == nil }) { return (false, "unexpected \(extra)") }
    return (true, "")
}

/// A registry (failures ignored: the tests read the collector's own counts). Its flush waits up to
/// two minutes: on a loaded CI machine the test process stalled for half a minute, the default 5 s
/// flush gave up, and the counts read after it were short (these tests check delivery, not timing).
func registry() -> MetricsRegistry {
    var config = MetricsConfig()
    config.bufferSize = 100_000
    config.flushTimeout = .seconds(120)
    return MetricsRegistry(config: config) { _ in }
}

/// Lines collected from any thread.
final class Lines: Sendable {
    private let lines = LockedState<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("Push and pull against real servers", .serialized)
struct RealServerTests {
    @Test("VictoriaMetrics: the collector and `push` deliver every value, read back through /api/v1/export")
    func victoriaMetrics() async throws {
        let server = try await RealServer(.victoriaMetrics)
        let events = mixedSession()
        // The collector, through a registry.
        var options = RemoteOptions(endpoint: URL(string: server.baseURL)!)
        options.batchSize = 97
        let collector = RemoteMetricsCollector(options: options, session: "collected run")
        let registry = registry()
        registry.register(collector)
        for event in events { await registry.record(event) }
        try await registry.flush()
        #expect(collector.statistics.delivered == expectedSamples(events, session: "collected run").count)
        let collected = try await exportedSamples(server, session: "collected run")
        let (same, difference) = sameSamples(expectedSamples(events, session: "collected run"), collected)
        #expect(same, "\(difference)")
        // `push` of a stored session.
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "pushed/run", events)
        let pushed = try await runAnalyzer(["push", "--log", temporary.root.path, "--session", "pushed/run", "--to", server.baseURL, "--batch-size", "50"])
        #expect(pushed.status == 0, "\(pushed.err)")
        #expect(pushed.err.contains("pushed \(expectedSamples(events, session: "x").count) events of session pushed/run"))
        #expect(pushed.err.contains("left out \(events.count - expectedSamples(events, session: "x").count) events with no number"))
        let (samePushed, differencePushed) = sameSamples(expectedSamples(events, session: "pushed/run"), try await exportedSamples(server, session: "pushed/run"))
        #expect(samePushed, "\(differencePushed)")
        // /api/v2/write is the same data.
        let v2 = try await runAnalyzer(["push", "--log", temporary.root.path, "--session", "pushed/run", "--to", server.baseURL + "/api/v2/write"])
        #expect(v2.status == 0, "\(v2.err)")

        // Names that the server shows as one (a.b, a_b, a-b: a_b_total): the first keeps it and the
        // others are said, where their running totals overwrote it (a_b_total read 100, not 1).
        let at = { (n: Int64) in MetricTimestamp(nanosecondsSinceEpoch: 1_790_000_000_000_000_000 + n) }
        try writeSession(temporary.root, "clash", [
            .counter(name: "a.b", value: 1, timestamp: at(1)), .counter(name: "a_b", value: 10, timestamp: at(2)),
            .counter(name: "a-b", value: 100, timestamp: at(3)), .gauge(name: "g", value: 2, tags: ["dot.key": "y", "dot_key": "z"], timestamp: at(4)),
        ])
        let clash = try await runAnalyzer(["push", "--log", temporary.root.path, "--session", "clash", "--to", server.baseURL])
        #expect(clash.status == 0, "\(clash.err)")
        #expect(clash.err.contains("pushed 2 events of session clash"), "\(clash.err)")
        #expect(clash.err.contains("left out 2 events whose metric name maps onto one another metric took"), "\(clash.err)")
        #expect(clash.err.contains("left out 1 tag whose key maps onto one the event already has"), "\(clash.err)")
        let clashed = try await exportedSamples(server, session: "clash")
        #expect(clashed.filter { $0.name == "a_b_total" }.map(\.value) == [1], "\(clashed)")
        #expect(clashed.filter { $0.name == "g_value" }.map(\.labels["dot_key"]) == ["y"], "\(clashed)")
        // The collector does the same, live: counted as dropped for a name conflict.
        let live = RemoteMetricsCollector(options: RemoteOptions(endpoint: URL(string: server.baseURL)!), session: "clash live")
        try await live.record(contentsOf: [.counter(name: "a.b", value: 1, timestamp: at(1)), .counter(name: "a_b", value: 10, timestamp: at(2))])
        // flush says what it dropped.
        let dropped = await #expect(throws: RemoteDeliveryError.self) { try await live.flush() }
        #expect("\(dropped.map { "\($0)" } ?? "")".contains("name_conflict"))
        #expect(live.statistics.dropped["name_conflict"] == 1 && live.statistics.delivered == 1, "\(live.statistics)")
        #expect(try await exportedSamples(server, session: "clash live").map(\.value) == [1])
    }

    @Test("Pushgateway: the session's aggregates, pushed by `push` and by the collector, read back from its /metrics")
    func pushgateway() async throws {
        let server = try await RealServer(.pushgateway)
        let events = mixedSession()
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "gw/run 1", events)
        let pushed = try await runAnalyzer(["push", "--log", temporary.root.path, "--session", "gw/run 1", "--to", server.baseURL, "--format", "pushgateway"])
        #expect(pushed.status == 0, "\(pushed.err)")
        var expected = PrometheusExposition()
        for event in events { expected.add(event, extraLabels: [("session", "gw/run 1")]) }
        let (_, body) = try await httpGet(server.baseURL + "/metrics")
        let served = Set(body.split(separator: "\n").filter { $0.contains("session=\"gw/run 1\"") && !$0.hasPrefix("push_") }.map { line in
            // The Pushgateway adds the grouping labels (job, session) and sorts labels; compare name, labels, value.
            normalized(String(line), dropping: ["job", "instance"])
        })
        let wanted = Set(expected.render().split(separator: "\n").filter { !$0.hasPrefix("#") }.map { normalized(String($0), dropping: []) })
        let missing = wanted.subtracting(served), extra = served.subtracting(wanted)
        #expect(missing.isEmpty && extra.isEmpty && wanted.count > 100, "missing: \(missing.sorted().prefix(5)) extra: \(extra.sorted().prefix(5))")
        // The collector pushes the same aggregates for its session.
        var options = RemoteOptions(endpoint: URL(string: server.baseURL)!)
        options.format = .pushgateway
        options.job = "collector"
        let collector = RemoteMetricsCollector(options: options, session: "live")
        try await collector.record(contentsOf: events.filter { NumericKind.of($0.value) != nil })
        try await collector.flush()
        let (_, after) = try await httpGet(server.baseURL + "/metrics")
        #expect(after.contains("git_lines_added_total{instance=\"\",iteration=\"1\",job=\"collector\",session=\"live\"}"))
        #expect(collector.statistics.requests == 1)
    }

    @Test("Prometheus scrapes `serve` and the embedded endpoint; promtool accepts both outputs")
    func prometheusScrapes() async throws {
        let temporary = TemporaryDirectory()
        let events = mixedSession()
        try writeSession(temporary.root, "served", events)
        // `serve`, a process of its own following the log root.
        let servePort = freePort()
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: analyzerPath())
        serve.arguments = ["serve", "--log", temporary.root.path, "--listen", "127.0.0.1:\(servePort)", "--active-within", "1h"]
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { serve.terminate(); serve.waitUntilExit() }
        // The embedded endpoint of a collector in this process.
        let endpoint = try PrometheusEndpointCollector(options: ["listen": "127.0.0.1:0"], session: "embedded")
        try await endpoint.record(contentsOf: events)
        let served = try #require(try await eventually { () async throws -> String? in
            let (status, body) = try await httpGet("http://127.0.0.1:\(servePort)/metrics")
            return status == 200 && body.contains("session=\"served\"") ? body : nil
        })
        let embedded = endpoint.exposition()
        for (label, text) in [("serve", served), ("embedded", embedded)] {
            let file = temporary.path + "/\(label).prom"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let check = try runTool("/usr/bin/promtool", ["check", "metrics"], stdin: file)
            #expect(check.status == 0, "promtool on \(label): \(check.output)")
        }
        let prometheus = try await RealServer(.prometheus, prometheusTargets: ["127.0.0.1:\(servePort)", "127.0.0.1:\(endpoint.server.port)"])
        let total = events.reduce(Int64(0)) { sum, event in
            if event.name == "git.lines_added", case .counter(let value) = event.value { sum + value } else { sum }
        }
        for session in ["served", "embedded"] {
            let query = "sum(git_lines_added_total{session=\"\(session)\"})".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let value = try await eventually(30) { () async throws -> Double? in
                let (_, body) = try await httpGet(prometheus.baseURL + "/api/v1/query?query=\(query)")
                let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                let result = ((object?["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first
                return ((result?["value"] as? [Any])?.last as? String).flatMap(Double.init)
            }
            #expect(value == Double(total), "\(session): \(prometheus.serverLog.suffix(500))")
        }
        // A session written while serving appears at the next scrape.
        try writeSession(temporary.root, "late", Array(events.prefix(20)))
        let late = try await eventually { () async throws -> Bool? in
            let (_, body) = try await httpGet("http://127.0.0.1:\(servePort)/metrics")
            return body.contains("session=\"late\"") ? true : nil
        }
        #expect(late == true)
        let (health, ok) = try await httpGet("http://127.0.0.1:\(servePort)/healthz")
        #expect(health == 200 && ok == "ok\n")
        #expect(try await httpGet("http://127.0.0.1:\(servePort)/nothing").0 == 404)
        #expect(try await http("POST", "http://127.0.0.1:\(servePort)/metrics", body: "x").0 == 405)
    }

    @Test("an outage: record calls never wait, the breaker opens, memory stays bounded, drops are counted; after a restart delivery resumes")
    func outage() async throws {
        let temporary = TemporaryDirectory()
        let port = freePort()
        var server: RealServer? = try await RealServer(.victoriaMetrics, port: port, directory: temporary)
        var options = RemoteOptions(endpoint: URL(string: "http://127.0.0.1:\(port)")!)
        options.batchSize = 100
        options.queueSize = 1_000
        options.maxRetries = 1
        options.retryBackoff = .milliseconds(10)
        options.breakerFailures = 2
        options.breakerCoolDown = .milliseconds(300)
        options.timeout = .seconds(2)
        options.flushInterval = .milliseconds(50)
        let failures = Lines()
        let collector = RemoteMetricsCollector(options: options, session: "outage", errorHandler: { failures.append("\($0)") })
        func batch(_ from: Int, _ count: Int) -> [MetricEvent] {
            (from..<(from + count)).map { .counter(name: "outage.events", value: 1, tags: ["n": "\($0 % 10)"],
                                                  timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1_795_900_200_000_000_000 + Int64($0) * 1_000_000)) }
        }
        func latencies(_ events: [MetricEvent]) async throws -> [Duration] {
            var result: [Duration] = []
            let clock = ContinuousClock()
            for event in events {
                let start = clock.now
                try await collector.record(event)
                result.append(start.duration(to: clock.now))
            }
            return result.sorted()
        }
        var before: [Duration] = []
        for start in stride(from: 0, to: 2_000, by: 500) {
            before += try await latencies(batch(start, 500))
            try await collector.flush()
        }
        before.sort()
        #expect(collector.statistics.delivered == 2_000)
        server?.stop()
        server = nil
        // 20,000 records while nothing listens: each call returns; at most queue_size wait.
        let during = try await latencies(batch(2_000, 20_000))
        #expect(collector.statistics.queued <= 1_000)
        await #expect(throws: RemoteDeliveryError.self) { try await collector.flush() }
        let statistics = collector.statistics
        #expect(statistics.breakerOpenings >= 1)
        #expect(statistics.dropped.values.reduce(0, +) + statistics.delivered + statistics.queued == 22_000)
        #expect((statistics.dropped["queue_full"] ?? 0) > 0)
        #expect((statistics.dropped["unreachable"] ?? 0) + (statistics.dropped["breaker_open"] ?? 0) > 0)
        #expect(failures.all.contains { $0.contains("remote:http://127.0.0.1:\(port)") && $0.contains("cannot connect") })
        let p99 = { (sorted: [Duration]) in sorted[sorted.count * 99 / 100] }
        print("outage: record p99 \(p99(before)) before, \(p99(during)) during (\(statistics.dropped))")
        // Back up on the same port and data: the probe after the cool-down closes the breaker.
        server = try await RealServer(.victoriaMetrics, port: port, directory: temporary)
        try await Task.sleep(for: .milliseconds(400))
        try await collector.record(contentsOf: batch(30_000, 500))
        let resumed = try await eventually(20) { () async throws -> Bool? in
            try? await collector.flush()
            return collector.statistics.breaker == "closed" && collector.statistics.queued == 0 ? true : nil
        }
        #expect(resumed == true)
        let samples = try await exportedSamples(server!, session: "outage")
        #expect(samples.contains { $0.millisecond == (1_795_900_200_000_000_000 + 30_499 * 1_000_000) / 1_000_000 })
        #expect(samples.contains { $0.millisecond == (1_795_900_200_000_000_000 + 1_999 * 1_000_000) / 1_000_000 })
    }

    @Test("the API key is in no byte a failing push or a failing collector writes: stderr, log messages, the log root")
    func secrets() async throws {
        let key = "KEY-\(UUID().uuidString)"
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", EventGenerator.cookSession(iterations: 2, seed: 3))
        let closed = "http://user:\(key)@127.0.0.1:\(freePort())"
        let refused = try await runAnalyzer(["push", "--log", temporary.root.path, "--latest", "--to", closed, "--timeout", "3s"],
                                            environment: ProcessInfo.processInfo.environment.merging(["MMM_METRICS_API_KEY": key]) { $1 })
        #expect(refused.status == 1)
        #expect(refused.err.contains("push to http://127.0.0.1:"))
        let keyFile = temporary.path + "/key"
        try "\(key)\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        // A server that refuses: the Pushgateway answers 400 to line protocol.
        let gateway = try await RealServer(.pushgateway)
        let rejected = try await runAnalyzer(["push", "--log", temporary.root.path, "--latest", "--to", gateway.baseURL + "/metrics/job/x", "--api-key-file", keyFile])
        #expect(rejected.status == 1)
        #expect(rejected.err.contains("refused with HTTP") || rejected.err.contains("server error HTTP"), "\(rejected.err)")
        // A collector beside the file collector, failing with the key.
        let failures = Lines()
        let factories = CollectorFactories()
        RemoteCollectors.install(into: factories, session: "s2")
        FileMetricsCollector.install(into: factories, session: "s2")
        var config = MetricsConfig()
        config.collectors = [.file(path: temporary.root.path),
                             .custom(name: "remote", config: ["endpoint": .string(closed), "api_key": .string(key), "max_retries": 0])]
        let registry = try MetricsRegistry.configured(config, factories: factories) { failures.append("\($0)") }
        for event in EventGenerator.cookSession(iterations: 2, seed: 4) { await registry.record(event) }
        try? await registry.flush()
        await registry.shutdown()
        let statistics = registry.statistics()
        #expect(statistics.contains { $0.name.hasPrefix("remote:http://127.0.0.1") && $0.errors > 0 })
        var written = refused.err + refused.out + rejected.err + rejected.out + failures.all.joined()
        written += statistics.map { "\($0)" }.joined()
        for file in FileManager.default.enumerator(atPath: temporary.root.path)?.allObjects as? [String] ?? [] {
            written += String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: temporary.root.path + "/" + file))) ?? Data(), as: UTF8.self)
        }
        #expect(!failures.all.isEmpty)
        #expect(!written.contains(key))
        #expect(!written.contains(key.dropFirst(4)))
    }
}

/// A sample line with labels sorted and some dropped, for comparing servers' renderings.
func normalized(_ line: String, dropping: Set<String>) -> String {
    guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { return line }
    let name = line[..<open]
    let value = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
    var labels: [String] = []
    var current = ""
    var inQuotes = false
    var escaped = false
    for character in line[line.index(after: open)..<close] {
        if escaped { current.append(character); escaped = false; continue }
        if character == "\\" { escaped = true; current.append(character); continue }
        if character == "\"" { inQuotes.toggle() }
        if character == ",", !inQuotes { labels.append(current); current = ""; continue }
        current.append(character)
    }
    if !current.isEmpty { labels.append(current) }
    let kept = labels.filter { label in !dropping.contains(String(label.prefix { $0 != "=" })) }.sorted()
    return "\(name){\(kept.joined(separator: ","))} \(Double(value).map { "\($0)" } ?? value)"
}

/// Runs a tool with a file as standard input; status and output (stdout and stderr).
func runTool(_ path: String, _ arguments: [String], stdin: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin))
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
