public import MMMMetricsCore
import MMMMetricsLog

/// Folds the quality gauges: for each, the first and the last value of the session (by timestamp,
/// then sequence), and the last value per iteration.
public struct QualityReducer: MetricsReducer {
    /// The four quality gauges of the metrics catalog, with the field each fills.
    public static let gauges = ["quality.test_coverage", "quality.lint_warnings", "quality.complexity_score", "quality.documentation_coverage"]

    var first: [String: Stamped<Double>] = [:]
    var last: [String: Stamped<Double>] = [:]
    var perIteration: [Int: [String: Stamped<Double>]] = [:]

    public init() {}

    public mutating func apply(_ event: ReplayedEvent) {
        guard case .gauge(let value) = event.event.value, Self.gauges.contains(event.event.name) else { return }
        let stamped = Stamped(nanoseconds: event.nanoseconds, sequence: event.sequence, value: value)
        let name = event.event.name
        if first[name].map({ $0.isAfter(stamped) }) ?? true { first[name] = stamped }
        if stamped.isAfter(last[name]) { last[name] = stamped }
        if let iteration = IterationReducer.number(of: event.event.tags["iteration"]) {
            if stamped.isAfter(perIteration[iteration]?[name]) {
                perIteration[iteration, default: [:]][name] = stamped
            }
        }
    }

    public mutating func merge(_ other: QualityReducer) {
        for (name, value) in other.first where first[name].map({ $0.isAfter(value) }) ?? true { first[name] = value }
        for (name, value) in other.last where value.isAfter(last[name]) { last[name] = value }
        for (iteration, values) in other.perIteration {
            for (name, value) in values where value.isAfter(perIteration[iteration]?[name]) {
                perIteration[iteration, default: [:]][name] = value
            }
        }
    }

    static func metrics(_ values: [String: Stamped<Double>]) -> QualityMetrics {
        QualityMetrics(
            testCoverage: values["quality.test_coverage"]?.value, lintWarnings: values["quality.lint_warnings"]?.value,
            complexityScore: values["quality.complexity_score"]?.value, documentationCoverage: values["quality.documentation_coverage"]?.value)
    }

    /// The last value of each gauge.
    public func result() -> QualityMetrics { Self.metrics(last) }

    /// The first value of each gauge.
    public var start: QualityMetrics { Self.metrics(first) }

    /// The last value of each gauge within each iteration, by iteration number.
    public var byIteration: [Int: QualityMetrics] { perIteration.mapValues(Self.metrics) }
}
