import Foundation
import MMMMetricsCore
import MMMMetricsRemote
import Testing

@Suite("Wire formats: names, line protocol, exposition, StatsD, the breaker")
struct WireFormatTests {
    static let time = MetricTimestamp(nanosecondsSinceEpoch: 1_795_900_000_123_456_789)

    @Test("names and labels map to Prometheus' rules, with unit and type suffixes")
    func names() {
        #expect(MetricNaming.prometheusName("git.lines_added", kind: .counter) == "git_lines_added_total")
        #expect(MetricNaming.prometheusName("requests_total", kind: .counter) == "requests_total")
        #expect(MetricNaming.prometheusName("command.duration", kind: .timer) == "command_duration_seconds")
        #expect(MetricNaming.prometheusName("quality.test-coverage", kind: .gauge) == "quality_test_coverage")
        #expect(MetricNaming.prometheusName("9lives", kind: .gauge) == "_9lives")
        #expect(MetricNaming.prometheusName("a:b.é", kind: .gauge) == "a:b__")
        #expect(MetricNaming.prometheusName("ünï.x", kind: .gauge) == "_n__x")
        #expect(MetricNaming.prometheusName("__internal", kind: .gauge) == "_internal")
        #expect(MetricNaming.prometheusName("", kind: .gauge) == "_")
        #expect(MetricNaming.labelName("iteration") == "iteration")
        #expect(MetricNaming.labelName("data.kind") == "data_kind")
        #expect(MetricNaming.labelName("__sample_rate") == nil)
        #expect(MetricNaming.labelName("a:b") == "a_b")
        #expect(MetricNaming.influxMeasurementAndField("git.lines_added", kind: .counter) == ("git", "lines_added_total"))
        #expect(MetricNaming.influxMeasurementAndField("command.duration", kind: .timer) == ("command", "duration_seconds"))
        #expect(MetricNaming.influxMeasurementAndField("quality.test_coverage", kind: .gauge) == ("quality", "test_coverage"))
        #expect(MetricNaming.influxMeasurementAndField("a.b.c", kind: .gauge) == ("a_b", "c"))
        #expect(MetricNaming.influxMeasurementAndField("plain", kind: .counter) == ("plain", "total"))
        #expect(MetricNaming.influxMeasurementAndField("trailing.", kind: .gauge) == ("trailing_", "value"))
    }

