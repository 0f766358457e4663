@_spi(Fuzzing) import MMMMetricsCore
@_spi(Fuzzing) import MMMMetricsLog

/// Entry points for the libFuzzer targets in `Tools/Fuzz` (docs/FUZZING.md); not API.
@_spi(Fuzzing) public enum AnalysisFuzzEntryPoints {
    /// The fixed "now" of relative times, so runs are reproducible: 2026-11-28T10:00:00Z.
    static let now = MetricTimestamp(nanosecondsSinceEpoch: 1_795_860_000_000_000_000)

    /// A registry with one custom function, so the parser's custom-name branch is reached.
    static let functions: AggregationRegistry = {
        let registry = AggregationRegistry()
        registry.register("spread", SpreadFunction())
        return registry
    }()

    /// A small log the parsed queries run over: counters, NaN and extreme gauges, timers, custom
    /// events with data fields, sampled events, timestamps before 1970 and near the ends of time.
    static let log: (any LogSource)? = {
        let at = { (nanoseconds: Int64) in MetricTimestamp(nanosecondsSinceEpoch: nanoseconds) }
        let events: [MetricEvent] = [
            .counter(name: "a", value: 3, tags: ["k": "1", "x": "a"], timestamp: at(1)),
            .counter(name: "a", value: .max, tags: ["k": "10", "__sample_rate": "0.25"], timestamp: at(-1)),
            .counter(name: "b", value: .min, tags: ["k": "2", "__sample_rate": "nope"], timestamp: at(.max)),
            .gauge(name: "g", value: .nan, tags: ["k": "-3"], timestamp: at(.min)),
            .gauge(name: "g", value: 1e308, timestamp: at(86_400_000_000_000)),
            .gauge(name: "g", value: -1e308, tags: ["__sample_rate": "1e-300"], timestamp: at(86_400_000_000_000)),
            .timer(name: "command.duration", duration: .seconds(2), tags: ["command": "test", "status": "error"], timestamp: at(5)),
            .custom(name: "error", data: ["kind": .string("lint"), "n": .integer(2)], timestamp: at(7)),
            .custom(name: "error", data: .array([.null]), tags: ["kind": "tag"], timestamp: at(8)),
        ]
        return LogFuzzEntryPoints.memoryLog(session: "fuzz", events)
    }()

    /// For the fuzzers: `QueryParser.parse` on the input as text (with and without a custom
    /// function); an error's position lies within the query; a parsed query's selection builds and
    /// it runs over a small log with its rows in order, its comparison holding and its limit kept.
    @_spi(Fuzzing) public static func query(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        for registry in [nil, functions] {
            do {
                let parsed = try QueryParser.parse(text, functions: registry, now: now)
                _ = parsed.selection
                if case .percentile(let q) = parsed.aggregation {
                    CoreFuzzEntryPoints.require(q >= 0 && q <= 100, "percentile \(q) accepted")
                }
                if let log { check(parsed, over: log, functions: registry ?? AggregationRegistry()) }
            } catch {
                CoreFuzzEntryPoints.require(error.position >= 0 && error.position <= text.count, "error position \(error.position) outside 0...\(text.count)")
                _ = error.description
            }
        }
    }
}

extension AnalysisFuzzEntryPoints {
    static func check(_ query: ParsedQuery, over log: any LogSource, functions: AggregationRegistry) {
        // Errors are answers (a custom event under sum, a regex); crashes and broken promises are not.
        guard let result = try? QueryEngine(source: log, functions: functions).run(query) else { return }
        if let comparison = query.comparison {
            CoreFuzzEntryPoints.require(result.rows.allSatisfy { comparison.holds(for: $0.value) }, "a row fails the comparison")
        }
        switch query.limit {
        case .top(let count)?, .bottom(let count)?:
            CoreFuzzEntryPoints.require(result.rows.count <= count, "\(result.rows.count) rows over the limit \(count)")
        case nil:
            let keys = query.groupBy
            let groups = result.rows.map { row in keys.map { row.group[$0] ?? "" } }
            CoreFuzzEntryPoints.require(zip(groups, groups.dropFirst()).allSatisfy { !GroupOrder.precedes($1, $0) }, "rows out of order")
        }
        _ = try? QueryAnswer(result: result, groupBy: query.groupBy).rendered(as: .table)
        _ = try? QueryAnswer(result: result, groupBy: query.groupBy).rendered(as: .json)
    }
}

/// A custom aggregation for the query fuzzer: the largest value minus the smallest.
struct SpreadFunction: AggregationFunction {
    func initialState() -> [Double] { [.infinity, -.infinity] }
    func step(_ state: inout [Double], _ value: Double) {
        state[0] = min(state[0], value)
        state[1] = max(state[1], value)
    }
    func merge(_ state: inout [Double], _ other: [Double]) {
        state[0] = min(state[0], other[0])
        state[1] = max(state[1], other[1])
    }
    func result(_ state: [Double]) -> Double? { state[0] <= state[1] ? state[1] - state[0] : nil }
}
