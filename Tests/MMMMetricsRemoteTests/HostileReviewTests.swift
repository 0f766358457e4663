import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsRemote
import MMMMetricsTestSupport
import Testing

/// Regressions for what a hostile review of push, serve and prune found (each failed before its fix).
@Suite("Push, serve and prune after a hostile review")
struct RemoteHostileReviewTests {
    @Test("a server that echoes the request back cannot make push print the key, the password or the query")
    func echoedSecrets() async throws {
        let echo = try EchoServer()
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", EventGenerator.cookSession(iterations: 1, seed: 1))
        let key = "KEY\(UUID().uuidString.prefix(8))"
        let result = try await runAnalyzer(
            ["push", "--log", temporary.root.path, "--latest", "--to", "http://user:PW\(key)@127.0.0.1:\(echo.port)/write?token=T\(key)"],
            environment: ProcessInfo.processInfo.environment.merging(["MMM_METRICS_API_KEY": key]) { $1 })
        #expect(result.status == 1)
        #expect(result.err.contains("refused with HTTP 400"), "\(result.err)")
        #expect(result.err.contains("(hidden)"), "\(result.err)")
        #expect(!result.err.contains(key))
        #expect(!result.err.contains(Data("user:PW\(key)".utf8).base64EncodedString()))
    }

    @Test("a server that answers one byte at a time cannot keep push past --timeout")
    func drippingServer() async throws {
        let drip = try EchoServer(drip: true)
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", EventGenerator.cookSession(iterations: 1, seed: 1))
        let result = try await runAnalyzer(["push", "--log", temporary.root.path, "--latest", "--to", "http://127.0.0.1:\(drip.port)", "--timeout", "2s"])
        #expect(result.status == 1)
        #expect(result.err.contains("no success within 2.0 seconds") || result.err.contains("no answer within the timeout"), "\(result.err)")
    }

