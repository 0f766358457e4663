/// Where events go: one entry per collector a configuration asks for. Every entry resolves by its
/// ``type`` through ``CollectorFactories``, which hands the factory the entry's ``options``; the
/// named cases are the spec's configurations, kept for convenience.
public enum CollectorConfig: Sendable, Hashable, CustomStringConvertible {
    /// The durable event log under `path` (a log root directory): type `file`, options `{"path"}`.
    case file(path: String)
    /// An in-memory collector, bounded by the config's `bufferSize`: type `memory`.
    case memory
    /// A remote service: type `remote`, options `{"endpoint", "api_key"}`.
    case remote(endpoint: String, apiKey: String)
    /// Any registered collector type with its options (a plugin's JSON configuration).
    case custom(name: String, config: JSONValue)

    /// The factory this entry resolves through: `file`, `memory`, `remote`, or a plugin's name.
    public var type: String {
        switch self {
        case .file: "file"
        case .memory: "memory"
        case .remote: "remote"
        case .custom(let name, _): name
        }
    }

    /// What the factory receives.
    public var options: JSONValue {
        switch self {
        case .file(let path): ["path": .string(path)]
        case .memory: [:]
        case .remote(let endpoint, let apiKey): ["endpoint": .string(endpoint), "api_key": .string(apiKey)]
        case .custom(_, let config): config
        }
    }

    /// The type only: options may hold secrets (an API key), so they are never printed.
    public var description: String { type }
}

/// A sampling rate for the metric names that match a glob.
public struct SamplingRule: Sendable, Hashable {
    /// The names it applies to.
    public var glob: String
    /// The fraction of events kept, in [0, 1].
    public var rate: Double

    /// Creates a rule.
    public init(_ glob: String, rate: Double) {
        self.glob = glob
        self.rate = rate
    }
}

/// Everything that controls what is recorded and where it goes.
///
/// Every key is documented in `docs/CONFIGURATION.md`; `MetricsConfig.load(…)` in the `MMMMetrics`
/// module reads them from `.mmm/config.toml` and the environment.
public struct MetricsConfig: Sendable {
    /// Whether anything is recorded at all. When `false`, recording calls build no event and allocate nothing.
    public var enabled: Bool
    /// The collectors to build by ``MetricsRegistry/configured(_:factories:errorHandler:)``.
    public var collectors: [CollectorConfig]
    /// How often buffering collectors flush on their own.
    public var flushInterval: Duration
    /// How many events each collector's hand-off buffer holds; beyond it, events are dropped and counted.
    public var bufferSize: Int
    /// The fraction of events kept, in [0, 1].
    public var samplingRate: Double
    /// The seed of the sampling generator; `nil` seeds from the system's randomness.
    public var samplingSeed: UInt64?
    /// Per-name sampling rates; the first rule whose glob matches wins, ahead of `samplingRate`.
    public var samplingOverrides: [SamplingRule]
    /// When not empty, only names matching one of these globs are recorded.
    public var allow: [String]
    /// Names matching one of these globs are never recorded (deny wins over allow).
    public var deny: [String]
    /// Stages every event passes through, in order, before collectors see it.
    public var pipeline: [any MetricsPipelineStage]
    /// How long ``MetricsRegistry/flush()`` waits for one collector before reporting it as hung.
    public var flushTimeout: Duration

    /// Creates a configuration; every parameter has a default.
    public init(
        enabled: Bool = true,
        collectors: [CollectorConfig] = [],
        flushInterval: Duration = .seconds(1),
        bufferSize: Int = 10_000,
        samplingRate: Double = 1.0,
        samplingSeed: UInt64? = nil,
        samplingOverrides: [SamplingRule] = [],
        allow: [String] = [],
        deny: [String] = [],
        pipeline: [any MetricsPipelineStage] = [],
        flushTimeout: Duration = .seconds(5)
    ) {
        self.enabled = enabled
        self.collectors = collectors
        self.flushInterval = flushInterval
        self.bufferSize = bufferSize
        self.samplingRate = samplingRate
        self.samplingSeed = samplingSeed
        self.samplingOverrides = samplingOverrides
        self.allow = allow
        self.deny = deny
        self.pipeline = pipeline
        self.flushTimeout = flushTimeout
    }

    /// Checks every value's range; the error names the key (as spelled in the TOML file),
    /// the value and what was expected.
    public func validate() throws(MetricsConfigError) {
        guard samplingRate >= 0, samplingRate <= 1 else {
            throw .invalidValue(key: "sampling_rate", value: "\(samplingRate)", expected: "a number in [0, 1]")
        }
        for rule in samplingOverrides where !(rule.rate >= 0 && rule.rate <= 1) {
            throw .invalidValue(key: "sampling_overrides.\(rule.glob)", value: "\(rule.rate)", expected: "a number in [0, 1]")
        }
        guard bufferSize > 0 else {
            throw .invalidValue(key: "buffer_size", value: "\(bufferSize)", expected: "a positive integer")
        }
        guard flushInterval > .zero else {
            throw .invalidValue(key: "flush_interval", value: "\(flushInterval)", expected: "a positive duration")
        }
        guard flushTimeout > .zero else {
            throw .invalidValue(key: "flush_timeout", value: "\(flushTimeout)", expected: "a positive duration")
        }
    }
}

/// A configuration problem, naming where it is.
public enum MetricsConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A key has a value of the wrong type or out of range.
    case invalidValue(key: String, value: String, expected: String)
    /// A key that the configuration does not know.
    case unknownKey(String)
    /// A collector plugin name nobody registered.
    case unknownCollector(name: String, registered: [String])
    /// A collector kind this build does not include.
    case collectorNotAvailable(kind: String, reason: String)
    /// The configuration file could not be read or parsed.
    case unreadableFile(path: String, reason: String)
    /// A plugin factory refused its configuration.
    case pluginFailed(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidValue(let key, let value, let expected):
            "invalid value for \(key): \(value) (expected \(expected))"
        case .unknownKey(let key):
            "unknown configuration key \(key)"
        case .unknownCollector(let name, let registered):
            "unknown collector plugin '\(name)'; registered: \(registered.isEmpty ? "none" : registered.joined(separator: ", "))"
        case .collectorNotAvailable(let kind, let reason):
            "the \(kind) collector is not available in this build: \(reason)"
        case .unreadableFile(let path, let reason):
            "\(path): \(reason)"
        case .pluginFailed(let name, let reason):
            "collector plugin '\(name)' rejected its configuration: \(reason)"
        }
    }
}
