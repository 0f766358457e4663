public import Logging

extension MetricsRegistry {
    /// The swift-log label under which every collector failure is logged.
    public static let loggerLabel = "mmm.metrics"

    /// Creates a registry with no collectors whose collector failures are logged through
    /// swift-log under ``loggerLabel`` (and counted in ``statistics()``).
    public convenience init(config: MetricsConfig) {
        self.init(config: config, logger: Logger(label: MetricsRegistry.loggerLabel))
    }

    /// Creates a registry whose collector failures go to `logger`.
    public convenience init(config: MetricsConfig, logger: Logger) {
        self.init(config: config, errorHandler: MetricsRegistry.loggingHandler(logger))
    }

    /// An error handler that logs each failure: overflow as a warning, the rest as errors.
    public static func loggingHandler(_ logger: Logger) -> MetricsErrorHandler {
        { failure in
            let metadata: Logger.Metadata = [
                "collector": .string(failure.collector),
                "operation": .string(failure.operation.rawValue),
            ]
            switch failure.operation {
            case .overflow: logger.warning("\(failure.message)", metadata: metadata)
            default: logger.error("\(failure.message)", metadata: metadata)
            }
        }
    }
}
