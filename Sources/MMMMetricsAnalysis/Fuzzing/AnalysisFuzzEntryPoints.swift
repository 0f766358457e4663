@_spi(Fuzzing) import MMMMetricsCore

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

    /// For the fuzzers: `QueryParser.parse` on the input as text (with and without a custom
    /// function); an error's position lies within the query, and a parsed query's selection builds.
    @_spi(Fuzzing) public static func query(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        for registry in [nil, functions] {
            do {
                let parsed = try QueryParser.parse(text, functions: registry, now: now)
                _ = parsed.selection
                if case .percentile(let q) = parsed.aggregation {
                    CoreFuzzEntryPoints.require(q >= 0 && q <= 100, "percentile \(q) accepted")
                }
            } catch {
                CoreFuzzEntryPoints.require(error.position >= 0 && error.position <= text.count, "error position \(error.position) outside 0...\(text.count)")
                _ = error.description
            }
        }
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
