public import MMMMetricsCore

/// Sends events to a StatsD server or a Datadog agent over UDP (docs/REMOTE.md#statsd).
///
/// Lines: counters `name:42|c`, gauges `name:0.87|g`, timers in milliseconds `name:1500|ms`;
/// with `tags = "dogstatsd"`, tags follow as `|#key:value,key:value`. Names keep their dots
/// (StatsD's own separator); bytes other than letters, digits, `_`, `-` and `.` become `_`, and so
/// do `:`, `|`, `,`, `#` and `@` in tag keys and values. Events kept by sampling carry their rate
/// as StatsD's `|@rate`. Lines are packed into datagrams of at most `max_packet` bytes (1432 by
/// default: one Ethernet frame) and sent without blocking. UDP gives no receipt: a datagram the
/// kernel refuses (no listener, buffer full) is counted in ``Statistics/dropped``, and the next
/// ``flush()`` throws a summary the registry counts and logs. Custom data is not sent (counted).
public final class StatsDCollector: MetricsCollector, Sendable {
    /// Settings from a `type = "statsd"` table.
    public struct Options: Sendable, Hashable {
        /// `host:port` (IPv4), default `127.0.0.1:8125`.
        public var address = "127.0.0.1:8125"
        /// Put in front of every name (such as `mmm.`).
        public var prefix = ""
        /// Whether tags are sent in the DogStatsD form (plain StatsD has no tags).
        public var dogStatsDTags = false
        /// The largest datagram.
        public var maximumPacket = 1_432

        /// Defaults.
        public init() {}

        /// Reads `address`, `prefix`, `tags` (`none` or `dogstatsd`) and `max_packet`.
        public static func parse(_ options: JSONValue, key: String = "metrics.collectors.statsd") throws(MetricsConfigError) -> Options {
            var result = Options()
            guard case .object(let table) = options else { return result }
            for name in table.keys.sorted() where !["type", "address", "prefix", "tags", "max_packet"].contains(name) {
                throw .unknownKey("\(key).\(name)")
            }
            if let value = table["address"] {
                guard let text = value.stringValue, Sockets.parseAddress(text) != nil else {
                    throw .invalidValue(key: "\(key).address", value: "\(value)", expected: "HOST:PORT with an IPv4 host, such as 127.0.0.1:8125")
                }
                result.address = text
            }
            if let value = table["prefix"] {
                guard let text = value.stringValue else { throw .invalidValue(key: "\(key).prefix", value: "\(value)", expected: "a string") }
                result.prefix = text
            }
            if let value = table["tags"] {
                guard let text = value.stringValue, text == "none" || text == "dogstatsd" else {
                    throw .invalidValue(key: "\(key).tags", value: "\(value)", expected: "none or dogstatsd")
                }
                result.dogStatsDTags = text == "dogstatsd"
            }
            if let value = table["max_packet"] {
                guard case .integer(let size) = value, (64...65_000).contains(size) else {
                    throw .invalidValue(key: "\(key).max_packet", value: "\(value)", expected: "an integer in 64...65000")
                }
                result.maximumPacket = Int(size)
            }
            return result
        }
    }

    /// Counts so far.
    public struct Statistics: Sendable, Hashable {
        /// Lines sent.
        public var sent = 0
        /// Events not sent, by reason: `refused` (the kernel refused the datagram), `not_numeric`.
        public var dropped: [String: Int] = [:]
    }

    /// The settings.
    public let options: Options
    private let descriptor: Int32
    private let state = LockedState<(statistics: Statistics, unreported: [String: Int])>((Statistics(), [:]))

    /// Opens the UDP socket.
    public init(options: Options, errorHandler: MetricsErrorHandler? = nil) throws {
        self.options = options
        guard let (host, port) = Sockets.parseAddress(options.address) else {
            throw MetricsConfigError.invalidValue(key: "statsd.address", value: options.address, expected: "HOST:PORT")
        }
        do { descriptor = try Sockets.udp(host: host, port: port) } catch {
            throw MetricsConfigError.collectorNotAvailable(kind: "statsd", reason: "\(options.address): \(error)")
        }
    }

    deinit { Sockets.close(descriptor) }

    /// The line for one event, or `nil` for custom data.
    public func line(_ event: MetricEvent) -> String? {
        guard let (kind, number) = NumericKind.of(event.value) else { return nil }
        var line = Self.cleaned(options.prefix + event.name, extra: ".") + ":"
        switch kind {
        case .counter: line += "\(Int64(number))|c"
        case .gauge: line += "\(PrometheusExposition.number(number))|g"
        case .timer: line += "\(PrometheusExposition.number(number * 1_000))|ms"
        }
        if let rate = event.tags[SampleRate.tag], SampleRate.weight(rate) != nil { line += "|@\(rate)" }
        if options.dogStatsDTags {
            let tags = event.tags.filter { !$0.key.hasPrefix("__") }
                .map { Self.cleaned($0.key, extra: ".-/") + ":" + Self.cleaned($0.value, extra: ".-/ ") }
            if !tags.isEmpty { line += "|#" + tags.joined(separator: ",") }
        }
        return line
    }

    static func cleaned(_ text: String, extra: String) -> String {
        let allowed = Set(extra.utf8)
        return String(decoding: text.utf8.map { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
                || allowed.contains(byte) || byte >= 0x80 ? byte : 0x5F
        }, as: UTF8.self)
    }

    public func record(_ event: MetricEvent) async throws {
        try await record(contentsOf: [event])
    }

    public func record(contentsOf events: [MetricEvent]) async throws {
        var packet: [UInt8] = []
        var lines = 0
        var notNumeric = 0
        var refused = 0
        func send() {
            guard !packet.isEmpty else { return }
            if !Sockets.send(descriptor, packet) { refused += lines } else { state.withLock { $0.statistics.sent += lines } }
            packet.removeAll(keepingCapacity: true)
            lines = 0
        }
        for event in events {
            guard let line = line(event) else {
                notNumeric += 1
                continue
            }
            let bytes = Array(line.utf8)
            if !packet.isEmpty, packet.count + 1 + bytes.count > options.maximumPacket { send() }
            if !packet.isEmpty { packet.append(0x0A) }
            packet += bytes
            lines += 1
        }
        send()
        if notNumeric + refused > 0 {
            state.withLock { state in
                if notNumeric > 0 {
                    state.statistics.dropped["not_numeric", default: 0] += notNumeric
                    state.unreported["not_numeric", default: 0] += notNumeric
                }
                if refused > 0 {
                    state.statistics.dropped["refused", default: 0] += refused
                    state.unreported["refused", default: 0] += refused
                }
            }
        }
    }

    /// Nothing waits (every record sends); throws a summary of the events dropped since the last flush.
    public func flush() async throws {
        let unreported = state.withLock { state in
            defer { state.unreported = [:] }
            return state.unreported
        }
        if !unreported.isEmpty { throw RemoteDeliveryError(dropped: unreported, lastFailure: nil) }
    }

    /// The counts so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }
}
