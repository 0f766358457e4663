public import MMMMetricsCore

/// Serves the aggregates of the events it receives on an embedded `/metrics` endpoint (pull),
/// with `/healthz`; `type = "prometheus"`, option `listen` (default `127.0.0.1:9464`).
///
/// Every sample carries the `session` label. Memory grows with the number of series (metric name
/// and tag values), not with events. Recording only updates the aggregates under a lock.
public final class PrometheusEndpointCollector: MetricsCollector, Sendable {
    /// The server.
    public let server: MetricsHTTPServer
    /// The session label.
    public let session: String
    private let aggregates: Aggregates

    final class Aggregates: Sendable {
        let state = LockedState(PrometheusExposition())
        func withLock<T>(_ body: (inout PrometheusExposition) -> T) -> T { state.withLock { body(&$0) } }
    }

    /// Starts the endpoint; `options` is the collector table (`listen`).
    public init(options: JSONValue, session: String) throws {
        let listen = options["listen"]?.stringValue ?? "127.0.0.1:9464"
        self.session = session
        let aggregates = Aggregates()
        self.aggregates = aggregates
        server = try MetricsHTTPServer(listen: listen) { path in
            switch path {
            case "/metrics":
                let text = aggregates.withLock { $0.render() }
                return .init(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(text.utf8))
            case "/healthz":
                return .init(status: 200, body: Array("ok\n".utf8))
            default:
                return .init(status: 404, body: Array("not found: try /metrics\n".utf8))
            }
        }
    }

    deinit { server.stop() }

    public func record(_ event: MetricEvent) async throws {
        aggregates.withLock { $0.add(event, extraLabels: [("session", session)]) }
    }

    public func record(contentsOf events: [MetricEvent]) async throws {
        aggregates.withLock { state in
            for event in events { state.add(event, extraLabels: [("session", session)]) }
        }
    }

    public func flush() async throws {}

    /// The exposition text now.
    public func exposition() -> String { aggregates.withLock { $0.render() } }
}
