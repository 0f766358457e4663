/// The series (name and tags) of a registry's pre-bound handles, numbered once, so that a handle's
/// event travels to the collectors' consumers as a number, a value and a timestamp.
///
/// Building a ``MetricEvent`` on the recording thread retains its name and tags, and the consumer
/// thread releases them: two threads writing the same reference counts, which cost the recording
/// thread more than the rest of the hand-off. A sample carries no reference; the consumer builds the
/// event from the series it names.
///
/// The table keeps each distinct series (by the bytes of the name, keys and values) for the
/// registry's lifetime, like a Prometheus client's registry keeps its metrics; at most
/// ``capacity`` of them, after which new handles record whole events instead. Each channel's
/// consumer keeps a copy of the series it has met (a name and tags each: references to the same
/// strings). Handles made per call with an ever-new tag value therefore keep up to 100,000
/// series alive; such handles belong on the dynamic API (`registry.increment(_:tags:)`).
final class BoundSeriesTable: Sendable {
    struct Series: Sendable {
        let name: String
        let tags: Tags
    }

    /// The most series kept.
    static let capacity = 100_000

    private struct Key: Hashable {
        let texts: [ExactText]
    }

    private struct State {
        var series: [Series] = []
        var numbers: [Key: Int32] = [:]
    }

    private let state = LockedState(State())

    /// The number of a series, added when new; `nil` when the table is full.
    func number(name: String, tags: Tags) -> Int32? {
        var texts = [ExactText(name)]
        for tag in tags {
            texts.append(ExactText(tag.key))
            texts.append(ExactText(tag.value))
        }
        let key = Key(texts: texts)
        return state.withLock { state in
            if let number = state.numbers[key] { return number }
            guard state.series.count < Self.capacity else { return nil }
            let number = Int32(state.series.count)
            state.series.append(Series(name: name, tags: tags))
            state.numbers[key] = number
            return number
        }
    }

    /// The series numbered `first` and after, copied: a consumer extends its own copy, so the
    /// table's storage is never shared and numbering a new series never copies it.
    func series(from first: Int) -> [Series] {
        state.withLock { Array($0.series[min(first, $0.series.count)...]) }
    }

    /// How many series are numbered.
    var count: Int { state.withLock { $0.series.count } }
}

/// One event of a pre-bound handle on its way to a collector: no references, so handing it over
/// touches no reference count.
struct BoundSample: Sendable {
    /// A handle's value: the kinds handles record (custom events go as whole events).
    enum Value: Sendable {
        case counter(Int64)
        case gauge(Double)
        case timer(Duration)

        init?(_ value: MetricValue) {
            switch value {
            case .counter(let amount): self = .counter(amount)
            case .gauge(let level): self = .gauge(level)
            case .timer(let duration): self = .timer(duration)
            case .custom: return nil
            }
        }

        var metricValue: MetricValue {
            switch self {
            case .counter(let amount): .counter(amount)
            case .gauge(let level): .gauge(level)
            case .timer(let duration): .timer(duration)
            }
        }
    }

    var series: Int32
    var value: Value
    var timestamp: Int64

    /// The event this sample stands for.
    func event(in series: [BoundSeriesTable.Series]) -> MetricEvent {
        let entry = series[Int(self.series)]
        return MetricEvent(name: entry.name, value: value.metricValue, tags: entry.tags,
                           timestamp: MetricTimestamp(nanosecondsSinceEpoch: timestamp))
    }
}