    @Test("idle connections do not hold up a scrape")
    func idleConnections() async throws {
        let server = try MetricsHTTPServer(listen: "127.0.0.1:0") { _ in .init(status: 200, body: Array("ok\n".utf8)) }
        defer { server.stop() }
        let idle = (0..<8).map { _ in connectTCP(port: Int(server.port)) }
        defer { idle.forEach { close($0) } }
        // With one connection served at a time this waited 5 s per idle connection (40 s).
        let (status, body) = try await httpGet("http://127.0.0.1:\(server.port)/healthz", timeout: 3)
        #expect(status == 200 && body == "ok\n")
        // Headers ended by bare line feeds are answered too.
        let descriptor = connectTCP(port: Int(server.port))
        defer { close(descriptor) }
        _ = "GET /healthz HTTP/1.1\n\n".withCString { send(descriptor, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        #expect(count > 0 && String(decoding: buffer[0..<max(0, count)], as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test("a named pipe where a segment should be is an error, never a hang")
    func namedPipe() async throws {
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "p", EventGenerator.cookSession(iterations: 1, seed: 2))
        let segment = try #require(try temporary.root.segmentPaths(session: "p").first)
        try FileManager.default.removeItem(atPath: segment)
        #expect(mkfifo(segment, 0o644) == 0)
        let text = LogExposition(root: temporary.root, activeWithin: .seconds(3_600)).render()
        #expect(text.contains("mmm_serve_sessions"))
        let verify = try await runAnalyzer(["verify", "--log", temporary.root.path])
        #expect(verify.status == 1)
        #expect(verify.out.contains("not a regular file") || verify.err.contains("not a regular file"), "\(verify.out)\(verify.err)")
    }

    @Test("the session label is the stream's; an event's session tag is exported_session; job and instance too on a Pushgateway")
    func sessionLabel() {
        let spoof = MetricEvent.gauge(name: "cpu", value: 999, tags: ["session": "victim", "job": "x"], timestamp: WireFormatTests.time)
        var lines: [UInt8] = []
        InfluxLineProtocol.encode(spoof, session: "attacker", into: &lines)
        #expect(String(decoding: lines, as: UTF8.self) == "cpu,exported_session=victim,job=x,session=attacker value=999.0 1795900000123456789\n")
        var exposition = PrometheusExposition()
        exposition.add(spoof, extraLabels: [("session", "attacker")], reservedLabels: ["job", "instance"])
        #expect(exposition.render().contains("cpu{exported_job=\"x\",exported_session=\"victim\",session=\"attacker\"} 999"))
    }

    @Test("names that collide after mapping never make a family twice: first one kept, the rest counted")
    func collisions() throws {
        var exposition = PrometheusExposition(reservedNames: ["mmm_serve_"])
        exposition.add(.timer(name: "lat", duration: .seconds(1)))
        exposition.add(.gauge(name: "lat_seconds_count", value: 5))
        exposition.add(.gauge(name: "lat.seconds", value: 5))
        exposition.add(.gauge(name: "col.lide", value: 9))
        exposition.add(.gauge(name: "col_lide", value: 10))
        exposition.add(.gauge(name: "mmm_serve_sessions", value: 1))
        exposition.add(.counter(name: "c", value: 1, tags: ["a.b": "1", "a_b": "2"]))
        let text = exposition.render()
        #expect(exposition.conflictingEvents == 4)
        #expect(exposition.droppedLabels == 1)
        #expect(text.components(separatedBy: "# TYPE").count - 1 == 3)
        #expect(text.contains("col_lide 9\n") && !text.contains("col_lide 10"))
        #expect(!text.contains("mmm_serve_sessions"))
    }

    @Test("prune never follows a symbolic link, and readers do not read one under sessions/")
    func symbolicLinks() async throws {
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "real", EventGenerator.cookSession(iterations: 1, seed: 3))
        let outside = temporary.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "precious".write(toFile: outside + "/precious.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: temporary.root.sessionsPath + "/evil", withDestinationPath: outside)
        #expect(try temporary.root.sessionIDs() == ["real"])
        let report = try LogMaintenance(root: temporary.root).prune(olderThan: .zero, now: PruneLater.time)
        #expect(report.actions.map(\.session) == ["real"])
        #expect(FileManager.default.fileExists(atPath: outside + "/precious.txt"))
        let verify = try await runAnalyzer(["verify", "--log", temporary.root.path])
        #expect(verify.out.contains("evil"), "\(verify.out)")
        // A link left by an interrupted prune is removed, not followed.
        try FileManager.default.createSymbolicLink(atPath: temporary.root.sessionsPath + "/.prune-1-1", withDestinationPath: outside)
        _ = try LogMaintenance(root: temporary.root).prune(olderThan: .zero, now: PruneLater.time)
        #expect(FileManager.default.fileExists(atPath: outside + "/precious.txt"))
        #expect(!FileManager.default.fileExists(atPath: temporary.root.sessionsPath + "/.prune-1-1"))
    }

    @Test("a writer that won the lock of a session prune removed starts again in the session's new directory")
    func lockOfRemovedDirectory() throws {
        let temporary = TemporaryDirectory()
        let directory = temporary.root.sessionPath("s")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = try OpenFile(path: directory + "/LOCK", mode: .readWriteCreate)
        #expect(lock.isStill(at: directory + "/LOCK"))
        try FileManager.default.moveItem(atPath: directory, toPath: temporary.root.sessionsPath + "/.prune-x")
        #expect(!lock.isStill(at: directory + "/LOCK"))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: directory + "/LOCK", contents: nil))
        #expect(!lock.isStill(at: directory + "/LOCK"))
        let writer = try SessionLogWriter(root: temporary.root, session: "s")
        try writer.append(.counter(name: "x", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)))
        try writer.close()
        #expect(try readSession(temporary.root, "s").count == 1)
    }
}

enum PruneLater {
    static let time = MetricTimestamp(nanosecondsSinceEpoch: MetricTimestamp.now().nanosecondsSinceEpoch + 86_400_000_000_000)
}

/// A TCP connection to 127.0.0.1:port (the descriptor).
func connectTCP(port: Int) -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    return descriptor
}

/// A server that answers every request with 400 and the request itself (headers and all) as the
/// body, on one line; with `drip`, a 200 whose 100,000-byte body comes one byte every half second.
final class EchoServer: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init(drip: Bool = false) throws {
        let (descriptor, port) = try boundSocket()
        self.descriptor = descriptor
        self.port = port
        Thread {
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
                    let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                    guard count > 0 else { break }
                    received += buffer[0..<count]
                }
                if drip {
                    Thread {
                        _ = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                        for _ in 0..<60 {
                            guard "x".withCString({ send(connection, $0, 1, Int32(MSG_NOSIGNAL)) }) == 1 else { break }
                            usleep(500_000)
                        }
                        close(connection)
                    }.start()
                    continue
                }
                let headers = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n", with: " | ")
                let response = "HTTP/1.1 400 Bad Request\r\nContent-Length: \(headers.utf8.count)\r\nConnection: close\r\n\r\n\(headers)"
                _ = response.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(connection)
            }
        }.start()
    }

    deinit { shutdown(descriptor, Int32(SHUT_RDWR)); close(descriptor) }
}
