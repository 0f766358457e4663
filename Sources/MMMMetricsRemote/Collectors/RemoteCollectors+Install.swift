public import MMMMetricsCore
import Foundation
import MMMMetricsLog

/// The collector types of this module, registered by name.
public enum RemoteCollectors {
    /// Registers `remote` (``RemoteMetricsCollector``), `statsd` (``StatsDCollector``) and
    /// `prometheus` (``PrometheusEndpointCollector``, an embedded `/metrics` endpoint).
    ///
    /// The session label is the entry's `session` option, else `session`, else the
    /// `MMM_METRICS_SESSION` environment variable, else a new id as the file collector makes one.
    /// Collectors are named by their endpoint without credentials (`remote:http://host:8428`),
    /// never by an option holding the key.
    public static func install(into factories: CollectorFactories, session: String? = nil, errorHandler: MetricsErrorHandler? = nil) {
        @Sendable func sessionID(_ options: JSONValue) -> String {
            options["session"]?.stringValue ?? session ?? ProcessInfo.processInfo.environment["MMM_METRICS_SESSION"]
                ?? FileMetricsCollector.generatedSessionID()
        }
        factories.registerBuiltIn("remote", identity: { options in
            options["endpoint"]?.stringValue.flatMap(URL.init(string:)).map(RemoteOptions.redacted)
        }) { options, _ in
            RemoteMetricsCollector(options: try RemoteOptions.parse(options), session: sessionID(options), errorHandler: errorHandler)
        }
        factories.registerBuiltIn("statsd", identity: { $0["address"]?.stringValue }) { options, _ in
            try StatsDCollector(options: try StatsDCollector.Options.parse(options), errorHandler: errorHandler)
        }
        factories.registerBuiltIn("prometheus", identity: { $0["listen"]?.stringValue }) { options, _ in
            try PrometheusEndpointCollector(options: options, session: sessionID(options))
        }
    }
}
