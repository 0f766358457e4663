/// The config's decisions about which events reach collectors, compiled once:
/// allow/deny lists and sampling on the recorded name, then the transformation pipeline.
@usableFromInline
final class RecordingPolicy: Sendable {
    private let allow: NameGlobList
    private let deny: NameGlobList
    private let defaultRate: Double
    private let exactRates: [String: Double]
    private let globRates: [(NameGlob, Double)]
    private let sampler: Sampler
    let pipeline: [any MetricsPipelineStage]
    /// Whether every stage depends only on name and tags (so handles can run it once).
    let pipelineIsStatic: Bool

    init(_ config: MetricsConfig) {
        allow = NameGlobList(config.allow)
        deny = NameGlobList(config.deny)
        defaultRate = min(max(config.samplingRate.isNaN ? 1 : config.samplingRate, 0), 1)
        var exact: [String: Double] = [:]
        var globs: [(NameGlob, Double)] = []
        for rule in config.samplingOverrides {
            let glob = NameGlob(rule.glob)
            if glob.isLiteral {
                if exact[rule.glob] == nil { exact[rule.glob] = rule.rate }
            } else {
                globs.append((glob, rule.rate))
            }
        }
        exactRates = exact
        globRates = globs
        sampler = Sampler(seed: config.samplingSeed)
        pipeline = config.pipeline
        pipelineIsStatic = config.pipeline.allSatisfy(\.dependsOnlyOnNameAndTags)
    }

    /// Whether the allow and deny lists let the name through.
    func admits(_ name: String) -> Bool {
        if !deny.isEmpty, deny.matches(name) { return false }
        return allow.isEmpty || allow.matches(name)
    }

    /// The sampling rate for a name: an exact override, else the first matching glob override, else the default.
    func samplingRate(for name: String) -> Double {
        if let exact = exactRates[name] { return exact }
        for (glob, rate) in globRates where glob.matches(name) { return rate }
        return defaultRate
    }

    /// One sampling draw at `rate`.
    func sample(rate: Double) -> Bool { sampler.keep(rate: rate) }

    /// Runs the pipeline; `false` when a stage dropped the event.
    func transform(_ event: inout MetricEvent) -> Bool {
        for stage in pipeline where !stage.apply(to: &event) { return false }
        return true
    }

    /// The whole decision for one event. An event kept by sampling at a rate below 1 carries the
    /// rate in the reserved tag ``SampleRate/tag``, so that counts and sums can be scaled back.
    func process(_ event: inout MetricEvent) -> Bool {
        let rate = samplingRate(for: event.name)
        guard admits(event.name), sample(rate: rate), transform(&event) else { return false }
        if rate < 1 { event.tags[SampleRate.tag] = SampleRate.text(rate) }
        return true
    }
}

/// How a sampled event says what fraction of its kind was kept.
public enum SampleRate {
    /// The reserved tag an event kept by sampling at a rate below 1 carries: the rate as a decimal
    /// number (`"0.25"`). Readers scale `count` and `sum` of such events by 1/rate (docs/QUERY.md).
    public static let tag = "__sample_rate"

    /// The rate as the tag stores it (the shortest decimal that reads back as the same `Double`).
    public static func text(_ rate: Double) -> String { "\(rate)" }

    /// The weight (1/rate) a tag value gives, or `nil` when it is not a decimal rate in
    /// [1e-12, 1] (a smaller rate would make one event count as more than a trillion).
    public static func weight(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) || $0 == 46 || $0 == 101 || $0 == 69 || $0 == 45 || $0 == 43 }),
            let rate = Double(text), rate >= 1e-12, rate <= 1
        else { return nil }
        return 1 / rate
    }
}
