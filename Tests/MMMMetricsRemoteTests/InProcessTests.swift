import Foundation
import MMMMetrics
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsRemote
import MMMMetricsTestSupport
import Testing

@Suite("Push, serve and failures in process")
struct InProcessTests {
    @Test("serve's exposition: recent sessions only, at most N, re-read only when a file changed")
    func logExposition() throws {
        let temporary = TemporaryDirectory()
        let root = temporary.root
        try writeSession(root, "old", EventGenerator.cookSession(iterations: 1, seed: 1))
        try writeSession(root, "a", EventGenerator.cookSession(iterations: 2, seed: 2))
        try writeSession(root, "b", EventGenerator.cookSession(iterations: 3, seed: 3))
        for file in try FileManager.default.contentsOfDirectory(atPath: root.path + "/sessions/old") {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_600_000_000)],
                                                  ofItemAtPath: root.path + "/sessions/old/" + file)
        }
        let exposition = LogExposition(root: root, activeWithin: .seconds(3_600), maximumSessions: 1)
        let text = exposition.render()
        #expect(!text.contains("session=\"old\""))
        #expect(text.contains("mmm_serve_sessions 1\n"))
        #expect(text.contains("mmm_serve_sessions_left_out 1\n"))
        #expect(text.contains("session=\"a\"") != text.contains("session=\"b\""))
        let wide = LogExposition(root: root, activeWithin: .seconds(3_600))
        let first = wide.render()
        #expect(first.contains("session=\"a\"") && first.contains("session=\"b\""))
        #expect(wide.render() == first)
        // A session that grows is read again.
        let writer = try SessionLogWriter(root: root, session: "a")
        try writer.append(.counter(name: "git.lines_added", value: 1_000, tags: ["iteration": "9"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1_795_900_000_000_000_000)))
        try writer.close()
        #expect(wide.render().contains("git_lines_added_total{iteration=\"9\",session=\"a\"} 1000"))
        // Damage is skipped and counted.
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        let counted = LogExposition(root: damaged, activeWithin: .seconds(3_600)).render()
        #expect(!counted.contains("mmm_serve_skipped_events 0\n"))
    }

    @Test("push in process: counts, and a server that never answers fails within the deadline, naming the URL only")
    func pushFailures() async throws {
        let events = EventGenerator.cookSession(iterations: 2, seed: 9)
        // A socket that listens but never answers: the connection is made, the request never answered.
        let silent = try SilentListener()
        var options = RemoteOptions(endpoint: URL(string: "http://user:pw@127.0.0.1:\(silent.port)")!)
        options.timeout = .milliseconds(300)
        options.maxRetries = 1
        options.apiKey = "never-shown"
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await SessionPush.push(events, session: "s", options: options, deadline: .seconds(2))
            Issue.record("a silent server cannot accept a push")
        } catch {
            #expect("\(error)".hasPrefix("push to http://127.0.0.1:\(silent.port)/write failed: "))
            #expect("\(error)".contains("no answer within the timeout") || "\(error)".contains("no success within"), "\(error)")
            #expect(!"\(error)".contains("pw") && !"\(error)".contains("never-shown"))
        }
        _ = start  // how long it took is not asserted here (timed unit tests are not reliable); the CLI test with a server that drips bytes checks the bound
        // Nothing listens: unreachable at once.
        var closed = RemoteOptions(endpoint: URL(string: "http://127.0.0.1:\(freePort())")!)
        closed.format = .pushgateway
        closed.maxRetries = 0
        await #expect(throws: PushError.self) { try await SessionPush.push(events, session: "s", options: closed) }
    }

    @Test("the collectors resolve by name from a configuration, and refuse bad tables naming the key")
    func factories() async throws {
        let factories = CollectorFactories()
        RemoteCollectors.install(into: factories, session: "cfg")
        let remote = try factories.makeCollector(.custom(name: "remote", config: ["endpoint": "http://127.0.0.1:1/write", "api_key": "k1"]), metrics: MetricsConfig())
        #expect(remote is RemoteMetricsCollector)
        #expect(factories.collectorName(for: .custom(name: "remote", config: ["endpoint": "http://u:secret@h:1/x?token=t"])) == "remote:http://h:1/x")
        let statsd = try factories.makeCollector(.custom(name: "statsd", config: ["address": "127.0.0.1:8125"]), metrics: MetricsConfig())
        #expect(statsd is StatsDCollector)
        let endpoint = try factories.makeCollector(.custom(name: "prometheus", config: ["listen": "127.0.0.1:0"]), metrics: MetricsConfig())
        let prometheus = try #require(endpoint as? PrometheusEndpointCollector)
        try await prometheus.record(.counter(name: "c", value: 2))
        let (status, body) = try await httpGet("http://127.0.0.1:\(prometheus.server.port)/metrics")
        #expect(status == 200 && body.contains("c_total{session=\"cfg\"} 2"))
        #expect(try await httpGet("http://127.0.0.1:\(prometheus.server.port)/healthz").1 == "ok\n")
        prometheus.server.stop()
        #expect(throws: MetricsConfigError.self) { try factories.makeCollector(.custom(name: "remote", config: ["endpoint": "nope"]), metrics: MetricsConfig()) }
        #expect(throws: (any Error).self) { try factories.makeCollector(.custom(name: "prometheus", config: ["listen": "999.1.1.1:1"]), metrics: MetricsConfig()) }
        // Without the module installed, the error says what to do.
        do {
            _ = try CollectorFactories().makeCollector(.custom(name: "statsd", config: [:]), metrics: MetricsConfig())
        } catch {
            #expect("\(error)".contains("RemoteCollectors.install(into:)"))
        }
        let key = "api-\(UUID().uuidString)"
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)").path
        try "\(key)\nsecond line\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        #expect(try RemoteOptions.parse(["endpoint": "http://h", "api_key_file": .string(keyFile)]).apiKey == key)
    }

    @Test("a collector whose server refuses counts the events as rejected and does not retry")
    func rejected() async throws {
        // The embedded endpoint answers 405 to a POST: a refusal.
        let server = try MetricsHTTPServer(listen: "127.0.0.1:0") { _ in .init(status: 200, body: []) }
        defer { server.stop() }
        var options = RemoteOptions(endpoint: URL(string: "http://127.0.0.1:\(server.port)")!)
        options.maxRetries = 3
        let collector = RemoteMetricsCollector(options: options, session: "r")
        try await collector.record(contentsOf: EventGenerator.cookSession(iterations: 1, seed: 1))
        await #expect(throws: RemoteDeliveryError.self) { try await collector.flush() }
        let statistics = collector.statistics
        #expect(statistics.dropped["rejected"] == 6)
        #expect(statistics.dropped["not_numeric"] == 2)
        #expect(statistics.retries == 0)
        #expect(statistics.lastFailure?.contains("refused with HTTP 405") == true)
        await collector.close()
    }
}

