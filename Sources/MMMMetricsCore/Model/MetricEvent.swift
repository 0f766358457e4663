/// What a metric event carries: the four kinds of the seed spec.
public enum MetricValue: Sendable, Hashable {
    /// A count to add, such as `1` for one executed command.
    case counter(Int64)
    /// A level at a moment, such as a coverage percentage.
    case gauge(Double)
    /// How long something took, with nanosecond precision.
    case timer(Duration)
    /// Free-form data, such as an error's message and kind.
    case custom(JSONValue)

    /// The kind's name as the NDJSON format and the query language spell it.
    public var kindName: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .timer: "timer"
        case .custom: "custom"
        }
    }

    /// The number aggregations use: a counter's or gauge's value, a timer in seconds; `nil` for custom data.
    @inlinable
    public var numericValue: Double? {
        switch self {
        case .counter(let value): return Double(value)
        case .gauge(let value): return value
        case .timer(let duration): return duration.secondsAsDouble
        case .custom: return nil
        }
    }
}

extension Duration {
    /// The longest duration the package stores or accepts: `Int64.max` nanoseconds (about 292 years).
    package static let maximumNanoseconds = Int64.max

    /// Unit suffixes users write, with their length in seconds, longest suffix first where one ends
    /// another (`ms` before `s`).
    package static let unitSeconds: [(suffix: String, seconds: Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800),
    ]

    /// `seconds` as a duration rounded to the nanosecond, or `nil` when it is not finite or its
    /// nanoseconds do not fit in `Int64` (never a trap, whatever the input).
    package static func seconds(checked seconds: Double) -> Duration? {
        let nanoseconds = (seconds * 1e9).rounded()
        // 2^63 is exactly representable; every Double below it converts without trapping.
        guard nanoseconds.isFinite, nanoseconds > -9.223372036854775808e18, nanoseconds < 9.223372036854775808e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// The duration in seconds, as a `Double`.
    @inlinable
    public var secondsAsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds (truncated towards zero, saturating at the `Int64` bounds).
    @inlinable
    public var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }
}

/// One recorded metric: a name, a value of one of four kinds, tags and a timestamp.
///
/// Events are values: cheap to copy (the name and tags are shared copy-on-write storage) and `Sendable`.
/// A registry stamps ``timestamp`` with the current time when the caller leaves it `nil`,
/// so collectors always receive events with a timestamp.
public struct MetricEvent: Sendable, Hashable {
    /// The metric's name, such as `command.duration`.
    public var name: String
    /// The value.
    public var value: MetricValue
    /// The tags.
    public var tags: Tags
    /// When it happened; `nil` until a registry stamps it.
    public var timestamp: MetricTimestamp?

    /// Creates an event.
    @inlinable
    public init(name: String, value: MetricValue, tags: Tags = [:], timestamp: MetricTimestamp? = nil) {
        self.name = name
        self.value = value
        self.tags = tags
        self.timestamp = timestamp
    }

    /// A counter event.
    @inlinable
    public static func counter(name: String, value: Int64, tags: Tags = [:], timestamp: MetricTimestamp? = nil) -> MetricEvent {
        MetricEvent(name: name, value: .counter(value), tags: tags, timestamp: timestamp)
    }

    /// A gauge event.
    @inlinable
    public static func gauge(name: String, value: Double, tags: Tags = [:], timestamp: MetricTimestamp? = nil) -> MetricEvent {
        MetricEvent(name: name, value: .gauge(value), tags: tags, timestamp: timestamp)
    }

    /// A timer event.
    @inlinable
    public static func timer(name: String, duration: Duration, tags: Tags = [:], timestamp: MetricTimestamp? = nil) -> MetricEvent {
        MetricEvent(name: name, value: .timer(duration), tags: tags, timestamp: timestamp)
    }

    /// A custom event carrying JSON data.
    @inlinable
    public static func custom(name: String, data: JSONValue, tags: Tags = [:], timestamp: MetricTimestamp? = nil) -> MetricEvent {
        MetricEvent(name: name, value: .custom(data), tags: tags, timestamp: timestamp)
    }
}
