// `import MMMMetrics` is all a recording program needs: the core API, re-exported, plus the
// swift-log error reporting and the `.mmm/config.toml` loader defined in this module.
@_exported public import MMMMetricsCore
