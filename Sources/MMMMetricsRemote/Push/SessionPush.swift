public import MMMMetricsCore

/// `mmm-analyze push`: a stored session's events sent to a remote server, all or nothing said.
public enum SessionPush {
    /// What a push did.
    public struct Result: Sendable, Hashable {
        /// Events sent (influx) or aggregated into what was sent (pushgateway).
        public var sent = 0
        /// Requests made.
        public var requests = 0
        /// Events that no wire format can carry (custom data; NaN or infinite gauges in line protocol).
        public var notNumeric = 0
        /// Events left out because their name maps onto one another metric already took on the
        /// server (`a.b` and `a_b` both become `a_b_total`): the first metric keeps it.
        public var conflicting = 0
        /// Tags left out because their key sanitises to one another tag of the event has.
        public var droppedLabels = 0
    }

    /// Sends `events` of `session`; throws ``PushError`` naming the URL (never the key) on the
    /// first request that fails after its retries, or when `deadline` passes. Requests are sent
    /// in order, `batchSize` lines each (influx) or one PUT (pushgateway).
    public static func push(
        _ events: [MetricEvent], session: String, options: RemoteOptions, transport: any HTTPTransport = URLSessionTransport(),
        deadline: Duration = .seconds(30)
    ) async throws(PushError) -> Result {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var result = Result()
        func send(_ request: HTTPRequest) async throws(PushError) {
            var tries = 0
            while true {
                let remaining = clock.now.duration(to: end)
                guard remaining > .zero else { throw PushError(url: RemoteOptions.redacted(request.url), reason: "no success within \(deadline)") }
                do {
                    _ = try await transport.send(request, timeout: min(options.timeout, remaining))
                    result.requests += 1
                    return
                } catch {
                    tries += 1
                    guard error.isRetryable, tries <= options.maxRetries else {
                        throw PushError(url: RemoteOptions.redacted(request.url), reason: "\(error)")
                    }
                    let wait = min(.milliseconds(250) * (1 << min(tries - 1, 10)), clock.now.duration(to: end))
                    try? await Task.sleep(for: wait)
                }
            }
        }
        switch options.format {
        case .influx:
            var lines: [UInt8] = []
            var inBatch = 0
            var totals = RunningTotals()
            var claims = InfluxNameClaims()
            for event in events {
                guard claims.admits(event) else {
                    result.conflicting += 1
                    continue
                }
                if InfluxLineProtocol.encode(totals.cumulative(event), session: session, into: &lines, droppedLabels: &result.droppedLabels) {
                    inBatch += 1
                } else {
                    result.notNumeric += 1
                }
                if inBatch >= options.batchSize {
                    try await send(RemoteRequests.influx(lines, options: options))
                    result.sent += inBatch
                    lines.removeAll(keepingCapacity: true)
                    inBatch = 0
                }
            }
            if inBatch > 0 {
                try await send(RemoteRequests.influx(lines, options: options))
                result.sent += inBatch
            }
        case .pushgateway:
            var exposition = PrometheusExposition()
            for event in events { exposition.add(event, extraLabels: [("session", session)], reservedLabels: ["job", "instance"]) }
            result.notNumeric = exposition.skippedEvents
            result.conflicting = exposition.conflictingEvents
            result.droppedLabels = exposition.droppedLabels
            result.sent = events.count - exposition.skippedEvents - exposition.conflictingEvents
            try await send(RemoteRequests.pushgateway(exposition.render(), options: options, session: session))
        }
        return result
    }
}

/// A push that failed: the URL (without credentials) and why.
public struct PushError: Error, Sendable, CustomStringConvertible {
    /// The URL, redacted.
    public var url: String
    /// Why.
    public var reason: String

    public var description: String { "push to \(url) failed: \(reason)" }
}
