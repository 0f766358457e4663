public import MMMMetricsCore
import MMMMetricsLogFormat
import Synchronization

extension FileMetricsCollector {
    /// Installs the factory behind `CollectorConfig.file(path:)`: each such entry opens a
    /// `FileMetricsCollector` on the log root `path`, for the session `session`, else the
    /// `MMM_METRICS_SESSION` environment variable, else a new id (`<UTC time>-<pid>`). Its buffer size
    /// and flush interval come from the `MetricsConfig`.
    public static func install(into factories: CollectorFactories, session: String? = nil, errorHandler: MetricsErrorHandler? = nil) {
        factories.registerFile { path, metrics in
            let id = session ?? FileSystem.environment("MMM_METRICS_SESSION") ?? generatedSessionID()
            let options = Options(bufferSize: metrics.bufferSize, flushInterval: metrics.flushInterval)
            return try FileMetricsCollector(root: LogRoot(path: path), session: id, options: options, errorHandler: errorHandler)
        }
    }

    /// A new session id: the current UTC time to the second and the process id, such as `20261129T064000Z-4242`.
    public static func generatedSessionID() -> String {
        let text = RFC3339.format(.now())
        let compact = text.prefix(19).filter { $0 != "-" && $0 != ":" }
        return "\(compact)Z-\(FileSystem.processID)"
    }
}
