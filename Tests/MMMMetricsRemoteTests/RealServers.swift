import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MMMMetricsTestSupport
import Testing

/// A real server from Debian's packages, started on 127.0.0.1 on a free port with a temporary data
/// directory, and stopped when the test ends (also when it fails). A missing binary fails the test:
/// `.ci/run` installs `prometheus`, `prometheus-pushgateway` and `victoria-metrics`.
final class RealServer: @unchecked Sendable {
    enum Kind: String {
        case victoriaMetrics = "victoria-metrics"
        case pushgateway = "prometheus-pushgateway"
        case prometheus = "prometheus"
    }

    let kind: Kind
    let port: Int
    let directory: TemporaryDirectory
    private var process: Process?
    private let logPath: String

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the server and waits until it answers its health check (up to 60 s). A server that
    /// does not become ready is stopped and started once more, on a new port unless `port` is
    /// given: a port the kernel handed out may be taken again before the server binds it, and a
    /// loaded machine once left a server silent for a minute (both attempts' logs are reported).
    init(_ kind: Kind, prometheusTargets: [String] = [], port fixedPort: Int? = nil, directory reused: TemporaryDirectory? = nil) async throws {
        self.kind = kind
        directory = reused ?? TemporaryDirectory()
        let binary = "/usr/bin/" + kind.rawValue
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ServerFailure("\(binary) is not installed: apt-get install -y prometheus prometheus-pushgateway victoria-metrics (.ci/run does)")
        }
        var failures: [String] = []
        for attempt in 1...2 {
            let port = fixedPort ?? freePort()
            let logPath = directory.path + "/\(kind.rawValue)-\(port)-\(attempt).log"
            // A restart (a directory handed in) keeps its data; a first start begins afresh each time.
            let data = directory.path + (attempt == 1 || reused != nil ? "" : "/attempt-\(attempt)")
            let process = try Self.launch(kind, binary: binary, port: port, data: data, prometheusTargets: prometheusTargets, logPath: logPath)
            if try await Self.becomesReady(process, kind: kind, port: port) {
                self.port = port
                self.logPath = logPath
                self.process = process
                return
            }
            let running = process.isRunning
            Self.stop(process)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            failures.append("attempt \(attempt): not ready on port \(port) (\(running ? "still running" : "exited")): \(log.suffix(1_500))")
        }
        throw ServerFailure("\(kind.rawValue) did not become ready; \(failures.joined(separator: "; "))")
    }

    /// Runs the server's binary on `port` with its data under `data`, output to `logPath`.
    private static func launch(_ kind: Kind, binary: String, port: Int, data: String, prometheusTargets: [String], logPath: String) throws -> Process {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var arguments: [String]
        switch kind {
        case .victoriaMetrics:
            arguments = ["-storageDataPath", data + "/vm", "-httpListenAddr", "127.0.0.1:\(port)", "-retentionPeriod", "100y",
                         "-search.latencyOffset", "0s", "-loggerLevel", "WARN"]
        case .pushgateway:
            arguments = ["--web.listen-address", "127.0.0.1:\(port)"]
        case .prometheus:
            let config = data + "/prometheus.yml"
            let targets = prometheusTargets.map { "'\($0)'" }.joined(separator: ", ")
            try """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: mmm
                    static_configs:
                      - targets: [\(targets)]
                """.write(toFile: config, atomically: true, encoding: .utf8)
            arguments = ["--config.file", config, "--storage.tsdb.path", data + "/prom", "--web.listen-address", "127.0.0.1:\(port)"]
        }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Whether the server answers its health check with 200 within 60 s (false when it exits).
    private static func becomesReady(_ process: Process, kind: Kind, port: Int) async throws -> Bool {
        let health = switch kind {
        case .victoriaMetrics: "/health"
        case .pushgateway, .prometheus: "/-/ready"
        }
        // The readiness check is a plain socket request: it does not depend on URLSession or on
        // the test process's busy thread pool.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if rawStatus(port: port, path: health) == 200 { return true }
            guard process.isRunning else { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    var serverLog: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it.
    func stop() {
        guard let process else { return }
        Self.stop(process)
        self.process = nil
    }

    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

struct ServerFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A socket bound to 127.0.0.1 on a port the kernel picks (listening, for TCP), and that port.
func boundSocket(udp: Bool = false) throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard descriptor >= 0, bound == 0, udp || listen(descriptor, 16) == 0 else {
        close(descriptor)
        throw ServerFailure("cannot bind a socket on 127.0.0.1")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// A port nobody listens on right now (the kernel's pick for port 0).
func freePort() -> Int {
    guard let (descriptor, port) = try? boundSocket() else { return 1 }
    close(descriptor)
    return port
}

/// GET a URL: status and body.
func httpGet(_ url: String, timeout: TimeInterval = 5) async throws -> (Int, String) {
    try await http("GET", url, timeout: timeout)
}

/// Any request: status and body.
func http(_ method: String, _ url: String, body: String? = nil, timeout: TimeInterval = 5) async throws -> (Int, String) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = timeout
    if let body { request.httpBody = Data(body.utf8) }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// Polls `body` until it returns a value or `seconds` pass.
func eventually<T>(_ seconds: Double = 20, _ body: () async throws -> T?) async throws -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if let value = try? await body() { return value }
        try await Task.sleep(for: .milliseconds(200))
    } while Date() < deadline
    return try await body()
}

/// The status of `GET path` on 127.0.0.1:port over a plain socket (2 s limits), or nil.
func rawStatus(port: Int, path: String) -> Int? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { return nil }
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    guard request.withCString({ send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }) > 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
    guard count >= 12 else { return nil }
    return Int(String(decoding: buffer[9..<12], as: UTF8.self))
}