/// A TCP socket that listens and never accepts or answers.
final class SilentListener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let (descriptor, port) = try boundSocket()
        self.descriptor = descriptor
        self.port = port
    }

    deinit { close(descriptor) }
}

@Suite("The remote collector from .mmm/config.toml")
struct RemoteConfigurationTests {
    @Test("a [[metrics.collectors]] table of type remote builds the collector with every option; a wrong key is named")
    func fromTOML() async throws {
        let temporary = TemporaryDirectory()
        let keyFile = temporary.path + "/key"
        try "k-\(UUID().uuidString)\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        // A long flush timeout: the drop reason checked below must not become "flush timeout" when a
        // loaded machine stalls the test (it did, once, in CI).
        let config = try MetricsConfig(toml: """
            [metrics]
            flush_timeout = "120s"
            [[metrics.collectors]]
            type = "remote"
            endpoint = "http://127.0.0.1:\(freePort())"
            api_key_file = "\(keyFile)"
            format = "influx"
            batch_size = 10
            flush_interval = "50ms"
            queue_size = 100
            max_retries = 0
            breaker_failures = 1
            breaker_cooldown = "1h"
            session = "from-toml"

            [[metrics.collectors]]
            type = "statsd"
            address = "127.0.0.1:8125"
            tags = "dogstatsd"
            """)
        let factories = CollectorFactories()
        RemoteCollectors.install(into: factories)
        let registry = try MetricsRegistry.configured(config, factories: factories) { _ in }
        #expect(registry.statistics().map(\.name).first?.hasPrefix("remote:http://127.0.0.1:") == true)
        #expect(registry.statistics().map(\.name).last == "statsd:127.0.0.1:8125")
        for index in 0..<20 { await registry.record(.counter(name: "c", value: Int64(index))) }
        try? await registry.flush()
        await registry.shutdown()
        #expect(registry.statistics().first?.errors ?? 0 > 0)
        #expect(registry.statistics().first?.lastError?.contains("dropped") == true)
        #expect(throws: (any Error).self) {
            try MetricsRegistry.configured(try MetricsConfig(toml: """
                [[metrics.collectors]]
                type = "remote"
                endpoint = "http://x"
                batch_sise = 10
                """), factories: factories) { _ in }
        }
    }
}
