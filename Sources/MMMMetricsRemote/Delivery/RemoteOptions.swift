public import Foundation
public import MMMMetricsCore

/// The wire formats a remote collector and `mmm-analyze push` speak.
public enum RemoteFormat: String, Sendable, Hashable, CaseIterable {
    /// InfluxDB line protocol, POSTed (VictoriaMetrics `/write` or `/api/v2/write`, InfluxDB 1.x `/write`).
    case influx
    /// Prometheus text exposition of the session's aggregates, PUT to a Pushgateway's
    /// `/metrics/job/<job>/session/<id>` (it refuses samples with timestamps).
    case pushgateway
    // OTLP/HTTP fits here later: a third case whose requests an exporter (swift-otel) builds.
}

/// A remote collector's settings, from a `[[metrics.collectors]] type = "remote"` table
/// (docs/REMOTE.md#settings). The API key is never part of ``description``.
public struct RemoteOptions: Sendable, CustomStringConvertible {
    /// The server's base URL, or the full URL to send to.
    public var endpoint: URL
    /// The wire format.
    public var format: RemoteFormat = .influx
    /// The secret sent as `Authorization: <authScheme> <apiKey>`, or `nil`.
    public var apiKey: String?
    /// `Bearer` (VictoriaMetrics, most proxies) or `Token` (InfluxDB 2).
    public var authScheme: String = "Bearer"
    /// The Pushgateway job label.
    public var job: String = "mmm"
    /// Events per request (influx).
    public var batchSize: Int = 1_000
    /// How often queued events are sent.
    public var flushInterval: Duration = .seconds(1)
    /// How long one request may take.
    public var timeout: Duration = .seconds(10)
    /// Events that may wait; more are dropped and counted as `queue_full`.
    public var queueSize: Int = 100_000
    /// Tries after the first for a retryable failure.
    public var maxRetries: Int = 3
    /// The first retry's wait; each next one doubles, with jitter, up to ``maximumBackoff``.
    public var retryBackoff: Duration = .milliseconds(250)
    /// The longest wait between tries.
    public var maximumBackoff: Duration = .seconds(10)
    /// Consecutive failed deliveries that open the breaker.
    public var breakerFailures: Int = 5
    /// How long the breaker stays open before a probe.
    public var breakerCoolDown: Duration = .seconds(30)

    /// Options with defaults for everything but the endpoint.
    public init(endpoint: URL) { self.endpoint = endpoint }

    /// The endpoint without user name, password, query or fragment: what messages name.
    public var redactedEndpoint: String { Self.redacted(endpoint) }

    public var description: String { "remote \(format.rawValue) to \(redactedEndpoint)" }

