/// A point in time: nanoseconds since the Unix epoch, UTC.
public struct MetricTimestamp: Sendable, Hashable, Comparable, Codable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    /// Creates a timestamp from nanoseconds since the Unix epoch.
    @inlinable
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Creates a timestamp from seconds since the Unix epoch (rounded to the nearest nanosecond);
    /// `nil` outside the range of `Int64` nanoseconds (1677-09-21 to 2262-04-11) or for NaN.
    public init?(secondsSinceEpoch: Double) {
        guard let duration = Duration.seconds(checked: secondsSinceEpoch) else { return nil }
        self.nanosecondsSinceEpoch = duration.totalNanoseconds
    }

    /// The current wall-clock time (`CLOCK_REALTIME`).
    public static func now() -> MetricTimestamp {
        MetricTimestamp(nanosecondsSinceEpoch: WallClock.nanosecondsSinceEpoch())
    }

    /// Seconds since the Unix epoch.
    public var secondsSinceEpoch: Double { Double(nanosecondsSinceEpoch) / 1e9 }

    public static func < (lhs: MetricTimestamp, rhs: MetricTimestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }
}
