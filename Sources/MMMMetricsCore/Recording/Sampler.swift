import Synchronization

/// Decides which events a sampling rate keeps: a lock-free SplitMix64 stream.
///
/// With a seed, the sequence of decisions is reproducible for a single recording task.
@usableFromInline
final class Sampler: Sendable {
    private let counter: Atomic<UInt64>
    private let seed: UInt64

    init(seed: UInt64?) {
        var generator = SystemRandomNumberGenerator()
        self.seed = seed ?? generator.next()
        counter = Atomic(0)
    }

    /// Whether to keep an event at `rate`; rates of 1 and 0 draw nothing.
    @usableFromInline
    func keep(rate: Double) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        let step = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let z = SplitMix64.mix(seed &+ step &* SplitMix64.gamma)
        return Double(z >> 11) * 0x1.0p-53 < rate
    }
}