    /// A URL as messages may show it: scheme, host, port and path only.
    public static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "(a URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(a URL)"
    }

    /// Parses an endpoint: `http` or `https` with a host.
    public static func endpoint(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }

    /// Reads options from a collector table. Keys: `endpoint` (required), `api_key` or
    /// `api_key_file`, `auth_scheme`, `format`, `job`, `batch_size`, `flush_interval`, `timeout`,
    /// `queue_size`, `max_retries`, `retry_backoff`, `breaker_failures`, `breaker_cooldown`, `session`
    /// (read by the factory). Errors name the key, never the key's value when it is the secret.
    public static func parse(_ options: JSONValue, key: String = "metrics.collectors.remote") throws(MetricsConfigError) -> RemoteOptions {
        guard case .object(let table) = options else { throw .invalidValue(key: key, value: "(not a table)", expected: "a table") }
        let known: Set<String> = [
            "endpoint", "api_key", "api_key_file", "auth_scheme", "format", "job", "batch_size", "flush_interval", "timeout",
            "queue_size", "max_retries", "retry_backoff", "breaker_failures", "breaker_cooldown", "session", "type",
        ]
        if let unknown = table.keys.sorted().first(where: { !known.contains($0) }) { throw .unknownKey("\(key).\(unknown)") }
        func string(_ name: String) throws(MetricsConfigError) -> String? {
            guard let value = table[name] else { return nil }
            guard case .string(let text) = value else {
                throw .invalidValue(key: "\(key).\(name)", value: name == "api_key" ? "(hidden)" : "\(value)", expected: "a string")
            }
            return text
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws(MetricsConfigError) -> Int? {
            guard let value = table[name] else { return nil }
            guard case .integer(let number) = value, range.contains(Int(clamping: number)), Int64(Int(clamping: number)) == number else {
                throw .invalidValue(key: "\(key).\(name)", value: "\(value)", expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return Int(number)
        }
        func duration(_ name: String) throws(MetricsConfigError) -> Duration? {
            guard let value = table[name] else { return nil }
            let parsed: Duration? = switch value {
            case .string(let text): MetricsConfig.parseDuration(text)
            case .integer, .double: value.doubleValue.flatMap { $0 >= 0 ? Duration.seconds(checked: $0) : nil }
            default: nil
            }
            guard let parsed, parsed > .zero, parsed <= .seconds(86_400) else {
                throw .invalidValue(key: "\(key).\(name)", value: "\(value)", expected: "a duration above 0 and at most 24h (such as \"250ms\", \"5s\")")
            }
            return parsed
        }
        guard let endpointText = try string("endpoint") else {
            throw .invalidValue(key: "\(key).endpoint", value: "(missing)", expected: "an http:// or https:// URL")
        }
        guard let url = endpoint(endpointText) else {
            throw .invalidValue(key: "\(key).endpoint", value: redacted(URL(string: endpointText) ?? URL(fileURLWithPath: "/")),
                                expected: "an http:// or https:// URL with a host")
        }
        var options = RemoteOptions(endpoint: url)
        if let format = try string("format") {
            guard let parsed = RemoteFormat(rawValue: format) else {
                throw .invalidValue(key: "\(key).format", value: format, expected: "influx or pushgateway")
            }
            options.format = parsed
        }
        let inlineKey = try string("api_key")
        let keyFile = try string("api_key_file")
        if inlineKey != nil, keyFile != nil { throw .invalidValue(key: "\(key).api_key_file", value: "(set)", expected: "either api_key or api_key_file, not both") }
        if let keyFile {
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw .invalidValue(key: "\(key).api_key_file", value: keyFile, expected: "a readable file holding the key")
            }
            options.apiKey = try apiKey(fromFile: data, key: "\(key).api_key_file", path: keyFile)
        } else if let inlineKey {
            guard validKey(inlineKey) else {
                throw .invalidValue(key: "\(key).api_key", value: "(hidden)", expected: "a non-empty key without spaces or control characters")
            }
            options.apiKey = inlineKey
        }
        if let scheme = try string("auth_scheme") {
            guard !scheme.isEmpty, scheme.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw .invalidValue(key: "\(key).auth_scheme", value: scheme, expected: "a word such as Bearer or Token")
            }
            options.authScheme = scheme
        }
        if let job = try string("job") {
            guard !job.isEmpty else { throw .invalidValue(key: "\(key).job", value: "\"\"", expected: "a non-empty job name") }
            options.job = job
        }
        options.batchSize = try integer("batch_size", 1...100_000) ?? options.batchSize
        options.queueSize = try integer("queue_size", 1...10_000_000) ?? options.queueSize
        options.maxRetries = try integer("max_retries", 0...100) ?? options.maxRetries
        options.breakerFailures = try integer("breaker_failures", 1...1_000_000) ?? options.breakerFailures
        options.flushInterval = try duration("flush_interval") ?? options.flushInterval
        options.timeout = try duration("timeout") ?? options.timeout
        options.retryBackoff = try duration("retry_backoff") ?? options.retryBackoff
        options.breakerCoolDown = try duration("breaker_cooldown") ?? options.breakerCoolDown
        return options
    }

    /// The key in a key file: its first line, without surrounding whitespace.
    public static func apiKey(fromFile data: Data, key: String, path: String) throws(MetricsConfigError) -> String {
        let text = String(decoding: data, as: UTF8.self)
        let line = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard validKey(line) else {
            throw .invalidValue(key: key, value: path, expected: "a file whose first line is the key (no spaces or control characters)")
        }
        return line
    }

    /// A key that can travel in a header: printable ASCII without spaces.
    static func validKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 8_192 && key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// The `Authorization` header, when there is a key.
    var headers: [String: String] {
        guard let apiKey else { return [:] }
        return ["Authorization": "\(authScheme) \(apiKey)"]
    }
}
