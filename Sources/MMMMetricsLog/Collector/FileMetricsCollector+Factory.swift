public import MMMMetricsCore
import MMMMetricsLogFormat

extension FileMetricsCollector {
    /// Registers the `file` collector type (`CollectorConfig.file(path:)`, `type = "file"` in
    /// `.mmm/config.toml`): each such entry opens a `FileMetricsCollector` on the log root in its
    /// `path` option, for the session `session`, else the `MMM_METRICS_SESSION` environment variable,
    /// else a new id (`<UTC time>-<pid>`). Its buffer size and flush interval come from the
    /// `MetricsConfig`. The collector is named `file:<path>`.
    public static func install(into factories: CollectorFactories, session: String? = nil, errorHandler: MetricsErrorHandler? = nil) {
        factories.registerBuiltIn("file", identity: { $0["path"]?.stringValue }) { options, metrics in
            guard case .string(let path)? = options["path"], !path.isEmpty else {
                throw MetricsConfigError.invalidValue(key: "collectors.path", value: "\(options["path"] ?? .null)", expected: "a log root directory path")
            }
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
