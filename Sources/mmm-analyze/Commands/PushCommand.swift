import ArgumentParser
import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsRemote

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Send a stored session to a remote server (VictoriaMetrics, InfluxDB, a Pushgateway).",
        discussion: """
            influx: every event as InfluxDB line protocol, POSTed to URL (its /write when URL has no path; \
            give /api/v2/write for that endpoint). pushgateway: the session's aggregates (counters summed, \
            gauges' last values, timers' sum and count), PUT to URL/metrics/job/JOB/session/ID. \
            The API key comes from $MMM_METRICS_API_KEY or --api-key-file, never from a flag's value, and is \
            sent only in the Authorization header. Exits 1 with one line naming the URL when the server \
            cannot be reached or refuses the data within --timeout.
            """)

    @OptionGroup var logOptions: LogOptions
    @OptionGroup var selection: SessionSelection
    @OptionGroup var damage: DamageOptions
    @Option(help: "The server's URL, such as http://127.0.0.1:8428.") var to: String
    @Option(help: "The wire format.") var format: RemoteFormat = .influx
    @Option(help: "The Pushgateway job label.") var job: String = "mmm"
    @Option(help: "A file whose first line is the API key (else $MMM_METRICS_API_KEY).") var apiKeyFile: String?
    @Option(help: "The Authorization scheme: Bearer, or Token for InfluxDB 2.") var authScheme: String = "Bearer"
    @Option(help: "Give up after this long (e.g. 30s).") var timeout: String = "30s"
    @Option(help: "Events per request (influx).") var batchSize: Int = 5_000

    func validate() throws {
        guard selection.isGiven else { throw ValidationError("push needs --session ID or --latest") }
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...100000") }
        guard !job.isEmpty else { throw ValidationError("--job must not be empty") }
    }

    func run() async throws {
        try await reportingErrors {
            let deadline = try parseDurationOption(timeout, option: "--timeout")
            guard let url = RemoteOptions.endpoint(to) else {
                throw ValidationError("--to is not an http:// or https:// URL with a host (IPv4 or a name; IPv6 literals are not supported)")
            }
            var options = RemoteOptions(endpoint: url)
            options.format = format
            options.job = job
            options.batchSize = batchSize
            options.timeout = min(deadline, .seconds(10))
            var settings: [String: JSONValue] = ["endpoint": .string(to), "auth_scheme": .string(authScheme)]
            if let apiKeyFile {
                settings["api_key_file"] = .string(apiKeyFile)
            } else if let key = ProcessInfo.processInfo.environment["MMM_METRICS_API_KEY"], !key.isEmpty {
                settings["api_key"] = .string(key)
            }
            do {
                let parsed = try RemoteOptions.parse(.object(settings), key: "push")
                options.apiKey = parsed.apiKey
                options.authScheme = parsed.authScheme
            } catch {
                let text = "\(error)".replacingOccurrences(of: "push.api_key_file", with: "--api-key-file")
                    .replacingOccurrences(of: "push.api_key", with: "$MMM_METRICS_API_KEY").replacingOccurrences(of: "push.auth_scheme", with: "--auth-scheme")
                throw CommandFailure(text)
            }
            let source = try logOptions.source()
            let session = try selection.required(in: source)
            var skipped = 0
            let events = try LogReader(source: source).events(session: session, mode: damage.mode) { warning in
                damage.warn(warning)
                skipped += warning.skippedEvents ?? 0
            }.map(\.event)
            let result = try await SessionPush.push(events, session: session, options: options, deadline: deadline)
            Console.error("pushed \(result.sent) event\(result.sent == 1 ? "" : "s") of session \(session) to \(RemoteOptions.redacted(url)) "
                + "(\(format.rawValue), \(result.requests) request\(result.requests == 1 ? "" : "s"))")
            if result.notNumeric > 0 {
                Console.error("mmm-analyze: warning: left out \(result.notNumeric) event\(result.notNumeric == 1 ? "" : "s") with no number to send (custom data\(format == .influx ? ", NaN or infinite gauges" : ""))")
            }
            if result.conflicting > 0 {
                Console.error("mmm-analyze: warning: left out \(result.conflicting) event\(result.conflicting == 1 ? "" : "s") whose metric name maps onto one another metric took on the server (a.b and a_b both become a_b; the first keeps it)")
            }
            if result.droppedLabels > 0 {
                Console.error("mmm-analyze: warning: left out \(result.droppedLabels) tag\(result.droppedLabels == 1 ? "" : "s") whose key maps onto one the event already has (a.b and a_b; the first in key order stays)")
            }
            if skipped > 0 { Console.error("mmm-analyze: warning: \(skipped) damaged events were not pushed (see above)") }
        }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve /metrics (Prometheus text format) for the sessions being written under the log root.",
        discussion: """
            Follows the log root while other processes write it: each scrape exposes the aggregates of the \
            sessions whose files changed within --active-within (at most --max-sessions of them, the most \
            recent first), every sample labelled with its session. /healthz answers ok. Runs until stopped.
            """)

    @OptionGroup var logOptions: LogOptions
    @Option(help: "HOST:PORT to listen on (IPv4).") var listen: String = "127.0.0.1:9464"
    @Option(help: "Expose sessions changed within this long (e.g. 24h).") var activeWithin: String = "24h"
    @Option(help: "The most sessions exposed at once.") var maxSessions: Int = 1_000

    func validate() throws {
        guard (1...1_000_000).contains(maxSessions) else { throw ValidationError("--max-sessions must be in 1...1000000") }
        if let problem = MetricsHTTPServer.problem(listen: listen) { throw ValidationError(problem) }
    }

    func run() async throws {
        try await reportingErrors {
            let window = try parseDurationOption(activeWithin, option: "--active-within")
            let root = logOptions.root
            switch FileSystem.kind(of: root.path) {
            case .file: throw CommandFailure("\(root.path) is a file; serve follows a log directory")
            // serve may start before the first writer: said, so that a mistyped path is seen.
            case .missing: Console.error("mmm-analyze: note: \(root.path) does not exist (yet): no sessions to serve until a writer creates it")
            case .directory: break
            }
            let exposition = LogExposition(root: root, activeWithin: window, maximumSessions: maxSessions)
            let server = try MetricsHTTPServer(listen: listen) { path in
                switch path {
                case "/metrics":
                    return .init(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(exposition.render().utf8))
                case "/healthz":
                    return .init(status: 200, body: Array("ok\n".utf8))
                default:
                    return .init(status: 404, body: Array("not found: try /metrics\n".utf8))
                }
            }
            Console.error("serving http://\(server.address)/metrics for \(root.path) (sessions active within \(activeWithin))")
            while true { try await Task.sleep(for: .seconds(3_600)) }
        }
    }
}