    @Test("line protocol: exact lines, escapes, and what it refuses")
    func lineProtocol() {
        var output: [UInt8] = []
        #expect(InfluxLineProtocol.encode(.counter(name: "git.lines_added", value: 42, tags: ["iteration": "3"], timestamp: Self.time), session: "s 1", into: &output))
        #expect(InfluxLineProtocol.encode(.gauge(name: "quality.test_coverage", value: 87.5, timestamp: Self.time), session: nil, into: &output))
        #expect(InfluxLineProtocol.encode(.timer(name: "command.duration", duration: .milliseconds(1500),
                                                 tags: ["command": "make test,all", "k=v": "a=b", "empty": "", "__sample_rate": "0.5", "nl": "x\ny"],
                                                 timestamp: Self.time), session: "s", into: &output))
        #expect(String(decoding: output, as: UTF8.self) == """
            git,iteration=3,session=s\\ 1 lines_added_total=42i 1795900000123456789
            quality test_coverage=87.5 1795900000123456789
            command,command=make\\ test\\,all,k_v=a\\=b,nl=x\\ y,session=s duration_seconds=1.5 1795900000123456789

            """)
        var refused: [UInt8] = []
        #expect(!InfluxLineProtocol.encode(.custom(name: "error", data: ["m": "x"]), session: "s", into: &refused))
        #expect(!InfluxLineProtocol.encode(.gauge(name: "g", value: .nan), session: "s", into: &refused))
        #expect(!InfluxLineProtocol.encode(.gauge(name: "g", value: .infinity), session: "s", into: &refused))
        #expect(refused.isEmpty)
        // A tag value ending in a backslash cannot escape the separator after it: backslashes are doubled.
        var slash: [UInt8] = []
        InfluxLineProtocol.encode(.counter(name: "c", value: 1, tags: ["p": "C:\\"]), session: nil, into: &slash)
        #expect(String(decoding: slash, as: UTF8.self) == "c,p=C:\\\\ total=1i\n")
    }

    @Test("counters become running totals per series, scaled by their sampling rate, saturating")
    func runningTotals() {
        var totals = RunningTotals()
        let values = [
            totals.cumulative(.counter(name: "c", value: 5, tags: ["a": "1"])),
            totals.cumulative(.counter(name: "c", value: 7, tags: ["a": "2"])),
            totals.cumulative(.counter(name: "c", value: 2, tags: ["a": "1", "__sample_rate": "0.25"])),
            totals.cumulative(.counter(name: "c", value: .max, tags: ["a": "2"])),
        ].map(\.value)
        #expect(values == [.counter(5), .counter(7), .counter(13), .counter(.max)])
        #expect(totals.cumulative(.gauge(name: "g", value: 3)).value == .gauge(3))
        #expect(totals.seriesCount == 2)
    }

    @Test("exposition: sums, last gauges, summaries, escapes, sorted; conflicts and custom data counted")
    func exposition() {
        var exposition = PrometheusExposition()
        exposition.add(.counter(name: "git.lines_added", value: 3, tags: ["iteration": "1"], timestamp: Self.time), extraLabels: [("session", "s")])
        exposition.add(.counter(name: "git.lines_added", value: 4, tags: ["iteration": "1"], timestamp: Self.time), extraLabels: [("session", "s")])
        exposition.add(.counter(name: "git.lines_added", value: 2, tags: ["iteration": "2", "__sample_rate": "0.5"]), extraLabels: [("session", "s")])
        exposition.add(.gauge(name: "quality.test_coverage", value: 80, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2)), extraLabels: [("session", "s")])
        exposition.add(.gauge(name: "quality.test_coverage", value: 70, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)), extraLabels: [("session", "s")])
        exposition.add(.timer(name: "command.duration", duration: .milliseconds(250), tags: ["command": "say \"hi\"\\\n"]), extraLabels: [("session", "s")])
        exposition.add(.timer(name: "command.duration", duration: .seconds(2), tags: ["command": "say \"hi\"\\\n"]), extraLabels: [("session", "s")])
        exposition.add(.gauge(name: "git.lines_added_total", value: 1))  // maps onto the counter family
        exposition.add(.custom(name: "error", data: ["m": "x"]))
        #expect(exposition.render() == """
            # HELP command_duration_seconds command.duration
            # TYPE command_duration_seconds summary
            command_duration_seconds_sum{command="say \\"hi\\"\\\\\\n",session="s"} 2.25
            command_duration_seconds_count{command="say \\"hi\\"\\\\\\n",session="s"} 2
            # HELP git_lines_added_total git.lines_added
            # TYPE git_lines_added_total counter
            git_lines_added_total{iteration="1",session="s"} 7
            git_lines_added_total{iteration="2",session="s"} 4
            # HELP quality_test_coverage quality.test_coverage
            # TYPE quality_test_coverage gauge
            quality_test_coverage{session="s"} 80

            """)
        #expect(exposition.conflictingEvents == 1)
        #expect(exposition.skippedEvents == 1)
        #expect(exposition.seriesCount == 4)
    }

    func allows(_ breaker: inout CircuitBreaker, _ now: UInt64) -> Bool { breaker.allowsDelivery(now: now) }

    @Test("the breaker: closed, open after N failures, half-open after the cool-down, closed by a good probe")
    func breaker() {
        var breaker = CircuitBreaker(failureThreshold: 3, coolDown: .nanoseconds(1_000))
        #expect(allows(&breaker, 0))
        breaker.recordFailure(now: 10)
        breaker.recordFailure(now: 20)
        #expect(breaker.state == .closed)
        breaker.recordFailure(now: 30)
        #expect(breaker.state == .open(until: 1_030))
        #expect(!allows(&breaker, 1_029))
        #expect(allows(&breaker, 1_030))
        #expect(breaker.state == .halfOpen)
        #expect(!allows(&breaker, 1_031))  // one probe at a time
        breaker.recordFailure(now: 1_040)  // a failed probe opens it again at once
        #expect(breaker.state == .open(until: 2_040))
        #expect(allows(&breaker, 3_000))
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 0)
        #expect(breaker.openings == 2)
        var saturating = CircuitBreaker(failureThreshold: 1, coolDown: .seconds(1))
        saturating.recordFailure(now: .max - 5)
        #expect(saturating.state == .open(until: .max))
    }

    @Test("options: errors name the key and never show the API key")
    func options() throws {
        let parsed = try RemoteOptions.parse(["endpoint": "https://user:pw@vm.example:8428/api/v2/write?db=x", "api_key": "s3cr3t-KEY",
                                              "format": "influx", "batch_size": 10, "flush_interval": "250ms", "breaker_cooldown": 2])
        #expect(parsed.apiKey == "s3cr3t-KEY")
        #expect(parsed.batchSize == 10)
        #expect(parsed.flushInterval == .milliseconds(250))
        #expect(parsed.breakerCoolDown == .seconds(2))
        #expect(parsed.redactedEndpoint == "https://vm.example:8428/api/v2/write")
        #expect(!"\(parsed)".contains("s3cr3t") && !"\(parsed)".contains("pw"))
        let failures: [(JSONValue, String)] = [
            (["api_key": "k"], "endpoint"),
            (["endpoint": "ftp://x"], "endpoint"),
            (["endpoint": "http://x", "api_key": "has space s3cr3t"], "api_key"),
            (["endpoint": "http://x", "api_key": 12345], "api_key"),
            (["endpoint": "http://x", "format": "otlp"], "format"),
            (["endpoint": "http://x", "batch_size": 0], "batch_size"),
            (["endpoint": "http://x", "timeout": "-1s"], "timeout"),
            (["endpoint": "http://x", "colour": "red"], "colour"),
            (["endpoint": "http://x", "api_key": "a", "api_key_file": "/nonexistent"], "api_key_file"),
            (["endpoint": "http://x", "api_key_file": "/nonexistent/key"], "api_key_file"),
        ]
        for (options, key) in failures {
            #expect(throws: MetricsConfigError.self) { try RemoteOptions.parse(options) }
            do {
                _ = try RemoteOptions.parse(options)
            } catch {
                #expect("\(error)".contains(key), "\(error)")
                #expect(!"\(error)".contains("s3cr3t") && !"\(error)".contains("12345"), "\(error)")
            }
        }
    }

    @Test("StatsD: exact lines over real UDP, packed into datagrams no larger than max_packet")
    func statsD() async throws {
        let listener = try UDPListener()
        var options = StatsDCollector.Options()
        options.address = "127.0.0.1:\(listener.port)"
        options.prefix = "mmm."
        options.dogStatsDTags = true
        options.maximumPacket = 100
        let collector = try StatsDCollector(options: options)
        try await collector.record(contentsOf: [
            .counter(name: "git.lines_added", value: 42, tags: ["iteration": "3"]),
            .gauge(name: "quality.test_coverage", value: 87.5),
            .timer(name: "command.duration", duration: .milliseconds(1500), tags: ["command": "make,test|x"]),
            .counter(name: "sampled", value: 1, tags: ["__sample_rate": "0.1"]),
            .custom(name: "error", data: ["m": "x"]),
        ])
        let datagrams = listener.receive(count: 2)
        #expect(datagrams.allSatisfy { $0.utf8.count <= 100 })
        #expect(datagrams.joined(separator: "\n").split(separator: "\n") == [
            "mmm.git.lines_added:42|c|#iteration:3",
            "mmm.quality.test_coverage:87.5|g",
            "mmm.command.duration:1500|ms|#command:make_test_x",
            "mmm.sampled:1|c|@0.1",
        ])
        #expect(collector.statistics.sent == 4)
        #expect(collector.statistics.dropped == ["not_numeric": 1])
        await #expect(throws: RemoteDeliveryError.self) { try await collector.flush() }
        try await collector.flush()  // reported once
        var plain = StatsDCollector.Options()
        plain.address = options.address
        #expect(try StatsDCollector(options: plain).line(.counter(name: "a b", value: 1, tags: ["k": "v"])) == "a_b:1|c")
        #expect(throws: MetricsConfigError.self) { try StatsDCollector.Options.parse(["tags": "influx"]) }
        #expect(throws: MetricsConfigError.self) { try StatsDCollector.Options.parse(["address": "localhost"]) }
    }
}

/// A UDP socket on 127.0.0.1 that collects datagrams.
final class UDPListener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let (descriptor, port) = try boundSocket(udp: true)
        self.descriptor = descriptor
        self.port = port
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Up to `count` datagrams (fewer when none comes for 5 s).
    func receive(count: Int) -> [String] {
        var result: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while result.count < count {
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { break }
            result.append(String(decoding: buffer[0..<received], as: UTF8.self))
        }
        return result
    }

    deinit { close(descriptor) }
}

@Suite("Merging expositions, StatsD settings, the HTTP server's refusals")
struct EdgeTests {
    @Test("merging adds series, keeps the latest gauge, and counts a family of another type as conflicting")
    func merge() {
        var left = PrometheusExposition()
        left.add(.counter(name: "c", value: 2, tags: ["a": "1"]))
        left.add(.gauge(name: "g", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 5)))
        var right = PrometheusExposition()
        right.add(.counter(name: "c", value: 3, tags: ["a": "1"]))
        right.add(.counter(name: "c", value: 4, tags: ["a": "2"]))
        right.add(.gauge(name: "g", value: 9, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 6)))
        right.add(.timer(name: "t", duration: .seconds(1)))
        var conflicting = PrometheusExposition()
        conflicting.add(.gauge(name: "c_total", value: 1))
        conflicting.add(.gauge(name: "c_total", value: 2))
        left.merge(right)
        left.merge(conflicting)
        #expect(left.render() == """
            # HELP c_total c
            # TYPE c_total counter
            c_total{a="1"} 5
            c_total{a="2"} 4
            # HELP g g
            # TYPE g gauge
            g 9
            # HELP t_seconds t
            # TYPE t_seconds summary
            t_seconds_sum 1
            t_seconds_count 1

            """)
        #expect(left.conflictingEvents == 2)
        #expect(left.seriesCount == 4)
        #expect(!left.isEmpty && PrometheusExposition().isEmpty)
    }

    @Test("StatsD settings: every key read, every bad value refused naming the key")
    func statsDOptions() throws {
        let options = try StatsDCollector.Options.parse(["type": "statsd", "address": "localhost:9125", "prefix": "ci.", "tags": "dogstatsd", "max_packet": 512])
        #expect(options.address == "localhost:9125" && options.prefix == "ci." && options.dogStatsDTags && options.maximumPacket == 512)
        for (table, key) in [(["prefix": 1], "prefix"), (["max_packet": 10], "max_packet"), (["port": 1], "port"), (["address": "[::1]:1"], "address")] as [(JSONValue, String)] {
            do {
                _ = try StatsDCollector.Options.parse(table)
                Issue.record("\(table) accepted")
            } catch {
                #expect("\(error)".contains(key), "\(error)")
            }
        }
    }

    @Test("the HTTP server refuses what is not a GET or HEAD of HTTP/1.x, and answers HEAD without a body")
    func httpServer() async throws {
        let server = try MetricsHTTPServer(listen: "127.0.0.1:0") { path in .init(status: path == "/x" ? 200 : 404, body: Array("body\n".utf8)) }
        defer { server.stop() }
        func exchange(_ request: String) throws -> String {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(server.port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard connected == 0 else { throw ServerFailure("connect failed") }
            _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { break }
                received += buffer[0..<count]
            }
            return String(decoding: received, as: UTF8.self)
        }
        #expect(try exchange("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").hasSuffix("\r\n\r\nbody\n"))
        #expect(try exchange("HEAD /x HTTP/1.1\r\n\r\n").hasSuffix("Content-Length: 5\r\nConnection: close\r\n\r\n"))
        #expect(try exchange("GET /y?q=1 HTTP/1.0\r\n\r\n").hasPrefix("HTTP/1.1 404 Not Found"))
        #expect(try exchange("garbage\r\n\r\n").hasPrefix("HTTP/1.1 400 Bad Request"))
        #expect(try exchange("DELETE /x HTTP/1.1\r\n\r\n").contains("405 Method Not Allowed\r\n"))
        #expect(try exchange(String(repeating: "A", count: 20_000) + "\r\n\r\n").hasPrefix("HTTP/1.1 400"))
        #expect(throws: ServerError.self) { try MetricsHTTPServer(listen: "127.0.0.1:\(server.port)") { _ in .init(status: 200, body: []) } }
        #expect(throws: ServerError.self) { try MetricsHTTPServer(listen: "nohost") { _ in .init(status: 200, body: []) } }
    }
}
